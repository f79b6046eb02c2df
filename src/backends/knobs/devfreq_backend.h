// DevfreqBackend: a devfreq device's `range` knob on its min_freq and max_freq files
// (DESIGN §7). The files are in Hz; the knob is in kHz (x1000 on writing) so that frequencies
// above 2.147 GHz still fit an int32. Limits come from discovery (available_frequencies, or the
// files' values when that list is absent) and values are clamped to them. Only the end that
// changed is written, in an order that keeps min <= max.
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

class DevfreqBackend final : public DeviceBackend {
 public:
  // `devfreq_dir`: the devfreq device's directory, e.g.
  // "/sys/devices/platform/soc/ff9a0000.gpu/devfreq/ff9a0000.gpu"; `limits` in kHz.
  DevfreqBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                 const std::string& devfreq_dir, Range limits);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  RangeFiles files_;
  Range limits_;
};

}  // namespace perfqos::backends
