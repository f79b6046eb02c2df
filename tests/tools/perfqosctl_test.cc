// perfqosctl, the real binary, against a real perfqosd.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "backends/sysfs_tree.h"
#include "perfqos/client.h"
#include "support/effective.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
#include "tools/run_perfqosctl.h"

namespace perfqos {
namespace {

using testing::DaemonProcess;
using testing::eventually;
using testing::effective;

using testing::CtlRun;
using testing::run_perfqosctl;

// A config file in its own directory (readable by the daemon), removed with it.
struct ConfigPath {
  explicit ConfigPath(const std::string& text) {
    char tmpl[] = "/tmp/perfqosctl-config-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/perfqosd.toml";
    std::ofstream(path) << text;
  }
  ~ConfigPath() { std::filesystem::remove_all(dir); }
  std::string dir, path;
};

// Runs perfqosctl as nobody (uid and gid 65534, no supplementary groups).
constexpr char kAsNobody[] = "setpriv --reuid=65534 --regid=65534 --clear-groups";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
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
                std::strstr(line, "\"new\":300") &&
                // RFC 3339: date, time with milliseconds, zone.
                std::regex_search(line, std::regex("\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
                                                   "[0-9]{2}:[0-9]{2}\\.[0-9]{3}[+-][0-9]{2}:"
                                                   "[0-9]{2}\""));
    if (f) std::fclose(f);
    return seen;
  }));
  ::kill(monitor, SIGTERM);
  ::waitpid(monitor, nullptr, 0);
}

TEST_F(PerfqosctlTest, ValuesTakeUnitSuffixesAndWords) {
  // Each SPEC's value as perfqosd received it, read back inside `run` by get --json.
  struct Case {
    const char* spec;
    const char* device;
    const char* json;
  };
  const Case cases[] = {
      {"cpu_dma_latency=20us", "cpu_dma_latency", "\"effective\":20,"},
      {"cpu_dma_latency=1.5ms", "cpu_dma_latency", "\"effective\":1500,"},
      {"cpu_dma_latency=2s", "cpu_dma_latency", "\"effective\":2000000,"},
      {"network_throughput=10Mbit/s", "network_throughput", "\"effective\":10000,"},
      {"memory_bandwidth=2Gbit/s", "memory_bandwidth", "\"effective\":2000,"},
      {"cpu_dma_latency=none", "cpu_dma_latency", "\"effective\":2000000000,"},
      {"cpu_dma_latency=default", "cpu_dma_latency", "\"effective\":2000000000,"},
      {"cpu_dma_latency=any", "cpu_dma_latency", "\"effective\":2000000000,"},
  };
  for (const Case& c : cases) {
    CtlRun r = run_perfqosctl(daemon.socket(), std::string("run ") + c.spec + " -- " +
                                                   PERFQOSCTL_PATH + " get --json " + c.device);
    EXPECT_EQ(r.status, 0) << c.spec << "\n" << r.out;
    EXPECT_TRUE(contains(r.out, c.json)) << c.spec << "\n" << r.out;
  }
  CtlRun r = run_perfqosctl(daemon.socket(), "run cpu_dma_latency=1.5ms -- true");
  EXPECT_EQ(r.out,
            "perfqosctl: holding cpu_dma_latency=1.5ms (request 1; effective now 1500 us)\n");
  r = run_perfqosctl(daemon.socket(), "run cpu_dma_latency=none -- true");
  EXPECT_EQ(r.out, "perfqosctl: holding cpu_dma_latency=none (request 1; effective now none)\n");
}

TEST_F(PerfqosctlTest, ValuesOutOfRangeOrInexactSayWhy) {
  CtlRun r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latency=3000000000");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "perfqosctl: cpu_dma_latency.latency: value 3000000000 out of range: allowed "
            "0..2000000000 us or -1\n");
  r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latency=3000s");
  EXPECT_EQ(r.out,
            "perfqosctl: cpu_dma_latency.latency: value 3000s (3000000000 us) out of range: "
            "allowed 0..2000000000 us or -1\n");
  r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latency=1.5us");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "perfqosctl: cpu_dma_latency.latency: '1.5us' is not a whole number of us (between 1 "
            "and 2)\n");
  r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latency=2GHz");
  EXPECT_EQ(r.out,
            "perfqosctl: cpu_dma_latency.latency: unknown unit 'GHz' for a us knob: use us, ms, "
            "s, ns or none\n");
}

TEST_F(PerfqosctlTest, DurationsForHold) {
  const auto start = std::chrono::steady_clock::now();
  CtlRun r = run_perfqosctl(daemon.socket(), "hold --for 0.3s network_throughput=700");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  r = run_perfqosctl(daemon.socket(), "hold --for 1m30 network_throughput=700");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "perfqosctl: duration '1m30': expected a positive duration such as 250ms, 1.5s, "
            "1m30s, 2h (or a number of seconds), at most 24 days\n");
  // 1m30s is accepted: the request is held (and expires after 90 s, so the test stops it).
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("PERFQOS_SOCKET", daemon.socket().c_str(), 1);
    ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "hold", "-q", "--for", "1m30s",
            "network_throughput=800", nullptr);
    ::_exit(127);
  }
  EXPECT_TRUE(eventually([&] { return effective(daemon.socket(), "network_throughput") == 800; }));
  CtlRun status = run_perfqosctl(daemon.socket(), "status --json network_throughput");
  EXPECT_TRUE(contains(status.out, "\"unit\":\"kbit/s\"")) << status.out;
  const std::size_t at = status.out.find("\"remaining_ms\":");
  ASSERT_NE(at, std::string::npos) << status.out;
  const long remaining = std::stol(status.out.substr(at + 15));
  EXPECT_GT(remaining, 80000);
  EXPECT_LE(remaining, 90000);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

TEST_F(PerfqosctlTest, HoldCarriesReasonAndAppIdIntoStatus) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("PERFQOS_SOCKET", daemon.socket().c_str(), 1);
    ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "hold", "-q", "--reason", "recording \xc3\xa0 48k",
            "--app-id", "org.example.Recorder", "network_throughput=900", nullptr);
    ::_exit(127);
  }
  EXPECT_TRUE(eventually([&] { return effective(daemon.socket(), "network_throughput") == 900; }));
  CtlRun status = run_perfqosctl(daemon.socket(), "status --json network_throughput");
  EXPECT_TRUE(contains(status.out,
                       "\"remaining_ms\":0,\"app_id\":\"org.example.Recorder\","
                       "\"reason\":\"recording \xc3\xa0 48k\"}"))
      << status.out;
  status = run_perfqosctl(daemon.socket(), "status network_throughput");
  EXPECT_TRUE(contains(status.out, "EXPIRES  APP                   REASON")) << status.out;
  EXPECT_TRUE(contains(status.out, "org.example.Recorder  recording \xc3\xa0 48k")) << status.out;
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

