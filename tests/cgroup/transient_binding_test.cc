// Transient bindings (protocol version 3, perfqos_bind_transient), against a real perfqosd and
// real cgroups: a binding for a cgroup that lives once, as a container's does. It ends for good
// when its cgroup empties after having been populated, or is removed, and gives its quota slot
// back; a binding that is not transient stays and is placed again.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <string>
#include <vector>

#include "perfqos/client.h"
#include "support/effective.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
#include "support/run_as.h"

namespace perfqos {
namespace {

using testing::ConfigFile;
using testing::DaemonProcess;
using testing::eventually;
using testing::run_as;
using testing::TestCgroup;
using testing::effective;
using testing::unique;
using testing::kNobody;
using testing::kLatencyNoConstraint;


// The requests of bindings on `device` (active ones) with their reason and app id.
std::vector<perfqos_holder_note_info> bound(const std::string& socket, const char* device) {
  std::vector<perfqos_holder_note_info> out;
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return out;
  perfqos_holder_note_info* holders = nullptr;
  std::size_t n = 0;
  if (perfqos_status_noted(c, device, &holders, &n) == 0) {
    for (std::size_t i = 0; i < n; ++i) {
      if (holders[i].holder.holder_kind == PERFQOS_HOLDER_CGROUP_BINDING) out.push_back(holders[i]);
    }
  }
  perfqos_free(holders);
  perfqos_close(c);
  return out;
}

class TransientBinding : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!group_.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
    ASSERT_TRUE(daemon_.ready()) << daemon_.log();
    ASSERT_EQ(perfqos_connect(daemon_.socket().c_str(), 5000, &root_), 0);
  }
  void TearDown() override { perfqos_close(root_); }
  std::string socket() const { return daemon_.socket(); }

  TestCgroup group_{unique("/pq-test-transient-")};
  DaemonProcess daemon_;
  perfqos_client* root_ = nullptr;
};

// The container case: populated at BIND; its process exits; the binding is gone, and a process
// that enters the cgroup afterwards brings nothing back.
TEST_F(TransientBinding, EndsForGoodWhenItsPopulatedCgroupEmpties) {
  group_.spawn_sleeper();
  std::uint32_t id = 0;
  perfqos_change change{};
  ASSERT_EQ(perfqos_bind_transient(root_, group_.path().c_str(), "cpu_dma_latency", nullptr, 25,
                                   "test container", "oci:abc", &id, &change),
            0)
      << perfqos_last_error(root_);
  EXPECT_EQ(change.changed, 1);
  EXPECT_EQ(change.effective.value, 25);
  const auto held = bound(socket(), "cpu_dma_latency");
  ASSERT_EQ(held.size(), 1u);
  EXPECT_STREQ(held[0].reason, "test container");
  EXPECT_STREQ(held[0].app_id, "oci:abc");
  EXPECT_EQ(held[0].holder.cgroup, group_.path());

  group_.kill_all();
  ASSERT_TRUE(eventually([&] { return effective(socket(), "cpu_dma_latency") == kLatencyNoConstraint; }))
      << daemon_.log();
  EXPECT_TRUE(bound(socket(), "cpu_dma_latency").empty());
  EXPECT_EQ(perfqos_unbind(root_, id, nullptr), -ENOENT) << "the binding is gone for good";

  group_.spawn_sleeper();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(effective(socket(), "cpu_dma_latency"), kLatencyNoConstraint) << daemon_.log();
}

// Bound while empty (a cgroup made before its first process): it waits, is placed when the
// cgroup fills, and ends when it empties.
TEST_F(TransientBinding, OnAnEmptyCgroupWaitsForItToFillThenEndsWithIt) {
  std::uint32_t id = 0;
  perfqos_change change{};
  ASSERT_EQ(perfqos_bind_transient(root_, group_.path().c_str(), "network_latency", nullptr, 40,
                                   nullptr, nullptr, &id, &change),
            0)
      << perfqos_last_error(root_);
  EXPECT_EQ(change.changed, 0);
  group_.spawn_sleeper();
  ASSERT_TRUE(eventually([&] { return effective(socket(), "network_latency") == 40; }))
      << daemon_.log();
  group_.kill_all();
  ASSERT_TRUE(eventually([&] { return effective(socket(), "network_latency") == kLatencyNoConstraint; }))
      << daemon_.log();
  EXPECT_EQ(perfqos_unbind(root_, id, nullptr), -ENOENT);
}

