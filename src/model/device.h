// Device: a named QoS target with its knobs (DESIGN §1, §4): a PM QoS class, a CPU, a cpufreq
// policy, a devfreq or cooling device, a RAPL zone, or an abstract perf QoS device.
//
// Devices are created and destroyed only through Broker (register_device/unregister_device),
// which owns them in its Registry; others hold std::shared_ptr<Device>, so a device object
// outlives its registration as long as someone looks at it. registered() tells whether it is
// still live: the knobs of an unregistered device keep their last values and take no requests.
//
// Backends (DeviceBackend) are injected: the model does no I/O.
//
// Thread safety: knob effective values are lock-free and readable from any thread; everything
// else belongs to the thread that owns the Broker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/range_constraint.h"
#include "engine/request_sequence.h"
#include "model/knob.h"
#include "util/status.h"

namespace perfqos {

class Device;
class HeldRequest;

// The unit of a perf QoS device's range (the RFC's perf_qos_unit_t, same numbering).
enum class PerfUnit : std::uint8_t { kNormal = 0, kKbps = 1, kNone = 255 };
inline constexpr std::int32_t kPerfNormalMax = 1024;
const char* to_string(PerfUnit unit);  // "normal", "kbps", ""

// Applies effective values to hardware. Called by the Broker on the model's thread, only when an
// effective value changed, with the new value; a range knob's two ends come together in one
// call, with the knob they belong to (kRange, or a named knob: a cpufreq policy has a frequency
// range and an epp). A failure is recorded on the device and returned to the requester; it is
// never fatal. The backend object is the callback's context.
class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  virtual Status apply_value(const Device& device, KnobId knob, std::int32_t value) = 0;
  // REQUIRES: is_range_knob(knob).
  virtual Status apply_range(const Device& device, KnobId knob, Range range) = 0;
};

struct DeviceSpec {
  std::string name;    // 1..63 bytes of [A-Za-z0-9_.:-]
  std::string kind;    // "class", "cpu", "cpufreq", "devfreq", "cooling", "powercap", "perf", ...
  std::string parent;  // a registered device, or empty
  PerfUnit perf_unit = PerfUnit::kNone;
  std::vector<KnobSpec> knobs;  // at most one per KnobId
  bool operator==(const DeviceSpec&) const = default;
};

struct BackendErrors {
  int last_errno = 0;  // 0 when the last apply succeeded (or none happened)
  std::string last_message;
  std::uint64_t count = 0;  // failed applies since registration
};

class Device {
 public:
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  ~Device();

  const std::string& name() const { return name_; }
  const std::string& kind() const { return kind_; }
  PerfUnit perf_unit() const { return perf_unit_; }
  bool registered() const { return registered_; }
  // Null for a root device.
  Device* parent() const { return parent_; }
  const std::vector<Device*>& children() const { return children_; }

  // Null when the device has no such knob.
  Knob* knob(KnobId id);
  const Knob* knob(KnobId id) const;
  // In the order of the spec.
  std::vector<const Knob*> knobs() const;
  // "resume_latency, flags": for error messages.
  std::string knob_names() const;

  // The RFC's perf_qos_is_allowed(): `perf` within the range knob's effective range (an empty
  // list is the hard limit). False for a device with no range knob.
  bool is_allowed(std::int32_t perf) const;

  const BackendErrors& backend_errors() const { return backend_errors_; }
  // Applies handed to the backend since registration, failed ones included (backend_errors()
  // counts those): the knob writes the metrics endpoint exports. 0 for a device with no backend.
  std::uint64_t backend_writes() const { return backend_writes_; }
  DeviceBackend* backend() const { return backend_.get(); }

  // Active requests on this device, oldest first. O(n): a copy of them all.
  std::vector<const HeldRequest*> requests() const;
  // How many requests are active on this device. O(1).
  std::size_t request_count() const { return requests_.size(); }
  // Calls `visit` on the active requests from position `first` (0 = the oldest) on, oldest
  // first, until it returns false. O(log n + visited): what a STATUS page costs.
  void visit_requests(std::size_t first,
                      const std::function<bool(const HeldRequest&)>& visit) const {
    requests_.visit_from(first, visit);
  }

 private:
  friend class Broker;
  friend class Holder;
  friend class Registry;
  Device(DeviceSpec spec, std::shared_ptr<DeviceBackend> backend, Device* parent);

  std::string name_;
  std::string kind_;
  PerfUnit perf_unit_;
  Device* parent_;
  std::vector<Device*> children_;
  std::vector<std::unique_ptr<Knob>> knobs_;
  std::shared_ptr<DeviceBackend> backend_;
  BackendErrors backend_errors_;
  std::uint64_t backend_writes_ = 0;
  RequestSequence requests_;
  bool registered_ = true;
};

// Checks a device name: 1..63 bytes of [A-Za-z0-9_.:-]. EINVAL names the offending byte.
Status check_device_name(std::string_view name);

// The one answer for a device that left the registry (unregistered, or removed by a rescan)
// while something still refers to it: ENODEV, "WHAT: its device is gone".
Status device_gone(std::string_view what);

}  // namespace perfqos
