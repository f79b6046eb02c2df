// SocketServer: the SOCK_SEQPACKET front end (DESIGN §6). One frame per message; each
// connection is one Client (one holder) of the Service.
//
//   - The socket appears only when it is ready: bound under a temporary name, chmod 0666,
//     listening, then renamed into place. Its directory is created 0755 if missing. A stale
//     socket (nobody answers) is replaced; a live one is an error (EADDRINUSE); anything that is
//     not a socket at the path (a regular file, a directory) is left alone and start() fails
//     with EEXIST naming the path.
//   - Accepting never starves the loop: at most kAcceptBatch connections per wake-up, so closed
//     connections are reaped and other fds served between batches. Out of descriptors
//     (EMFILE/ENFILE), one pending connection is refused through a spare descriptor and the
//     listener is not watched until a connection closes or kAcceptBackoff passes.
//   - Accepting is rate-limited (kAcceptRate a second, bursts of kAcceptBurst): past the budget
//     the listener is not watched until the budget refills, so the backlog fills and a storm of
//     connect/close loops blocks in connect(2) instead of taking the CPU from everyone else.
//     Established connections are served at full speed meanwhile; new ones wait their turn.
//   - Admission is cheap first: the peer's uid (SO_PEERCRED) is checked against the connection
//     quotas (ConnectionQuota: per uid and in all) before anything is read from /proc. A
//     connection over a quota gets one ERROR frame (tag 0, EUSERS, the message names the quota
//     key and value) and is closed at once.
//   - Frames that cannot be parsed get an ERROR frame and their connection is closed; nothing
//     else is affected.
//   - Rights follow the sender: every frame's SCM_CREDENTIALS (SO_PASSCRED) say which process
//     sent it; a frame sent by another process than the connection's peer (the connection was
//     passed on) is authorized with that sender's uid, gid, groups and cgroup, as FUSE does per
//     call. The requests stay the connection's.
//   - Backpressure: while a connection has replies or notifications queued (its peer does not
//     read), its requests are not read either; a pipelining non-reader costs its kernel socket
//     buffers, not daemon memory. Notifications still queue, up to the bounds
//     Quotas::max_queued_bytes_per_connection (everyone), max_queued_bytes_per_uid and
//     max_queued_bytes (those quotas apply to: not root unless apply_to_root); the connection
//     that would pass one is closed with a logged reason naming the bound.
//   - A connection that goes (close, exit, SIGKILL of its last holder) is closed, and its
//     requests dropped, before the loop iteration that saw it go ends.
//   - Repeated refusals (quota, out of descriptors) are logged at most once a second, with a count.
//
// Thread safety: confined to the daemon's loop thread.
#pragma once

#include <sys/socket.h>  // ucred
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/event_loop.h"
#include "frontends/socket/service.h"
#include "policy/connection_quota.h"
#include "util/log.h"
#include "util/log_throttle.h"
#include "util/unique_fd.h"

namespace perfqos::daemon {

struct SocketServerOptions {
  std::string path = "/run/perfqos/perfqosd.sock";
  // The connection quotas shared with the FUSE tree; its policy's Quotas also bound the queued
  // bytes. Null: no connection quota, and the default Quotas bound the queues.
  // REQUIRES: it outlives the server.
  ConnectionQuota* connection_quota = nullptr;
};

class SocketServer {
 public:
  // Connections accepted per wake-up of the listener at most.
  static constexpr int kAcceptBatch = 8;
  // How long the listener rests after the descriptors ran out (unless a connection closes first).
  static constexpr std::chrono::milliseconds kAcceptBackoff{100};
  // 10,000 clients connect in about 5 s; a storm costs the loop a few percent of a CPU.
  static constexpr double kAcceptRate = 2000;  // per second
  static constexpr double kAcceptBurst = 512;

  SocketServer(EventLoop& loop, Service& service, const Logger& log, SocketServerOptions options);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  Status start();
  // Stops accepting, closes every connection (dropping its requests), removes the socket.
  void stop();
  // Closes the connections marked for closing during this round, then accepts what the
  // listener has waiting (within the budget). The daemon calls it after every round of the loop.
  void reap();

  std::size_t connections() const { return connections_.size(); }

 private:
  struct Connection;
  void accept_batch();
  void admit(UniqueFd fd);
  void refuse(UniqueFd fd, uid_t uid, const Status& why);
  void out_of_descriptors(int err);
  void pause_accepting(std::chrono::microseconds for_how_long);
  void resume_accepting();
  void on_event(Connection& c, std::uint32_t events);
  void read_frames(Connection& c);
  const HolderIdentity* sender_of(Connection& c, const ucred& cred);
  void flush(Connection& c);
  void send(Connection& c, const protocol::Frame& frame);
  Status queue_bound(const Connection& c, std::size_t more) const;
  void dequeue(Connection& c, std::size_t bytes);
  void doom(Connection& c, const std::string& reason);
  Quotas quotas() const;

  EventLoop& loop_;
  Service& service_;
  const Logger& log_;
  SocketServerOptions options_;
  UniqueFd listener_;
  UniqueFd spare_;    // given up to refuse a connection when out of descriptors
  UniqueFd backoff_;  // timerfd: resume accepting after kAcceptBackoff
  bool accepting_ = false;
  bool out_of_descriptors_ = false;      // paused for EMFILE: a close may resume it early
  bool accept_due_ = false;              // the listener was readable this round
  double accept_tokens_ = kAcceptBurst;  // the accept budget (a token bucket)
  std::chrono::steady_clock::time_point accept_refilled_ = std::chrono::steady_clock::now();
  LogThrottle refused_log_;
  LogThrottle descriptors_log_;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  std::unordered_map<uid_t, std::size_t> queued_by_uid_;  // bytes queued for each uid's connections
  std::size_t queued_total_ = 0;
  std::vector<int> doomed_;
  std::vector<std::uint8_t> rx_;  // one receive buffer for every connection
  std::vector<std::uint8_t> tx_;
};

}  // namespace perfqos::daemon
