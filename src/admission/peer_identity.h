// The identity of a process talking to perfqosd over a Unix socket.
//
//   - The peer of a connection (peer_identity): pid, uid and gid from SO_PEERCRED and
//     supplementary groups from SO_PEERGROUPS, as the kernel recorded them at connect time;
//     comm and cgroup from /proc/PID, read through a pidfd of the peer (SO_PEERPIDFD, else
//     pidfd_open) and kept only if that pidfd still names a live process after the read: a pid
//     reused between the peer's exit and the read is never mistaken for the peer.
//   - The sender of one frame (sender_identity): pid, uid and gid from its SCM_CREDENTIALS, groups
//     from /proc/PID/status (only when asked), comm and cgroup as above through pidfd_open.
//
// Thread safety: free functions without shared state.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "model/holder.h"
#include "util/status.h"

namespace perfqos::daemon {

// SO_PEERCRED of a connected socket: one getsockopt, nothing from /proc. Errno on failure.
Status peer_credentials(int socket_fd, ucred* out);

// Fills kind kConnection, pid, uid, gid (from `cred`, the socket's SO_PEERCRED), groups, comm
// and cgroup. A peer that exited already keeps its credentials; comm and cgroup then read as
// empty (an empty cgroup matches no cgroup grant).
Status peer_identity(int socket_fd, const ucred& cred, HolderIdentity* out);

// The identity of the process that sent a frame with credentials `cred` (SCM_CREDENTIALS):
// kind kConnection, pid, uid, gid, comm, cgroup, and the supplementary groups when
// `with_groups`. Read through pidfd_open(cred.pid); comm, cgroup and groups stay empty when that
// process is gone or its /proc entry no longer shows `cred`'s uid and gid.
HolderIdentity sender_identity(const ucred& cred, bool with_groups);

// The identity of a message bus peer: `pid`, `uid` and `groups` as the bus recorded them when
// the peer connected (GetConnectionCredentials), kind kConnection (a bus connection holds its
// requests as a socket connection does). The gid, comm and cgroup are read from /proc/PID
// through pidfd_open(pid) and kept only when /proc still shows `uid` and the process outlives
// the read; otherwise the gid is (gid_t)-1, which no grant names, and comm and cgroup are empty.
HolderIdentity bus_peer_identity(pid_t pid, uid_t uid, std::vector<gid_t> groups);

// /proc/PID/comm without the newline; empty if unreadable.
std::string process_comm(pid_t pid);
// The cgroup v2 path of PID from /proc/PID/cgroup ("0::/user.slice/..."); empty if unreadable.
std::string process_cgroup(pid_t pid);

}  // namespace perfqos::daemon
