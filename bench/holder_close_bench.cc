// holder_close_bench: what closing connections that hold many requests costs the other clients
// (issue #15: "removing a holder with 1M requests does not stall other clients for more than
// 10 ms").
//
// Per round: CONNECTIONS connections (1) fill REQUESTS requests (1,000,000) in all on
// cpu_dma_latency with add_many, random values as scale_bench phase b; a probe connection does
// UPDATE round trips on network_latency in a loop from its own thread; then every filler closes.
// Reported: the probe's longest round trip from the first close until 1 s after the knob is back
// to its default (memory reclaimed later still counts), the same before the close (the idle
// baseline), the time from the first close until a control connection reads cpu_dma_latency
// back at its default with no request, and the daemon's RSS.
//
//   holder_close_bench [--requests N] [--connections C] [--rounds R]
//
// perfqosd runs as bench_daemon.h starts it (temporary socket, empty sysfs root, empty config:
// no quota), so no knob of this machine is touched.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_client.h"
#include "bench_daemon.h"
#include "int_flags.h"
#include "perfqos/client.h"

namespace {

using perfqos::bench::BenchDaemon;
using perfqos::bench::die;
using perfqos::bench::knob_state;
using perfqos::bench::KnobState;
using perfqos::bench::load_average;
using perfqos::bench::rss_kib;
using Clock = std::chrono::steady_clock;

constexpr std::int32_t kLatencyDefault = 2000000000;
constexpr const char* kHeldDevice = "cpu_dma_latency";
constexpr const char* kProbeDevice = "network_latency";

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// UPDATE round trips on its own request, from its own thread, each one's start and end kept.
class Probe {
 public:
  explicit Probe(const std::string& socket) : client_(perfqos::bench::connect_or_die(socket)) {
    if (perfqos_add(client_, kProbeDevice, nullptr, 5000, &id_, nullptr) != 0) die("add", client_);
    thread_ = std::thread([this] { run(); });
  }
  ~Probe() {
    stop_.store(true);
    thread_.join();
    perfqos_close(client_);
  }

  // The longest round trip that ended within [from, to], in ms, and how many did.
  std::pair<double, std::size_t> longest(Clock::time_point from, Clock::time_point to) {
    std::lock_guard lock(mu_);
    double worst = 0;
    std::size_t n = 0;
    for (const auto& [start, end] : trips_) {
      if (end < from || end > to) continue;
      worst = std::max(worst, ms_between(start, end));
      ++n;
    }
    return {worst, n};
  }

 private:
  void run() {
    std::int32_t v = 5000;
    while (!stop_.load()) {
      v = v == 5000 ? 6000 : 5000;
      const auto t0 = Clock::now();
      if (perfqos_update(client_, id_, v, nullptr) != 0) die("update", client_);
      const auto t1 = Clock::now();
      std::lock_guard lock(mu_);
      trips_.emplace_back(t0, t1);
    }
  }

  perfqos_client* client_;
  std::uint32_t id_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::pair<Clock::time_point, Clock::time_point>> trips_;
  std::thread thread_;
};

struct RoundResult {
  double idle_max_ms, stall_ms, released_ms;
};

RoundResult round(const BenchDaemon& daemon, perfqos_client* ctl, int n, int connections,
                  std::mt19937& rng) {
  constexpr int batch_size = 500;  // add_many keeps few in flight itself
  std::uniform_int_distribution<std::int32_t> value(1000, 1000000000);
  std::vector<perfqos_client*> fillers;
  for (int i = 0; i < connections; ++i)
    fillers.push_back(perfqos::bench::connect_or_die(daemon.socket()));
  std::vector<perfqos_add_spec> specs(static_cast<std::size_t>(batch_size));
  std::vector<std::uint32_t> ids(specs.size());
  std::int32_t smallest = kLatencyDefault;
  const long rss_empty = rss_kib(daemon.pid());
  const auto fill_start = Clock::now();
  for (int added = 0; added < n;) {
    const int batch = std::min(batch_size, n - added);
    for (int i = 0; i < batch; ++i) {
      const std::int32_t v = value(rng);
      smallest = std::min(smallest, v);
      specs[static_cast<std::size_t>(i)] = {kHeldDevice, nullptr, v, 0};
    }
    perfqos_client* c = fillers[static_cast<std::size_t>((added / batch_size) % connections)];
    if (perfqos_add_many(c, specs.data(), static_cast<std::size_t>(batch), ids.data(), nullptr) !=
        0) {
      die("add_many", c);
    }
    added += batch;
  }
  const double fill_s = ms_between(fill_start, Clock::now()) / 1000;
  const KnobState full = knob_state(ctl, kHeldDevice);
  const long rss_full = rss_kib(daemon.pid());
  std::printf(
      "  filled %d requests in %.2f s; effective %d (expected %d), %u active: %s\n", n, fill_s,
      full.effective, smallest, full.active,
      full.effective == smallest && full.active == static_cast<unsigned>(n) ? "ok" : "WRONG");

  Probe probe(daemon.socket());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto closing = Clock::now();
  const auto [idle_max, idle_n] = probe.longest(closing - std::chrono::milliseconds(250), closing);
  for (perfqos_client* c : fillers) perfqos_close(c);
  const double released_ms =
      perfqos::bench::wait_until_released(ctl, kHeldDevice, kLatencyDefault, closing);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto [stall, stall_n] = probe.longest(closing, Clock::now());
  const long rss_after = rss_kib(daemon.pid());
  std::printf(
      "  probe round trips: longest %.2f ms in the 250 ms before the close (%zu trips), "
      "longest %.2f ms from the close to 1 s after release (%zu trips)\n",
      idle_max, idle_n, stall, stall_n);
  std::printf("  knob back to default %.2f ms after the first close; RSS %ld -> %ld -> %ld KiB\n",
              released_ms, rss_empty, rss_full, rss_after);
  return {idle_max, stall, released_ms};
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--requests N] [--connections C] [--rounds R]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 1000000, connections = 1, rounds = 3;
  if (!perfqos::bench::parse_int_flags(
          argc, argv,
          {{"--requests", &requests}, {"--connections", &connections}, {"--rounds", &rounds}}))
    return usage(argv[0]);
  const BenchDaemon daemon({.name = "holder-close", .extra_args = {"--log-level", "warning"}});
  if (!daemon.ready()) {
    std::fprintf(stderr, "holder_close_bench: %s\n", daemon.error().c_str());
    return 1;
  }
  perfqos_client* ctl = perfqos::bench::connect_or_die(daemon.socket());
  std::printf(
      "holder_close_bench: %d requests on %s from %d connection(s), %d rounds; %u CPUs, "
      "load average %s\n",
      requests, kHeldDevice, connections, rounds, std::thread::hardware_concurrency(),
      load_average().c_str());
  std::mt19937 rng(15);
  std::vector<RoundResult> results;
  for (int r = 0; r < rounds; ++r) {
    std::printf("round %d\n", r + 1);
    results.push_back(round(daemon, ctl, requests, connections, rng));
    std::fflush(stdout);
  }
  double worst_stall = 0, worst_release = 0, worst_idle = 0;
  for (const RoundResult& r : results) {
    worst_stall = std::max(worst_stall, r.stall_ms);
    worst_release = std::max(worst_release, r.released_ms);
    worst_idle = std::max(worst_idle, r.idle_max_ms);
  }
  std::printf(
      "worst of %d rounds: probe stall %.2f ms (idle %.2f ms), back to default after %.2f ms; "
      "load average %s\n",
      rounds, worst_stall, worst_idle, worst_release, load_average().c_str());
  perfqos_close(ctl);
  return 0;
}
