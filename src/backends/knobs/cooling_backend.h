// CoolingBackend: a thermal cooling device as a perf QoS device, unit normal 0..1024, on its
// cur_state file (DESIGN §7).
//
// Performance p and cooling state s (0..max_state, 0 = no cooling = full performance) map
// linearly: p(s) = 1024 * (max_state - s) / max_state, so p = 1024 is state 0 and p = 0 is
// max_state. The effective range [min, max] becomes one state:
//   the cap decides:   s = ceil((1024 - max) * max_state / 1024), the least throttled state
//                      whose performance does not exceed the cap;
//   the floor permits: states up to floor((1024 - min) * max_state / 1024); the state chosen
//                      for the cap is the least throttled, so it honours the floor whenever
//                      any state does; when no state lies within [min, max] the cap wins.
// With no constraint ([0, 1024]) the state is 0. The state is written only when it changes.
//
// Errors: EINVAL for a one-valued knob; cur_state's write errno otherwise.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backends/knob_file.h"
#include "model/device.h"

namespace perfqos::backends {

class CoolingBackend final : public DeviceBackend {
 public:
  // `cooling_dir`: e.g. "/sys/devices/virtual/thermal/cooling_device0". REQUIRES: max_state > 0.
  CoolingBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                 const std::string& cooling_dir, std::int32_t max_state);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  KnobFile file_;
  std::int32_t max_state_;
  std::optional<std::int32_t> written_;
};

// The state for an effective range (see above). REQUIRES: max_state > 0.
std::int32_t cooling_state_for(Range range, std::int32_t max_state);

}  // namespace perfqos::backends
