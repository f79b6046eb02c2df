// fuse_bench: the FUSE device tree against its floors, interleaved (issue #15).
//
//   fuse_bench [--pin] [ROUNDS [BLOCK]]         one caller, every path in rounds
//   fuse_bench [--pin] --load CLIENTS SECONDS   CLIENTS processes taking and releasing a node
//   --devices N  (round trips) also a second perfqosd with N more perf devices, for the
//                "perf open+SET+close, N devices" path (the cost of a tree's size)
//
// Starts its own perfqosd (bench_daemon.h: FUSE mounted in a temporary directory, a perf device
// "gpu", an empty sysfs root, so no real knob is touched), a one-thread do-nothing libfuse
// server (baselines/floor_fuse.h: the least a FUSE round trip costs) and an echo process for a
// raw SOCK_SEQPACKET ping-pong. --pin puts this process, and so every process it starts, on
// CPU 0 (on this VM a wake-up on the other CPU costs ~35 µs, on the same one ~1.5 µs); --apart
// puts the callers on CPU 0 and every server (echo, floor, perfqosd) on CPU 1, the worst case.
// Unpinned, where the scheduler puts a server is mostly history: a waking task goes back to its
// previous CPU when that one is idle, so a server started just before the run (the floor, the
// echo) sits beside the caller and one that moved during its start stays across; run all three.
//
// Round trips: every round runs BLOCK calls of each path in turn, so that every path sees the
// same machine state; a path's ratio is taken per round against the ping-pong's figure of the
// same round, and the median over rounds is printed with the pooled p50 and p99:
//   raw ping-pong             4 bytes to the echo process and back: the baseline
//   epoll ping-pong           the same with an echo that waits in epoll_wait first, as an event
//                             loop does: the floor of perfqosd's socket path
//   kernel node write         4-byte write(2) on the real /dev/cpu_dma_latency, if present
//   floor ioctl / write       the floor server's ioctl and 4-byte write on a kept descriptor
//   floor open+write+close    the floor server's take and release
//   ioctl SET_MIN             PERF_QOS_IOC_SET_MIN on perf_qos/gpu, alternating 300/301 (every
//                             call changes the effective value)
//   class-node write          4-byte write(2) on cpu_dma_latency, alternating 100/101
//   class open+write+close    a request taken and released through the class node
//   perf open+SET+close       the same through perf_qos/gpu
//   ... N devices             the same on the second perfqosd (--devices N), whose perf_qos
//                             holds gpu among N others
//   ioctl GET_EFFECTIVE       a read of the effective value
//   socket update             perfqos_update() over the daemon's socket
//
// Load: CLIENTS processes each open, write 4 bytes to and close a node, as fast as they can,
// for SECONDS; the floor server's node and perfqos's cpu_dma_latency take turns, twice each.
// Prints ops/s, p50 and p99 of each run and perfqos's ops/s as a share of the floor's.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "baselines/floor_fuse.h"
#include "bench_daemon.h"
#include "perfqos/client.h"
#include "perfqos/perf_qos_ioctl.h"

namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(v.size()) * p))];
}

double median(std::vector<double> v) {
  return percentile(std::move(v), 0.5);
}

// A child process, killed and reaped on destruction.
// --apart: the servers (echo, floor, perfqosd) on this CPU, the callers on CPU 0.
int g_server_cpu = -1;

bool pin_to(pid_t pid, int cpu) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(cpu, &cpus);
  if (::sched_setaffinity(pid, sizeof cpus, &cpus) == 0) return true;
  std::perror("fuse_bench: sched_setaffinity");
  return false;
}

// Under --apart, moves a server to its CPU.
bool place_server(pid_t pid) {
  return g_server_cpu < 0 || pin_to(pid, g_server_cpu);
}

struct Child {
  pid_t pid = -1;
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
};

// The floor server in a child, mounted at `dir` once this returns true.
bool start_floor(const std::string& dir, Child* child) {
  std::filesystem::create_directories(dir);
  int ready[2];
  if (::pipe(ready) != 0) return false;
  child->pid = ::fork();
  if (child->pid == 0) {
    ::close(ready[0]);
    ::_exit(perfqos::bench::floor_fuse::serve_floor_fuse(dir, ready[1]));
  }
  ::close(ready[1]);
  char c;
  const bool ok = ::read(ready[0], &c, 1) == 1;
  ::close(ready[0]);
  return ok;
}

