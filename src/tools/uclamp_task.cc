#include "tools/uclamp_task.h"

#include <linux/sched.h>
#include <linux/sched/types.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace perfqos::tools {

namespace {

// The first sched_attr with the clamps (Linux 5.3); a kernel that fills less has none.
constexpr unsigned kSchedAttrSizeWithUclamp = 56;

Status no_uclamp(int err) {
  return Status::Error(err,
                       "this kernel has no uclamp (it needs Linux 5.3 with "
                       "CONFIG_UCLAMP_TASK): sched_setattr: " +
                           std::string(std::strerror(err)));
}

}  // namespace

Status check_task_uclamp(std::optional<int> min, std::optional<int> max,
                         const TaskUclamp& current) {
  for (const auto& [name, v] : {std::pair{"--uclamp-min", min}, std::pair{"--uclamp-max", max}}) {
    if (v && (*v < 0 || *v > kUclampMax)) {
      return Status::Error(EINVAL, std::string(name) + ": value " + std::to_string(*v) +
                                       " out of range: allowed 0.." + std::to_string(kUclampMax));
    }
  }
  if (min && max && *min > *max) {
    return Status::Error(EINVAL, "--uclamp-min " + std::to_string(*min) +
                                     " is above --uclamp-max " + std::to_string(*max) +
                                     ": the floor must not exceed the cap");
  }
  if (min && !max && *min > current.max) {
    return Status::Error(
        EINVAL, "--uclamp-min " + std::to_string(*min) + " is above this process's uclamp max " +
                    std::to_string(current.max) + " (inherited): give --uclamp-max too");
  }
  if (max && !min && *max < current.min) {
    return Status::Error(
        EINVAL, "--uclamp-max " + std::to_string(*max) + " is below this process's uclamp min " +
                    std::to_string(current.min) + " (inherited): give --uclamp-min too");
  }
  return Status::Ok();
}

Status set_task_uclamp(std::optional<int> min, std::optional<int> max) {
  if (Status s = check_task_uclamp(min, max); !s.ok()) return s;
  if (!min && !max) return Status::Ok();
  // Start from what the thread has: an RT policy's priority must be given back as it is, and
  // the clamp not given is checked against the one it has.
  sched_attr attr{};
  if (::syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) {
    const int err = errno;
    return err == ENOSYS ? no_uclamp(err)
                         : Status::Error(err, "sched_getattr: " + std::string(std::strerror(err)));
  }
  if (attr.size < kSchedAttrSizeWithUclamp) return no_uclamp(EINVAL);
  // Read only after an EINVAL, which only a kernel with the clamps gives once it has filled them.
  const TaskUclamp current{static_cast<int>(attr.sched_util_min),
                           static_cast<int>(attr.sched_util_max)};
  attr.size = sizeof attr;
  attr.sched_flags = SCHED_FLAG_KEEP_ALL;
  if (min) {
    attr.sched_flags |= SCHED_FLAG_UTIL_CLAMP_MIN;
    attr.sched_util_min = static_cast<__u32>(*min);
  }
  if (max) {
    attr.sched_flags |= SCHED_FLAG_UTIL_CLAMP_MAX;
    attr.sched_util_max = static_cast<__u32>(*max);
  }
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) == 0) return Status::Ok();
  const int err = errno;
  // EOPNOTSUPP: no CONFIG_UCLAMP_TASK. EINVAL from a kernel with the clamps (5.3 and later: it
  // filled them above) and the policy's own parameters given back: one clamp against the other
  // the process has. Anything else that fails the kernel's checks has no uclamp.
  if (err == EINVAL) {
    if (Status s = check_task_uclamp(min, max, current); !s.ok()) return s;
  }
  if (err == EOPNOTSUPP || err == EINVAL || err == ENOSYS) return no_uclamp(err);
  return Status::Error(err, "sched_setattr: " + std::string(std::strerror(err)));
}

}  // namespace perfqos::tools
