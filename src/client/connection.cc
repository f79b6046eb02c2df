#include "client/connection.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <variant>

#include "perfqos/client.h"
#include "protocol/codec.h"
#include "protocol/limits.h"

namespace perfqos::clientlib {

using protocol::Frame;
using protocol::Message;
using protocol::Opcode;

Connection::Connection(int fd, int timeout_ms, bool own_socket)
    : fd_(fd), timeout_ms_(timeout_ms), events_(PERFQOS_EVENT_QUEUE_MAX) {
  buffer_.resize(protocol::kMaxFrameSize + 1);
  if (own_socket) {
    const int flags = fcntl(fd_.get(), F_GETFL);
    blocking_recv_ = flags >= 0 && fcntl(fd_.get(), F_SETFL, flags & ~O_NONBLOCK) == 0;
    set_timeout_ms(timeout_ms);
  }
}

void Connection::set_timeout_ms(int ms) {
  timeout_ms_ = ms;
  if (!blocking_recv_) return;
  const timeval tv{ms / 1000, (ms % 1000) * 1000};
  // Without a receive timeout a blocking recv could wait forever: poll instead.
  if (setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) blocking_recv_ = false;
}

Connection::~Connection() = default;

Status Connection::fail(int code, std::string message) {
  broken_ = Status::Error(code, std::move(message));
  return *broken_;
}

Status Connection::wait_for(short events, std::optional<Clock::time_point> deadline) {
  for (;;) {
    int timeout = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      timeout = left > 0 ? static_cast<int>(std::min<long long>(left, 1 << 30)) : 0;
    }
    pollfd p{fd_.get(), events, 0};
    int n = poll(&p, 1, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Error(errno, std::string("poll: ") + std::strerror(errno));
    if (n == 0) return Status::Error(ETIMEDOUT, "timed out");
    return Status::Ok();  // readable, writable, or hung up: the I/O call tells which
  }
}

Status Connection::submit(const Message& request, std::uint32_t* tag) {
  if (broken_) return *broken_;
  std::uint32_t t = next_tag_++;
  if (next_tag_ == 0) next_tag_ = 1;  // tag 0 belongs to notifications
  std::vector<std::uint8_t> bytes;
  const bool hello = std::holds_alternative<protocol::HelloRequest>(request);
  Status s = protocol::encode(Frame{t, request, hello ? protocol::kMinVersion : version_}, &bytes);
  if (!s.ok()) return Status::Error(s.code() == EMSGSIZE ? EMSGSIZE : EINVAL, s.message());
  const auto deadline = this->deadline();
  for (;;) {
    ssize_t n = send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(bytes.size())) break;
    if (n >= 0) return fail(EPROTO, "short send of a frame to perfqosd");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Status w = wait_for(POLLOUT, deadline);
      if (!w.ok()) {
        return Status::Error(w.code(), std::string("sending ") +
                                           protocol::opcode_name(protocol::opcode_of(request)) +
                                           " to perfqosd: " + w.message());
      }
      continue;
    }
    int e = errno;
    // The daemon may have said why before closing (a quota): that beats "broken pipe".
    if (Status why = pending_error(); !why.ok()) return why;
    return fail(e, std::string("connection to perfqosd lost: ") + std::strerror(e));
  }
  outstanding_.insert(t);
  *tag = t;
  return Status::Ok();
}

Status Connection::receive_one(std::optional<Clock::time_point> deadline, Wait wait) {
  // A reply is never there the moment after its request left: waiting first saves the recv that
  // would only say EAGAIN. One blocking recv is cheaper still than a poll and a recv.
  bool block = wait == Wait::kBlockFirst && blocking_recv_;
  if (wait == Wait::kPollFirst || (wait == Wait::kBlockFirst && !block)) {
    if (Status w = wait_for(POLLIN, deadline); !w.ok()) return w;
  }
  for (;;) {
    ssize_t n =
        recv(fd_.get(), buffer_.data(), buffer_.size(), (block ? 0 : MSG_DONTWAIT) | MSG_TRUNC);
    block = false;  // SO_RCVTIMEO ran out (or a signal came): the deadline rules from here
    if (n == 0) return fail(ECONNRESET, "perfqosd closed the connection");
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status w = wait_for(POLLIN, deadline);
      if (!w.ok()) return w;
      continue;
    }
    if (n < 0) {
      int e = errno;
      return fail(e, std::string("connection to perfqosd lost: ") + std::strerror(e));
    }
    if (static_cast<std::size_t>(n) > protocol::kMaxFrameSize) {
      return fail(EPROTO, "perfqosd sent a frame of " + std::to_string(n) +
                              " bytes, more than the maximum " +
                              std::to_string(protocol::kMaxFrameSize));
    }
    Frame frame;
    Status s = protocol::decode(std::span(buffer_.data(), static_cast<std::size_t>(n)),
                                protocol::Direction::kToClient, &frame);
    if (!s.ok()) return fail(EPROTO, "malformed frame from perfqosd: " + s.message());
    return file(std::move(frame));
  }
}

