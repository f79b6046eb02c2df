// RawClient: one SOCK_SEQPACKET connection to a perfqosd that sends frames as the test builds
// them, with none of libperfqos's rewriting (it turns "min" into "range" + end, for one), so a
// test can send exactly what an attacker would (run_as.h makes the attacker unprivileged).
//
// Thread safety: none; one test thread per client.
#pragma once

#include <grp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/codec.h"

namespace perfqos::testing {

class RawClient {
 public:
  explicit RawClient(const std::string& socket) {
    fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    timeval tv{10, 0};  // a bound, not a timing: a daemon that died answers nothing
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool ok() const { return fd_ >= 0; }

  // Sends `request` and returns the reply with its tag (notifications are skipped); nullopt
  // when the connection failed or the reply did not decode.
  std::optional<protocol::Message> call(const protocol::Message& request) {
    std::vector<std::uint8_t> bytes;
    const std::uint32_t tag = ++last_tag_;
    if (fd_ < 0 || !protocol::encode(protocol::Frame{tag, request}, &bytes).ok()) return {};
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(bytes.size())) {
      return {};
    }
    std::vector<std::uint8_t> buf(protocol::kMaxFrameSize + 1);
    for (;;) {
      const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n <= 0) return {};
      protocol::Frame frame;
      if (!protocol::decode({buf.data(), static_cast<std::size_t>(n)},
                            protocol::Direction::kToClient, &frame)
               .ok()) {
        return {};
      }
      if (frame.tag == tag) return frame.message;
    }
  }

  // The reply of type R to `request`, or a default R with error -1 when none came.
  template <class R>
  R call_as(const protocol::Message& request) {
    std::optional<protocol::Message> reply = call(request);
    if (reply && std::holds_alternative<R>(*reply)) return std::get<R>(*reply);
    R none;
    none.status.error = -1;
    none.status.message = reply ? "a reply of another type" : "no reply";
    return none;
  }

 private:
  int fd_ = -1;
  std::uint32_t last_tag_ = 0;
};

}  // namespace perfqos::testing