TEST_F(PerfqosctlTest, RunDefaultsTheReasonToItsCommandLine) {
  CtlRun r =
      run_perfqosctl(daemon.socket(), "run -q network_throughput=901 -- sh -c '" PERFQOSCTL_PATH
                                      " status --json network_throughput'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "\"app_id\":\"\",\"reason\":\"sh -c " PERFQOSCTL_PATH
                              " status --json network_throughput\"}"))
      << r.out;
  // A long command line is cut to 127 bytes, ending in "...".
  const std::string word(200, 'w');
  r = run_perfqosctl(daemon.socket(), "run -q network_throughput=902 -- sh -c '" PERFQOSCTL_PATH
                                      " status --json network_throughput' " +
                                          word);
  EXPECT_EQ(r.status, 0) << r.out;
  const std::size_t at = r.out.find("\"reason\":\"");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string reason = r.out.substr(at + 10, r.out.find('"', at + 10) - at - 10);
  EXPECT_EQ(reason.size(), 127u) << reason;
  EXPECT_EQ(reason.substr(124), "...");
  // --reason wins over the default.
  r = run_perfqosctl(daemon.socket(),
                     "run -q --reason build network_throughput=903 -- sh -c '" PERFQOSCTL_PATH
                     " status --json network_throughput'");
  EXPECT_TRUE(contains(r.out, "\"reason\":\"build\"}")) << r.out;
}

TEST_F(PerfqosctlTest, BadReasonsAndAppIdsAreRefusedNamingTheLimit) {
  CtlRun r = run_perfqosctl(daemon.socket(),
                            "hold --reason " + std::string(128, 'r') + " network_throughput=1");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "perfqosctl: reason: longer than 127 bytes (128) (allowed: at most 127 bytes of "
            "printable UTF-8)\n");
  r = run_perfqosctl(daemon.socket(), "hold --app-id \"$(printf 'a\\tb')\" network_throughput=1");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "perfqosctl: app_id: contains control character 0x09 at byte 1 (allowed: at most 63 "
            "bytes of printable UTF-8)\n");
}

TEST_F(PerfqosctlTest, DaemonRefusesBadNotesWithEinval) {
  // The library checks first; a raw version-2 ADD shows the daemon checks too.
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(daemon.socket().c_str(), 5000, &c), 0);
  int version = 0;
  ASSERT_EQ(perfqos_hello(c, &version, nullptr), 0);
  EXPECT_GE(version, 2);  // notes need version 2; newer daemons speak more
  std::uint32_t id = 0;
  EXPECT_EQ(perfqos_add_noted(c, "network_throughput", nullptr, 5, 0, "ok", "org.x", &id, nullptr),
            0);
  EXPECT_EQ(
      perfqos_add_noted(c, "network_throughput", nullptr, 5, 0, "bad\x1b", nullptr, &id, nullptr),
      -EINVAL);
  EXPECT_TRUE(contains(perfqos_last_error(c), "reason: contains control character 0x1b"));
  perfqos_holder_note_info* holders = nullptr;
  size_t n = 0;
  ASSERT_EQ(perfqos_status_noted(c, "network_throughput", &holders, &n), 0);
  ASSERT_EQ(n, 1u);
  EXPECT_STREQ(holders[0].reason, "ok");
  EXPECT_STREQ(holders[0].app_id, "org.x");
  EXPECT_EQ(holders[0].holder.value, 5);
  perfqos_free(holders);
  perfqos_close(c);
}

TEST_F(PerfqosctlTest, DidYouMeanForDevicesKnobsAndSubcommands) {
  CtlRun r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latncy=20");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "perfqosctl: no device 'cpu_dma_latncy': did you mean cpu_dma_latency?\n");
  r = run_perfqosctl(daemon.socket(), "get network_latenc");
  EXPECT_EQ(r.out, "perfqosctl: no device 'network_latenc': did you mean network_latency?\n");
  r = run_perfqosctl(daemon.socket(), "get gpu");
  EXPECT_EQ(r.out, "perfqosctl: no device 'gpu': `perfqosctl list` shows the devices\n");
  r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latency.latncy=20");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "perfqosctl: 'cpu_dma_latency.latncy=20': cpu_dma_latency has no knob 'latncy': did "
            "you mean latency? (cpu_dma_latency has latency)\n");
  // A knob name the device does not have: its own knobs, not every knob type.
  r = run_perfqosctl(daemon.socket(), "hold cpu_dma_latency.flags=no_power_off");
  EXPECT_EQ(r.out,
            "perfqosctl: 'cpu_dma_latency.flags=no_power_off': cpu_dma_latency has no knob "
            "'flags' (cpu_dma_latency has latency)\n");
  r = run_perfqosctl(daemon.socket(), "stauts");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out,
            "perfqosctl: unknown subcommand 'stauts': did you mean status? (list, get, hold, run, "
            "monitor, top, status, bind, bindings, unbind, rescan, explain; see perfqosctl --help)\n");
}

TEST_F(PerfqosctlTest, AMissingDaemonIsAnsweredWithHowToStartIt) {
  for (const std::string& path :
       {std::string("/nonexistent/perfqosd.sock"), daemon.dir() + "/not-a-socket"}) {
    CtlRun r = run_perfqosctl(path, "list");
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.out, "cannot reach perfqosd: ")) << r.out;
    EXPECT_TRUE(contains(r.out,
                         "perfqosctl: is perfqosd running? Start it with `systemctl start "
                         "perfqosd`, or run `perfqosd --socket " +
                             path + "` (from a source tree: `./dev run`)"))
        << r.out;
  }
  // A socket nobody listens on (ECONNREFUSED): the daemon's, after it stopped.
  const std::string socket = daemon.socket();
  daemon.stop(SIGKILL);
  CtlRun r = run_perfqosctl(socket, "--socket " + socket + " list");
  EXPECT_TRUE(contains(r.out, "is perfqosd running?")) << r.out;
}

