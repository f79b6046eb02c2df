// Broker: the in-process model of perfqos (DESIGN §2 layer 2). It owns the registry of devices
// and every request, and is the one place requests are added, changed and dropped:
//
//   holder identified -> broker checks the value -> engine aggregates -> if the effective value
//   changed, the device's backend applies it (both ends of a range together) -> outcome.
//
// Errors (every failed call changes nothing unless said otherwise):
//   ENODEV   no such device, or the device was unregistered (its requests' holders get this)
//   EINVAL   the device has no such knob, the value is out of range (the message names
//            device.knob, the value and the allowed range), or a bad device spec
//   ENOENT   the holder has no request with that id
//   EEXIST   register_device with a name already taken
//   other    a backend failure: recorded on the device (backend_errors()) and returned. An add
//            or update whose backend write fails is rolled back (the previous effective value
//            is re-applied); a remove is never rolled back: the request is gone either way.
//
// Hierarchy: a request may target the first ancestor (starting at the parent) that has the knob
// (kernel dev_pm_qos_add_ancestor_request). Unregistering a device first unregisters its
// descendants, deepest first: a child cannot outlive the parent it hangs from, as a sysfs
// device cannot. The requests on every unregistered device are dropped without a backend write
// (the hardware is gone or no longer ours) and their holders get ENODEV on next use.
//
// Timed requests carry a deadline; expire(now) drops those that are due, exactly like a remove.
// The model reads no clock: the caller passes `now`.
//
// Thread safety: one thread owns the Broker and everything reached from it. Knob effective
// values are the exception: lock-free reads from any thread.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/device.h"
#include "model/holder.h"
#include "model/registry.h"
#include "util/status.h"

namespace perfqos {

// What a request targets: a device's knob, and for a range which end.
struct RequestTarget {
  std::string device;
  KnobId knob = KnobId::kLatency;
  RangeEnd end = RangeEnd::kMin;
  bool ancestor = false;  // the first ancestor of `device` that has the knob
};

// What a successful add/update/remove did.
struct RequestOutcome {
  RequestId id = 0;
  KnobId knob = KnobId::kLatency;
  bool changed = false;  // the effective value changed
  Range effective;       // the knob's effective value after the call ({v, v} if one-valued)
  // The device the request is on (the ancestor for ancestor requests); null if it is gone. A
  // pointer, not a name, so that the hot path copies no string; valid while it is registered.
  const Device* device = nullptr;
};

// How a request changed an effective value (for the cause of a notification).
enum class ChangeAction : std::uint8_t { kAdd = 0, kUpdate = 1, kRemove = 2 };

class Broker {
 public:
  // What a change of an effective value is being caused by: the knobs' subscribers run during
  // the call that changes it, on this thread, and may ask. `request` is the request being
  // added, updated or removed (also by expiry or its holder's end); null outside those calls
  // and for changes not made through a request (a perf QoS handle).
  struct Cause {
    const HeldRequest* request = nullptr;
    ChangeAction action = ChangeAction::kAdd;
  };
  const Cause& cause() const { return cause_; }

  Broker() = default;
  // Drops every request (no backend writes) and unregisters every device, without registry
  // events.
  // REQUIRES: every Holder made by this broker is destroyed first.
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  const Registry& registry() const { return registry_; }
  Registry& registry() { return registry_; }

  // Registers a device. EINVAL: bad name, duplicate knob, range limits inverted, a perf device
  // with unit normal outside 0..1024; EEXIST: name taken; ENODEV: parent not registered.
  Status register_device(DeviceSpec spec, std::shared_ptr<DeviceBackend> backend = nullptr);
  // Unregisters a device and its descendants. ENODEV: not registered. Their knobs keep their
  // last values (a vanished device has no files to write), unless `release` is true: then each
  // knob, its requests gone, is applied once more, so that a device that is still there (one
  // registered again with a new description) goes back to where it was.
  Status unregister_device(std::string_view name, bool release = false);

  std::unique_ptr<Holder> make_holder(HolderIdentity identity);

  Status add(Holder& holder, const RequestTarget& target, std::int32_t value,
             std::optional<Deadline> expiry, RequestOutcome* outcome);
  Status update(Holder& holder, RequestId id, std::int32_t value, RequestOutcome* outcome);
  // The checks add() makes before it changes anything: ENODEV, EINVAL (no such knob, or
  // `value` out of range, naming the allowed range). Changes nothing.
  Status check(const RequestTarget& target, std::int32_t value) const;
  Status remove(Holder& holder, RequestId id, RequestOutcome* outcome);

  // Drops every timed request whose deadline is at or before `now`. Returns how many.
  std::size_t expire(Deadline now);
  // The earliest deadline of a timed request, if any.
  std::optional<Deadline> next_expiry() const;

  // Frees up to about `budget` objects that dropped holders left behind, oldest first; returns
  // true while some remain. A holder's requests leave the model the moment it is destroyed
  // (effective values, backends, listings and counts all follow at once); only freeing their
  // memory waits, so that a holder of a million requests does not hold the model's thread for
  // as long as that takes (issue #15). The owner calls this between other work until it
  // returns false; the destructor frees the rest.
  bool reclaim(std::size_t budget);

 private:
  friend class Holder;
  Status resolve(const RequestTarget& target, Device** device, Knob** knob) const;
  // Applies `knob`'s effective value through the device's backend; records a failure.
  Status apply(Device& device, const Knob& knob);
  // Takes `request` out of its device, the expiry index and its holder (freeing it).
  void drop(HeldRequest& request, bool write_backend);
  // Takes every request of `holder` out of the model at once: one engine change, backend write
  // and notification at most per knob, not one per request. Their memory goes to leftovers_.
  void drop_all(Holder& holder);
  void unregister_tree(Device& device, bool release);
  void fill_outcome(const HeldRequest& request, bool changed, RequestOutcome* outcome) const;

  Registry registry_;
  std::multimap<Deadline, HeldRequest*> expiries_;
  Cause cause_;
  // What reclaim() still has to free: each frees up to `budget` objects, lowers it by as many,
  // and returns true once it has freed all of its own.
  std::deque<std::function<bool(std::size_t& budget)>> leftovers_;
};

}  // namespace perfqos
