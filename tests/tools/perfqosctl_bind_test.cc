// perfqosctl bind against a real perfqosd and a real cgroup: a --transient binding ends when the
// cgroup empties; --reason and --app-id go with any binding; several SPECs are bound all or
// none.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "perfqos/client.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
#include "support/run_as.h"
#include "tools/run_perfqosctl.h"

namespace perfqos {
namespace {

using testing::DaemonProcess;
using testing::eventually;
using testing::run_perfqosctl;
using testing::TestCgroup;

std::int32_t effective(const std::string& socket) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return -1;
  perfqos_effective e{};
  const int rc = perfqos_read(c, "cpu_dma_latency", nullptr, &e);
  perfqos_close(c);
  return rc == 0 ? e.value : rc;
}

TEST(PerfqosctlBind, TransientBindingEndsWhenTheCgroupEmpties) {
  TestCgroup group("/pq-test-ctlbind-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  DaemonProcess d;
  ASSERT_TRUE(d.ready()) << d.log();
  group.spawn_sleeper();
  auto r = run_perfqosctl(d.socket(), "bind --transient --reason 'a container' --app-id oci:x " +
                                          group.path() + " cpu_dma_latency=30us");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_GT(std::stoul(r.out), 0u) << r.out;
  EXPECT_EQ(effective(d.socket()), 30);
  r = run_perfqosctl(d.socket(), "status");
  EXPECT_NE(r.out.find("a container"), std::string::npos) << r.out;
  group.kill_all();
  EXPECT_TRUE(eventually([&] { return effective(d.socket()) == 2000000000; })) << d.log();
  r = run_perfqosctl(d.socket(), "status --json");
  EXPECT_EQ(r.out.find("a container"), std::string::npos) << r.out;
}

TEST(PerfqosctlBind, AnyBindingCarriesAReasonAndAnAppId) {
  TestCgroup group("/pq-test-ctlbind-noted-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  DaemonProcess d;
  ASSERT_TRUE(d.ready()) << d.log();
  auto r = run_perfqosctl(d.socket(), "bind --reason 'nightly build' --app-id org.example.Ci " +
                                          group.path() + " cpu_dma_latency=35");
  ASSERT_EQ(r.status, 0) << r.out;
  r = run_perfqosctl(d.socket(), "bindings --json");
  EXPECT_NE(r.out.find("\"reason\":\"nightly build\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"app_id\":\"org.example.Ci\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"state\":\"waiting\""), std::string::npos) << r.out;
  // In force once the cgroup fills, its request shows the notes too; not transient, it waits
  // again when the cgroup empties.
  group.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return effective(d.socket()) == 35; })) << d.log();
  r = run_perfqosctl(d.socket(), "status");
  EXPECT_NE(r.out.find("nightly build"), std::string::npos) << r.out;
  group.kill_all();
  EXPECT_TRUE(eventually([&] { return effective(d.socket()) == 2000000000; })) << d.log();
  r = run_perfqosctl(d.socket(), "bindings");
  EXPECT_NE(r.out.find("nightly build"), std::string::npos) << r.out;
}

// The config's [[bind]] reason and app_id go with its request, and a reload that changes only
// them changes them on the request in force (it is not placed again).
TEST(PerfqosctlBind, ConfigBindingsCarryTheirNotesThroughAReload) {
  TestCgroup group("/pq-test-ctlbind-config-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  const std::string bind =
      "[[bind]]\ncgroup = \"" + group.path() + "\"\ndevice = \"cpu_dma_latency\"\nvalue = 45\n";
  const testing::ConfigFile config(bind + "reason = \"games\"\napp_id = \"org.example.G\"\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  group.spawn_sleeper();
  ASSERT_TRUE(eventually([&] { return effective(d.socket()) == 45; })) << d.log();
  auto r = run_perfqosctl(d.socket(), "status --json");
  EXPECT_NE(r.out.find("\"app_id\":\"org.example.G\",\"reason\":\"games\""), std::string::npos)
      << r.out;
  config.rewrite(bind + "reason = \"benchmarks\"\n");
  ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
  EXPECT_TRUE(eventually([&] {
    return run_perfqosctl(d.socket(), "bindings").out.find("benchmarks") != std::string::npos;
  })) << d.log();
  r = run_perfqosctl(d.socket(), "status --json");
  EXPECT_NE(r.out.find("\"app_id\":\"\",\"reason\":\"benchmarks\""), std::string::npos) << r.out;
  EXPECT_EQ(effective(d.socket()), 45);
  group.kill_all();
}

TEST(PerfqosctlBind, SeveralSpecsAreBoundAllOrNone) {
  TestCgroup group("/pq-test-ctlbind-all-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  // One binding per uid, root included: the second SPEC is refused by the daemon.
  const testing::ConfigFile config("[quotas]\napply_to_root = true\nmax_bindings_per_uid = 1\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  auto r =
      run_perfqosctl(d.socket(), "bind " + group.path() + " cpu_dma_latency=40 network_latency=50");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("max_bindings_per_uid = 1"), std::string::npos) << r.out;
  r = run_perfqosctl(d.socket(), "bindings --json");
  EXPECT_EQ(r.out, "[]\n") << r.out;
  // The one binding the quota allows is still there to take.
  r = run_perfqosctl(d.socket(), "bind " + group.path() + " cpu_dma_latency=40");
  EXPECT_EQ(r.status, 0) << r.out;
}

}  // namespace
}  // namespace perfqos
