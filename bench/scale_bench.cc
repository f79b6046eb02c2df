// scale_bench: perfqosd at scale (DESIGN §9, issue #8), in one run:
//
//   a) CLIENTS concurrent connections (10,000), each holding one request on cpu_dma_latency:
//      time to connect and add them all, the effective value (the smallest of them), the
//      daemon's RSS per client; then all close, and the time until the knob is back to its
//      default with no request left;
//   b) REQUESTS requests (100,000) on cpu_dma_latency from 4 connections: fill time, then
//      add/update/remove round trips at that size against the same round trips on an empty
//      knob, the effective value checked against a model after each phase;
//   c) SUBSCRIBERS connections (1,000) subscribed to network_latency, 5 rounds of one change
//      each: delivery latency from the change to each subscriber's receipt (p50/p99/max), time
//      until the last one has it, and that every subscriber got exactly one notification per
//      change, with the right values.
//
//   scale_bench [--clients N] [--requests N] [--subscribers N]
//
// perfqosd runs as bench_daemon.h starts it: on a temporary socket with an empty sysfs root (a
// regular file for dev/cpu_dma_latency), its own state directory, an empty config and no FUSE
// tree, so no knob of this machine is touched. RLIMIT_NOFILE is raised here (soft to hard, and the
// hard limit when it is too low and we may), before perfqosd is started, since it inherits it.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
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
constexpr const char* kKnobDevice = "cpu_dma_latency";
constexpr const char* kSubscribedDevice = "network_latency";

double us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> us) {
  if (us.empty()) return {};
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)], us.back()};
}

// The open-files limit of process `pid` (perfqosd raises its own soft limit), from /proc.
std::string fd_limit(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("Max open files")) continue;
    std::istringstream fields(line.substr(std::strlen("Max open files")));
    std::string soft, hard;
    fields >> soft >> hard;
    return soft + " soft, " + hard + " hard";
  }
  return "?";
}

const char* verdict(bool ok) {
  return ok ? "ok" : "WRONG";
}

// a) Many concurrent clients, one request each.
void concurrent_clients(const BenchDaemon& daemon, perfqos_client* ctl, int n) {
  std::printf("a) %d concurrent clients, one request each on %s\n", n, kKnobDevice);
  std::vector<std::int32_t> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), 1000);  // the smallest, 1000, is the aggregate
  std::shuffle(values.begin(), values.end(), std::mt19937(1));

  const long rss_before = rss_kib(daemon.pid());
  std::vector<perfqos_client*> clients;
  std::vector<double> connect_add_us;
  clients.reserve(values.size());
  connect_add_us.reserve(values.size());
  const auto start = Clock::now();
  for (std::int32_t v : values) {
    const auto t0 = Clock::now();
    perfqos_client* c = nullptr;
    if (perfqos_connect(daemon.socket().c_str(), 30000, &c) != 0) {
      std::printf("  connection %zu failed: %s\n", clients.size(), perfqos_last_error(nullptr));
      break;
    }
    std::uint32_t id = 0;
    if (perfqos_add(c, kKnobDevice, nullptr, v, &id, nullptr) != 0) die("add", c);
    connect_add_us.push_back(us_between(t0, Clock::now()));
    clients.push_back(c);
  }
  const double fill_s = us_between(start, Clock::now()) / 1e6;
  const KnobState held = knob_state(ctl, kKnobDevice);
  const long rss_after = rss_kib(daemon.pid());
  const auto held_values = values.begin() + static_cast<std::ptrdiff_t>(clients.size());
  const std::int32_t expected =
      clients.empty() ? kLatencyDefault : *std::min_element(values.begin(), held_values);
  const Percentiles p = percentiles(connect_add_us);
  std::printf(
      "  connect+add: %zu clients in %.2f s (%.0f /s), p50 %.1f us, p99 %.1f us, max %.1f us\n",
      clients.size(), fill_s, static_cast<double>(clients.size()) / fill_s, p.p50, p.p99, p.max);
  std::printf("  effective %d (expected %d), active requests %u (expected %zu): %s\n",
              held.effective, expected, held.active, clients.size(),
              verdict(held.effective == expected && held.active == clients.size()));
  std::printf("  daemon RSS %ld -> %ld KiB: %.0f bytes per client (connection + request)\n",
              rss_before, rss_after,
              (rss_after - rss_before) * 1024.0 / static_cast<double>(clients.size()));

  const auto closing = Clock::now();
  for (perfqos_client* c : clients) perfqos_close(c);
  const double close_ms = us_between(closing, Clock::now()) / 1000;
  const double released_ms =
      perfqos::bench::wait_until_released(ctl, kKnobDevice, kLatencyDefault, closing);
  const KnobState after = knob_state(ctl, kKnobDevice);
  std::printf(
      "  all closed in %.1f ms; knob back to default %.1f ms after the first close: %s "
      "(effective %d, %u requests)\n",
      close_ms, released_ms, verdict(after.effective == kLatencyDefault && after.active == 0),
      after.effective, after.active);
  std::printf("  daemon RSS after the closes: %ld KiB\n\n", rss_kib(daemon.pid()));
}

