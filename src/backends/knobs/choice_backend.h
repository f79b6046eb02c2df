// ChoiceBackend: a named knob (epp, profile) on one sysfs file that holds one word of an
// ordered list: cpufreq's energy_performance_preference, the platform profile (DESIGN §7).
//
// The knob's effective range [floor, cap] is over the indices of `choices` (0 = the most power
// saving). The file gets the word the system had before perfqos wrote it (the original, read
// once, at the first write: the journal records the same text) clamped into that range: a floor
// raises a lower preference, a cap lowers a higher one, and with the range back at its limits
// the original text goes back as it was, even a word outside the choices such as EPP's
// "default" or a profile's "custom". When the original is not one of the choices and a bound
// applies, the bound is written (the floor when there is one, else the cap).
//
// The choices are those the hardware offered at discovery; a write the kernel refuses (EPP is
// fixed while the "performance" governor runs: EBUSY) is returned with the file's errno.
//
// Errors: EINVAL for a one-valued knob or another named knob; the file's errno otherwise.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/knob_file.h"
#include "model/device.h"

namespace perfqos::backends {

class ChoiceBackend final : public DeviceBackend {
 public:
  // `knob`: kEpp or kProfile; `choices`: the knob's words, in the knob's order.
  ChoiceBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                std::string path, KnobId knob, std::vector<std::string> choices);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  Status read_original();
  // The word to write for `range`.
  std::string target_of(Range range) const;

  KnobFile file_;
  KnobId knob_;
  std::vector<std::string> choices_;
  std::optional<std::string> original_;     // as the file held it, trimmed
  std::optional<std::int32_t> original_at_;  // its index in choices_, when it is one
  std::string written_;                      // the last word written, "" before any
};

}  // namespace perfqos::backends