Status Connection::file(Frame frame) {
  if (auto* event = std::get_if<protocol::Notification>(&frame.message)) {
    events_.push(std::move(*event));
    return Status::Ok();
  }
  if (auto* error = std::get_if<protocol::ErrorReply>(&frame.message)) {
    // Tag 0 answers no frame: the daemon refused the connection itself (a quota).
    return fail(error->status.error,
                std::string(frame.tag == 0 ? "perfqosd refused the connection"
                                           : "perfqosd refused a frame and closed the connection") +
                    ": " + error->status.message);
  }
  if (abandoned_.erase(frame.tag) != 0) {
    outstanding_.erase(frame.tag);
    return Status::Ok();
  }
  if (outstanding_.erase(frame.tag) == 0) {
    return fail(EPROTO, "perfqosd sent a reply with unknown tag " + std::to_string(frame.tag));
  }
  ready_.emplace(frame.tag, std::move(frame.message));
  return Status::Ok();
}

Status Connection::pending_error() {
  const ssize_t n = recv(fd_.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT | MSG_TRUNC);
  if (n <= 0 || static_cast<std::size_t>(n) > protocol::kMaxFrameSize) return Status::Ok();
  Frame frame;
  if (!protocol::decode(std::span(buffer_.data(), static_cast<std::size_t>(n)),
                        protocol::Direction::kToClient, &frame)
           .ok() ||
      !std::holds_alternative<protocol::ErrorReply>(frame.message)) {
    return Status::Ok();
  }
  return file(std::move(frame));
}

Status Connection::await(std::uint32_t tag, Opcode request_opcode, Clock::time_point deadline,
                         Message* reply) {
  bool first = true;
  for (;;) {
    if (auto it = ready_.find(tag); it != ready_.end()) {
      Message m = std::move(it->second);
      ready_.erase(it);
      const auto expected = static_cast<Opcode>(static_cast<std::uint8_t>(request_opcode) | 0x80);
      if (protocol::opcode_of(m) != expected) {
        return fail(EPROTO, std::string("perfqosd answered ") +
                                protocol::opcode_name(request_opcode) + " with " +
                                protocol::opcode_name(protocol::opcode_of(m)));
      }
      *reply = std::move(m);
      return Status::Ok();
    }
    if (broken_) return *broken_;
    // Only the first wait may block: SO_RCVTIMEO is the whole timeout, later waits are shorter.
    Status s = receive_one(deadline, first ? Wait::kBlockFirst : Wait::kPollFirst);
    first = false;
    if (s.code() == ETIMEDOUT && !broken_) {
      abandoned_.insert(tag);
      return Status::Error(ETIMEDOUT, std::string("no reply from perfqosd to ") +
                                          protocol::opcode_name(request_opcode) + " within " +
                                          std::to_string(timeout_ms_) + " ms");
    }
    if (!s.ok()) return s;
  }
}

Status Connection::call(const Message& request, Message* reply) {
  std::uint32_t tag = 0;
  Status s = submit(request, &tag);
  if (!s.ok()) return s;
  return await(tag, protocol::opcode_of(request), deadline(), reply);
}

Status Connection::next_event(std::optional<Clock::time_point> deadline, EventQueue::Next* out) {
  for (;;) {
    if (auto next = events_.pop()) {
      *out = std::move(*next);
      return Status::Ok();
    }
    if (broken_) return *broken_;
    Status s = receive_one(deadline);
    if (s.code() == ETIMEDOUT && !broken_) {
      return Status::Error(EAGAIN, "no notification");
    }
    if (!s.ok()) return s;
  }
}

}  // namespace perfqos::clientlib
