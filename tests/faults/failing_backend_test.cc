// A backend whose writes start failing under a running perfqosd (DESIGN §7: "a failed write is
// reported to the requester and in status, never fatal"). The knob file of a generated tree is
// replaced by a symbolic link to /dev/full, which fails every write with ENOSPC even for root;
// putting the file back makes writes work again.
//
// Contract checked (src/model/broker.h): an add or update whose write fails gets the
// errno with a message naming device.knob and the file, and is rolled back, the previous
// effective value being written again (which fails too and counts as a second failure); a
// request that does not change the effective value writes nothing and succeeds; the device
// reports its last errno, last message and failure count (describe, `perfqosctl get`).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "backends/sysfs_tree.h"
#include "faults/fault_support.h"
#include "support/daemon_process.h"
#include "tools/run_perfqosctl.h"

namespace perfqos {
namespace {

using testing::Client;
using testing::DaemonProcess;
using testing::kLatencyDefault;
using testing::SysfsTree;
using testing::TempDir;

constexpr char kResume[] = "/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us";

using testing::CtlRun;
using testing::run_perfqosctl;

class FailingBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "root ignores file modes; these faults need root";
    if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full here";
    tree.add_cpu(0, "0", "auto");
    tree.add_cpu_latency_node();
    daemon = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"--sysfs-root", tree.dir(), "--state-dir", state.path()});
    ASSERT_TRUE(daemon->ready()) << daemon->log();
  }

  // From now on every write to the knob's file fails with ENOSPC.
  void break_file(const char* path) {
    std::filesystem::remove(tree.host(path));
    std::filesystem::create_symlink("/dev/full", tree.host(path));
  }
  // The file is back, holding `value` (a failed write changes nothing in the kernel).
  void repair_file(const char* path, const std::string& value) {
    std::filesystem::remove(tree.host(path));
    tree.write_file(path, value);
  }

  perfqos_device_info describe(Client& c, const char* device) {
    perfqos_device_info info{};
    EXPECT_EQ(perfqos_describe(c.get(), device, &info), 0) << c.error();
    return info;
  }

  SysfsTree tree;
  TempDir state;
  std::unique_ptr<DaemonProcess> daemon;
};

TEST_F(FailingBackendTest, SysfsWritesFailThenRecover) {
  Client a(daemon->socket()), b(daemon->socket()), other(daemon->socket());
  ASSERT_TRUE(a.ok() && b.ok() && other.ok());
  std::uint32_t a_id = 0, b_id = 0;
  ASSERT_EQ(perfqos_add(a.get(), "cpu0", "resume_latency", 50, &a_id, nullptr), 0) << a.error();
  EXPECT_EQ(tree.read_file(kResume), "50");

  break_file(kResume);
  EXPECT_EQ(perfqos_add(b.get(), "cpu0", "resume_latency", 20, &b_id, nullptr), -ENOSPC);
  const std::string message = b.error();
  EXPECT_NE(message.find("cpu0.resume_latency"), std::string::npos) << message;
  EXPECT_NE(message.find(kResume), std::string::npos) << message;
  EXPECT_NE(message.find("ENOSPC"), std::string::npos) << message;
  EXPECT_EQ(a.effective("cpu0", "resume_latency"), 50);  // rolled back
  EXPECT_EQ(a.active("cpu0"), 1u);
  perfqos_device_info info = describe(a, "cpu0");
  EXPECT_EQ(info.last_errno, ENOSPC);
  EXPECT_NE(std::string(info.last_error).find(kResume), std::string::npos) << info.last_error;
  EXPECT_EQ(info.error_count, 2u);  // the write of 20, and the rollback's write of 50

  // An update fails the same way and leaves the request at its old value.
  EXPECT_EQ(perfqos_update(a.get(), a_id, 30, nullptr), -ENOSPC);
  EXPECT_EQ(a.effective("cpu0", "resume_latency"), 50);
  perfqos_holder_info* h = nullptr;
  std::size_t n = 0;
  ASSERT_EQ(perfqos_status(a.get(), "cpu0", &h, &n), 0);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(h[0].value, 50);
  perfqos_free(h);
  EXPECT_EQ(describe(a, "cpu0").error_count, 4u);

  // A request that leaves the effective value alone writes nothing, so it succeeds.
  ASSERT_EQ(perfqos_add(b.get(), "cpu0", "resume_latency", 80, &b_id, nullptr), 0) << b.error();
  EXPECT_EQ(a.active("cpu0"), 2u);
  EXPECT_EQ(describe(a, "cpu0").error_count, 4u);

  // What an administrator sees.
  CtlRun get = run_perfqosctl(daemon->socket(), "get cpu0");
  EXPECT_EQ(get.status, 0) << get.out;
  EXPECT_NE(get.out.find("backend errors: 4"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("ENOSPC"), std::string::npos) << get.out;
  CtlRun json = run_perfqosctl(daemon->socket(), "get cpu0 --json");
  EXPECT_EQ(json.status, 0) << json.out;
  EXPECT_NE(json.out.find("\"error_count\":4"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"last_errno\":" + std::to_string(ENOSPC)), std::string::npos)
      << json.out;

  // Never fatal: the daemon serves every other knob meanwhile.
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_add(other.get(), "cpu_dma_latency", nullptr, 10, &id, nullptr), 0);
  EXPECT_EQ(other.effective("cpu_dma_latency"), 10);
  EXPECT_EQ(tree.cpu_latency_node_value(), 10);

  // Writes work again: the next change applies and adds no error.
  repair_file(kResume, "50");
  ASSERT_EQ(perfqos_update(b.get(), b_id, 20, nullptr), 0) << b.error();
  EXPECT_EQ(tree.read_file(kResume), "20");
  EXPECT_EQ(a.effective("cpu0", "resume_latency"), 20);
  EXPECT_EQ(describe(a, "cpu0").error_count, 4u);
  ASSERT_EQ(perfqos_remove(b.get(), b_id, nullptr), 0);
  ASSERT_EQ(perfqos_remove(a.get(), a_id, nullptr), 0);
  EXPECT_EQ(tree.read_file(kResume), "0");

  const int status = daemon->stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(tree.read_file(kResume), "0");
}

