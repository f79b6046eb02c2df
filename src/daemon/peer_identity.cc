#include "daemon/peer_identity.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace perfqos::daemon {

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

Status peer_identity(int socket_fd, HolderIdentity* out) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return Status::Error(errno, std::string("SO_PEERCRED: ") + std::strerror(errno));
  }
  out->kind = HolderKind::kConnection;
  out->pid = cred.pid;
  out->uid = cred.uid;
  out->gid = cred.gid;
  out->comm = process_comm(cred.pid);
  out->cgroup = process_cgroup(cred.pid);
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

}  // namespace perfqos::daemon
