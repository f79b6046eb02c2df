// perfqosctl bind --transient against a real perfqosd and a real cgroup: the binding ends when
// the cgroup empties; --reason and --app-id go with it and need --transient.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "perfqos/client.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
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

  r = run_perfqosctl(d.socket(), "bind --reason x " + group.path() + " cpu_dma_latency=30");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--transient"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace perfqos
