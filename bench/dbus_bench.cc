// dbus_bench: a request's take+release through perfqosd's D-Bus front end against its socket,
// in one run, interleaved (DESIGN §9, issue #16):
//
//   raw      a SOCK_SEQPACKET ping-pong with an echo process: the floor of any local round trip
//   socket   libperfqos perfqos_add + perfqos_remove of cpu_dma_latency (two round trips)
//   hold     org.perfqos.Broker1 Hold(["cpu_dma_latency=20"]) + Release (sd-bus, two calls)
//   profile  net.hadess.PowerProfiles HoldProfile("performance") + ReleaseProfile, as
//            powerprofilesctl launch and GameMode do (the profile is cpu_dma_latency=50)
//
// Each round runs every path N times in turn; the ratio to raw is taken per round, and the
// median of the rounds is printed with each path's p50/p99. A D-Bus call goes client -> bus
// daemon -> perfqosd -> bus daemon -> client: four hops where the socket has two.
//
// It starts a private dbus-daemon shaped like the system bus and its own perfqosd on it
// (bench_daemon.h), so nothing of this machine is touched. Pin it with `taskset -c 0` to put
// every party on one CPU.
//
// Usage: dbus_bench [ROUNDS [N]] (default 20 rounds of 500).
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench_daemon.h"
#include "perfqos/client.h"
#include "support/private_bus.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Path {
  const char* name;
  std::function<void()> once;
  std::vector<double> samples_us{};  // every take+release, all rounds
  std::vector<double> round_p50_us{};
};

void check(int r, const char* what) {
  if (r < 0) {
    std::fprintf(stderr, "dbus_bench: %s: %s\n", what, std::strerror(-r));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  const int n = argc > 2 ? std::atoi(argv[2]) : 500;
  if (!perfqos::testing::have_program("dbus-daemon")) {
    std::fprintf(stderr, "dbus_bench: needs dbus-daemon (Debian: dbus-daemon)\n");
    return 77;
  }
  perfqos::testing::PrivateBus bus(PERFQOS_BUS_POLICY);
  if (!bus.ok()) {
    std::fprintf(stderr, "dbus_bench: the private dbus-daemon did not start\n");
    return 1;
  }
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address().c_str(), 1);
  perfqos::bench::BenchDaemon daemon({"dbus",
                                      false,
                                      {"--dbus", "--log-level", "warning"},
                                      "[[profile]]\nname = \"performance\"\n"
                                      "requests = [\"cpu_dma_latency=50\"]\n"
                                      "holders = \"anyone\"\n"});
  if (!daemon.ready()) {
    std::fprintf(stderr, "dbus_bench: perfqosd: %s (log: %s)\n", daemon.error().c_str(),
                 daemon.log_path().c_str());
    return 1;
  }

  // The floor: an echo process on a socketpair.
  int pair[2];
  ::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair);
  const pid_t echo = ::fork();
  if (echo == 0) {
    ::close(pair[0]);
    char buf[64];
    for (;;) {
      const ssize_t got = ::recv(pair[1], buf, sizeof buf, 0);
      if (got <= 0) ::_exit(0);
      ::send(pair[1], buf, static_cast<std::size_t>(got), 0);
    }
  }
  ::close(pair[1]);

  perfqos_client* c = nullptr;
  if (perfqos_connect(daemon.socket().c_str(), 5000, &c) != 0) return 1;
  sd_bus* b = nullptr;
  check(sd_bus_open_system(&b), "connecting to the private bus");

  std::vector<Path> paths;
  paths.push_back({"raw", [&] {
                     char msg[20] = {}, reply[64];
                     ::send(pair[0], msg, sizeof msg, 0);
                     ::recv(pair[0], reply, sizeof reply, 0);
                   }});
  paths.push_back({"socket", [&] {
                     std::uint32_t id = 0;
                     if (perfqos_add(c, "cpu_dma_latency", nullptr, 20, &id, nullptr) != 0 ||
                         perfqos_remove(c, id, nullptr) != 0) {
                       std::abort();
                     }
                   }});
  paths.push_back({"hold", [&] {
                     sd_bus_message* reply = nullptr;
                     sd_bus_error error = SD_BUS_ERROR_NULL;
                     std::uint32_t cookie = 0;
                     check(sd_bus_call_method(b, "org.perfqos.Broker1", "/org/perfqos/Broker1",
                                              "org.perfqos.Broker1", "Hold", &error, &reply, "asss",
                                              1, "cpu_dma_latency=20", "bench", "dbus_bench"),
                           "Hold");
                     check(sd_bus_message_read(reply, "u", &cookie), "Hold's reply");
                     sd_bus_message_unref(reply);
                     check(sd_bus_call_method(b, "org.perfqos.Broker1", "/org/perfqos/Broker1",
                                              "org.perfqos.Broker1", "Release", &error, nullptr,
                                              "u", cookie),
                           "Release");
                   }});
  paths.push_back(
      {"profile", [&] {
         sd_bus_message* reply = nullptr;
         sd_bus_error error = SD_BUS_ERROR_NULL;
         std::uint32_t cookie = 0;
         check(sd_bus_call_method(b, "net.hadess.PowerProfiles", "/net/hadess/PowerProfiles",
                                  "net.hadess.PowerProfiles", "HoldProfile", &error, &reply, "sss",
                                  "performance", "bench", "dbus_bench"),
               "HoldProfile");
         check(sd_bus_message_read(reply, "u", &cookie), "HoldProfile's reply");
         sd_bus_message_unref(reply);
         check(sd_bus_call_method(b, "net.hadess.PowerProfiles", "/net/hadess/PowerProfiles",
                                  "net.hadess.PowerProfiles", "ReleaseProfile", &error, nullptr,
                                  "u", cookie),
               "ReleaseProfile");
       }});

  for (Path& p : paths) {  // warm up: the identity lookup of a new bus name, page faults
    for (int i = 0; i < 50; ++i) p.once();
  }
  std::map<std::string, std::vector<double>> ratios;
  for (int r = 0; r < rounds; ++r) {
    for (Path& p : paths) {
      std::vector<double> round;
      for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        p.once();
        round.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      p.round_p50_us.push_back(median(round));
      p.samples_us.insert(p.samples_us.end(), round.begin(), round.end());
    }
    for (Path& p : paths)
      ratios[p.name].push_back(p.round_p50_us.back() / paths[0].round_p50_us.back());
  }
  std::printf("%d rounds x %d take+release per path, load average %s\n", rounds, n,
              perfqos::bench::load_average().c_str());
  std::printf("%-8s %10s %10s %16s\n", "path", "p50 us", "p99 us", "x raw (median)");
  for (Path& p : paths) {
    std::sort(p.samples_us.begin(), p.samples_us.end());
    std::printf("%-8s %10.1f %10.1f %16.2f\n", p.name, p.samples_us[p.samples_us.size() / 2],
                p.samples_us[p.samples_us.size() * 99 / 100], median(ratios[p.name]));
  }
  sd_bus_flush_close_unref(b);
  perfqos_close(c);
  ::close(pair[0]);
  ::waitpid(echo, nullptr, 0);
  return 0;
}