TEST_F(PerfqosctlTest, GlobalOptionsGoBeforeOrAfterTheSubcommand) {
  for (const char* args :
       {"--json list", "list --json", "--socket SOCKET --json get cpu_dma_latency",
        "get --timeout 2000 cpu_dma_latency --json --socket SOCKET",
        "--timeout 2000 status --json"}) {
    std::string a = args;
    for (std::size_t at; (at = a.find("SOCKET")) != std::string::npos;) {
      a.replace(at, 6, daemon.socket());
    }
    CtlRun r =
        run_perfqosctl("/nonexistent/perfqosd.sock", "--socket " + daemon.socket() + " " + a);
    EXPECT_EQ(r.status, 0) << a << "\n" << r.out;
    EXPECT_TRUE(r.out.starts_with("[{") || r.out.starts_with("{")) << a << "\n" << r.out;
  }
  CtlRun r = run_perfqosctl(daemon.socket(), "run --json cpu_dma_latency=5 -- true");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
}

TEST_F(PerfqosctlTest, ExitCodesAndVersion) {
  struct Case {
    const char* args;
    int status;
  };
  const Case cases[] = {
      {"", 2},
      {"frobnicate", 2},
      {"--bogus list", 2},
      {"list --bogus", 2},
      {"get", 2},
      {"hold", 2},
      {"--timeout 0 list", 2},
      {"run cpu_dma_latency=5", 2},
      {"--help", 0},
      {"status --help", 0},
      {"--version", 0},
      {"get nosuchdevice", 1},
      {"hold cpu_dma_latency=fast", 1},
      {"run cpu_dma_latency=5 -- sh -c 'exit 3'", 3},
      {"run cpu_dma_latency=5 -- /nonexistent/command", 127},
  };
  for (const Case& c : cases) {
    CtlRun r = run_perfqosctl(daemon.socket(), c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.out;
  }
  CtlRun r = run_perfqosctl(daemon.socket(), "--version");
  EXPECT_TRUE(r.out.starts_with("perfqosctl ")) << r.out;
  EXPECT_NE(r.out, "perfqosctl unknown\n");
  r = run_perfqosctl(daemon.socket(), "--help");
  EXPECT_TRUE(contains(r.out, "2 on a usage error")) << r.out;
}

TEST_F(PerfqosctlTest, QuietHoldAndRunSayNothing) {
  CtlRun r = run_perfqosctl(daemon.socket(), "run -q cpu_dma_latency=5 -- true");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
  r = run_perfqosctl(daemon.socket(), "hold --quiet --for 50ms cpu_dma_latency=5");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
  r = run_perfqosctl(daemon.socket(), "hold -q --for 50ms cpu_dma_latency=-5");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.out, "out of range")) << r.out;  // errors still print
}

TEST_F(PerfqosctlTest, StatusHelpNamesEveryJsonField) {
  CtlRun help = run_perfqosctl(daemon.socket(), "status --help");
  ASSERT_EQ(help.status, 0);
  CtlRun r = run_perfqosctl(daemon.socket(),
                            "run -q memory_bandwidth=300 -- " PERFQOSCTL_PATH " status --json");
  ASSERT_EQ(r.status, 0) << r.out;
  // Every key status --json printed is named in the help, and every column of the table.
  std::size_t keys = 0;
  for (std::size_t at = 0; (at = r.out.find("\":", at)) != std::string::npos; ++at) {
    const std::size_t open = r.out.rfind('"', at - 1);
    const std::string key = r.out.substr(open + 1, at - open - 1);
    EXPECT_TRUE(contains(help.out, key)) << key;
    ++keys;
  }
  EXPECT_GE(keys, 20u);
  CtlRun table =
      run_perfqosctl(daemon.socket(), "run -q memory_bandwidth=300 -- " PERFQOSCTL_PATH " status");
  const std::string header = table.out.substr(0, table.out.find('\n'));
  std::istringstream columns(header);
  for (std::string column; columns >> column;) {
    EXPECT_TRUE(contains(help.out, "  " + column)) << column << "\n" << help.out;
  }
  EXPECT_TRUE(contains(table.out, "300 Mbit/s")) << table.out;
}

TEST(PerfqosctlUnits, FrequencyPowerAndPercentConvertToTheKnobsUnit) {
  testing::SysfsTree tree;
  tree.add_cpu_latency_node();
  tree.add_cpufreq_policy(0, 400000, 3000000, {0});
  tree.add_devfreq("gpufreq", "/sys/devices/platform/gpu", 100000000, 800000000);
  tree.add_rapl_zone("intel-rapl:0", "package-0", 15000000, 50000000);
  ConfigPath config(
      "[[device]]\nname = \"gpu\"\nunit = \"normal\"\nlimit_min = 0\n"
      "limit_max = 1024\n");
  DaemonProcess daemon({"--sysfs-root", tree.dir(), "--config", config.path});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  CtlRun list = run_perfqosctl(daemon.socket(), "list");
  struct Case {
    const char* spec;
    const char* json;  // in get --json of the device
  };
  const Case cases[] = {
      {"policy0.max=1.5GHz", "\"effective_max\":1500000"},
      {"policy0.min=800MHz", "\"effective_min\":800000"},
      {"gpufreq.max=600MHz", "\"effective_max\":600000"},  // devfreq is described in kHz
      {"gpufreq.min=0.2GHz", "\"effective_min\":200000"},
      {"gpu.max=50%", "\"effective_max\":512"},
      {"gpu.min=25%", "\"effective_min\":256"},
  };
  for (const Case& c : cases) {
    const std::string spec = c.spec;
    const std::string device = spec.substr(0, spec.find('.'));
    CtlRun r = run_perfqosctl(daemon.socket(),
                              "run " + spec + " -- " PERFQOSCTL_PATH " get --json " + device);
    EXPECT_EQ(r.status, 0) << spec << "\n" << r.out << "\n" << list.out;
    EXPECT_TRUE(contains(r.out, c.json)) << spec << "\n" << r.out;
  }
  // The RAPL zone's power range is described in mW.
  CtlRun r = run_perfqosctl(
      daemon.socket(), "run intel-rapl:0.max=10W -- " PERFQOSCTL_PATH " get --json intel-rapl:0");
  EXPECT_EQ(r.status, 0) << r.out << "\n" << list.out;
  EXPECT_TRUE(contains(r.out, "\"unit\":\"mW\"")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"effective_max\":10000")) << r.out;
  r = run_perfqosctl(daemon.socket(), "hold policy0.max=4GHz");
  EXPECT_EQ(r.out,
            "perfqosctl: policy0.max: value 4GHz (4000000 kHz) out of range: allowed "
            "400000..3000000 kHz or -1\n");
  r = run_perfqosctl(daemon.socket(), "hold gpu.max=10%");
  EXPECT_EQ(r.out,
            "perfqosctl: gpu.max: '10%' is not a whole number of normal (between 102 and 103)\n");
}

