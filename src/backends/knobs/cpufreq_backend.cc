#include "backends/knobs/cpufreq_backend.h"

#include <algorithm>
#include <cerrno>

namespace perfqos::backends {

Range clamp_range(Range range, Range limits) {
  Range r{std::clamp(range.min, limits.min, limits.max),
          std::clamp(range.max, limits.min, limits.max)};
  if (r.min > r.max) r.min = r.max;
  return r;
}

CpufreqBackend::CpufreqBackend(std::shared_ptr<SysfsRoot> root,
                               std::shared_ptr<KnobJournal> journal, const std::string& policy_dir,
                               Range limits)
    : files_(std::move(root), std::move(journal), policy_dir + "/scaling_min_freq",
             policy_dir + "/scaling_max_freq"),
      limits_(limits) {}

Status CpufreqBackend::apply_value(const Device&, KnobId knob, std::int32_t) {
  return Status::Error(EINVAL, files_.min_file().path() +
                                   ": a cpufreq policy has only a range, not " + knob_name(knob));
}

Status CpufreqBackend::apply_range(const Device&, KnobId, Range range) {
  return files_.write(clamp_range(range, limits_));
}

}  // namespace perfqos::backends
