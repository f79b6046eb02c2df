// SocketServer: the SOCK_SEQPACKET front end (DESIGN §6). One frame per message; each
// connection is one Client (one holder) of the Service.
//
//   - The socket appears only when it is ready: bound under a temporary name, chmod 0666,
//     listening, then renamed into place. Its directory is created 0755 if missing. A stale
//     socket (nobody answers) is replaced; a live one is an error (EADDRINUSE).
//   - Frames that cannot be parsed get an ERROR frame and their connection is closed; nothing
//     else is affected.
//   - Replies and notifications that the peer does not read are queued up to a bound; past it
//     the connection is closed with a logged reason, so a stuck client cannot grow the daemon.
//   - A connection that goes (close, exit, SIGKILL of its last holder) is closed, and its
//     requests dropped, before the loop iteration that saw it go ends.
//
// Thread safety: confined to the daemon's loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/event_loop.h"
#include "daemon/log.h"
#include "daemon/service.h"
#include "daemon/unique_fd.h"

namespace perfqos::daemon {

struct SocketServerOptions {
  std::string path = "/run/perfqos/perfqosd.sock";
  std::size_t max_queued_bytes = 1 << 20;  // per connection
};

class SocketServer {
 public:
  SocketServer(EventLoop& loop, Service& service, const Logger& log, SocketServerOptions options);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  Status start();
  // Stops accepting, closes every connection (dropping its requests), removes the socket.
  void stop();
  // Closes the connections marked for closing during this round. The daemon calls it after
  // every round of the loop.
  void reap();

  std::size_t connections() const { return connections_.size(); }

 private:
  struct Connection;
  void accept_all();
  void on_event(Connection& c, std::uint32_t events);
  void read_frames(Connection& c);
  void flush(Connection& c);
  void send(Connection& c, const protocol::Frame& frame);
  void doom(Connection& c, const std::string& reason);

  EventLoop& loop_;
  Service& service_;
  const Logger& log_;
  SocketServerOptions options_;
  UniqueFd listener_;
  UniqueFd spare_;  // given up to refuse a connection when out of descriptors
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  std::vector<int> doomed_;
  std::vector<std::uint8_t> rx_;  // one receive buffer for every connection
  std::vector<std::uint8_t> tx_;
};

}  // namespace perfqos::daemon
