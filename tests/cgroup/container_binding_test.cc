// Container bindings (protocol version 4, perfqos_bind_container) against a real perfqosd: what a
// runtime's hook relays for a container is judged by the config's [[container]] policy, not by
// the hook's being root; only root may relay; without any [[container]] the built-in rules
// apply.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "perfqos/client.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
#include "support/effective.h"
#include "support/run_as.h"

namespace perfqos {
namespace {

using testing::ConfigFile;
using testing::DaemonProcess;
using testing::effective;
using testing::kLatencyNoConstraint;
using testing::kNobody;
using testing::run_as;
using testing::TestCgroup;
using testing::unique;

constexpr char kPolicy[] = R"(
[[container]]
device = "cpu_dma_latency"
knob = "latency"
min = 20
max = 100
)";

class ContainerBinding : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!group_.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
    ASSERT_TRUE(daemon_.ready()) << daemon_.log();
    ASSERT_EQ(perfqos_connect(daemon_.socket().c_str(), 5000, &root_), 0);
    group_.spawn_sleeper();
  }
  void TearDown() override { perfqos_close(root_); }
  int bind_container(const char* device, std::int32_t value, std::uint32_t* id = nullptr) {
    std::uint32_t ignored = 0;
    return perfqos_bind_container(root_, group_.path().c_str(), device, nullptr, value,
                                  "test container", "oci:c1", id != nullptr ? id : &ignored,
                                  nullptr);
  }

  ConfigFile config_{kPolicy};
  TestCgroup group_{unique("/pq-test-container-")};
  DaemonProcess daemon_{{"--config", config_.path}};
  perfqos_client* root_ = nullptr;
};

TEST_F(ContainerBinding, InsideThePolicyIsBound) {
  std::uint32_t id = 0;
  ASSERT_EQ(bind_container("cpu_dma_latency", 25, &id), 0) << perfqos_last_error(root_);
  EXPECT_EQ(effective(daemon_.socket(), "cpu_dma_latency"), 25);
  ASSERT_EQ(perfqos_unbind(root_, id, nullptr), 0) << perfqos_last_error(root_);
  EXPECT_EQ(effective(daemon_.socket(), "cpu_dma_latency"), kLatencyNoConstraint);
}

TEST_F(ContainerBinding, OutsideThePolicyIsEaccesWithTheEntryToPasteEvenForRoot) {
  ASSERT_EQ(bind_container("cpu_dma_latency", 5), -EACCES);
  const std::string message = perfqos_last_error(root_);
  EXPECT_EQ(message.rfind("cpu_dma_latency.latency=5: outside what containers may ask", 0), 0u)
      << message;
  EXPECT_NE(message.find("20..100 (" + config_.path + ":2)"), std::string::npos) << message;
  EXPECT_NE(message.find("[[container]]\n  device = \"cpu_dma_latency\"\n  knob = \"latency\"\n"
                         "  min = 5\n  max = 5"),
            std::string::npos)
      << message;
  // A device the policy does not name at all.
  ASSERT_EQ(bind_container("network_latency", 1000), -EACCES);
  EXPECT_NE(std::string(perfqos_last_error(root_)).find("containers may not ask for it"),
            std::string::npos)
      << perfqos_last_error(root_);
  EXPECT_EQ(effective(daemon_.socket(), "cpu_dma_latency"), kLatencyNoConstraint);
  // The same value as a plain binding: root's own, which root may place.
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_bind_transient(root_, group_.path().c_str(), "cpu_dma_latency", nullptr, 5,
                                   nullptr, nullptr, &id, nullptr),
            0)
      << perfqos_last_error(root_);
  EXPECT_EQ(effective(daemon_.socket(), "cpu_dma_latency"), 5);
}

TEST_F(ContainerBinding, OnlyRootRelaysAContainersRequests) {
  const std::string socket = daemon_.socket();
  const std::string cgroup = group_.path();
  const std::vector<int> got = run_as(kNobody, kNobody, [&](std::vector<int>& out) {
    perfqos_client* c = nullptr;
    if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return;
    std::uint32_t id = 0;
    out.push_back(perfqos_bind_container(c, cgroup.c_str(), "cpu_dma_latency", nullptr, 25, nullptr,
                                         nullptr, &id, nullptr));
    const std::string message = perfqos_last_error(c);
    out.push_back(message.find("container bindings are for root's runtime hook") !=
                  std::string::npos);
    perfqos_close(c);
  });
  EXPECT_EQ(got, (std::vector<int>{-EACCES, 1}));
  EXPECT_EQ(effective(socket, "cpu_dma_latency"), kLatencyNoConstraint);
}

// No [[container]] in the config: the built-in rules (container_policy.h).
TEST(ContainerBindingDefault, WithoutAContainerSectionTheBuiltInRulesApply) {
  TestCgroup group(unique("/pq-test-container-default-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  DaemonProcess d;
  ASSERT_TRUE(d.ready()) << d.log();
  group.spawn_sleeper();
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(d.socket().c_str(), 5000, &c), 0);
  std::uint32_t id = 0;
  EXPECT_EQ(perfqos_bind_container(c, group.path().c_str(), "cpu_dma_latency", nullptr, 0, nullptr,
                                   nullptr, &id, nullptr),
            0)
      << perfqos_last_error(c);
  EXPECT_EQ(effective(d.socket(), "cpu_dma_latency"), 0);
  EXPECT_EQ(perfqos_bind_container(c, group.path().c_str(), "network_throughput", nullptr, 100,
                                   nullptr, nullptr, &id, nullptr),
            -EACCES);
  EXPECT_NE(std::string(perfqos_last_error(c)).find("containers may not ask for it"),
            std::string::npos)
      << perfqos_last_error(c);
  perfqos_close(c);
}

}  // namespace
}  // namespace perfqos
