// The identity of the process at the other end of a Unix socket: pid, uid and gid from
// SO_PEERCRED and supplementary groups from SO_PEERGROUPS (as of connect time, as the kernel
// records them), comm and cgroup from /proc.
#pragma once

#include <sys/types.h>

#include <string>

#include "perfqos/holder.h"
#include "perfqos/status.h"

namespace perfqos::daemon {

// Fills kind kConnection, pid, uid, gid, groups, comm and cgroup. A process that exited already still
// has its credentials; comm and cgroup then read as empty.
Status peer_identity(int socket_fd, HolderIdentity* out);

// /proc/PID/comm without the newline; empty if unreadable.
std::string process_comm(pid_t pid);
// The cgroup v2 path of PID from /proc/PID/cgroup ("0::/user.slice/..."); empty if unreadable.
std::string process_cgroup(pid_t pid);

}  // namespace perfqos::daemon