struct OpTimes {
  Percentiles add, update, remove;
};

// k add, then k update, then k remove round trips of requests of random values on `c`; the
// model `values` follows every change and the effective value is checked against it after each
// phase.
OpTimes round_trips(perfqos_client* c, perfqos_client* ctl, int k, std::mt19937& rng,
                    std::multiset<std::int32_t>& values, bool* correct) {
  std::uniform_int_distribution<std::int32_t> value(1000, 1000000000);
  std::vector<double> add_us, update_us, remove_us;
  std::vector<std::pair<std::uint32_t, std::int32_t>> mine;  // id, value
  const auto check = [&] {
    const std::int32_t expected = values.empty() ? kLatencyDefault : *values.begin();
    *correct = *correct && knob_state(ctl, kKnobDevice).effective == expected;
  };
  for (int i = 0; i < k; ++i) {
    const std::int32_t v = value(rng);
    std::uint32_t id = 0;
    const auto t0 = Clock::now();
    if (perfqos_add(c, kKnobDevice, nullptr, v, &id, nullptr) != 0) die("add", c);
    add_us.push_back(us_between(t0, Clock::now()));
    mine.emplace_back(id, v);
    values.insert(v);
  }
  check();
  for (auto& [id, v] : mine) {
    const std::int32_t next = value(rng);
    const auto t0 = Clock::now();
    if (perfqos_update(c, id, next, nullptr) != 0) die("update", c);
    update_us.push_back(us_between(t0, Clock::now()));
    values.erase(values.find(v));
    values.insert(next);
    v = next;
  }
  check();
  for (const auto& [id, v] : mine) {
    const auto t0 = Clock::now();
    if (perfqos_remove(c, id, nullptr) != 0) die("remove", c);
    remove_us.push_back(us_between(t0, Clock::now()));
    values.erase(values.find(v));
  }
  check();
  return {percentiles(add_us), percentiles(update_us), percentiles(remove_us)};
}

// b) Many requests on one knob, from a few connections.
void many_requests(const BenchDaemon& daemon, perfqos_client* ctl, int n) {
  constexpr int kConnections = 4, kBatch = 500, kRoundTrips = 2000;
  std::printf("b) %d requests on %s from %d connections\n", n, kKnobDevice, kConnections);
  std::mt19937 rng(2);
  std::uniform_int_distribution<std::int32_t> value(1000, 1000000000);
  std::multiset<std::int32_t> model;
  bool correct = true;

  perfqos_client* probe = perfqos::bench::connect_or_die(daemon.socket(), 30000);
  (void)round_trips(probe, ctl, kRoundTrips / 4, rng, model, &correct);  // warm-up
  const OpTimes empty = round_trips(probe, ctl, kRoundTrips, rng, model, &correct);

  const long rss_before = rss_kib(daemon.pid());
  std::vector<perfqos_client*> fillers;
  for (int i = 0; i < kConnections; ++i)
    fillers.push_back(perfqos::bench::connect_or_die(daemon.socket(), 30000));
  std::vector<perfqos_add_spec> specs(kBatch);
  std::vector<std::uint32_t> ids(kBatch);
  const auto start = Clock::now();
  for (int added = 0; added < n;) {
    const int batch = std::min(kBatch, n - added);
    for (int i = 0; i < batch; ++i) {
      const std::int32_t v = value(rng);
      specs[static_cast<std::size_t>(i)] = {kKnobDevice, nullptr, v, 0};
      model.insert(v);
    }
    perfqos_client* c = fillers[static_cast<std::size_t>((added / kBatch) % kConnections)];
    if (perfqos_add_many(c, specs.data(), static_cast<std::size_t>(batch), ids.data(), nullptr) !=
        0) {
      die("add_many", c);
    }
    added += batch;
  }
  const double fill_s = us_between(start, Clock::now()) / 1e6;
  const KnobState full = knob_state(ctl, kKnobDevice);
  const long rss_after = rss_kib(daemon.pid());
  std::printf("  fill (add_many, batches of %d): %.2f s, %.0f adds/s, %.2f us per add\n", kBatch,
              fill_s, n / fill_s, fill_s * 1e6 / n);
  std::printf("  effective %d (expected %d), active requests %u (expected %d): %s\n",
              full.effective, *model.begin(), full.active, n,
              verdict(full.effective == *model.begin() && full.active == static_cast<unsigned>(n)));
  std::printf("  daemon RSS %ld -> %ld KiB: %.0f bytes per request\n", rss_before, rss_after,
              (rss_after - rss_before) * 1024.0 / n);

  const OpTimes big = round_trips(probe, ctl, kRoundTrips, rng, model, &correct);
  std::printf(
      "  round trips, %d each, us     empty knob p50 / p99    at %d p50 / p99    "
      "ratio p50 / p99\n",
      kRoundTrips, n);
  const auto row = [](const char* name, const Percentiles& a, const Percentiles& b) {
    std::printf("    %-8s %26.1f / %-8.1f %12.1f / %-8.1f %8.2fx / %.2fx\n", name, a.p50, a.p99,
                b.p50, b.p99, b.p50 / a.p50, b.p99 / a.p99);
  };
  row("add", empty.add, big.add);
  row("update", empty.update, big.update);
  row("remove", empty.remove, big.remove);
  std::printf("  effective value after every phase matches the model: %s\n", verdict(correct));

  const auto closing = Clock::now();
  for (perfqos_client* c : fillers) perfqos_close(c);
  const double released_ms =
      perfqos::bench::wait_until_released(ctl, kKnobDevice, kLatencyDefault, closing);
  std::printf("  %d connections closed: knob back to default after %.1f ms\n\n", kConnections,
              released_ms);
  perfqos_close(probe);
}

