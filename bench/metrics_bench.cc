// Metrics: perfqosd's socket round trip (perfqos_read) with and without scrapers hammering
// /metrics, interleaved in one run, reported as p50/p99 and as the ratio hammered / idle. The
// scrape renders on the loop thread, so this is what a scraper costs a client (docs/metrics.md).
//
//   metrics_bench [ROUNDS [SCRAPERS]]   defaults: 4 rounds of 0.5 s idle + 0.5 s hammered,
//                                       2 scraper threads (each: connect, GET, read, close,
//                                       at once again)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_daemon.h"
#include "perfqos/client.h"

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(v.size()) * p))];
}

// One scrape on a fresh connection; true if a 200 came back whole (the server closes).
bool scrape(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    static const char kGet[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (::send(fd, kGet, sizeof kGet - 1, MSG_NOSIGNAL) > 0) {
      char buf[8192];
      ssize_t n;
      std::string head;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
        if (head.size() < 12) head.append(buf, static_cast<std::size_t>(n));
      }
      ok = head.rfind("HTTP/1.1 200", 0) == 0;
    }
  }
  ::close(fd);
  return ok;
}

// Round trips of perfqos_read for `span`, appended to `out` in µs.
bool measure(perfqos_client* c, std::chrono::milliseconds span, std::vector<double>* out) {
  const auto until = Clock::now() + span;
  perfqos_effective e{};
  while (Clock::now() < until) {
    const auto t0 = Clock::now();
    if (perfqos_read(c, "cpu_dma_latency", nullptr, &e) != 0) return false;
    out->push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 4;
  const int scrapers = argc > 2 ? std::atoi(argv[2]) : 2;
  if (rounds <= 0 || scrapers <= 0) {
    std::fprintf(stderr, "usage: metrics_bench [ROUNDS>0 [SCRAPERS>0]]\n");
    return 2;
  }
  perfqos::bench::BenchDaemon daemon(
      {"metrics", false, {"--log-level", "info", "--metrics", "127.0.0.1:0"}});
  if (!daemon.ready()) {
    std::fprintf(stderr, "perfqosd did not start: %s\n", daemon.error().c_str());
    return 1;
  }
  std::stringstream log;
  log << std::ifstream(daemon.log_path()).rdbuf();
  std::smatch m;
  const std::string text = log.str();
  if (!std::regex_search(text, m, std::regex("metrics: serving http://127\\.0\\.0\\.1:([0-9]+)"))) {
    std::fprintf(stderr, "no metrics port in the log:\n%s", text.c_str());
    return 1;
  }
  const int port = std::stoi(m[1]);
  perfqos_client* c = nullptr;
  std::uint32_t id = 0;
  if (perfqos_connect(daemon.socket().c_str(), 5000, &c) != 0 ||
      perfqos_add(c, "cpu_dma_latency", nullptr, 100, &id, nullptr) != 0) {
    std::fprintf(stderr, "client: %s\n", perfqos_last_error(c));
    return 1;
  }
  const auto half = std::chrono::milliseconds(500);
  std::vector<double> idle, hammered, warm;
  measure(c, std::chrono::milliseconds(200), &warm);
  std::atomic<bool> hammer{false}, done{false};
  std::atomic<std::uint64_t> scrapes{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < scrapers; ++i) {
    threads.emplace_back([&] {
      while (!done) {
        if (!hammer) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        (scrape(port) ? scrapes : failed).fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  bool ok = true;
  Clock::duration hammered_time{};
  for (int r = 0; r < rounds && ok; ++r) {
    ok = measure(c, half, &idle);
    hammer = true;
    const auto t0 = Clock::now();
    ok = ok && measure(c, half, &hammered);
    hammered_time += Clock::now() - t0;
    hammer = false;
  }
  done = true;
  for (std::thread& t : threads) t.join();
  if (!ok) {
    std::fprintf(stderr, "round trip failed: %s\n", perfqos_last_error(c));
    return 1;
  }
  perfqos_close(c);
  const double i50 = percentile(idle, 0.5), i99 = percentile(idle, 0.99);
  const double h50 = percentile(hammered, 0.5), h99 = percentile(hammered, 0.99);
  const double scrape_rate =
      static_cast<double>(scrapes.load()) / std::chrono::duration<double>(hammered_time).count();
  std::printf("perfqos_read round trip, %d rounds of %lld ms idle + %lld ms with %d scrapers\n",
              rounds, static_cast<long long>(half.count()), static_cast<long long>(half.count()),
              scrapers);
  std::printf("  idle:     p50 %7.1f us  p99 %7.1f us  (%zu samples)\n", i50, i99, idle.size());
  std::printf("  hammered: p50 %7.1f us  p99 %7.1f us  (%zu samples)\n", h50, h99, hammered.size());
  std::printf("  ratio hammered/idle: p50 %.2fx  p99 %.2fx\n", h50 / i50, h99 / i99);
  std::printf("  scrapes: %llu served (%.0f/s), %llu failed; load average %s\n",
              static_cast<unsigned long long>(scrapes.load()), scrape_rate,
              static_cast<unsigned long long>(failed.load()),
              perfqos::bench::load_average().c_str());
  return 0;
}
