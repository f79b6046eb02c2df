// Per-task utilization clamps (issue #17 point 4) for `perfqosctl run --uclamp-min N
// --uclamp-max M`: sched_setattr(2) with SCHED_FLAG_UTIL_CLAMP_MIN/MAX on the calling thread,
// which the command then inherits through fork and exec. N and M are on the scheduler's
// capacity scale 0..1024 (the `normal` unit of perf QoS devices). Needs Linux 5.3 with
// CONFIG_UCLAMP_TASK.
//
// The kernel answers every mistake with EINVAL, and a kernel before 5.3 answers the clamps so
// too (one without CONFIG_UCLAMP_TASK: EOPNOTSUPP), so mistakes are told apart here: out of
// range and min above max before the syscall; one clamp against the other the process already
// has (inherited from its parent) from the clamps sched_getattr reports. An EINVAL left after
// that, for a request these checks pass, means no uclamp.
//
// Thread safety: acts on the calling thread only.
#pragma once

#include <optional>

#include "util/status.h"

namespace perfqos::tools {

inline constexpr int kUclampMax = 1024;

// The clamps a task has (sched_getattr): both kUclampMax-scale values.
struct TaskUclamp {
  int min = 0;
  int max = kUclampMax;
};

// Checks --uclamp-min/--uclamp-max as given, before any syscall: each within 0..kUclampMax, and
// min <= max, against `current`'s other end when only one is given. EINVAL names the options
// and the allowed range.
Status check_task_uclamp(std::optional<int> min, std::optional<int> max,
                         const TaskUclamp& current = {});

// Checks (as above; then, on EINVAL, against the calling thread's clamps) and sets the clamps
// given. Leaves the
// scheduling policy, its parameters and the other clamp as they are. EOPNOTSUPP or EINVAL "this
// kernel has no uclamp"; other errors as sched_setattr(2) gives them (EPERM unprivileged).
Status set_task_uclamp(std::optional<int> min, std::optional<int> max);

}  // namespace perfqos::tools
