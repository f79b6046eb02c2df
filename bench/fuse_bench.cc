// fuse_bench: the FUSE device tree's round trips against a raw SOCK_SEQPACKET ping-pong measured
// in the same run (DESIGN §9: FUSE ioctl round trip <= 2.5x the raw ping-pong).
//
//   fuse_bench [ITERATIONS]
//
// Starts its own perfqosd (bench_daemon.h: FUSE mounted in a temporary directory, a perf device
// "gpu", an empty sysfs root and config so no real knob is touched) and measures, each as
// ITERATIONS round trips after a warm-up, one caller thread:
//   raw ping-pong        4-byte message to an echo thread over socketpair(SOCK_SEQPACKET) and back
//   ioctl SET            PERF_QOS_IOC_SET_MIN on perf_qos/gpu, alternating 300/301 (every call
//                        changes the effective value: decode, hand-over to the loop, model)
//   class-node write     4-byte write(2) on cpu_dma_latency, alternating 100/101
//   ioctl GET_EFFECTIVE  the lock-free read path (no hand-over to the loop), for reference
//   socket update        perfqos_update() over the daemon's socket, for reference
//   kernel node write    4-byte write(2) on the real /dev/cpu_dma_latency (the floor), if present
// Prints p50, p99 and mean in microseconds, and each p50 and mean as a ratio of the ping-pong's.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_daemon.h"
#include "perfqos/client.h"
#include "perfqos/perf_qos_ioctl.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  double p50 = 0, p99 = 0, mean = 0;  // µs
};

Figures measure(int iterations, const std::function<bool(int)>& once) {
  for (int i = 0; i < iterations / 10 + 100; ++i) {
    if (!once(i)) {
      std::perror("warm-up");
      std::exit(1);
    }
  }
  std::vector<double> us(static_cast<std::size_t>(iterations));
  for (int i = 0; i < iterations; ++i) {
    const auto start = Clock::now();
    if (!once(i)) {
      std::perror("round trip");
      std::exit(1);
    }
    us[static_cast<std::size_t>(i)] =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  }
  Figures f;
  double sum = 0;
  for (double v : us) sum += v;
  f.mean = sum / iterations;
  std::sort(us.begin(), us.end());
  f.p50 = us[us.size() / 2];
  f.p99 = us[us.size() * 99 / 100];
  return f;
}

void print(const char* name, const Figures& f, const Figures& base) {
  std::printf("%-22s %9.2f %9.2f %9.2f %9.2fx %9.2fx\n", name, f.p50, f.p99, f.mean,
              f.p50 / base.p50, f.mean / base.mean);
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 20000;
  if (iterations < 100) {
    std::fprintf(stderr, "usage: %s [ITERATIONS >= 100]\n", argv[0]);
    return 2;
  }

  // perfqosd with its FUSE tree in a temporary directory.
  const perfqos::bench::BenchDaemon daemon(
      {.name = "fuse-bench",
       .mount = true,
       .extra_args = {"--log-level", "warning", "--test-perf-device", "gpu:normal:0:1024"}});
  if (!daemon.ready()) {
    std::fprintf(stderr, "fuse_bench: %s\n", daemon.error().c_str());
    return 1;
  }
  const std::string mount = daemon.mount();
  const std::string socket_path = daemon.socket();

  // Raw SOCK_SEQPACKET ping-pong: the baseline.
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) != 0) return 1;
  std::thread echo([fd = pair[1]] {
    char buf[64];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0 || ::send(fd, buf, static_cast<std::size_t>(n), 0) != n) break;
    }
  });
  const Figures raw = measure(iterations, [&](int i) {
    std::int32_t v = i;
    return ::send(pair[0], &v, sizeof v, 0) == sizeof v &&
           ::recv(pair[0], &v, sizeof v, 0) == sizeof v;
  });
  ::shutdown(pair[0], SHUT_RDWR);
  echo.join();
  ::close(pair[0]);
  ::close(pair[1]);

  const int perf = ::open((mount + "/perf_qos/gpu").c_str(), O_RDWR);
  const int node = ::open((mount + "/cpu_dma_latency").c_str(), O_RDWR);
  if (perf < 0 || node < 0) {
    std::perror("open the FUSE nodes");
    return 1;
  }
  const Figures ioctl_set = measure(iterations, [&](int i) {
    perf_qos_ioctl_arg arg{};
    arg.value = 300 + (i & 1);
    return ::ioctl(perf, PERF_QOS_IOC_SET_MIN, &arg) == 0;
  });
  const Figures class_write = measure(iterations, [&](int i) {
    const std::int32_t v = 100 + (i & 1);
    return ::write(node, &v, sizeof v) == sizeof v;
  });
  const Figures ioctl_get = measure(iterations, [&](int) {
    perf_qos_ioctl_arg arg{};
    return ::ioctl(perf, PERF_QOS_IOC_GET_EFFECTIVE_MIN, &arg) == 0;
  });
  ::close(perf);
  ::close(node);

  perfqos_client* client = nullptr;
  std::uint32_t id = 0;
  if (perfqos_connect(socket_path.c_str(), 5000, &client) != 0 ||
      perfqos_add(client, "network_latency", nullptr, 100, &id, nullptr) != 0) {
    std::fprintf(stderr, "cannot reach perfqosd's socket\n");
    return 1;
  }
  const Figures socket_update = measure(
      iterations, [&](int i) { return perfqos_update(client, id, 100 + (i & 1), nullptr) == 0; });
  perfqos_close(client);

  Figures kernel;
  const int kernel_node = ::open("/dev/cpu_dma_latency", O_RDWR);
  if (kernel_node >= 0) {
    kernel = measure(iterations, [&](int i) {
      const std::int32_t v = 1000 + (i & 1);
      return ::write(kernel_node, &v, sizeof v) == sizeof v;
    });
    ::close(kernel_node);
  }

  std::printf("fuse_bench: %d round trips each, one caller thread, %u CPUs\n\n", iterations,
              std::thread::hardware_concurrency());
  std::printf("%-22s %9s %9s %9s %10s %10s\n", "round trip", "p50 us", "p99 us", "mean us",
              "p50/raw", "mean/raw");
  print("raw SOCK_SEQPACKET", raw, raw);
  print("ioctl SET_MIN", ioctl_set, raw);
  print("class-node write", class_write, raw);
  print("ioctl GET_EFFECTIVE", ioctl_get, raw);
  print("socket update", socket_update, raw);
  if (kernel_node >= 0) print("kernel node write", kernel, raw);
  const double worst = std::max(ioctl_set.p50 / raw.p50, class_write.p50 / raw.p50);
  std::printf("\ntarget: ioctl SET and class-node write p50 <= 2.5x raw: %s (%.2fx)\n",
              worst <= 2.5 ? "met" : "NOT met", worst);
  return 0;
}