// The CPU latency backend keeps the node open while a constraint exists and reopens it for the
// next one; a node that starts failing fails that reopened write, which is rolled back to "no
// constraint" (closing the node: nothing to write, so one failure is counted).
TEST_F(FailingBackendTest, HeldNodeFailsWhenReopened) {
  Client a(daemon->socket()), b(daemon->socket());
  ASSERT_TRUE(a.ok() && b.ok());
  std::uint32_t a_id = 0, b_id = 0;
  ASSERT_EQ(perfqos_add(a.get(), "cpu_dma_latency", nullptr, 100, &a_id, nullptr), 0);
  EXPECT_EQ(tree.cpu_latency_node_value(), 100);

  break_file(backends::kCpuLatencyNode);
  // The node open since the first request is the old file: writes to it still work.
  ASSERT_EQ(perfqos_update(a.get(), a_id, 90, nullptr), 0) << a.error();
  ASSERT_EQ(perfqos_remove(a.get(), a_id, nullptr), 0);  // closes the node
  EXPECT_EQ(perfqos_add(b.get(), "cpu_dma_latency", nullptr, 50, &b_id, nullptr), -ENOSPC);
  EXPECT_NE(b.error().find("cpu_dma_latency.latency"), std::string::npos) << b.error();
  EXPECT_NE(b.error().find(backends::kCpuLatencyNode), std::string::npos) << b.error();
  EXPECT_EQ(b.effective("cpu_dma_latency"), kLatencyDefault);
  EXPECT_EQ(b.active("cpu_dma_latency"), 0u);
  perfqos_device_info info = describe(b, "cpu_dma_latency");
  EXPECT_EQ(info.last_errno, ENOSPC);
  EXPECT_EQ(info.error_count, 1u);

  std::filesystem::remove(tree.host(backends::kCpuLatencyNode));
  tree.add_cpu_latency_node();
  ASSERT_EQ(perfqos_add(b.get(), "cpu_dma_latency", nullptr, 50, &b_id, nullptr), 0) << b.error();
  EXPECT_EQ(tree.cpu_latency_node_value(), 50);
  EXPECT_EQ(describe(b, "cpu_dma_latency").error_count, 1u);
  EXPECT_EQ(::kill(daemon->pid(), 0), 0);
}

}  // namespace
}  // namespace perfqos
