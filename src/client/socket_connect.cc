#include "client/socket_connect.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "perfqos/client.h"

namespace perfqos::clientlib {
namespace {

Status error(int code, const std::string& path, const char* what) {
  return Status::Error(code, std::string(what) + " " + path + ": " + std::strerror(code));
}

}  // namespace

std::string socket_path(const char* path) {
  if (path != nullptr) return path;
  const char* env = std::getenv(PERFQOS_SOCKET_ENV);
  if (env != nullptr && env[0] != '\0') return env;
  return PERFQOS_DEFAULT_SOCKET;
}

Status connect_socket(const std::string& path, Clock::time_point deadline, int* fd) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Status::Error(path.empty() ? EINVAL : ENAMETOOLONG,
                         "socket path '" + path + "' must have 1.." +
                             std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());

  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0) return error(errno, path, "socket for");
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    if (connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) break;
    int e = errno;
    if (e == EINTR) continue;
    if (e == EINPROGRESS) {
      // Not used by AF_UNIX today; handled for completeness.
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{s, POLLOUT, 0};
      int n = poll(&p, 1, left > 0 ? static_cast<int>(left) : 0);
      int so_error = ETIMEDOUT;
      socklen_t len = sizeof so_error;
      if (n == 1) getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error == 0) break;
      close(s);
      return error(so_error, path, "connecting to perfqosd at");
    }
    if (e != EAGAIN) {
      close(s);
      return error(e, path, "connecting to perfqosd at");
    }
    // The listen backlog is full: the daemon is busy or stalled. Retry until the deadline.
    if (Clock::now() + delay >= deadline) {
      close(s);
      return error(ETIMEDOUT, path, "connecting to perfqosd at");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
  *fd = s;
  return Status::Ok();
}

}  // namespace perfqos::clientlib
