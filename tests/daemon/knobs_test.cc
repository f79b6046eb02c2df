// perfqosd on a generated sysfs tree: real knob files written, restored at clean exit and, after
// SIGKILL, restored by the next start before its socket accepts; discovery and rescan; backend
// failures reported to the requester.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

#include "backends/sysfs_tree.h"
#include "perfqos/client.h"
#include "support/daemon_process.h"

namespace perfqos {
namespace {

using testing::DaemonProcess;
using testing::eventually;
using testing::SysfsTree;

constexpr char kPolicyMax[] = "/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq";
constexpr char kPolicyMin[] = "/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq";
constexpr char kCpu0Resume[] = "/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us";

class KnobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree.add_cpu(0, "0", "auto");
    tree.add_cpufreq_policy(0, 400000, 3000000, {0}, 800000, 2800000);
    tree.add_cooling_device(0, "Processor", 10, 0);
    tree.add_cpu_latency_node();
    char tmpl[] = "/tmp/perfqos-state-XXXXXX";
    state_dir = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(state_dir); }

  std::vector<std::string> args() const {
    return {"--sysfs-root", tree.dir(), "--state-dir", state_dir};
  }
  bool journal_exists() const { return std::filesystem::exists(state_dir + "/restore.journal"); }

  SysfsTree tree;
  std::string state_dir;
};

// Forks a client that holds `device.knob=value` for each spec and waits to be killed.
pid_t hold(const std::string& socket, std::vector<std::tuple<const char*, const char*, int>> specs,
           int ready) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  perfqos_client* c = nullptr;
  char ok = perfqos_connect(socket.c_str(), 5000, &c) == 0;
  for (auto& [device, knob, value] : specs) {
    std::uint32_t id;
    ok = ok && perfqos_add(c, device, knob, value, &id, nullptr) == 0;
  }
  (void)!::write(ready, &ok, 1);
  for (;;) ::pause();
}

TEST_F(KnobsTest, DiscoveredDevicesAreListed) {
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(daemon.socket().c_str(), 5000, &c), 0);
  perfqos_device_info* devices = nullptr;
  std::size_t n = 0;
  ASSERT_EQ(perfqos_list(c, &devices, &n), 0);
  std::set<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.insert(devices[i].name);
  perfqos_free(devices);
  for (const char* name : {"cpu0", "policy0", "cooling_device0", "cpu_dma_latency"}) {
    EXPECT_TRUE(names.contains(name)) << name;
  }
  perfqos_device_info policy;
  ASSERT_EQ(perfqos_describe(c, "policy0", &policy), 0);
  EXPECT_STREQ(policy.knobs[0].unit, "kHz");
  EXPECT_EQ(policy.knobs[0].limit_min, 400000);
  EXPECT_EQ(policy.knobs[0].limit_max, 3000000);
  perfqos_close(c);
}

TEST_F(KnobsTest, CleanExitPutsEveryKnobBack) {
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t client = hold(
      daemon.socket(),
      {{"policy0", "max", 1200000}, {"cpu0", "resume_latency", 0}, {"cpu_dma_latency", "", 20}},
      ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_TRUE(ok) << daemon.log();
  EXPECT_EQ(tree.read_file(kPolicyMax), "1200000");
  EXPECT_EQ(tree.read_file(kCpu0Resume), "n/a");  // 0 µs is spelled n/a in sysfs
  EXPECT_EQ(tree.cpu_latency_node_value(), 20);
  EXPECT_TRUE(journal_exists());

  const int status = daemon.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(tree.read_file(kPolicyMax), "2800000");  // the original, not cpuinfo_max
  EXPECT_EQ(tree.read_file(kPolicyMin), "800000");
  EXPECT_EQ(tree.read_file(kCpu0Resume), "0");
  EXPECT_FALSE(journal_exists());
  ::kill(client, SIGKILL);
  ::waitpid(client, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(KnobsTest, AfterSigkillTheNextStartRestoresBeforeItServes) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t client;
  {
    DaemonProcess daemon(args());
    ASSERT_TRUE(daemon.ready()) << daemon.log();
    client = hold(daemon.socket(), {{"policy0", "max", 1000000}, {"cpu0", "resume_latency", 50}},
                  ready[1]);
    char ok = 0;
    ASSERT_EQ(::read(ready[0], &ok, 1), 1);
    ASSERT_TRUE(ok) << daemon.log();
    EXPECT_EQ(tree.read_file(kPolicyMax), "1000000");
    EXPECT_EQ(tree.read_file(kCpu0Resume), "50");
    daemon.stop(SIGKILL);  // no cleanup at all
  }
  ::kill(client, SIGKILL);
  ::waitpid(client, nullptr, 0);
  EXPECT_EQ(tree.read_file(kPolicyMax), "1000000");
  EXPECT_TRUE(journal_exists());

  DaemonProcess again(args());
  ASSERT_TRUE(again.ready()) << again.log();
  // The socket exists only once the start is complete: the knobs are back already.
  EXPECT_EQ(tree.read_file(kPolicyMax), "2800000");
  EXPECT_EQ(tree.read_file(kCpu0Resume), "0");
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(KnobsTest, BackendFailuresReachTheRequesterAndStatus) {
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(daemon.socket().c_str(), 5000, &c), 0);
  tree.remove(kPolicyMax);  // the knob file vanishes under perfqosd
  std::uint32_t id;
  const int rc = perfqos_add(c, "policy0", "max", 1000000, &id, nullptr);
  EXPECT_EQ(rc, -ENOENT);
  EXPECT_NE(std::string(perfqos_last_error(c)).find("scaling_max_freq"), std::string::npos)
      << perfqos_last_error(c);
  perfqos_device_info d;
  ASSERT_EQ(perfqos_describe(c, "policy0", &d), 0);
  EXPECT_EQ(d.last_errno, ENOENT);
  EXPECT_GE(d.error_count, 1u);
  EXPECT_EQ(d.knobs[0].active_requests, 0u);  // rolled back
  // The daemon carries on: other knobs still work.
  EXPECT_EQ(perfqos_add(c, "cpu0", "resume_latency", 5, &id, nullptr), 0);
  EXPECT_EQ(tree.read_file(kCpu0Resume), "5");
  perfqos_close(c);
}

TEST_F(KnobsTest, RescanAddsNewDevicesAndDropsVanishedOnes) {
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(daemon.socket().c_str(), 5000, &c), 0);
  std::uint32_t id;
  ASSERT_EQ(perfqos_add(c, "cooling_device0", "max", 512, &id, nullptr), 0);
  tree.add_cooling_device(1, "Fan", 4, 0);
  tree.remove_tree("/sys/devices/virtual/thermal/cooling_device0");
  tree.remove("/sys/class/thermal/cooling_device0");
  std::uint32_t added = 0, removed = 0;
  ASSERT_EQ(perfqos_rescan(c, &added, &removed), 0) << perfqos_last_error(c);
  EXPECT_EQ(added, 1u);
  EXPECT_EQ(removed, 1u);
  perfqos_device_info d;
  EXPECT_EQ(perfqos_describe(c, "cooling_device1", &d), 0);
  EXPECT_EQ(perfqos_describe(c, "cooling_device0", &d), -ENODEV);
  EXPECT_EQ(perfqos_update(c, id, 256, nullptr), -ENODEV);  // its device is gone
  perfqos_close(c);
}

}  // namespace
}  // namespace perfqos
