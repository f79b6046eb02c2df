// FakeServer: the daemon's end of a real SOCK_SEQPACKET socketpair, speaking the protocol codec,
// driven step by step by a test (usually from a std::thread).
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "protocol/codec.h"
#include "protocol/limits.h"

namespace perfqos::testing {

class FakeServer {
 public:
  FakeServer() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
    server_fd_ = fds[0];
    client_fd_ = fds[1];
  }
  // Takes an accepted connection instead of a socketpair.
  explicit FakeServer(int accepted_fd) : server_fd_(accepted_fd) {}
  ~FakeServer() {
    close_server();
    if (client_fd_ >= 0) ::close(client_fd_);
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // The client's end, for perfqos_connect_fd (which takes ownership).
  int take_client_fd() { return std::exchange(client_fd_, -1); }

  // The next frame from the client, decoded; nullopt on timeout, close or a malformed frame.
  std::optional<protocol::Frame> receive(int timeout_ms = 5000) {
    pollfd p{server_fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    std::vector<std::uint8_t> buf(protocol::kMaxFrameSize + 1);
    ssize_t n = recv(server_fd_, buf.data(), buf.size(), 0);
    if (n <= 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    protocol::Frame frame;
    Status s = protocol::decode(buf, protocol::Direction::kToServer, &frame);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) return std::nullopt;
    return frame;
  }

  template <class T>
  T receive_as(std::uint32_t* tag = nullptr) {
    auto frame = receive();
    EXPECT_TRUE(frame.has_value());
    if (!frame) return T{};
    if (tag != nullptr) *tag = frame->tag;
    EXPECT_TRUE(std::holds_alternative<T>(frame->message))
        << "got " << protocol::opcode_name(protocol::opcode_of(frame->message));
    if (!std::holds_alternative<T>(frame->message)) return T{};
    return std::get<T>(frame->message);
  }

  void send(const protocol::Frame& frame) {
    std::vector<std::uint8_t> bytes;
    Status s = protocol::encode(frame, &bytes);
    ASSERT_TRUE(s.ok()) << s.message();
    send_raw(bytes);
  }
  void send_raw(const std::vector<std::uint8_t>& bytes) {
    ASSERT_EQ(::send(server_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  void close_server() {
    if (server_fd_ >= 0) ::close(std::exchange(server_fd_, -1));
  }

 private:
  int server_fd_ = -1;
  int client_fd_ = -1;
};

}  // namespace perfqos::testing
