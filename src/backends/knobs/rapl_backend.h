// RaplBackend: a powercap (RAPL) zone's power limit as a `range` knob in mW, on
// constraint_0_power_limit_uw (µW, x1000 on writing; mW keeps limits up to 2.1 MW within an
// int32, where µW would overflow above 2147 W). The hard limits come from discovery:
// constraint_0_min_power_uw (or 0) .. constraint_0_max_power_uw (or the limit found at
// discovery when the zone does not say).
//
// The range's max is a cap on the power limit, its min a floor:
//   a cap (max below limit_max)   -> the limit is max;
//   no cap (max == limit_max)     -> the limit the zone had before our first write, raised to
//                                    the floor `min` if that is higher.
// So the empty range [limit_min, limit_max] puts the original limit back rather than forcing
// limit_max. The value is written only when it changes. The zone's `enabled` is not touched.
//
// Errors: EINVAL for a one-valued knob; the file's read or write errno otherwise.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backends/knob_file.h"
#include "model/device.h"

namespace perfqos::backends {

class RaplBackend final : public DeviceBackend {
 public:
  // `zone_dir`: e.g. "/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0"; `limits` in mW.
  RaplBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
              const std::string& zone_dir, Range limits);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  KnobFile file_;
  Range limits_;
  std::optional<long long> original_uw_;  // read before the first write
  std::optional<long long> written_uw_;
};

}  // namespace perfqos::backends