// The echo end of the ping-pong in a child; returns the caller's end. through_epoll: the echo
// waits in epoll_wait before each recv, as an event loop does (perfqosd's socket path).
int start_echo(Child* child, bool through_epoll = false) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
  child->pid = ::fork();
  if (child->pid == 0) {
    ::close(pair[0]);
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event want{};
    want.events = EPOLLIN;
    if (ep < 0 || ::epoll_ctl(ep, EPOLL_CTL_ADD, pair[1], &want) != 0) ::_exit(1);
    char buf[64];
    for (;;) {
      epoll_event ready;
      if (through_epoll && ::epoll_wait(ep, &ready, 1, -1) != 1) ::_exit(0);
      const ssize_t n = ::recv(pair[1], buf, sizeof buf, 0);
      if (n <= 0 || ::send(pair[1], buf, static_cast<std::size_t>(n), 0) != n) ::_exit(0);
    }
  }
  ::close(pair[1]);
  return pair[0];
}

bool take_and_release(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return false;
  const std::int32_t v = 100;
  const bool ok = ::write(fd, &v, sizeof v) == sizeof v;
  ::close(fd);
  return ok;
}

struct Path {
  std::string name;
  std::function<bool(int)> call;
  std::vector<double> all{};
  std::vector<double> round_p50{}, round_p99{};
};

// A perf open+SET+close on `path`.
bool perf_take_and_release(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR);
  perf_qos_ioctl_arg arg{};
  arg.value = 500;
  const bool ok = fd >= 0 && ::ioctl(fd, PERF_QOS_IOC_SET_MIN, &arg) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

