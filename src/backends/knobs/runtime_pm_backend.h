// RuntimePmBackend: a device's `flags` knob, bit 0 no_power_off, on its power/control file
// (DESIGN §7): flag set -> "on" (runtime PM may not power the device off); flag cleared -> the
// value the file held before our first write (usually "auto").
//
// Errors: EINVAL for another knob or a range; the file's read or write errno otherwise.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backends/knob_file.h"
#include "model/device.h"

namespace perfqos::backends {

class RuntimePmBackend final : public DeviceBackend {
 public:
  // `path`: e.g. "/sys/devices/system/cpu/cpu0/power/control".
  RuntimePmBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                   std::string path);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  KnobFile file_;
  std::optional<std::string> original_;  // read before the first write
};

}  // namespace perfqos::backends
