// Connection: one SOCK_SEQPACKET connection to perfqosd speaking the protocol of
// docs/protocol.md. Sends requests under fresh tags, collects replies by tag (pipelining: several
// requests may be outstanding, their replies may come in any order), queues notifications, and
// bounds every wait by a deadline.
//
// After a transport or protocol failure the connection is broken: every later call fails with
// the same error. A reply that arrives after its wait timed out is discarded.
//
// Thread safety: one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/event_queue.h"
#include "protocol/codec_status.h"
#include "protocol/messages.h"

namespace perfqos::clientlib {

using Status = protocol::CodecStatus;
using Clock = std::chrono::steady_clock;

class Connection {
 public:
  // Takes ownership of fd (a connected SOCK_SEQPACKET socket). Its file status flags are left
  // alone (it may be shared with another process): every send and recv uses MSG_DONTWAIT.
  Connection(int fd, int timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  int timeout_ms() const { return timeout_ms_; }
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }

  // Sends a request; *tag receives the tag its reply will carry.
  Status submit(const protocol::Message& request, std::uint32_t* tag);
  // Waits for the reply to `tag` until `deadline`; a reply of the wrong type is a protocol error.
  // On timeout the tag is abandoned (its reply will be discarded) and ETIMEDOUT returned.
  Status await(std::uint32_t tag, protocol::Opcode request_opcode, Clock::time_point deadline,
               protocol::Message* reply);
  // submit + await with the connection's timeout.
  Status call(const protocol::Message& request, protocol::Message* reply);

  // The next notification: queued ones first, then what arrives before `deadline` (nullopt:
  // wait without limit). EAGAIN when `deadline` has passed and nothing is queued or readable.
  Status next_event(std::optional<Clock::time_point> deadline, EventQueue::Next* out);

  Clock::time_point deadline() const {
    return Clock::now() + std::chrono::milliseconds(timeout_ms_);
  }

 private:
  // Reads and files one frame; ETIMEDOUT when none arrived before the deadline.
  // Receives and files one frame. wait_first: poll before the first recv (when a frame is not
  // expected to be there yet).
  Status receive_one(std::optional<Clock::time_point> deadline, bool wait_first = false);
  Status file(protocol::Frame frame);
  Status wait_for(short events, std::optional<Clock::time_point> deadline);
  Status fail(int code, std::string message);

  int fd_;
  int timeout_ms_;
  std::uint32_t next_tag_ = 1;
  std::set<std::uint32_t> outstanding_;               // sent, reply not yet received
  std::set<std::uint32_t> abandoned_;                 // sent, waiter gave up: discard the reply
  std::map<std::uint32_t, protocol::Message> ready_;  // received, not yet claimed
  EventQueue events_;
  std::vector<std::uint8_t> buffer_;
  std::optional<Status> broken_;
};

}  // namespace perfqos::clientlib
