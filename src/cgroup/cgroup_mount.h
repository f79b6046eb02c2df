// Where cgroup v2 is mounted, from /proc/self/mountinfo (never assumed: on hybrid systems it is
// /sys/fs/cgroup/unified, on unified ones /sys/fs/cgroup).
#pragma once

#include <string>

#include "util/status.h"

namespace perfqos::daemon {

// The mount point of the first cgroup2 file system in `mountinfo` (a /proc/PID/mountinfo
// path). ENOENT when there is none.
Status find_cgroup2_mount(std::string* mount,
                          const std::string& mountinfo = "/proc/self/mountinfo");

}  // namespace perfqos::daemon
