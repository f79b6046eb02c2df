// Storm: root's UPDATE round trip on perfqosd's socket, idle and then during a connect/close
// storm from uid 65534 (issue #13, finding 2), reported as p50/p99 and as ratios to the idle
// run of the same process; then whether perfqosd answers SIGTERM while the storm goes on.
//
//   storm_bench [SECONDS [STORMERS]]   defaults: 60 seconds, 4 storming processes
//
// Run as root (the stormers drop to uid 65534). Target: p99 during the storm within 3x idle.
#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_daemon.h"
#include "perfqos/client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Percentiles {
  double p50_us = 0, p99_us = 0;
  std::size_t n = 0;
};

Percentiles percentiles(std::vector<double> samples) {
  Percentiles p;
  p.n = samples.size();
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  p.p50_us = samples[samples.size() / 2];
  p.p99_us = samples[std::min(samples.size() - 1, samples.size() * 99 / 100)];
  return p;
}

// Round trips of UPDATE on `id` until `until` (or `count` of them, whichever first); -1 on error.
bool measure(perfqos_client* c, std::uint32_t id, Clock::time_point until, std::size_t count,
             std::vector<double>* out) {
  for (std::size_t k = 0; k < count && Clock::now() < until; ++k) {
    const auto t0 = Clock::now();
    if (perfqos_update(c, id, 1 + static_cast<int>(k & 1), nullptr) != 0) return false;
    out->push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return true;
}

// One storming process: connect and close as fast as it can, as uid 65534, until killed.
[[noreturn]] void storm(const std::string& socket, std::atomic<std::uint64_t>* connects) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
  for (;;) {
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      connects->fetch_add(1, std::memory_order_relaxed);
    }
    ::close(fd);
  }
}

bool exited(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  stat >> pid_field >> comm >> state;
  return !stat || state == "Z" || state == "X";
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 60;
  const int stormers = argc > 2 ? std::atoi(argv[2]) : 4;
  if (seconds <= 0 || stormers <= 0) {
    std::fprintf(stderr, "usage: storm_bench [SECONDS>0 [STORMERS>0]]\n");
    return 2;
  }
  perfqos::bench::BenchDaemon daemon({"storm", false, {"--log-level", "warning"}});
  if (!daemon.ready()) {
    std::fprintf(stderr, "perfqosd did not start: %s\n", daemon.error().c_str());
    return 1;
  }
  // The stormers are uid 65534: let them reach the socket (mkdtemp made its directory 0700).
  ::chmod(std::filesystem::path(daemon.socket()).parent_path().c_str(), 0755);
  perfqos_client* c = nullptr;
  std::uint32_t id = 0;
  if (perfqos_connect(daemon.socket().c_str(), 5000, &c) != 0 ||
      perfqos_add(c, "memory_bandwidth", nullptr, 1, &id, nullptr) != 0) {
    std::fprintf(stderr, "root client: %s\n", perfqos_last_error(c));
    return 1;
  }
  std::vector<double> idle, stormy;
  measure(c, id, Clock::now() + std::chrono::seconds(60), 2000, &idle);  // warm-up
  idle.clear();
  if (!measure(c, id, Clock::now() + std::chrono::seconds(seconds), 50000, &idle)) {
    std::fprintf(stderr, "idle round trip failed: %s\n", perfqos_last_error(c));
    return 1;
  }

  auto* connects = static_cast<std::atomic<std::uint64_t>*>(
      ::mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (connects) std::atomic<std::uint64_t>(0);
  std::vector<pid_t> children;
  for (int i = 0; i < stormers; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) storm(daemon.socket(), connects);
    children.push_back(pid);
  }
  const auto storm_start = Clock::now();
  const bool served =
      measure(c, id, storm_start + std::chrono::seconds(seconds), SIZE_MAX, &stormy);
  const double storm_s = std::chrono::duration<double>(Clock::now() - storm_start).count();
  const long rss = perfqos::bench::rss_kib(daemon.pid());

  // SIGTERM while the storm goes on.
  const auto term = Clock::now();
  ::kill(daemon.pid(), SIGTERM);
  bool stopped = false;
  while (!(stopped = exited(daemon.pid())) && Clock::now() - term < std::chrono::seconds(10)) {
    ::usleep(1000);
  }
  const double term_ms = std::chrono::duration<double, std::milli>(Clock::now() - term).count();
  for (pid_t pid : children) ::kill(pid, SIGKILL);
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  perfqos_close(c);

  const Percentiles a = percentiles(idle), b = percentiles(stormy);
  std::printf("storm_bench: %d s, %d storming processes (uid 65534), %llu connects (%.0f/s)\n",
              seconds, stormers, static_cast<unsigned long long>(connects->load()),
              connects->load() / storm_s);
  std::printf("idle   UPDATE round trip: p50 %8.1f us  p99 %8.1f us  (%zu)\n", a.p50_us, a.p99_us,
              a.n);
  std::printf("storm  UPDATE round trip: p50 %8.1f us  p99 %8.1f us  (%zu)%s\n", b.p50_us, b.p99_us,
              b.n, served ? "" : "  (a round trip FAILED)");
  std::printf("ratio  storm/idle:        p50 %8.2fx    p99 %8.2fx   (target p99 <= 3x)\n",
              b.p50_us / a.p50_us, b.p99_us / a.p99_us);
  std::printf("perfqosd VmRSS during the storm: %ld KiB\n", rss);
  std::printf("SIGTERM during the storm: %s (%.0f ms)\n", stopped ? "answered" : "IGNORED",
              term_ms);
  return served && stopped ? 0 : 1;
}
