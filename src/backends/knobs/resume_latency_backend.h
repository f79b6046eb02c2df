// ResumeLatencyBackend: a device's `resume_latency` knob on its
// power/pm_qos_resume_latency_us file (DESIGN §7).
//
// The engine's values and the sysfs spelling swap their special meanings:
//   engine INT32_MAX (no constraint)  -> "0"
//   engine 0 (no power saving at all) -> "n/a"
//   engine n                           -> "n"
// parse_resume_latency() is the inverse, for reading.
//
// Errors: EINVAL for another knob or a range; the file's write errno otherwise.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <string>

#include "backends/knob_file.h"
#include "model/device.h"

namespace perfqos::backends {

class ResumeLatencyBackend final : public DeviceBackend {
 public:
  // `path`: e.g. "/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us".
  ResumeLatencyBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                       std::string path);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  KnobFile file_;
};

// The sysfs spelling of an engine value (see above).
std::string format_resume_latency(std::int32_t value);
// The engine value of a sysfs spelling; false for anything else.
bool parse_resume_latency(std::string_view text, std::int32_t* value);

}  // namespace perfqos::backends