int round_trips(const perfqos::bench::BenchDaemon& daemon, const std::string& floor_dir, int rounds,
                int block, const perfqos::bench::BenchDaemon* many, int many_devices) {
  const std::string mount = daemon.mount();
  Child echo, epoll_echo;
  const int ping = start_echo(&echo);
  const int epoll_ping = start_echo(&epoll_echo, true);
  if (!place_server(echo.pid) || !place_server(epoll_echo.pid)) return 1;
  const int perf = ::open((mount + "/perf_qos/gpu").c_str(), O_RDWR);
  const int node = ::open((mount + "/cpu_dma_latency").c_str(), O_RDWR);
  const int floor = ::open((floor_dir + "/node").c_str(), O_RDWR);
  if (ping < 0 || epoll_ping < 0 || perf < 0 || node < 0 || floor < 0) {
    std::perror("fuse_bench: setting up the paths");
    return 1;
  }
  perfqos_client* client = nullptr;
  std::uint32_t id = 0;
  if (perfqos_connect(daemon.socket().c_str(), 5000, &client) != 0 ||
      perfqos_add(client, "network_latency", nullptr, 100, &id, nullptr) != 0) {
    std::fprintf(stderr, "fuse_bench: cannot reach perfqosd's socket\n");
    return 1;
  }
  const std::string floor_node = floor_dir + "/node";
  const std::string class_node = mount + "/cpu_dma_latency";
  const std::string perf_node = mount + "/perf_qos/gpu";
  std::vector<Path> paths;
  paths.push_back({"raw ping-pong", [&](int i) {
                     std::int32_t v = i;
                     return ::send(ping, &v, sizeof v, 0) == sizeof v &&
                            ::recv(ping, &v, sizeof v, 0) == sizeof v;
                   }});
  paths.push_back({"epoll ping-pong", [&](int i) {
                     std::int32_t v = i;
                     return ::send(epoll_ping, &v, sizeof v, 0) == sizeof v &&
                            ::recv(epoll_ping, &v, sizeof v, 0) == sizeof v;
                   }});
  const int kernel = ::open("/dev/cpu_dma_latency", O_RDWR);
  if (kernel >= 0) {
    paths.push_back({"kernel node write", [&](int i) {
                       const std::int32_t v = 1000 + (i & 1);
                       return ::write(kernel, &v, sizeof v) == sizeof v;
                     }});
  }
  paths.push_back({"floor ioctl", [&](int i) {
                     perf_qos_ioctl_arg arg{};
                     arg.value = i;
                     return ::ioctl(floor, PERF_QOS_IOC_SET_MIN, &arg) == 0;
                   }});
  paths.push_back({"floor write", [&](int i) {
                     const std::int32_t v = i;
                     return ::write(floor, &v, sizeof v) == sizeof v;
                   }});
  paths.push_back({"floor open+write+close", [&](int) { return take_and_release(floor_node); }});
  paths.push_back({"ioctl SET_MIN", [&](int i) {
                     perf_qos_ioctl_arg arg{};
                     arg.value = 300 + (i & 1);
                     return ::ioctl(perf, PERF_QOS_IOC_SET_MIN, &arg) == 0;
                   }});
  paths.push_back({"class-node write", [&](int i) {
                     const std::int32_t v = 100 + (i & 1);
                     return ::write(node, &v, sizeof v) == sizeof v;
                   }});
  paths.push_back({"class open+write+close", [&](int) { return take_and_release(class_node); }});
  paths.push_back({"perf open+SET+close", [&](int) { return perf_take_and_release(perf_node); }});
  const std::string many_node = many ? many->mount() + "/perf_qos/gpu" : "";
  if (many != nullptr) {
    paths.push_back({"... " + std::to_string(many_devices) + " devices",
                     [&](int) { return perf_take_and_release(many_node); }});
  }
  paths.push_back({"ioctl GET_EFFECTIVE", [&](int) {
                     perf_qos_ioctl_arg arg{};
                     return ::ioctl(perf, PERF_QOS_IOC_GET_EFFECTIVE_MIN, &arg) == 0;
                   }});
  paths.push_back({"socket update",
                   [&](int i) { return perfqos_update(client, id, 100 + (i & 1), nullptr) == 0; }});

  for (Path& p : paths) {
    for (int i = 0; i < 200; ++i) {
      if (!p.call(i)) {
        std::perror(("fuse_bench: warming up " + p.name).c_str());
        return 1;
      }
    }
  }
  std::vector<double> sample(static_cast<std::size_t>(block));
  for (int r = 0; r < rounds; ++r) {
    for (Path& p : paths) {
      for (int i = 0; i < block; ++i) {
        const auto start = Clock::now();
        if (!p.call(i)) {
          std::perror(("fuse_bench: " + p.name).c_str());
          return 1;
        }
        sample[static_cast<std::size_t>(i)] = micros(Clock::now() - start);
      }
      p.round_p50.push_back(median(sample));
      p.round_p99.push_back(percentile(sample, 0.99));
      p.all.insert(p.all.end(), sample.begin(), sample.end());
    }
  }

  std::printf("%-24s %9s %9s %11s %11s\n", "path", "p50 us", "p99 us", "p50/raw", "p99/raw p99");
  const Path& raw = paths.front();
  auto ratio = [&](const Path& p, auto member) {
    std::vector<double> per_round;
    for (int r = 0; r < rounds; ++r)
      per_round.push_back((p.*member)[static_cast<std::size_t>(r)] /
                          (raw.*member)[static_cast<std::size_t>(r)]);
    return median(per_round);
  };
  double worst_p50 = 0, worst_p99 = 0;
  for (const Path& p : paths) {
    const double p50 = ratio(p, &Path::round_p50), p99 = ratio(p, &Path::round_p99);
    std::printf("%-24s %9.2f %9.2f %10.2fx %10.2fx\n", p.name.c_str(), percentile(p.all, 0.5),
                percentile(p.all, 0.99), p50, p99);
    if (p.name == "ioctl SET_MIN" || p.name == "class-node write") {
      worst_p50 = std::max(worst_p50, p50);
      worst_p99 = std::max(worst_p99, p99);
    }
  }
  std::printf(
      "\nratios: median over %d rounds of %d calls of (path / raw ping-pong of the same round)\n"
      "target: ioctl SET_MIN and class-node write p50 <= 1.5x raw: %s (%.2fx); "
      "p99 <= 3x raw p99: %s (%.2fx)\n",
      rounds, block, worst_p50 <= 1.5 ? "met" : "NOT met", worst_p50,
      worst_p99 <= 3 ? "met" : "NOT met", worst_p99);
  if (many != nullptr) {
    // Per round, as the other ratios: N devices against one, same round.
    const Path* one = nullptr;
    const Path* big = nullptr;
    for (const Path& p : paths) {
      if (p.name == "perf open+SET+close") one = &p;
      if (p.name.rfind("... ", 0) == 0) big = &p;
    }
    std::vector<double> per_round;
    for (std::size_t r = 0; r < one->round_p50.size(); ++r) {
      per_round.push_back(big->round_p50[r] / one->round_p50[r]);
    }
    const double growth = median(per_round);
    std::printf("target: open+SET+close at %d devices <= 1.2x one device (p50): %s (%.2fx)\n",
                many_devices, growth <= 1.2 ? "met" : "NOT met", growth);
  }
  perfqos_close(client);
  if (kernel >= 0) ::close(kernel);
  ::close(perf);
  ::close(node);
  ::close(floor);
  ::close(ping);
  ::close(epoll_ping);
  return 0;
}

