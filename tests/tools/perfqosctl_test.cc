// perfqosctl, the real binary, against a real perfqosd.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstring>

#include "perfqos/client.h"
#include "support/daemon_process.h"
#include "tools/run_perfqosctl.h"

namespace perfqos {
namespace {

using testing::DaemonProcess;
using testing::eventually;

using testing::CtlRun;
using testing::run_perfqosctl;

std::int32_t effective(const std::string& socket, const char* device) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return -1;
  perfqos_effective e{};
  perfqos_read(c, device, nullptr, &e);
  perfqos_close(c);
  return e.value;
}

class PerfqosctlTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(daemon.ready()) << daemon.log(); }
  DaemonProcess daemon;
};

TEST_F(PerfqosctlTest, ListShowsEveryClassWithUnits) {
  CtlRun r = run_perfqosctl(daemon.socket(), "list");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("DEVICE"), std::string::npos);
  for (const char* d : {"cpu_dma_latency", "network_latency", "network_throughput",
                        "memory_bandwidth", "kbit/s", "Mbit/s"}) {
    EXPECT_NE(r.out.find(d), std::string::npos) << d << "\n" << r.out;
  }
  r = run_perfqosctl(daemon.socket(), "list --json");
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.out.front(), '[');
  EXPECT_NE(r.out.find("\"name\":\"memory_bandwidth\""), std::string::npos) << r.out;
}

TEST_F(PerfqosctlTest, RunHoldsWhileTheCommandRunsAndExitsWithItsStatus) {
  // The command checks the request from inside: perfqosctl status shows it.
  CtlRun r = run_perfqosctl(daemon.socket(), "run cpu_dma_latency=25 -- sh -c '" PERFQOSCTL_PATH
                                             " get cpu_dma_latency --json; exit 7'");
  EXPECT_EQ(r.status, 7) << r.out;
  EXPECT_NE(r.out.find("\"effective\":25"), std::string::npos) << r.out;
  EXPECT_EQ(effective(daemon.socket(), "cpu_dma_latency"), 2000000000);
}

TEST_F(PerfqosctlTest, RunForwardsSignalsToTheCommand) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("PERFQOS_SOCKET", daemon.socket().c_str(), 1);
    ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "run", "network_latency=9", "--", "sleep", "30",
            nullptr);
    ::_exit(127);
  }
  ASSERT_TRUE(eventually([&] { return effective(daemon.socket(), "network_latency") == 9; }));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);  // sleep died of the forwarded SIGTERM
  EXPECT_EQ(effective(daemon.socket(), "network_latency"), 2000000000);
}

TEST_F(PerfqosctlTest, HoldForATimeReleasesByItself) {
  CtlRun r = run_perfqosctl(daemon.socket(), "hold --for 200ms network_throughput=700");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("holding network_throughput=700"), std::string::npos) << r.out;
  EXPECT_TRUE(eventually([&] { return effective(daemon.socket(), "network_throughput") == 0; }));
}

TEST_F(PerfqosctlTest, ErrorsNameDeviceKnobValueAndRange) {
  CtlRun r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latency=-5");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("cpu_dma_latency.latency: value -5 out of range: allowed 0..2000000000"),
            std::string::npos)
      << r.out;
  r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latency=fast");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("cannot read 'fast'"), std::string::npos) << r.out;
  r = run_perfqosctl(daemon.socket(), "get nosuchdevice");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no device 'nosuchdevice'"), std::string::npos) << r.out;
  r = run_perfqosctl("/nonexistent/perfqosd.sock", "list");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("cannot reach perfqosd"), std::string::npos) << r.out;
}

TEST_F(PerfqosctlTest, StatusAndMonitorSeeAHolder) {
  const pid_t monitor = ::fork();
  if (monitor == 0) {
    std::freopen((daemon.dir() + "/monitor.out").c_str(), "w", stdout);
    ::setenv("PERFQOS_SOCKET", daemon.socket().c_str(), 1);
    ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "monitor", "--json", "memory_bandwidth", nullptr);
    ::_exit(127);
  }
  // Give monitor time to subscribe: wait until it is connected.
  ASSERT_TRUE(eventually([&] {
    return run_perfqosctl(daemon.socket(), "status").status == 0 &&
           daemon.log().find("(perfqosctl) uid 0 connected") != std::string::npos;
  }));
  ::usleep(100000);
  CtlRun r = run_perfqosctl(daemon.socket(),
                            "run memory_bandwidth=300 -- " PERFQOSCTL_PATH " status --json");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"device\":\"memory_bandwidth\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"value\":300"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"comm\":\"perfqosctl\""), std::string::npos) << r.out;
  // The per-cgroup data of the caller's cgroup on memory_bandwidth: one request admitted.
  const std::size_t data = r.out.find("\"cgroup_data\":[{\"device\":\"memory_bandwidth\"");
  EXPECT_NE(data, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"admitted\":1,\"refused\":0", data), std::string::npos) << r.out;
  CtlRun table = run_perfqosctl(daemon.socket(), "status");
  EXPECT_NE(table.out.find("per-cgroup data:"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("ADMITTED"), std::string::npos) << table.out;
  EXPECT_TRUE(eventually([&] {
    std::FILE* f = std::fopen((daemon.dir() + "/monitor.out").c_str(), "r");
    char line[512] = {};
    bool seen = f && std::fgets(line, sizeof line, f) &&
                std::strstr(line, "\"device\":\"memory_bandwidth\"") &&
                std::strstr(line, "\"new\":300");
    if (f) std::fclose(f);
    return seen;
  }));
  ::kill(monitor, SIGTERM);
  ::waitpid(monitor, nullptr, 0);
}

}  // namespace
}  // namespace perfqos
