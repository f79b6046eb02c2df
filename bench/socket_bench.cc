// socket_bench: perfqosd's socket path against a raw SOCK_SEQPACKET ping-pong, in one run.
//
//   1. round trip: a raw ping-pong with an echo process (the floor), then UPDATE -> reply
//      through libperfqos with a real perfqosd; p50/p99 of each and their ratios;
//   2. throughput: 1, 8 and 64 client processes updating as fast as they can;
//   3. memory: the daemon's RSS before and after 10,000 idle connections.
//
// perfqosd runs as bench_daemon.h starts it (a temporary socket, an empty sysfs root, config and
// state directory, no FUSE tree), so no knob of this machine is touched. RLIMIT_NOFILE is raised
// (soft to hard) before, since perfqosd inherits it.
//
// Usage: socket_bench [ROUND_TRIPS] (default 50000).
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench_daemon.h"
#include "perfqos/client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Percentiles {
  double p50_us, p99_us;
};

Percentiles percentiles(std::vector<double>& samples_us) {
  std::sort(samples_us.begin(), samples_us.end());
  return {samples_us[samples_us.size() / 2], samples_us[samples_us.size() * 99 / 100]};
}

Percentiles raw_ping_pong(int n) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair);
  const pid_t echo = fork();
  if (echo == 0) {
    close(pair[0]);
    char buf[64];
    for (;;) {
      const ssize_t got = recv(pair[1], buf, sizeof buf, 0);
      if (got <= 0) _exit(0);
      send(pair[1], buf, static_cast<std::size_t>(got), 0);
    }
  }
  close(pair[1]);
  // Same sizes as an UPDATE (20 bytes) and its reply (~30 bytes).
  char request[20] = {}, reply[64];
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    send(pair[0], request, sizeof request, 0);
    recv(pair[0], reply, sizeof reply, 0);
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  close(pair[0]);
  waitpid(echo, nullptr, 0);
  return percentiles(samples);
}

// One client alternating a request between two values, so that every update changes the
// effective value (the full path: aggregate, notify, reply).
Percentiles update_round_trips(const std::string& socket, int n) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) std::abort();
  std::uint32_t id = 0;
  perfqos_add(c, "network_throughput", nullptr, 1, &id, nullptr);
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    if (perfqos_update(c, id, 2 + (i & 1), nullptr) != 0) std::abort();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  perfqos_close(c);
  return percentiles(samples);
}

double throughput(const std::string& socket, int clients, int updates_each) {
  int go[2];
  pipe(go);
  std::vector<pid_t> pids;
  for (int k = 0; k < clients; ++k) {
    const pid_t pid = fork();
    if (pid == 0) {
      perfqos_client* c = nullptr;
      if (perfqos_connect(socket.c_str(), 10000, &c) != 0) _exit(1);
      std::uint32_t id = 0;
      perfqos_add(c, "memory_bandwidth", nullptr, 1, &id, nullptr);
      char byte;
      read(go[0], &byte, 1);
      for (int i = 0; i < updates_each; ++i) {
        if (perfqos_update(c, id, 1 + (i & 7), nullptr) != 0) _exit(2);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let every client connect
  const auto t0 = Clock::now();
  std::string bytes(static_cast<std::size_t>(clients), 'g');
  write(go[1], bytes.data(), bytes.size());
  int failed = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  close(go[0]);
  close(go[1]);
  if (failed) std::fprintf(stderr, "%d clients failed\n", failed);
  return clients * static_cast<double>(updates_each) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 50000;
  rlimit files{20000, 20000};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);

  const perfqos::bench::BenchDaemon daemon(
      {.name = "bench", .extra_args = {"--log-level", "error"}});
  if (!daemon.ready()) {
    std::fprintf(stderr, "socket_bench: %s\n", daemon.error().c_str());
    return 1;
  }
  // Warm both paths, then measure them back to back.
  raw_ping_pong(2000);
  update_round_trips(daemon.socket(), 2000);
  const Percentiles raw = raw_ping_pong(n);
  const Percentiles ours = update_round_trips(daemon.socket(), n);
  std::printf("round trip (%d each)        p50 us   p99 us\n", n);
  std::printf("  raw SEQPACKET ping-pong  %7.2f  %7.2f\n", raw.p50_us, raw.p99_us);
  std::printf("  perfqosd UPDATE->reply   %7.2f  %7.2f\n", ours.p50_us, ours.p99_us);
  std::printf("  ratio                    %7.2fx %7.2fx\n", ours.p50_us / raw.p50_us,
              ours.p99_us / raw.p99_us);

  for (int clients : {1, 8, 64}) {
    const double rate = throughput(daemon.socket(), clients, 200000 / clients);
    std::printf("throughput, %2d clients: %9.0f updates/s\n", clients, rate);
  }

  const long before = perfqos::bench::rss_kib(daemon.pid());
  std::vector<perfqos_client*> idle;
  constexpr int kIdle = 10000;
  for (int i = 0; i < kIdle; ++i) {
    perfqos_client* c = nullptr;
    if (perfqos_connect(daemon.socket().c_str(), 10000, &c) != 0) {
      std::fprintf(stderr, "connection %d failed: %s\n", i, perfqos_last_error(nullptr));
      break;
    }
    idle.push_back(c);
  }
  // One round trip on the last connection: every accept before it has been processed.
  perfqos_effective e;
  perfqos_read(idle.back(), "cpu_dma_latency", nullptr, &e);
  const long after = perfqos::bench::rss_kib(daemon.pid());
  std::printf("memory: %zu idle connections: RSS %ld -> %ld KiB, %.0f bytes per connection\n",
              idle.size(), before, after,
              (after - before) * 1024.0 / static_cast<double>(idle.size()));
  for (perfqos_client* c : idle) perfqos_close(c);
  return 0;
}
