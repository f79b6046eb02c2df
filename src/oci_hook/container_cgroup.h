// Where a container lives: its cgroup v2 path, from the "0::PATH" line of /proc/PID/cgroup
// (cgroups(7); in a hybrid layout the v1 lines are skipped), and its CPUs, from that cgroup's
// cpuset.cpus.effective. Read as the hook sees them: in the runtime's namespaces (createRuntime
// and poststart hooks run there), so the path is relative to the host's cgroup2 mount.
//
// Thread safety: pure functions and plain file reads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace perfqos::oci {

// The cgroup v2 path in the text of a /proc/PID/cgroup. ENOENT: no "0::" line (no cgroup v2);
// EINVAL: the path is not absolute, or is the root cgroup "/" (a binding there would outlive
// the container: it never empties).
Status cgroup_v2_path(std::string_view proc_cgroup, std::string* out);

// Reads `proc_root`/PID/cgroup and returns cgroup_v2_path of it. ESRCH when the process is gone.
Status read_container_cgroup(int pid, std::string* out, const std::string& proc_root = "/proc");

// A kernel CPU list ("0-3,8,10-11\n", cpuset(7) "List format") as CPU numbers, ascending.
// EINVAL on anything else, or CPU numbers above 65535.
Status parse_cpu_list(std::string_view text, std::vector<int>* out);

// The CPUs the container may run on: `cgroup2_mount` + `cgroup` + "/cpuset.cpus.effective".
// ENOENT when the cgroup has no such file (the cpuset controller is not enabled for it).
Status container_cpus(const std::string& cgroup2_mount, const std::string& cgroup,
                      std::vector<int>* out);

// The online CPUs of this machine (`sys_root`/devices/system/cpu/online).
Status online_cpus(std::vector<int>* out, const std::string& sys_root = "/sys");

}  // namespace perfqos::oci
