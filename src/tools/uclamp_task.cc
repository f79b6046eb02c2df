#include "tools/uclamp_task.h"

#include <linux/sched.h>
#include <linux/sched/types.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace perfqos::tools {

Status set_task_uclamp(std::optional<int> min, std::optional<int> max) {
  for (const auto& [name, v] : {std::pair{"--uclamp-min", min}, std::pair{"--uclamp-max", max}}) {
    if (v && (*v < 0 || *v > kUclampMax)) {
      return Status::Error(EINVAL, std::string(name) + ": value " + std::to_string(*v) +
                                       " out of range: allowed 0..1024");
    }
  }
  if (!min && !max) return Status::Ok();
  sched_attr attr{};
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
  if (err == EOPNOTSUPP || err == EINVAL) {
    return Status::Error(err, "this kernel has no uclamp (it needs Linux 5.3 with "
                              "CONFIG_UCLAMP_TASK): sched_setattr: " +
                                  std::string(std::strerror(err)));
  }
  return Status::Error(err, "sched_setattr: " + std::string(std::strerror(err)));
}

}  // namespace perfqos::tools