// Latencies in logarithmic buckets from 1 µs to ~1 s (2% apart), one set per client, in memory
// shared with the children.
constexpr int kBuckets = 700;
constexpr double kBucketBase = 1.02;
struct Histogram {
  std::array<std::uint64_t, kBuckets> count;
};
int bucket_of(double us) {
  if (us <= 1) return 0;
  return std::min(kBuckets - 1, static_cast<int>(std::log(us) / std::log(kBucketBase)));
}
double bucket_value(int b) {
  return std::pow(kBucketBase, b + 0.5);
}

struct LoadFigures {
  double ops_per_s = 0, p50 = 0, p99 = 0;
  std::uint64_t failed = 0;
};

LoadFigures load(const std::string& path, int clients, double seconds) {
  const std::size_t bytes = sizeof(Histogram) * static_cast<std::size_t>(clients + 1);
  void* shared = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return {};
  auto* hist = static_cast<Histogram*>(shared);
  std::memset(shared, 0, bytes);
  int go[2];
  if (::pipe(go) != 0) return {};
  std::vector<pid_t> pids;
  for (int c = 0; c < clients; ++c) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(go[1]);
      char x;
      (void)!::read(go[0], &x, 1);  // all start together, when the parent closes the pipe
      Histogram& h = hist[c];
      std::uint64_t& failed = hist[clients].count[static_cast<std::size_t>(c)];
      const auto end = Clock::now() + std::chrono::duration<double>(seconds);
      for (auto now = Clock::now(); now < end;) {
        const bool ok = take_and_release(path);
        const auto after = Clock::now();
        if (ok) {
          ++h.count[static_cast<std::size_t>(bucket_of(micros(after - now)))];
        } else {
          ++failed;
        }
        now = after;
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  ::close(go[0]);
  const auto start = Clock::now();
  ::close(go[1]);
  for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::array<std::uint64_t, kBuckets> total{};
  std::uint64_t n = 0;
  LoadFigures f;
  for (int c = 0; c < clients; ++c) {
    for (int b = 0; b < kBuckets; ++b) total[static_cast<std::size_t>(b)] += hist[c].count[b];
    f.failed += hist[clients].count[static_cast<std::size_t>(c)];
  }
  for (std::uint64_t v : total) n += v;
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets && n > 0; ++b) {
    const std::uint64_t before = seen;
    seen += total[static_cast<std::size_t>(b)];
    if (before < n / 2 && seen >= n / 2) f.p50 = bucket_value(b);
    if (before < n * 99 / 100 && seen >= n * 99 / 100) f.p99 = bucket_value(b);
  }
  f.ops_per_s = static_cast<double>(n) / elapsed;
  ::munmap(shared, bytes);
  return f;
}

int load_runs(const perfqos::bench::BenchDaemon& daemon, const std::string& floor_dir, int clients,
              double seconds) {
  std::printf("%d processes, each open+write+close in a loop for %.1f s\n\n", clients, seconds);
  std::printf("%-8s %-10s %10s %10s %10s %8s %10s\n", "run", "server", "ops/s", "p50 us", "p99 us",
              "failed", "vs floor");
  for (int run = 1; run <= 2; ++run) {
    const LoadFigures floor = load(floor_dir + "/node", clients, seconds);
    const LoadFigures perfqos = load(daemon.mount() + "/cpu_dma_latency", clients, seconds);
    std::printf("%-8d %-10s %10.0f %10.1f %10.1f %8llu\n", run, "floor", floor.ops_per_s, floor.p50,
                floor.p99, static_cast<unsigned long long>(floor.failed));
    std::printf("%-8d %-10s %10.0f %10.1f %10.1f %8llu %9.2fx\n", run, "perfqos", perfqos.ops_per_s,
                perfqos.p50, perfqos.p99, static_cast<unsigned long long>(perfqos.failed),
                perfqos.ops_per_s / floor.ops_per_s);
  }
  std::printf("\ntarget (64 processes): >= 0.5x the floor's ops/s, p99 <= 5 ms\n");
  return 0;
}