// A config with one grant: nobody may hold network_latency at 100..800.
class PerfqosctlPolicyTest : public ::testing::Test {
 protected:
  static std::string grant() {
    return "[[grant]]\nusers = [65534]\ndevice = \"network_latency\"\nknob = \"latency\"\n"
           "min = 100\nmax = 800\n";
  }
  void SetUp() override { ASSERT_TRUE(daemon.ready()) << daemon.log(); }
  ConfigPath config{grant()};
  DaemonProcess daemon{{"--config", config.path}};
};

// The config lines of a refusal's hint: the indented lines after "add to the perfqosd config:".
std::string pasted_hint(const std::string& out) {
  const std::size_t at = out.find("add to the perfqosd config:\n");
  if (at == std::string::npos) return "";
  std::istringstream lines(out.substr(at + 28));
  std::string text;
  for (std::string line; std::getline(lines, line) && line.starts_with("  ");) {
    text += line.substr(2) + "\n";
  }
  return text;
}

TEST_F(PerfqosctlPolicyTest, RefusalHintPastesIntoAValidConfigThatAdmitsTheRequest) {
  CtlRun r = run_perfqosctl(daemon.socket(), "hold --for 50ms cpu_dma_latency=50", kAsNobody);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out,
                       "perfqosctl: cpu_dma_latency.latency=50: uid 65534 may only read: "
                       "not granted to uid 65534 (gid 65534"))
      << r.out;
  const std::string hint = pasted_hint(r.out);
  EXPECT_TRUE(hint.starts_with("[[grant]]\nusers = [65534]  # or groups = [65534]")) << r.out;
  EXPECT_TRUE(contains(hint,
                       "\ndevice = \"cpu_dma_latency\"\nknob = \"latency\"\nmin = 50\n"
                       "max = 50\n"))
      << hint;
  // Pasted after the existing grant: the config checks, and the request is admitted.
  ConfigPath pasted(grant() + "\n" + hint);
  const std::string check = std::string(PERFQOS_DAEMON_PATH) + " --check-config --config " +
                            pasted.path + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(check.c_str()), 0) << hint;
  DaemonProcess granted({"--config", pasted.path});
  ASSERT_TRUE(granted.ready()) << granted.log();
  r = run_perfqosctl(granted.socket(), "hold --for 50ms cpu_dma_latency=50", kAsNobody);
  EXPECT_EQ(r.status, 0) << r.out << "\n" << hint;
}

TEST_F(PerfqosctlPolicyTest, AValueOutsideTheGrantQuotesTheGrant) {
  CtlRun r = run_perfqosctl(daemon.socket(), "hold --for 50ms network_latency=50", kAsNobody);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out,
                       "perfqosctl: network_latency.latency=50: outside the grants of uid "
                       "65534 (gid 65534"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "they allow 100..800 (" + config.path +
                                  ":1); to allow it, add to "
                                  "the perfqosd config:\n  [[grant]]\n  users = [65534]"))
      << r.out;
  EXPECT_FALSE(contains(r.out, "may only read")) << r.out;
  r = run_perfqosctl(daemon.socket(), "hold --for 50ms network_latency=100us", kAsNobody);
  EXPECT_EQ(r.status, 0) << r.out;
}

// A held request for the explain tests: network_latency=300 with a reason, by a `hold` child.
pid_t hold_network_latency(const std::string& socket) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("PERFQOS_SOCKET", socket.c_str(), 1);
    ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "hold", "-q", "--reason", "recording", "--app-id",
            "org.example.Recorder", "network_latency=300", nullptr);
    ::_exit(127);
  }
  return pid;
}

TEST_F(PerfqosctlTest, ExplainShowsWhoSetsTheValueAndWhatARequestWouldDo) {
  const pid_t holder = hold_network_latency(daemon.socket());
  ASSERT_TRUE(eventually([&] { return effective(daemon.socket(), "network_latency") == 300; }));
  const std::string pid = std::to_string(holder);

  CtlRun r = run_perfqosctl(daemon.socket(), "explain network_latency");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(r.out.starts_with("network_latency.latency: effective 300 us\nset by:\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "  300 us: connection request 1 of pid " + pid +
                                  " (perfqosctl), uid 0, cgroup "))
      << r.out;
  EXPECT_TRUE(contains(r.out, ", reason \"recording\", app org.example.Recorder\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "  valid requests: 0..2000000000 us, or none\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "  policy: uid 0 may request any valid value\n")) << r.out;

  r = run_perfqosctl(daemon.socket(), "explain network_latency.latency 20us");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "a request of 20 us would set it to 20 us\n")) << r.out;
  r = run_perfqosctl(daemon.socket(), "explain network_latency 1ms");
  EXPECT_TRUE(contains(r.out, "a request of 1000 us would not change the effective value: 300 us "
                              "is set by pid " +
                                  pid + " (perfqosctl, reason \"recording\")\n"))
      << r.out;

  r = run_perfqosctl(daemon.socket(), "--json explain network_latency 20");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(r.out.starts_with("{\"device\":\"network_latency\",\"knob\":\"latency\",\"end\":\"\","
                                "\"unit\":\"us\",\"effective\":300,"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "\"setters_total\":1,\"setters\":[{\"end\":\"\",\"value\":300,"
                              "\"request_id\":1,\"holder\":\"connection\",\"pid\":" +
                                  pid))
      << r.out;
  EXPECT_TRUE(contains(r.out, "\"app_id\":\"org.example.Recorder\",\"reason\":\"recording\"}]"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "\"verdict\":{\"value\":20,\"admitted\":true,\"would_change\":true,"
                              "\"would_be\":20}}"))
      << r.out;
  // Judging changed nothing.
  EXPECT_EQ(effective(daemon.socket(), "network_latency"), 300);
  CtlRun status = run_perfqosctl(daemon.socket(), "status --json network_latency");
  EXPECT_EQ(status.out.find("\"value\":20"), std::string::npos) << status.out;

  r = run_perfqosctl(daemon.socket(), "explain cpu_dma_latency");
  EXPECT_TRUE(contains(r.out, "cpu_dma_latency.latency: effective none\nset by: no request"))
      << r.out;
  ::kill(holder, SIGTERM);
  ::waitpid(holder, nullptr, 0);
}

