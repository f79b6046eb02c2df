#include "frontends/metrics/metrics_server.h"

#include <httplib.h>
#include <netdb.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "frontends/metrics/bounded_task_queue.h"
#include "frontends/metrics/exposition.h"

namespace perfqos::metrics {

namespace {
constexpr std::size_t kMaxRequestBody = 4096;
}

MetricsServer::MetricsServer(daemon::EventLoop& loop, Render render, const daemon::Logger& log,
                             MetricsServerOptions options)
    : render_(std::move(render)), log_(log), options_(std::move(options)), executor_(loop) {}

MetricsServer::~MetricsServer() {
  stop();
}

Status MetricsServer::start() {
  if (Status s = executor_.start(); !s.ok()) return s;
  http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *http_;
  const std::size_t workers = options_.workers, backlog = options_.backlog;
  // httplib owns (and deletes) what new_task_queue returns: its API asks for a raw pointer.
  http.new_task_queue = [workers, backlog] { return new BoundedTaskQueue(workers, backlog); };
  const auto timeout = static_cast<time_t>(options_.io_timeout.count());
  http.set_read_timeout(timeout, 0);
  http.set_write_timeout(timeout, 0);
  http.set_keep_alive_timeout(timeout);
  http.set_payload_max_length(kMaxRequestBody);
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    std::string body;
    const Status s = executor_.call([this, &body] {
      try {
        body = render_();
      } catch (const std::bad_alloc&) {
        return Status::Error(ENOMEM, "out of memory");
      }
      return Status::Ok();
    });
    if (!s.ok()) {
      // ESHUTDOWN: perfqosd is stopping.
      response.status = 503;
      response.set_content(s.message() + "\n", "text/plain");
      return;
    }
    response.set_content(body, kExpositionContentType);
  });

  const std::string where = options_.address.to_string();
  errno = 0;
  int port = options_.address.port;
  bool bound;
  if (port == 0) {
    port = http.bind_to_any_port(options_.address.host, AI_NUMERICHOST);
    bound = port > 0;
  } else {
    bound = http.bind_to_port(options_.address.host, port, AI_NUMERICHOST);
  }
  if (!bound) {
    const int e = errno != 0 ? errno : EADDRNOTAVAIL;
    http_.reset();
    executor_.shutdown();
    return Status::Error(e, "--metrics " + where + ": cannot listen: " + std::strerror(e));
  }
  port_ = static_cast<std::uint16_t>(port);
  listener_ = std::thread([this, &http] {
    http.listen_after_bind();
    listener_done_ = true;
  });
  // httplib's stop() does nothing until the listen thread runs: wait for it, so that a stop()
  // right after start() cannot leave that thread accepting forever.
  while (!http.is_running() && !listener_done_) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  InetAddress bound_to = options_.address;
  bound_to.port = port_;
  log_.info("metrics: serving http://" + bound_to.to_string() + "/metrics");
  return Status::Ok();
}

void MetricsServer::stop() {
  // Scrapes posted before this run now; later ones get ESHUTDOWN (503). So no HTTP worker is
  // left waiting for the loop while the loop waits for the workers below.
  executor_.shutdown();
  if (!http_) return;
  http_->stop();
  if (listener_.joinable()) listener_.join();
  http_.reset();
}

}  // namespace perfqos::metrics
