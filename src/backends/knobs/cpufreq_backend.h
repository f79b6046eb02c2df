// CpufreqBackend: a cpufreq policy's `range` knob in kHz on scaling_min_freq and
// scaling_max_freq (DESIGN §7). The device's hard limits are cpuinfo_min_freq..cpuinfo_max_freq;
// values are clamped to them again before writing (the hardware may have changed since
// discovery). Only the end that changed is written, in an order that keeps min <= max at every
// step (see restore_range_order()).
//
// Errors: EINVAL for a one-valued knob; the files' read or write errno otherwise.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <string>

#include "backends/knob_file.h"
#include "model/device.h"

namespace perfqos::backends {

class CpufreqBackend final : public DeviceBackend {
 public:
  // `policy_dir`: e.g. "/sys/devices/system/cpu/cpufreq/policy0"; `limits` in kHz.
  CpufreqBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                 const std::string& policy_dir, Range limits);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  RangeFiles files_;
  Range limits_;
};

// `range` clamped into `limits`, keeping min <= max (the max wins).
Range clamp_range(Range range, Range limits);

}  // namespace perfqos::backends