// c) Notifications to many subscribers.
void subscribers(const BenchDaemon& daemon, int n) {
  constexpr int kThreads = 4, kRounds = 5;
  std::printf("c) %d subscribers of %s, %d changes, %d receiving threads\n", n, kSubscribedDevice,
              kRounds, kThreads);
  struct Event {
    int subscriber;
    Clock::time_point at;
    std::int32_t old_value, new_value;
  };
  std::vector<perfqos_client*> subs;
  for (int i = 0; i < n; ++i) {
    perfqos_client* c = perfqos::bench::connect_or_die(daemon.socket(), 30000);
    const char* device = kSubscribedDevice;
    if (perfqos_subscribe(c, &device, 1) != 0) die("subscribe", c);
    subs.push_back(c);
  }

  std::atomic<int> received{0};
  std::atomic<bool> stop{false};
  std::vector<std::vector<Event>> events(kThreads);
  std::vector<int> wake(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    wake[static_cast<std::size_t>(t)] = ::eventfd(0, EFD_CLOEXEC);
    threads.emplace_back([&, t] {
      const int ep = ::epoll_create1(EPOLL_CLOEXEC);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = static_cast<std::uint64_t>(n);  // the wake-up
      ::epoll_ctl(ep, EPOLL_CTL_ADD, wake[static_cast<std::size_t>(t)], &ev);
      for (int i = t; i < n; i += kThreads) {
        ev.data.u64 = static_cast<std::uint64_t>(i);
        ::epoll_ctl(ep, EPOLL_CTL_ADD, perfqos_fd(subs[static_cast<std::size_t>(i)]), &ev);
      }
      std::vector<epoll_event> ready(256);
      auto& mine = events[static_cast<std::size_t>(t)];
      while (!stop.load()) {
        const int k = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), -1);
        for (int j = 0; j < k; ++j) {
          const auto i = static_cast<int>(ready[static_cast<std::size_t>(j)].data.u64);
          if (i == n) continue;
          perfqos_event e{};
          while (perfqos_next_event(subs[static_cast<std::size_t>(i)], &e, 0) == 0) {
            mine.push_back({i, Clock::now(), e.old_value.value, e.new_value.value});
            received.fetch_add(1);
          }
        }
      }
      ::close(ep);
    });
  }

  perfqos_client* updater = perfqos::bench::connect_or_die(daemon.socket(), 30000);
  std::vector<Clock::time_point> sent(kRounds);
  std::vector<std::int32_t> round_value(kRounds);
  std::uint32_t id = 0;
  for (int r = 0; r < kRounds; ++r) {
    round_value[static_cast<std::size_t>(r)] = 500 - r;  // each change lowers the aggregate
    const std::int32_t v = round_value[static_cast<std::size_t>(r)];
    sent[static_cast<std::size_t>(r)] = Clock::now();
    const int rc = r == 0 ? perfqos_add(updater, kSubscribedDevice, nullptr, v, &id, nullptr)
                          : perfqos_update(updater, id, v, nullptr);
    if (rc != 0) die("change", updater);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (received.load() < n * (r + 1) && Clock::now() < deadline) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // room for a duplicate
  }
  stop.store(true);
  for (int t = 0; t < kThreads; ++t) {
    const std::uint64_t one = 1;
    (void)!::write(wake[static_cast<std::size_t>(t)], &one, sizeof one);
  }
  for (auto& t : threads) t.join();
  for (int fd : wake) ::close(fd);

  // Per change: delivery latency of every notification, and how many each subscriber got.
  std::map<std::int32_t, int> round_of;
  for (int r = 0; r < kRounds; ++r) round_of[round_value[static_cast<std::size_t>(r)]] = r;
  std::vector<std::vector<int>> count(kRounds, std::vector<int>(static_cast<std::size_t>(n)));
  std::vector<std::vector<double>> latency(kRounds);
  std::vector<double> all;
  int stray = 0;
  for (const auto& list : events) {
    for (const Event& e : list) {
      const auto it = round_of.find(e.new_value);
      const int r = it == round_of.end() ? -1 : it->second;
      const std::int32_t old_expected =
          r == 0 ? kLatencyDefault : round_value[static_cast<std::size_t>(r > 0 ? r - 1 : 0)];
      if (r < 0 || e.old_value != old_expected) {
        ++stray;
        continue;
      }
      ++count[static_cast<std::size_t>(r)][static_cast<std::size_t>(e.subscriber)];
      const double us = us_between(sent[static_cast<std::size_t>(r)], e.at);
      latency[static_cast<std::size_t>(r)].push_back(us);
      all.push_back(us);
    }
  }
  bool exactly_once = stray == 0;
  for (int r = 0; r < kRounds; ++r) {
    const auto& c = count[static_cast<std::size_t>(r)];
    const auto missing = std::count(c.begin(), c.end(), 0);
    const auto extra = std::count_if(c.begin(), c.end(), [](int k) { return k > 1; });
    const Percentiles p = percentiles(latency[static_cast<std::size_t>(r)]);
    std::printf(
        "  change %d (-> %d): %zu notifications, last after %.0f us; p50 %.0f us; "
        "%ld missing, %ld duplicated\n",
        r + 1, round_value[static_cast<std::size_t>(r)],
        latency[static_cast<std::size_t>(r)].size(), p.max, p.p50, missing, extra);
    exactly_once = exactly_once && missing == 0 && extra == 0;
  }
  const Percentiles p = percentiles(all);
  std::printf(
      "  delivery latency over all %zu notifications: p50 %.0f us, p99 %.0f us, max %.0f us\n",
      all.size(), p.p50, p.p99, p.max);
  std::printf(
      "  every subscriber got exactly one notification per change, with the right old and "
      "new values: %s (%d stray)\n\n",
      verdict(exactly_once), stray);
  perfqos_close(updater);
  for (perfqos_client* c : subs) perfqos_close(c);
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--clients N] [--requests N] [--subscribers N]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 10000, requests = 100000, subscriber_count = 1000;
  if (!perfqos::bench::parse_int_flags(argc, argv,
                                       {{"--clients", &clients},
                                        {"--requests", &requests},
                                        {"--subscribers", &subscriber_count}}))
    return usage(argv[0]);

  // This process holds every connection at once; perfqosd inherits the limit.
  const rlim_t needed = static_cast<rlim_t>(std::max(clients, subscriber_count)) + 256;
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_max < needed) {
    rlimit raised{needed, needed};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) files = raised;
  }
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < needed) {
    std::fprintf(stderr, "scale_bench: RLIMIT_NOFILE is %llu, need %llu\n",
                 static_cast<unsigned long long>(files.rlim_cur),
                 static_cast<unsigned long long>(needed));
    return 1;
  }

  const BenchDaemon daemon({.name = "scale", .extra_args = {"--log-level", "warning"}});
  if (!daemon.ready()) {
    std::fprintf(stderr, "scale_bench: %s\n", daemon.error().c_str());
    return 1;
  }
  perfqos_client* ctl = perfqos::bench::connect_or_die(daemon.socket(), 30000);
  std::printf("scale_bench: %u CPUs, load average %s at start; perfqosd's open-files limit: %s\n\n",
              std::thread::hardware_concurrency(), load_average().c_str(),
              fd_limit(daemon.pid()).c_str());
  std::fflush(stdout);
  concurrent_clients(daemon, ctl, clients);
  std::fflush(stdout);
  many_requests(daemon, ctl, requests);
  std::fflush(stdout);
  subscribers(daemon, subscriber_count);
  std::printf("load average %s at end\n", load_average().c_str());
  perfqos_close(ctl);
  return 0;
}
