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
#include "protocol/messages.h"
#include "util/status.h"
#include "util/unique_fd.h"

namespace perfqos::clientlib {

using Status = Status;
using Clock = std::chrono::steady_clock;

class Connection {
 public:
  // Takes ownership of fd (a connected SOCK_SEQPACKET socket). Every send and every recv but one
  // uses MSG_DONTWAIT. With `own_socket` (the library made it), the socket is made blocking with
  // SO_RCVTIMEO = the timeout, so that waiting for a reply is one blocking recv rather than a
  // poll and a recv; a socket the caller gave (perhaps shared with another process) keeps its
  // file status flags and is always polled.
  Connection(int fd, int timeout_ms, bool own_socket = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_.get(); }
  int timeout_ms() const { return timeout_ms_; }
  // The protocol version requests are sent in: kMinVersion until a HELLO agreed on a newer one
  // (HELLO itself always goes in kMinVersion, which every daemon reads).
  std::uint8_t version() const { return version_; }
  void set_version(std::uint8_t version) { version_ = version; }
  bool negotiated() const { return negotiated_; }
  void set_negotiated() { negotiated_ = true; }
  void set_timeout_ms(int ms);

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
  // How receive_one() waits for a frame that is not expected to be there yet.
  enum class Wait { kTryFirst, kPollFirst, kBlockFirst };
  // Receives and files one frame; ETIMEDOUT when none arrived before the deadline. kTryFirst
  // tries a recv first; kPollFirst polls first; kBlockFirst makes one blocking recv (bounded by
  // SO_RCVTIMEO) when the socket allows it, else polls first.
  Status receive_one(std::optional<Clock::time_point> deadline, Wait wait = Wait::kTryFirst);
  Status file(protocol::Frame frame);
  // After a failed send: the ERROR frame the daemon left before closing, filed (the connection
  // is then broken with its errno and message); Ok when there is none.
  Status pending_error();
  Status wait_for(short events, std::optional<Clock::time_point> deadline);
  Status fail(int code, std::string message);

  UniqueFd fd_;
  int timeout_ms_;
  bool blocking_recv_ = false;  // own socket, blocking, SO_RCVTIMEO = timeout_ms_
  std::uint32_t next_tag_ = 1;
  std::uint8_t version_ = protocol::kMinVersion;
  bool negotiated_ = false;
  std::set<std::uint32_t> outstanding_;               // sent, reply not yet received
  std::set<std::uint32_t> abandoned_;                 // sent, waiter gave up: discard the reply
  std::map<std::uint32_t, protocol::Message> ready_;  // received, not yet claimed
  EventQueue events_;
  std::vector<std::uint8_t> buffer_;
  std::optional<Status> broken_;
};

}  // namespace perfqos::clientlib
