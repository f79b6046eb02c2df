#include "admission/peer_identity.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/errno_status.h"
#include "util/unique_fd.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5; older headers lack it
#endif

namespace perfqos::daemon {

namespace {

// Raw system calls: glibc's wrappers are not usable from C++ on every distribution.
int open_pidfd(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// True while `pidfd` names a process that has not exited: its pid number cannot have been
// reused, so what /proc/PID said during the read was about it.
bool alive(int pidfd) {
  return pidfd >= 0 && ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0;
}

// "Uid:"/"Gid:" (real ids, as SCM_CREDENTIALS reports them) and "Groups:" of /proc/PID/status.
struct ProcStatus {
  bool read = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

ProcStatus process_status(pid_t pid) {
  ProcStatus out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  bool have_uid = false, have_gid = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "Uid:") {
      have_uid = static_cast<bool>(fields >> out.uid);
    } else if (key == "Gid:") {
      have_gid = static_cast<bool>(fields >> out.gid);
    } else if (key == "Groups:") {
      for (gid_t g; fields >> g;) out.groups.push_back(g);
    }
  }
  out.read = have_uid && have_gid;
  return out;
}

}  // namespace

std::string process_comm(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::string process_cgroup(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return {};
}

Status peer_credentials(int socket_fd, ucred* out) {
  socklen_t len = sizeof *out;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, out, &len) != 0) {
    return errno_status(errno, "SO_PEERCRED");
  }
  return Status::Ok();
}

Status peer_identity(int socket_fd, const ucred& cred, HolderIdentity* out) {
  out->kind = HolderKind::kConnection;
  out->pid = cred.pid;
  out->uid = cred.uid;
  out->gid = cred.gid;
  // The peer's pidfd names the process that connected, whatever became of its pid since.
  int raw = -1;
  socklen_t raw_len = sizeof raw;
  UniqueFd pidfd(::getsockopt(socket_fd, SOL_SOCKET, SO_PEERPIDFD, &raw, &raw_len) == 0
                     ? raw
                     : open_pidfd(cred.pid));
  out->comm = process_comm(cred.pid);
  out->cgroup = process_cgroup(cred.pid);
  if (!alive(pidfd.get())) {
    out->comm.clear();
    out->cgroup.clear();
  }
  // The supplementary groups as of connect time, as the credentials (Linux >= 4.13).
  out->groups.resize(32);
  for (;;) {
    socklen_t size = static_cast<socklen_t>(out->groups.size() * sizeof(gid_t));
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERGROUPS, out->groups.data(), &size) == 0) {
      out->groups.resize(size / sizeof(gid_t));
      out->groups.shrink_to_fit();  // held per connection: keep only what is there
      break;
    }
    const std::size_t needed = size / sizeof(gid_t);
    if (errno != ERANGE || needed <= out->groups.size()) {
      out->groups.clear();  // an older kernel: primary group only
      break;
    }
    out->groups.resize(needed);
  }
  return Status::Ok();
}

HolderIdentity sender_identity(const ucred& cred, bool with_groups) {
  HolderIdentity out;
  out.kind = HolderKind::kConnection;
  out.pid = cred.pid;
  out.uid = cred.uid;
  out.gid = cred.gid;
  UniqueFd pidfd(open_pidfd(cred.pid));
  if (!pidfd) return out;
  // The pid may have been reused between the frame's send and pidfd_open: what /proc shows must
  // still carry the frame's credentials, and the process must outlive the read.
  const ProcStatus status = process_status(cred.pid);
  std::string comm = process_comm(cred.pid);
  std::string cgroup = process_cgroup(cred.pid);
  if (!status.read || status.uid != cred.uid || status.gid != cred.gid || !alive(pidfd.get())) {
    return out;
  }
  out.comm = std::move(comm);
  out.cgroup = std::move(cgroup);
  if (with_groups) out.groups = status.groups;
  return out;
}

HolderIdentity bus_peer_identity(pid_t pid, uid_t uid, std::vector<gid_t> groups) {
  HolderIdentity out;
  out.kind = HolderKind::kConnection;
  out.pid = pid;
  out.uid = uid;
  out.gid = static_cast<gid_t>(-1);
  out.groups = std::move(groups);
  UniqueFd pidfd(open_pidfd(pid));
  if (!pidfd) return out;
  const ProcStatus status = process_status(pid);
  std::string comm = process_comm(pid);
  std::string cgroup = process_cgroup(pid);
  if (!status.read || status.uid != uid || !alive(pidfd.get())) return out;
  out.gid = status.gid;
  out.comm = std::move(comm);
  out.cgroup = std::move(cgroup);
  return out;
}

}  // namespace perfqos::daemon