// Removed before it ever filled: nothing is left waiting for a cgroup that is gone.
TEST_F(TransientBinding, EndsWhenItsCgroupIsRemoved) {
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_bind_transient(root_, group_.path().c_str(), "network_latency", nullptr, 40,
                                   nullptr, nullptr, &id, nullptr),
            0);
  ASSERT_TRUE(group_.remove());
  // (Not by polling UNBIND: one that came first would remove the binding itself.)
  EXPECT_TRUE(eventually([&] {
    return daemon_.log().find("transient, cgroup missing, binding removed") != std::string::npos;
  })) << daemon_.log();
  EXPECT_EQ(perfqos_unbind(root_, id, nullptr), -ENOENT);
}

// A binding that is not transient is placed again when the cgroup fills again.
TEST_F(TransientBinding, APlainBindingOutlivesTheEmptying) {
  group_.spawn_sleeper();
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_bind(root_, group_.path().c_str(), "network_latency", nullptr, 30, &id, nullptr),
            0);
  group_.kill_all();
  ASSERT_TRUE(eventually([&] { return effective(socket(), "network_latency") == kLatencyNoConstraint; }));
  group_.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return effective(socket(), "network_latency") == 30; }))
      << daemon_.log();
  EXPECT_EQ(perfqos_unbind(root_, id, nullptr), 0);
}

// Bad notes are refused by the library before anything is sent, naming the field.
TEST_F(TransientBinding, BadReasonIsRefusedNamingTheField) {
  std::uint32_t id = 0;
  EXPECT_EQ(perfqos_bind_transient(root_, group_.path().c_str(), "network_latency", nullptr, 30,
                                   "line\nbreak", nullptr, &id, nullptr),
            -EINVAL);
  EXPECT_NE(std::strstr(perfqos_last_error(root_), "reason"), nullptr) << perfqos_last_error(root_);
  EXPECT_EQ(perfqos_bind_transient(root_, nullptr, "network_latency", nullptr, 30, nullptr, nullptr,
                                   &id, nullptr),
            -EINVAL);
}

// The quota slot comes back when the binding ends: a binder at quotas.max_bindings_per_uid = 1
// may bind again once its container is gone, without an UNBIND.
TEST(TransientBindingQuota, EndingGivesTheSlotBack) {
  TestCgroup group(unique("/pq-test-transientquota-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ASSERT_EQ(::chown(group.dir().c_str(), kNobody, kNobody), 0) << std::strerror(errno);
  ConfigFile config(
      "[[grant]]\nusers = [65534]\ndevice = \"network_latency\"\n"
      "\n[quotas]\nmax_bindings_per_uid = 1\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  const std::string cgroup = group.path();
  group.spawn_sleeper();

  const auto bind_twice = [&](std::vector<int>& out) {
    perfqos_client* c = nullptr;
    std::uint32_t id = 0;
    out.push_back(perfqos_connect(socket.c_str(), 5000, &c));
    out.push_back(perfqos_bind_transient(c, cgroup.c_str(), "network_latency", nullptr, 70,
                                         nullptr, nullptr, &id, nullptr));
    out.push_back(perfqos_bind_transient(c, cgroup.c_str(), "network_latency", nullptr, 71,
                                         nullptr, nullptr, &id, nullptr));
    perfqos_close(c);
  };
  EXPECT_EQ(run_as(kNobody, kNobody, bind_twice), (std::vector<int>{0, 0, -EDQUOT})) << d.log();
  group.kill_all();
  ASSERT_TRUE(eventually([&] { return effective(socket, "network_latency") == kLatencyNoConstraint; }));
  group.spawn_sleeper();
  EXPECT_EQ(run_as(kNobody, kNobody, bind_twice), (std::vector<int>{0, 0, -EDQUOT})) << d.log();
  EXPECT_EQ(effective(socket, "network_latency"), 70);
}

}  // namespace
}  // namespace perfqos
