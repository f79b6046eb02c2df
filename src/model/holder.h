// Holder and HeldRequest: who keeps a request alive (DESIGN §1), and the request as the model
// sees it: its holder, target, value, expiry, and whether it binds the effective value.
//
// A Holder is a client connection, an open FUSE file description, a cgroup binding or an
// in-process owner. Holders are made by Broker::make_holder(); destroying a Holder removes all
// of its requests (the effective values and backends follow). A Holder must not outlive its
// Broker.
//
// Thread safety: confined to the thread that owns the Broker.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/types.h>

#include "engine/request.h"
#include "engine/request_sequence.h"
#include "model/knob.h"

namespace perfqos {

class Broker;
class Device;
class Knob;

using RequestId = std::uint32_t;
using Deadline = std::chrono::steady_clock::time_point;

enum class HolderKind : std::uint8_t {
  kConnection = 0,
  kFuse = 1,
  kCgroupBinding = 2,
  kInternal = 3
};
const char* to_string(HolderKind kind);

struct HolderIdentity {
  HolderKind kind = HolderKind::kInternal;
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string comm;             // the process name, at most 15 bytes
  std::string cgroup;           // the cgroup v2 path, e.g. "/system.slice/foo.service"
  std::vector<gid_t> groups{};  // supplementary groups (for the policy's group grants)
  // "process_<PID>", the name the original PM QoS design gave a process's request.
  std::string label() const { return "process_" + std::to_string(pid); }
};

class HeldRequest {
 public:
  RequestId id() const { return id_; }
  const class Holder& holder() const { return *holder_; }
  // The device the request is on; null once that device was unregistered.
  Device* device() const { return device_; }
  KnobId knob() const { return knob_; }
  RangeEnd end() const { return end_; }
  // The value in force (a request of -1 reads as the knob's default).
  std::int32_t value() const { return request_.value(); }
  const std::optional<Deadline>& expiry() const { return expiry_; }
  // True when this request currently sets (or, for SUM and FLAGS, contributes to) the effective
  // value. False once the device is gone.
  bool binding() const;
  // What the requester said of it (the protocol bounds both): why it is held and which
  // application holds it; "" when not said.
  const std::string& reason() const { return reason_; }
  const std::string& app_id() const { return app_id_; }

 private:
  friend class Broker;
  friend class Holder;
  HeldRequest() = default;

  RequestId id_ = 0;
  class Holder* holder_ = nullptr;
  Device* device_ = nullptr;
  KnobId knob_ = KnobId::kLatency;
  RangeEnd end_ = RangeEnd::kMin;
  Request request_;
  std::optional<Deadline> expiry_;
  std::string reason_;
  std::string app_id_;
  RequestSequence::Handle in_device_ = 0;
  std::multimap<Deadline, HeldRequest*>::iterator in_expiry_;
};

class Holder {
 public:
  ~Holder();
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  const HolderIdentity& identity() const { return identity_; }
  std::size_t size() const { return live_; }
  // Null when this holder has no request with that id.
  const HeldRequest* find(RequestId id) const;
  // In id order.
  std::vector<const HeldRequest*> requests() const;
  // Records why request `id` is held and by which application (shown by STATUS). False when
  // this holder has no request with that id.
  bool annotate(RequestId id, std::string reason, std::string app_id);

 private:
  friend class Broker;
  Holder(Broker& broker, HolderIdentity identity);

  // What Broker::drop_all needs to take all of this holder's requests out at once without
  // visiting each (issue #15): per knob, how many there are, and per device, their handles in
  // its sequence.
  struct KnobShare {
    Device* device = nullptr;
    std::size_t count = 0;
    const HeldRequest* first = nullptr;  // the oldest still held, or null: look it up
  };
  struct DeviceShare {
    std::size_t count = 0;
    // Ascending (handles only grow); may still list some removed one by one: harmless,
    // pruned when they are most of it.
    std::vector<RequestSequence::Handle> handles;
  };

  // Takes ownership of a request just placed on its device (its id above every other's).
  void place(std::unique_ptr<HeldRequest> request);
  // Frees a request taken out of its device and the expiry index.
  void forget(HeldRequest& request);
  // Forgets what it knew of `device`, which is being unregistered (its requests stay, with no
  // device).
  void forget_device(const Device& device);
  HeldRequest* find_mutable(RequestId id);
  // The first request held on `knob` of `device`. REQUIRES: the knob's share count > 0.
  const HeldRequest* first_on(const Device* device, KnobId knob) const;

  Broker* broker_;
  HolderIdentity identity_;
  RequestId next_id_ = 1;
  // The requests in id order (ids_ beside them): null once removed, squeezed out when they are
  // half of them. A flat array, so that the one pass drop_all makes over it is not a chain of
  // dependent cache misses.
  std::vector<std::unique_ptr<HeldRequest>> slots_;
  std::vector<RequestId> ids_;
  std::size_t live_ = 0;
  std::size_t timed_ = 0;  // requests with an expiry
  std::unordered_map<const Knob*, KnobShare> knobs_;
  std::unordered_map<const Device*, DeviceShare> devices_;
};

}  // namespace perfqos
