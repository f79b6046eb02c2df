// KnobDispatch: one device's backend made of one backend per knob (a CPU with resume_latency
// and flags, a devfreq device with a range and its parent's flags). Each call goes to the
// backend registered for that knob.
//
// Errors: EINVAL when no backend handles the knob; otherwise the knob backend's Status.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <map>
#include <memory>

#include "model/device.h"

namespace perfqos::backends {

class KnobDispatch final : public DeviceBackend {
 public:
  // Replaces any backend registered for `knob`.
  void set(KnobId knob, std::shared_ptr<DeviceBackend> backend);
  // Null when none.
  DeviceBackend* get(KnobId knob) const;
  bool empty() const { return backends_.empty(); }

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  std::map<KnobId, std::shared_ptr<DeviceBackend>> backends_;
};

}  // namespace perfqos::backends
