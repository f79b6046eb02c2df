// cpu_wakeup_latency (Linux 6.19's /dev/cpu_wakeup_latency) through a real perfqosd on a
// generated tree: requests from two holders aggregate MIN and reach the node, which perfqosd
// holds open only while a constraint is in force; kill -9 of a holder drops its request; a
// SIGKILL of perfqosd leaves nothing to restore (the kernel drops a dead holder's request) and
// the next start serves the class again. Without the node the class is model only.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <string>

#include "backends/sysfs.h"
#include "backends/sysfs_tree.h"
#include "perfqos/client.h"
#include "support/daemon_process.h"

namespace perfqos {
namespace {

using testing::DaemonProcess;
using testing::eventually;
using testing::SysfsTree;

constexpr char kDevice[] = "cpu_wakeup_latency";
constexpr std::int32_t kNoConstraint = INT32_MAX;  // PM_QOS_RESUME_LATENCY_NO_CONSTRAINT

// Forks a client that holds cpu_wakeup_latency=value, reports on `ready` and waits to be killed.
pid_t hold(const std::string& socket, int value, int ready) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  perfqos_client* c = nullptr;
  std::uint32_t id;
  const char ok = perfqos_connect(socket.c_str(), 5000, &c) == 0 &&
                  perfqos_add(c, kDevice, nullptr, value, &id, nullptr) == 0;
  (void)!::write(ready, &ok, 1);
  for (;;) ::pause();
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// True when process `pid` has `host_path` open (one of its /proc/PID/fd links names it).
bool holds_open(pid_t pid, const std::string& host_path) {
  std::error_code ec;
  const std::string want = std::filesystem::weakly_canonical(host_path, ec).string();
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    if (std::filesystem::read_symlink(e.path(), link_ec).string() == want) return true;
  }
  return false;
}

class DaemonWakeupLatency : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/perfqos-state-XXXXXX";
    state_dir = ::mkdtemp(tmpl);
    ASSERT_EQ(::pipe(ready), 0);
  }
  void TearDown() override {
    std::filesystem::remove_all(state_dir);
    ::close(ready[0]);
    ::close(ready[1]);
  }
  std::vector<std::string> args() const {
    return {"--sysfs-root", tree.dir(), "--state-dir", state_dir};
  }
  std::string node() const { return tree.host(backends::kCpuWakeupLatencyNode); }
  bool holder_ready() {
    char ok = 0;
    return ::read(ready[0], &ok, 1) == 1 && ok;
  }

  SysfsTree tree;
  std::string state_dir;
  int ready[2] = {-1, -1};
};

struct Conn {
  explicit Conn(const std::string& socket) { ok = perfqos_connect(socket.c_str(), 5000, &c) == 0; }
  ~Conn() { perfqos_close(c); }
  std::int32_t effective() {
    perfqos_effective e{};
    return perfqos_read(c, kDevice, nullptr, &e) == 0 ? e.value : -99;
  }
  perfqos_client* c = nullptr;
  bool ok = false;
};

TEST_F(DaemonWakeupLatency, TwoHoldersAggregateMinOnTheNodeAndKillDropsThem) {
  tree.add_cpu_wakeup_latency_node();
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  Conn me(daemon.socket());
  ASSERT_TRUE(me.ok);
  perfqos_device_info d;
  ASSERT_EQ(perfqos_describe(me.c, kDevice, &d), 0);
  EXPECT_STREQ(d.kind, "class");
  EXPECT_EQ(d.knobs[0].no_constraint_value, kNoConstraint);
  EXPECT_EQ(d.knobs[0].max_request, kNoConstraint);
  EXPECT_EQ(me.effective(), kNoConstraint);
  EXPECT_FALSE(holds_open(daemon.pid(), node()));

  const pid_t a = hold(daemon.socket(), 300, ready[1]);
  ASSERT_TRUE(holder_ready()) << daemon.log();
  const pid_t b = hold(daemon.socket(), 40, ready[1]);
  ASSERT_TRUE(holder_ready()) << daemon.log();
  EXPECT_EQ(me.effective(), 40);
  EXPECT_EQ(tree.cpu_wakeup_latency_node_value(), 40);
  EXPECT_TRUE(holds_open(daemon.pid(), node()));

  kill_and_reap(b);
  EXPECT_TRUE(eventually([&] { return me.effective() == 300; }));
  EXPECT_EQ(tree.cpu_wakeup_latency_node_value(), 300);
  kill_and_reap(a);
  EXPECT_TRUE(eventually([&] { return me.effective() == kNoConstraint; }));
  // No constraint: the node is closed, which is how the kernel's request goes.
  EXPECT_TRUE(eventually([&] { return !holds_open(daemon.pid(), node()); }));
  EXPECT_FALSE(std::filesystem::exists(state_dir + "/restore.journal"));
}