// A timed request shows the time it has left.
TEST_F(PerfqosctlTest, ExplainSaysWhenATimedSetterExpires) {
  const pid_t holder = ::fork();
  if (holder == 0) {
    ::setenv("PERFQOS_SOCKET", daemon.socket().c_str(), 1);
    ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "hold", "-q", "--for", "30s", "network_latency=300",
            nullptr);
    ::_exit(127);
  }
  ASSERT_TRUE(eventually([&] { return effective(daemon.socket(), "network_latency") == 300; }));
  CtlRun r = run_perfqosctl(daemon.socket(), "explain network_latency");
  EXPECT_EQ(r.status, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.out, m,
      std::regex("  300 us: connection request 1 of pid " + std::to_string(holder) +
                 " \\(perfqosctl\\), uid 0[^\n]*, expires in "
                 "([0-9]+) ms\n")))
      << r.out;
  const int left = std::stoi(m[1]);
  EXPECT_GT(left, 20000) << r.out;  // of the 30 s, a few went by
  EXPECT_LE(left, 30000) << r.out;
  r = run_perfqosctl(daemon.socket(), "--json explain network_latency");
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\"remaining_ms\":[1-9][0-9]{4},"))) << r.out;
  ::kill(holder, SIGTERM);
  ::waitpid(holder, nullptr, 0);
}

TEST_F(PerfqosctlTest, ExplainErrorsNameTheDeviceKnobAndRange) {
  CtlRun r = run_perfqosctl(daemon.socket(), "explain network_latncy");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "did you mean network_latency?")) << r.out;
  r = run_perfqosctl(daemon.socket(), "explain network_latency.latncy");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "network_latency has no knob 'latncy': did you mean latency? "
                              "(network_latency has latency)"))
      << r.out;
  r = run_perfqosctl(daemon.socket(), "explain network_latency 3000000000");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "out of range: allowed 0..2000000000")) << r.out;
  r = run_perfqosctl(daemon.socket(), "explain network_latency 1GHz");
  EXPECT_EQ(r.status, 1) << r.out;
  r = run_perfqosctl(daemon.socket(), "explain");
  EXPECT_EQ(r.status, 2) << r.out;
  // Garbage and a flood of explains: answered, the daemon stays up.
  r = run_perfqosctl(daemon.socket(), "explain '..' ''");
  EXPECT_EQ(r.status, 1) << r.out;
  r = run_perfqosctl(daemon.socket(), "explain \"$(printf 'x%.0s' $(seq 300))\"");
  EXPECT_EQ(r.status, 1) << r.out;
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(daemon.socket().c_str(), 5000, &c), 0);
  const int32_t value = 20;
  for (int i = 0; i < 500; ++i) {
    perfqos_explain_info* x = nullptr;
    ASSERT_EQ(perfqos_explain(c, "network_latency", i % 2 ? "latency" : nullptr,
                              i % 3 ? &value : nullptr, &x),
              0)
        << perfqos_last_error(c);
    EXPECT_EQ(x->has_value, i % 3 ? 1 : 0);
    perfqos_free(x);
  }
  perfqos_explain_info* x = nullptr;
  EXPECT_EQ(perfqos_explain(c, "network_latency", "min", &value, &x), -EINVAL);
  EXPECT_EQ(perfqos_explain(c, "nope", nullptr, nullptr, &x), -ENODEV);
  EXPECT_EQ(x, nullptr);
  perfqos_close(c);
  EXPECT_EQ(run_perfqosctl(daemon.socket(), "list").status, 0);
}

TEST_F(PerfqosctlPolicyTest, ExplainQuotesTheCallersGrantAndTheVerdict) {
  CtlRun r = run_perfqosctl(daemon.socket(), "explain network_latency 50", kAsNobody);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "bounds on requests of uid 65534")) << r.out;
  EXPECT_TRUE(contains(r.out, "  your grant: 100..800 us (device network_latency, knob latency), " +
                                  config.path + ":1\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "a request of 50 us refused: your grant allows 100..800, " +
                                  config.path + ":1\n"))
      << r.out;
  // The daemon's own refusal follows, with the grant to paste.
  EXPECT_TRUE(contains(r.out, "(perfqosd: network_latency.latency=50: outside the grants"))
      << r.out;

  r = run_perfqosctl(daemon.socket(), "explain network_latency 500", kAsNobody);
  EXPECT_TRUE(contains(r.out, "a request of 500 us would set it to 500 us\n")) << r.out;
  r = run_perfqosctl(daemon.socket(), "--json explain network_latency 50", kAsNobody);
  EXPECT_TRUE(contains(r.out, "\"caller\":{\"uid\":65534,")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"grants\":[{\"device\":\"network_latency\",\"knob\":\"latency\","
                              "\"min\":100,\"max\":800,\"origin\":\"" +
                                  config.path + ":1\"}]"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "\"verdict\":{\"value\":50,\"admitted\":false,\"errno\":13,"))
      << r.out;

  r = run_perfqosctl(daemon.socket(), "explain cpu_dma_latency 20", kAsNobody);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "  policy: no grant for uid 65534 on cpu_dma_latency.latency: it "
                              "may only read\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "a request of 20 us refused: uid 65534 has no grant on "
                              "cpu_dma_latency.latency (it may only read)\n"))
      << r.out;
  // Explaining counted no refusal in the caller's per-cgroup data.
  r = run_perfqosctl(daemon.socket(), "status --json");
  EXPECT_FALSE(contains(r.out, "\"refused\":1")) << r.out;
}