int usage(const char* self) {
  std::fprintf(stderr,
               "usage: %s [--pin | --apart] [--devices N] [ROUNDS [BLOCK]]\n"
               "       %s [--pin | --apart] --load CLIENTS SECONDS\n",
               self, self);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool pin = false, apart = false, load_mode = false;
  int many_devices = 0;
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "--devices" && it + 1 != args.end()) {
      many_devices = std::atoi((it + 1)->c_str());
      if (many_devices < 1) return usage(argv[0]);
      it = args.erase(it, it + 2);
    } else {
      ++it;
    }
  }
  std::erase_if(args, [&](const std::string& a) {
    if (a == "--pin") return pin = true;
    if (a == "--apart") return apart = true;
    if (a == "--load") return load_mode = true;
    return false;
  });
  const int first = args.size() > 0 ? std::atoi(args[0].c_str()) : load_mode ? 64 : 20;
  const double second = args.size() > 1 ? std::atof(args[1].c_str()) : load_mode ? 4 : 500;
  if (first < 1 || second <= 0 || args.size() > 2) return usage(argv[0]);
  if (pin && apart) return usage(argv[0]);
  if (apart) {
    if (std::thread::hardware_concurrency() < 2) {
      std::fprintf(stderr, "fuse_bench: --apart needs two CPUs\n");
      return 1;
    }
    g_server_cpu = 1;
  }
  if ((pin || apart) && !pin_to(0, 0)) return 1;
  ::signal(SIGPIPE, SIG_IGN);

  const perfqos::bench::BenchDaemon daemon(
      {.name = "fuse-bench",
       .mount = true,
       .extra_args = {"--log-level", "warning", "--test-perf-device", "gpu:normal:0:1024"}});
  if (!daemon.ready()) {
    std::fprintf(stderr, "fuse_bench: %s\n", daemon.error().c_str());
    return 1;
  }
  std::unique_ptr<perfqos::bench::BenchDaemon> many;
  if (many_devices > 0 && !load_mode) {
    std::string config;
    for (int i = 0; i < many_devices; ++i) {
      config += "[[device]]\nname = \"dev" + std::to_string(i) +
                "\"\nunit = \"normal\"\nlimit_min = 0\nlimit_max = 1024\n";
    }
    many = std::make_unique<perfqos::bench::BenchDaemon>(perfqos::bench::BenchDaemonOptions{
        .name = "fuse-bench-many",
        .mount = true,
        .extra_args = {"--log-level", "warning", "--test-perf-device", "gpu:normal:0:1024"},
        .config = config});
    if (!many->ready()) {
      std::fprintf(stderr, "fuse_bench: %s\n", many->error().c_str());
      return 1;
    }
    if (!place_server(many->pid())) return 1;
  }
  const std::string floor_dir = daemon.dir() + "/floor";
  int status = 1;
  {
    Child floor;
    if (!start_floor(floor_dir, &floor)) {
      std::fprintf(stderr, "fuse_bench: the floor server cannot mount %s\n", floor_dir.c_str());
      return 1;
    }
    if (!place_server(floor.pid) || !place_server(daemon.pid())) return 1;
    std::printf("fuse_bench: %s, %u CPUs, %s, load average %s\n\n",
                load_mode ? "load" : "round trips", std::thread::hardware_concurrency(),
                pin     ? "everything on CPU 0"
                : apart ? "callers on CPU 0, servers on CPU 1"
                        : "unpinned",
                perfqos::bench::load_average().c_str());
    status = load_mode ? load_runs(daemon, floor_dir, first, second)
                       : round_trips(daemon, floor_dir, first, static_cast<int>(second), many.get(),
                                     many_devices);
  }
  ::umount2(floor_dir.c_str(), MNT_DETACH);  // only if the floor server could not
  return status;
}
