// MetricsServer: perfqosd's Prometheus endpoint (`--metrics ADDR:PORT`, docs/metrics.md). An
// embedded HTTP server (cpp-httplib) on its own threads answers GET /metrics with the text
// exposition format (exposition.h) and 404 for any other path.
//
// The model belongs to the loop thread (DESIGN §2), so a scrape does not read it from the HTTP
// thread: it posts `render` to the loop through its own LoopExecutor and waits for the text.
// The loop runs the render between two rounds (microseconds for a machine's devices) and never
// waits for the HTTP side; a slow, stalled or flooding client holds only HTTP workers:
//   - read, write and keep-alive timeouts of io_timeout each on every connection;
//   - `workers` connection threads and at most `backlog` accepted connections waiting for them
//     (BoundedTaskQueue); past that, connections wait in the kernel's listen backlog;
//   - requests are GETs: a body over 4 KiB is refused (413), a request line or header over
//     httplib's 8 KiB is refused (414/400).
//
// Errors (start): EINVAL/EADDRINUSE/EADDRNOTAVAIL/EACCES from binding, naming the address.
//
// Thread safety: start() and stop() on the loop thread; `render` runs on the loop thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "daemon/event_loop.h"
#include "daemon/loop_executor.h"
#include "util/inet_address.h"
#include "util/log.h"
#include "util/status.h"

namespace httplib {
class Server;
}

namespace perfqos::metrics {

struct MetricsServerOptions {
  InetAddress address;
  std::size_t workers = 4;
  std::size_t backlog = 16;
  std::chrono::seconds io_timeout{1};
};

class MetricsServer {
 public:
  // The text of one scrape; runs on the loop thread; must not throw.
  using Render = std::function<std::string()>;

  // REQUIRES: loop and log outlive the server.
  MetricsServer(daemon::EventLoop& loop, Render render, const daemon::Logger& log,
                MetricsServerOptions options);
  // Calls stop().
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds the address (port 0: the kernel's choice, see port()), starts the HTTP threads and
  // logs "metrics: serving http://ADDR:PORT/metrics". REQUIRES: on the loop thread, once.
  Status start();
  // The bound port; 0 before start().
  std::uint16_t port() const { return port_; }
  // Refuses new scrapes (503), lets the ones in flight finish within the timeouts, joins the
  // HTTP threads. Idempotent. REQUIRES: on the loop thread.
  void stop();

 private:
  Render render_;
  const daemon::Logger& log_;
  MetricsServerOptions options_;
  daemon::LoopExecutor executor_;
  std::unique_ptr<httplib::Server> http_;
  std::thread listener_;
  std::atomic<bool> listener_done_{false};
  std::uint16_t port_ = 0;
};

}  // namespace perfqos::metrics