// The caps and floors of the caller's cgroup ([[cgroup]]) are a line of the bounds, and a value
// past them is refused with the limit named.
TEST(PerfqosctlExplainLimits, ExplainShowsTheCgroupCapAndFloorAndJudgesByThem) {
  // "/*" matches every cgroup, "/" too: wherever the test runs, its perfqosctl is in one.
  ConfigPath config(
      "[[grant]]\nusers = [65534]\ndevice = \"network_latency\"\nmin = 100\nmax = 800\n"
      "[[cgroup]]\npath = \"/*\"\ndevice = \"network_latency\"\nfloor = 150\ncap = 600\n");
  DaemonProcess daemon({"--config", config.path});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  CtlRun r = run_perfqosctl(daemon.socket(), "explain network_latency 700", kAsNobody);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("\n  cgroup /[^\n]*: floor 150 us, cap 600 us, " + config.path + ":6\n")))
      << r.out;
  EXPECT_TRUE(contains(r.out, "a request of 700 us refused: ")) << r.out;
  EXPECT_TRUE(contains(r.out, "above the cap 600 of cgroup ")) << r.out;
  r = run_perfqosctl(daemon.socket(), "explain network_latency 120", kAsNobody);
  EXPECT_TRUE(contains(r.out, "below the floor 150 of cgroup ")) << r.out;
  r = run_perfqosctl(daemon.socket(), "explain network_latency 400", kAsNobody);
  EXPECT_TRUE(contains(r.out, "a request of 400 us would set it to 400 us\n")) << r.out;
  r = run_perfqosctl(daemon.socket(), "--json explain network_latency", kAsNobody);
  EXPECT_TRUE(contains(
      r.out, "\"cgroup_limit\":{\"floor\":150,\"cap\":600,\"origin\":\"" + config.path + ":6\"}"))
      << r.out;
}

// Bindings of the config and of `bind`, listed by `bindings` and `status` while their cgroup is
// empty (waiting) and once it is populated (active).
TEST(PerfqosctlBindings, BindingsAreListedWaitingAndActive) {
  testing::TestCgroup group("/pq-test-ctlbind-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ConfigPath config("[[bind]]\ncgroup = \"" + group.path() +
                    "\"\ndevice = \"cpu_dma_latency\"\nvalue = 500\n");
  DaemonProcess daemon({"--config", config.path});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  CtlRun r = run_perfqosctl(daemon.socket(), "bind " + group.path() + " network_latency=1ms");
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string id = r.out.substr(0, r.out.find('\n'));

  r = run_perfqosctl(daemon.socket(), "bindings");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(r.out.starts_with("ID")) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\n1 +" + group.path() +
                                                  " +cpu_dma_latency.latency=500 us +waiting +" +
                                                  config.path + ":1")))
      << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\n" + id + " +" + group.path() +
                                                  " +network_latency.latency=1000 us +waiting "
                                                  "+uid 0")))
      << r.out;
  r = run_perfqosctl(daemon.socket(), "status");
  EXPECT_TRUE(contains(r.out, "cgroup bindings (active: its request is above; waiting: its "
                              "cgroup is empty):\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "waiting")) << r.out;
  r = run_perfqosctl(daemon.socket(), "status --json cpu_dma_latency");
  EXPECT_TRUE(contains(r.out, "\"bindings\":[{\"id\":1,\"cgroup\":\"" + group.path() +
                                  "\",\"device\":\"cpu_dma_latency\",\"knob\":\"latency\","
                                  "\"end\":\"\",\"value\":500,\"unit\":\"us\",\"state\":"
                                  "\"waiting\",\"uid\":0,\"origin\":\"" +
                                  config.path + ":1\""))
      << r.out;
  EXPECT_FALSE(contains(r.out, "network_latency")) << r.out;  // only the device asked for

  group.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return effective(daemon.socket(), "network_latency") == 1000; }));
  r = run_perfqosctl(daemon.socket(), "--json bindings");
  EXPECT_TRUE(contains(r.out, "\"state\":\"active\",\"uid\":0,\"origin\":\"\"")) << r.out;
  EXPECT_FALSE(contains(r.out, "waiting")) << r.out;
  EXPECT_EQ(run_perfqosctl(daemon.socket(), "unbind " + id).status, 0);
  group.kill_all();
  r = run_perfqosctl(daemon.socket(), "--json bindings");
  EXPECT_TRUE(eventually([&] {
    return contains(run_perfqosctl(daemon.socket(), "bindings").out, "waiting");
  }));
  EXPECT_FALSE(contains(r.out, "network_latency")) << r.out;
}

TEST_F(PerfqosctlTest, NoBindingsSaysHowToMakeOne) {
  CtlRun r = run_perfqosctl(daemon.socket(), "bindings");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "no cgroup bindings (perfqosctl bind, or [[bind]] in the config)\n");
  r = run_perfqosctl(daemon.socket(), "--json bindings");
  EXPECT_EQ(r.out, "[]\n");
  // BINDINGS frames of any offset are answered, the daemon stays up.
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(daemon.socket().c_str(), 5000, &c), 0);
  for (int i = 0; i < 200; ++i) {
    perfqos_binding_info* b = nullptr;
    size_t n = 1;
    ASSERT_EQ(perfqos_bindings(c, &b, &n), 0) << perfqos_last_error(c);
    EXPECT_EQ(n, 0u);
    perfqos_free(b);
  }
  perfqos_close(c);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A `monitor` child writing to `out`; killed by the caller.
pid_t start_monitor(const std::string& socket, const std::string& out, bool json) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen(out.c_str(), "w", stdout);
    ::setenv("PERFQOS_SOCKET", socket.c_str(), 1);
    if (json) {
      ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "monitor", "--json", "network_throughput", nullptr);
    } else {
      ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "monitor", "network_throughput", nullptr);
    }
    ::_exit(127);
  }
  return pid;
}