TEST_F(DaemonWakeupLatency, BadValuesAreRefusedWithTheAllowedRange) {
  tree.add_cpu_wakeup_latency_node();
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  Conn me(daemon.socket());
  ASSERT_TRUE(me.ok);
  std::uint32_t id;
  EXPECT_EQ(perfqos_add(me.c, kDevice, nullptr, -5, &id, nullptr), -EINVAL);
  EXPECT_STREQ(perfqos_last_error(me.c),
               "cpu_wakeup_latency.latency: value -5 out of range: allowed 0..2147483647 or -1");
  EXPECT_EQ(perfqos_add(me.c, kDevice, "throughput", 1, &id, nullptr), -EINVAL);
  EXPECT_EQ(me.effective(), kNoConstraint);
  // -1 (the default) is S32_MAX, no constraint: accepted, and nothing is held.
  EXPECT_EQ(perfqos_add(me.c, kDevice, nullptr, -1, &id, nullptr), 0);
  EXPECT_EQ(me.effective(), kNoConstraint);
  EXPECT_FALSE(holds_open(daemon.pid(), node()));
}

TEST_F(DaemonWakeupLatency, WithoutTheNodeTheClassIsModelOnly) {
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  EXPECT_NE(daemon.log().find("cpu_wakeup_latency: model only: no /dev/cpu_wakeup_latency on "
                              "this kernel"),
            std::string::npos)
      << daemon.log();
  Conn me(daemon.socket());
  ASSERT_TRUE(me.ok);
  perfqos_device_info* devices = nullptr;
  std::size_t n = 0;
  ASSERT_EQ(perfqos_list(me.c, &devices, &n), 0);
  std::string kind;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::string(devices[i].name) == kDevice) kind = devices[i].kind;
  }
  perfqos_free(devices);
  EXPECT_EQ(kind, "model-only");
  // Requests still aggregate; nothing is written anywhere.
  std::uint32_t id;
  ASSERT_EQ(perfqos_add(me.c, kDevice, nullptr, 70, &id, nullptr), 0) << perfqos_last_error(me.c);
  EXPECT_EQ(me.effective(), 70);
  EXPECT_FALSE(std::filesystem::exists(node()));
  perfqos_device_info d;
  ASSERT_EQ(perfqos_describe(me.c, kDevice, &d), 0);
  EXPECT_EQ(d.error_count, 0u);
}

TEST_F(DaemonWakeupLatency, CrashRestartAfterSigkillLeavesNothingHeldAndServesAgain) {
  tree.add_cpu_wakeup_latency_node();
  pid_t client;
  {
    DaemonProcess daemon(args());
    ASSERT_TRUE(daemon.ready()) << daemon.log();
    client = hold(daemon.socket(), 25, ready[1]);
    ASSERT_TRUE(holder_ready()) << daemon.log();
    EXPECT_EQ(tree.cpu_wakeup_latency_node_value(), 25);
    EXPECT_TRUE(holds_open(daemon.pid(), node()));
    const int status = daemon.stop(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  }
  kill_and_reap(client);
  // The held fd died with perfqosd, which on the real node is the kernel dropping its request:
  // the restore for this knob. Nothing of it went to the journal.
  EXPECT_FALSE(std::filesystem::exists(state_dir + "/restore.journal"));
  DaemonProcess again(args());
  ASSERT_TRUE(again.ready()) << again.log();
  EXPECT_EQ(again.log().find("model only"), std::string::npos) << again.log();
  EXPECT_FALSE(holds_open(again.pid(), node()));
  Conn me(again.socket());
  ASSERT_TRUE(me.ok);
  EXPECT_EQ(me.effective(), kNoConstraint);
  std::uint32_t id;
  ASSERT_EQ(perfqos_add(me.c, kDevice, nullptr, 12, &id, nullptr), 0) << perfqos_last_error(me.c);
  EXPECT_EQ(tree.cpu_wakeup_latency_node_value(), 12);
  EXPECT_TRUE(holds_open(again.pid(), node()));
}

}  // namespace
}  // namespace perfqos
