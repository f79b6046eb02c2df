#include "backends/knobs/devfreq_backend.h"

#include <cerrno>

#include "backends/knobs/cpufreq_backend.h"

namespace perfqos::backends {

DevfreqBackend::DevfreqBackend(std::shared_ptr<SysfsRoot> root,
                               std::shared_ptr<KnobJournal> journal, const std::string& devfreq_dir,
                               Range limits)
    : files_(std::move(root), std::move(journal), devfreq_dir + "/min_freq",
             devfreq_dir + "/max_freq", /*scale=*/1000),
      limits_(limits) {}

Status DevfreqBackend::apply_value(const Device&, KnobId knob, std::int32_t) {
  return Status::Error(EINVAL, files_.min_file().path() +
                                   ": a devfreq device has only a range, not " + knob_name(knob));
}

Status DevfreqBackend::apply_range(const Device&, KnobId, Range range) {
  return files_.write(clamp_range(range, limits_));
}

}  // namespace perfqos::backends