TEST_F(PerfqosctlTest, MonitorSaysWhichRequestCausedEachChange) {
  const std::string json_out = daemon.dir() + "/monitor-json.out";
  const std::string text_out = daemon.dir() + "/monitor-text.out";
  const pid_t json = start_monitor(daemon.socket(), json_out, true);
  const pid_t text = start_monitor(daemon.socket(), text_out, false);
  // Both subscribed: each has said HELLO and SUBSCRIBE (the debug log shows two connections).
  ASSERT_TRUE(eventually([&] {
    const std::string log = daemon.log();
    std::size_t n = 0;
    for (std::size_t at = 0; (at = log.find("(perfqosctl) uid 0 connected", at)) !=
                             std::string::npos;
         ++at) {
      ++n;
    }
    return n >= 2;
  }));
  ::usleep(200000);
  CtlRun r = run_perfqosctl(daemon.socket(),
                            "hold -q --for 200ms --reason video --app-id org.x network_throughput=900");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(eventually([&] {
    const std::string j = read_file(json_out);
    return contains(j, "\"new\":900") && contains(j, "\"action\":\"add\"") &&
           contains(j, "\"action\":\"remove\"");
  })) << read_file(json_out);
  const std::string j = read_file(json_out);
  EXPECT_TRUE(std::regex_search(
      j, std::regex("\"new\":900,\"unit\":\"kbit/s\",\"dropped\":0,\"cause\":\\{\"holder\":"
                    "\"connection\",\"pid\":[0-9]+,\"uid\":0,\"comm\":\"perfqosctl\","
                    "\"request_id\":1,\"action\":\"add\",\"app_id\":\"org.x\",\"reason\":"
                    "\"video\"\\}")))
      << j;
  EXPECT_TRUE(eventually([&] {
    const std::string t = read_file(text_out);
    return std::regex_search(t, std::regex("network_throughput.throughput none -> 900 kbit/s "
                                           "\\(by connection pid [0-9]+ \\(perfqosctl\\), "
                                           "request 1 added, reason \"video\"\\)\n")) &&
           contains(t, "request 1 removed, reason \"video\")\n");
  })) << read_file(text_out);
  ::kill(json, SIGTERM);
  ::kill(text, SIGTERM);
  ::waitpid(json, nullptr, 0);
  ::waitpid(text, nullptr, 0);
}

// `top` in a real terminal (tmux): a line per knob, redrawn when a request changes it, with who
// set it; q quits.
TEST_F(PerfqosctlTest, TopShowsEveryKnobAndWhoSetsItLive) {
  if (std::system("command -v tmux >/dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is missing";
  const std::string session = "pqtop" + std::to_string(::getpid());
  const std::string tmux = "tmux -L " + session + " ";
  const auto pane = [&] {
    CtlRun r{-1, {}};
    FILE* p = ::popen((tmux + "capture-pane -p -t " + session).c_str(), "r");
    if (p == nullptr) return std::string();
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    ::pclose(p);
    return r.out;
  };
  ASSERT_EQ(std::system((tmux + "new-session -d -x 200 -y 30 -s " + session + " 'PERFQOS_SOCKET=" +
                         daemon.socket() + " " PERFQOSCTL_PATH " top; sleep 5'")
                            .c_str()),
            0);
  EXPECT_TRUE(eventually([&] {
    const std::string p = pane();
    return contains(p, "perfqosctl top") && contains(p, "cpu_dma_latency.latency") &&
           contains(p, "network_throughput.throughput");
  })) << pane();
  const pid_t holder = ::fork();
  if (holder == 0) {
    ::setenv("PERFQOS_SOCKET", daemon.socket().c_str(), 1);
    ::execl(PERFQOSCTL_PATH, PERFQOSCTL_PATH, "hold", "-q", "--reason", "recording",
            "cpu_dma_latency=20", nullptr);
    ::_exit(127);
  }
  const std::string pid = std::to_string(holder);
  EXPECT_TRUE(eventually([&] {
    const std::string p = pane();
    return std::regex_search(p, std::regex("cpu_dma_latency.latency +20 us +pid " + pid +
                                           " \\(perfqosctl, \"recording\"\\) +[0-9:]{8} by pid " +
                                           pid + " \\(perfqosctl\\) added"));
  })) << pane();
  ::kill(holder, SIGTERM);
  ::waitpid(holder, nullptr, 0);
  EXPECT_TRUE(eventually([&] {
    return std::regex_search(pane(), std::regex("cpu_dma_latency.latency +none +[0-9:]{8} by pid " +
                                                pid + " \\(perfqosctl\\) removed"));
  })) << pane();
  std::system((tmux + "send-keys -t " + session + " q").c_str());
  EXPECT_TRUE(eventually([&] { return !contains(pane(), "q quits") || pane().empty(); }))
      << pane();
  std::system((tmux + "kill-server >/dev/null 2>&1").c_str());
}

}  // namespace
}  // namespace perfqos

namespace perfqos {
namespace {

// Named knobs (issue #17 point 2): words in, words out, refusals with the hardware's list.
TEST(PerfqosctlNamedKnobs, EppAndPlatformProfileTakeAndShowWords) {
  testing::SysfsTree tree;
  tree.add_cpu_latency_node();
  tree.add_cpufreq_policy(0, 400000, 3000000, {0});
  const std::string policy = "/sys/devices/system/cpu/cpufreq/policy0";
  tree.write_file(policy + "/energy_performance_available_preferences",
                  "default performance balance_performance balance_power power");
  tree.write_file(policy + "/energy_performance_preference", "balance_power");
  tree.write_file("/sys/firmware/acpi/platform_profile", "balanced");
  tree.write_file("/sys/firmware/acpi/platform_profile_choices", "low-power balanced performance");
  // Linux 6.14's per-handler class and a slice with utilization clamps: listed too.
  tree.write_file("/sys/class/platform-profile/platform-profile-0/profile", "balanced");
  tree.write_file("/sys/class/platform-profile/platform-profile-0/choices", "quiet balanced");
  tree.write_file("/sys/fs/cgroup/batch.slice/cpu.uclamp.min", "0.00");
  tree.write_file("/sys/fs/cgroup/batch.slice/cpu.uclamp.max", "max");
  DaemonProcess daemon({"--sysfs-root", tree.dir()});
  ASSERT_TRUE(daemon.ready()) << daemon.log();

  CtlRun list = run_perfqosctl(daemon.socket(), "list");
  EXPECT_EQ(list.status, 0) << list.out;
  EXPECT_TRUE(contains(list.out, "platform-profile-0")) << list.out;
  EXPECT_TRUE(contains(list.out, "quiet..balanced")) << list.out;
  EXPECT_TRUE(contains(list.out, "uclamp:batch.slice")) << list.out;
  EXPECT_TRUE(contains(list.out, "power, balance_power, balance_performance, performance"))
      << list.out;
  EXPECT_TRUE(contains(list.out, "low-power..performance")) << list.out;  // effective, unconstrained

  CtlRun r = run_perfqosctl(daemon.socket(),
                            "run -q policy0.epp.min=balance_performance platform_profile.profile.max=low-power"
                            " -- sh -c 'for f in " + tree.host(policy + "/energy_performance_preference") + " " +
                                tree.host("/sys/firmware/acpi/platform_profile") +
                                "; do read v < $f; echo $v; done'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "balance_performance\nlow-power\n")) << r.out;
  EXPECT_EQ(tree.read_file(policy + "/energy_performance_preference"), "balance_power");
  EXPECT_EQ(tree.read_file("/sys/firmware/acpi/platform_profile"), "balanced");

  r = run_perfqosctl(daemon.socket(), "run policy0.epp.min=performance -- " PERFQOSCTL_PATH
                                      " get --json policy0");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "\"choices\":[\"power\",\"balance_power\",\"balance_performance\","
                              "\"performance\"]"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "\"effective_min\":3")) << r.out;  // JSON keeps the raw index

