// perfqosd with named knobs (issue #17 point 2) on a generated tree: EPP, the ACPI platform
// profile, a platform-profile-N handler and a cgroup's uclamp min and max (point 4) are
// journaled and put back by the next start after SIGKILL, and a rescan that finds a choice gone
// registers the device again with the choices it has now, its knobs back first.
#include <gtest/gtest.h>

#include <filesystem>
#include <tuple>

#include "backends/sysfs_tree.h"
#include "perfqos/client.h"
#include "support/daemon_process.h"

namespace perfqos {
namespace {

using testing::DaemonProcess;
using testing::SysfsTree;

constexpr char kPolicy0[] = "/sys/devices/system/cpu/cpufreq/policy0";
constexpr char kEpp[] = "/sys/devices/system/cpu/cpufreq/policy0/energy_performance_preference";
constexpr char kProfile[] = "/sys/firmware/acpi/platform_profile";
constexpr char kUclampMin[] = "/sys/fs/cgroup/batch.slice/cpu.uclamp.min";
constexpr char kUclampMax[] = "/sys/fs/cgroup/batch.slice/cpu.uclamp.max";
// Linux 6.14's class: one directory per profile handler.
constexpr char kClassProfile[] = "/sys/class/platform-profile/platform-profile-0";

class NamedKnobsDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree.add_cpu_latency_node();
    tree.add_cpufreq_policy(0, 400000, 3000000, {0});
    tree.write_file(std::string(kPolicy0) + "/energy_performance_available_preferences",
                    "default performance balance_performance balance_power power");
    tree.write_file(kEpp, "balance_power");
    tree.write_file(kProfile, "balanced");
    tree.write_file(std::string(kProfile) + "_choices", "low-power balanced performance");
    tree.write_file(std::string(kClassProfile) + "/profile", "balanced");
    tree.write_file(std::string(kClassProfile) + "/choices", "quiet balanced performance");
    tree.write_file(kUclampMin, "0.00");
    tree.write_file(kUclampMax, "max");
    char tmpl[] = "/tmp/perfqos-state-XXXXXX";
    state_dir = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(state_dir); }
  std::vector<std::string> args() const {
    return {"--sysfs-root", tree.dir(), "--state-dir", state_dir};
  }

  SysfsTree tree;
  std::string state_dir;
};

// The choices of device.knob as libperfqos reports them.
std::vector<std::string> choices_of(perfqos_client* c, const std::string& device,
                                    const std::string& knob) {
  perfqos_knob_choices* all = nullptr;
  size_t n = 0;
  std::vector<std::string> out;
  if (perfqos_list_choices(c, &all, &n) != 0) return {"<error>"};
  for (size_t i = 0; i < n; ++i) {
    if (device != all[i].device || knob != all[i].knob) continue;
    for (size_t j = 0; j < all[i].count; ++j) out.emplace_back(all[i].names[j]);
  }
  perfqos_free(all);
  return out;
}

TEST_F(NamedKnobsDaemonTest, AfterSigkillTheNextStartPutsTheWordsAndClampsBack) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t client = -1;
  {
    DaemonProcess daemon(args());
    ASSERT_TRUE(daemon.ready()) << daemon.log();
    client = ::fork();
    if (client == 0) {
      perfqos_client* c = nullptr;
      char ok = perfqos_connect(daemon.socket().c_str(), 5000, &c) == 0;
      std::uint32_t id;
      ok = ok && perfqos_add(c, "policy0", "epp.min", 3, &id, nullptr) == 0;  // performance
      ok = ok && perfqos_add(c, "platform_profile", "profile.max", 0, &id, nullptr) == 0;
      ok = ok && perfqos_add(c, "platform-profile-0", "profile.min", 2, &id, nullptr) == 0;
      ok = ok && perfqos_add(c, "uclamp:batch.slice", "min", 256, &id, nullptr) == 0;
      ok = ok && perfqos_add(c, "uclamp:batch.slice", "max", 512, &id, nullptr) == 0;
      (void)!::write(ready[1], &ok, 1);
      for (;;) ::pause();
    }
    char ok = 0;
    ASSERT_EQ(::read(ready[0], &ok, 1), 1);
    ASSERT_TRUE(ok) << daemon.log();
    EXPECT_EQ(tree.read_file(kEpp), "performance");
    EXPECT_EQ(tree.read_file(kProfile), "low-power");
    EXPECT_EQ(tree.read_file(std::string(kClassProfile) + "/profile"), "performance");
    EXPECT_EQ(tree.read_file(kUclampMin), "25.00");
    EXPECT_EQ(tree.read_file(kUclampMax), "50.00");
    daemon.stop(SIGKILL);
  }
  ::kill(client, SIGKILL);
  ::waitpid(client, nullptr, 0);
  EXPECT_EQ(tree.read_file(kEpp), "performance");  // nobody put it back yet

  DaemonProcess again(args());
  ASSERT_TRUE(again.ready()) << again.log();
  EXPECT_EQ(tree.read_file(kEpp), "balance_power");
  EXPECT_EQ(tree.read_file(kProfile), "balanced");
  EXPECT_EQ(tree.read_file(std::string(kClassProfile) + "/profile"), "balanced");
  EXPECT_EQ(tree.read_file(kUclampMin), "0.00");
  EXPECT_EQ(tree.read_file(kUclampMax), "max");
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(NamedKnobsDaemonTest, AChoiceVanishingOnRescanReRegistersTheDeviceWithWhatIsLeft) {
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(daemon.socket().c_str(), 5000, &c), 0);
  EXPECT_EQ(choices_of(c, "platform_profile", "profile"),
            (std::vector<std::string>{"low-power", "balanced", "performance"}));
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_add(c, "platform_profile", "profile.min", 2, &id, nullptr), 0)
      << perfqos_last_error(c);
  EXPECT_EQ(tree.read_file(kProfile), "performance");

  // The firmware stops offering "performance" (a driver reload, a power source change).
  tree.write_file(std::string(kProfile) + "_choices", "low-power balanced");
  std::uint32_t added = 0, removed = 0;
  ASSERT_EQ(perfqos_rescan(c, &added, &removed), 0) << perfqos_last_error(c);
  EXPECT_EQ(added, 1u);
  EXPECT_EQ(removed, 1u);
  EXPECT_EQ(tree.read_file(kProfile), "balanced");  // back where it was
  EXPECT_EQ(choices_of(c, "platform_profile", "profile"),
            (std::vector<std::string>{"low-power", "balanced"}));
  EXPECT_EQ(perfqos_update(c, id, 1, nullptr), -ENODEV);  // the old request ended
  EXPECT_EQ(perfqos_add(c, "platform_profile", "profile.min", 2, &id, nullptr), -EINVAL);
  EXPECT_EQ(perfqos_add(c, "platform_profile", "profile.min", 1, &id, nullptr), 0);
  // A rescan that changes nothing leaves the device and its request alone.
  ASSERT_EQ(perfqos_rescan(c, &added, &removed), 0);
  EXPECT_EQ(added + removed, 0u);
  EXPECT_EQ(perfqos_update(c, id, 0, nullptr), 0);
  perfqos_close(c);
}

}  // namespace
}  // namespace perfqos
