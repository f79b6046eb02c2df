// PROFILE (protocol version 4, perfqos_profile) against a real perfqosd on a generated tree with
// EPP and a platform profile: the built-in profiles and the config's [[profile]]s resolve to
// their requests on the devices served now, ENOENT names the profiles there are, and nothing is
// placed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "backends/sysfs_tree.h"
#include "perfqos/client.hpp"
#include "support/daemon_process.h"
#include "support/run_as.h"

namespace perfqos {
namespace {

using testing::ConfigFile;
using testing::DaemonProcess;
using testing::SysfsTree;

constexpr char kPolicy0[] = "/sys/devices/system/cpu/cpufreq/policy0";
constexpr char kProfile[] = "/sys/firmware/acpi/platform_profile";

std::string text(const perfqos_profile_request& r) {
  return std::string(r.device) + "." + r.knob + "=" + std::to_string(r.value) + " end " +
         std::to_string(r.end);
}

class ProfileRequest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.add_cpu_latency_node();
    tree_.add_cpufreq_policy(0, 400000, 3000000, {0});
    tree_.write_file(std::string(kPolicy0) + "/energy_performance_available_preferences",
                     "default performance balance_performance balance_power power");
    tree_.write_file(std::string(kPolicy0) + "/energy_performance_preference", "balance_power");
    tree_.write_file(kProfile, "balanced");
    tree_.write_file(std::string(kProfile) + "_choices", "low-power balanced performance");
    daemon_.emplace(
        std::vector<std::string>{"--sysfs-root", tree_.dir(), "--config", config_.path});
    ASSERT_TRUE(daemon_->ready()) << daemon_->log();
    ASSERT_TRUE(client::Client::connect(&client_, daemon_->socket().c_str(), 5000).ok());
  }

  SysfsTree tree_;
  ConfigFile config_{R"(
[[profile]]
name = "lowlat"
requests = ["cpu_dma_latency=30", "policy0.min=1000000", "gpu0.min=5", "policy0.epp.min=performance"]
)"};
  std::optional<DaemonProcess> daemon_;
  client::Client client_;
};

TEST_F(ProfileRequest, TheConfigsProfileResolvesOnThePresentDevicesAndPlacesNothing) {
  std::vector<perfqos_profile_request> got;
  std::size_t absent = 99;
  ASSERT_TRUE(client_.profile("lowlat", &got, &absent).ok()) << daemon_->log();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(text(got[0]), "cpu_dma_latency.latency=30 end 0");
  EXPECT_EQ(text(got[1]), "policy0.min=1000000 end 1");
  EXPECT_EQ(std::string(got[2].device) + "." + got[2].knob, "policy0.epp.min");
  EXPECT_EQ(got[2].end, PERFQOS_END_MIN);
  EXPECT_EQ(absent, 1u);  // gpu0 is not there
  perfqos_effective e{};
  ASSERT_TRUE(client_.read("cpu_dma_latency", "", &e).ok());
  EXPECT_EQ(e.value, 2000000000);  // resolved, not placed
}

TEST_F(ProfileRequest, TheBuiltInsResolveFromTheKnobsThereAre) {
  std::vector<perfqos_profile_request> got;
  ASSERT_TRUE(client_.profile("performance", &got).ok());
  std::vector<std::string> texts;
  for (const auto& r : got) texts.push_back(std::string(r.device) + "." + r.knob);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "policy0.epp.min"), texts.end());
  got.clear();
  ASSERT_TRUE(client_.profile("balanced", &got).ok());
  EXPECT_TRUE(got.empty());
}

TEST_F(ProfileRequest, AnUnknownProfileIsEnoentNamingThoseThereAre) {
  std::vector<perfqos_profile_request> got;
  const client::Status s = client_.profile("nosuch", &got);
  EXPECT_EQ(s.code(), ENOENT);
  EXPECT_EQ(s.message(),
            "no profile 'nosuch': profiles are power-saver, balanced, performance, lowlat");
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace perfqos
