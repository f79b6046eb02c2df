// Where a container lives: its cgroup v2 path, from the "0::PATH" line of /proc/PID/cgroup
// (cgroups(7); in a hybrid layout the v1 lines are skipped); perfqosd reads its CPUs itself
// (cpuset.cpus.effective, followed as it changes). Read as the hook sees it: in the runtime's
// namespaces (createRuntime
// and poststart hooks run there), so the path is relative to the host's cgroup2 mount.
//
// Thread safety: pure functions and plain file reads.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace perfqos::oci {

// The cgroup v2 path in the text of a /proc/PID/cgroup. ENOENT: no "0::" line (no cgroup v2);
// EINVAL: the path is not absolute, or is the root cgroup "/" (a binding there would outlive
// the container: it never empties).
Status cgroup_v2_path(std::string_view proc_cgroup, std::string* out);

// Reads `proc_root`/PID/cgroup and returns cgroup_v2_path of it. ESRCH when the process is gone.
Status read_container_cgroup(int pid, std::string* out, const std::string& proc_root = "/proc");

}  // namespace perfqos::oci