  r = run_perfqosctl(daemon.socket(), "hold platform_profile.profile.min=quiet");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "perfqosctl: platform_profile.profile.min: 'quiet' is not a choice here: allowed "
            "low-power, balanced, performance or default\n");
  r = run_perfqosctl(daemon.socket(), "hold policy0.epp.min=3");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.out, "'3' is not a choice here")) << r.out;
  r = run_perfqosctl(daemon.socket(), "hold platform_profile=balanced");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.out, "platform_profile has profile.min, profile.max")) << r.out;
  // explain speaks the same words.
  r = run_perfqosctl(daemon.socket(), "explain policy0.epp.min balance_performance");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "a request of balance_performance would")) << r.out;
  r = run_perfqosctl(daemon.socket(), "explain policy0.epp performance");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "policy0.epp.min or policy0.epp.max")) << r.out;
}

}  // namespace
}  // namespace perfqos

namespace perfqos {
namespace {

// cpus[LIST] (issue #17 point 3): one request per listed CPU, held and dropped as one.
TEST(PerfqosctlCpuSets, OneRequestPerListedCpuOnAGenerated64CpuTree) {
  testing::SysfsTree tree;
  tree.add_cpu_latency_node();
  for (int n = 0; n < 64; ++n) tree.add_cpu(n, "0", std::nullopt);
  DaemonProcess daemon({"--sysfs-root", tree.dir()});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  const auto file = [&](int n) {
    return "/sys/devices/system/cpu/cpu" + std::to_string(n) + "/power/pm_qos_resume_latency_us";
  };
  CtlRun r = run_perfqosctl(daemon.socket(),
                            "run -q 'cpus[8-15,60-63:1/2].resume_latency=0' -- sh -c 'for f in " +
                                tree.host(file(9)) + " " + tree.host(file(62)) + " " +
                                tree.host(file(61)) + " " + tree.host(file(16)) +
                                "; do read v < $f; echo $v; done'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "n/a\nn/a\n0\n0\n");  // 0 us = no power saving: the kernel spells it n/a
  EXPECT_TRUE(eventually([&] {
    return tree.read_file(file(9)) == "0" && tree.read_file(file(61)) == "0" &&
           tree.read_file(file(62)) == "0";
  }));

  // All or nothing: cpu64 does not exist, so nothing of the set is held.
  r = run_perfqosctl(daemon.socket(), "hold 'cpus[60-64].resume_latency=5'");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "cpu64")) << r.out;
  EXPECT_TRUE(eventually([&] { return tree.read_file(file(60)) == "0"; })) << tree.read_file(file(60));
  r = run_perfqosctl(daemon.socket(), "hold 'cpus[3-1].resume_latency=5'");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "CPU list '3-1': cannot read '3-1'")) << r.out;
}

TEST(PerfqosctlCpuSets, RealPerCpuResumeLatencyOfThisMachine) {
  const std::string cpu0 = "/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us";
  const std::string cpu1 = "/sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us";
  if (::access(cpu0.c_str(), W_OK) != 0 || ::access(cpu1.c_str(), W_OK) != 0) {
    GTEST_SKIP() << "needs writable " << cpu0 << " and " << cpu1 << " (root, two CPUs)";
  }
  const auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::string v;
    in >> v;
    return v;
  };
  const std::string before0 = read(cpu0), before1 = read(cpu1);
  DaemonProcess daemon({"--sysfs-root", "/"});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  CtlRun r = run_perfqosctl(daemon.socket(), "run -q 'cpus[0-1].resume_latency=37' -- cat " +
                                                 cpu0 + " " + cpu1);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "37\n37\n");
  EXPECT_TRUE(eventually([&] { return read(cpu0) == before0 && read(cpu1) == before1; }))
      << read(cpu0) << " " << read(cpu1);
}

}  // namespace
}  // namespace perfqos

namespace perfqos {
namespace {

// run --uclamp-min/--uclamp-max (issue #17 point 4): sched_setattr on the command's process tree.
TEST(PerfqosctlUclamp, RunClampsTheCommandOrSaysTheKernelHasNoUclamp) {
  const std::string socket = "/nonexistent/perfqosd.sock";  // clamps alone need no daemon
  CtlRun r = run_perfqosctl(socket, "run --uclamp-min 2000 -- true");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "perfqosctl: --uclamp-min: value 2000 out of range: allowed 0..1024\n");
  // The kernel's EINVAL for min > max is no missing uclamp: refused before the syscall.
  r = run_perfqosctl(socket, "run --uclamp-min 800 --uclamp-max 100 -- true");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "perfqosctl: --uclamp-min 800 is above --uclamp-max 100: the floor must not exceed "
            "the cap\n");
  r = run_perfqosctl(socket, "run -- true");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.out, "give a SPEC, --profile, --uclamp-min or --uclamp-max")) << r.out;

  r = run_perfqosctl(socket, "run --uclamp-min 128 --uclamp-max 512 -- grep uclamp /proc/self/sched");
  if (r.status == 1 && contains(r.out, "this kernel has no uclamp")) {
    EXPECT_TRUE(contains(r.out, "CONFIG_UCLAMP_TASK")) << r.out;
    GTEST_SKIP() << "this kernel lacks CONFIG_UCLAMP_TASK: " << r.out;
  }
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "128")) << r.out;
  EXPECT_TRUE(contains(r.out, "512")) << r.out;
}

}  // namespace
}  // namespace perfqos
