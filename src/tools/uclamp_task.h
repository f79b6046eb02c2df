// Per-task utilization clamps (issue #17 point 4) for `perfqosctl run --uclamp-min N
// --uclamp-max M`: sched_setattr(2) with SCHED_FLAG_UTIL_CLAMP_MIN/MAX on the calling thread,
// which the command then inherits through fork and exec. N and M are on the scheduler's
// capacity scale 0..1024 (the `normal` unit of perf QoS devices). Needs Linux 5.3 with
// CONFIG_UCLAMP_TASK; other kernels answer EOPNOTSUPP (or EINVAL for the flags on kernels older
// than 5.3), reported as "this kernel has no uclamp".
//
// Thread safety: acts on the calling thread only.
#pragma once

#include <optional>

#include "util/status.h"

namespace perfqos::tools {

inline constexpr int kUclampMax = 1024;

// REQUIRES: given values within 0..kUclampMax (checked again: EINVAL). Leaves the scheduling
// policy and the other clamp as they are.
Status set_task_uclamp(std::optional<int> min, std::optional<int> max);

}  // namespace perfqos::tools
