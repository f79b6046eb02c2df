// The container policy alone: the built-in rules, ranges and globs, and refusals that name the
// target and the [[container]] lines to paste (which must parse as config).
#include "policy/container_policy.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "policy/config.h"

namespace perfqos {
namespace {

TEST(ContainerPolicy, TheDefaultAllowsTheLatencyClassesAndCpuResumeLatency) {
  const std::vector<ContainerRule> rules = default_container_rules();
  for (const char* device : {"cpu_dma_latency", "network_latency", "cpu_wakeup_latency"}) {
    EXPECT_TRUE(authorize_container(rules, device, "latency", 0).ok()) << device;
    EXPECT_TRUE(authorize_container(rules, device, "latency", 25).ok()) << device;
  }
  EXPECT_TRUE(authorize_container(rules, "cpu0", "resume_latency", 0).ok());
  EXPECT_TRUE(authorize_container(rules, "cpu17", "resume_latency", 10).ok());
  // Not the other knobs, not devices named like CPUs but not CPUs.
  EXPECT_EQ(authorize_container(rules, "network_throughput", "throughput", 10).code(), EACCES);
  EXPECT_EQ(authorize_container(rules, "policy0", "min", 1000000).code(), EACCES);
  EXPECT_EQ(authorize_container(rules, "cpufreq", "resume_latency", 0).code(), EACCES);
  EXPECT_EQ(authorize_container(rules, "cpu0", "latency_tolerance", 0).code(), EACCES);
}

TEST(ContainerPolicy, RangesGlobsAndTheDefaultValue) {
  const std::vector<ContainerRule> rules{{"cpu_dma_latency", "latency", 20, 100, "t.toml:1"},
                                         {"policy*", "range", 800000, 1200000, "t.toml:6"}};
  EXPECT_TRUE(authorize_container(rules, "cpu_dma_latency", "latency", 20).ok());
  EXPECT_TRUE(authorize_container(rules, "cpu_dma_latency", "latency", 100).ok());
  EXPECT_TRUE(authorize_container(rules, "cpu_dma_latency", "latency", -1).ok());
  EXPECT_TRUE(authorize_container(rules, "policy3", "max", 1200000).ok());
  EXPECT_TRUE(authorize_container(rules, "policy3", "min", 800000).ok());
  EXPECT_EQ(authorize_container(rules, "policy3", "min", 2000000).code(), EACCES);
  EXPECT_EQ(authorize_container({}, "cpu_dma_latency", "latency", -1).code(), EACCES);
}

TEST(ContainerPolicy, RefusalsNameTheTargetTheRangesAndAValidEntryToPaste) {
  const std::vector<ContainerRule> rules{{"cpu_dma_latency", "latency", 20, 100, "t.toml:1"}};
  Status s = authorize_container(rules, "cpu_dma_latency", "latency", 5);
  ASSERT_EQ(s.code(), EACCES);
  EXPECT_EQ(s.message().rfind("cpu_dma_latency.latency=5: outside what containers may ask", 0), 0u)
      << s.message();
  EXPECT_NE(s.message().find("20..100 (t.toml:1)"), std::string::npos) << s.message();
  s = authorize_container(rules, "network_latency", "latency", 7);
  ASSERT_EQ(s.code(), EACCES);
  EXPECT_EQ(s.message().rfind("network_latency.latency=7: containers may not ask for it", 0), 0u)
      << s.message();
  // The hint is config: what follows "add to the perfqosd config:" parses and then admits it.
  const std::string marker = "add to the perfqosd config:\n";
  const std::size_t at = s.message().find(marker);
  ASSERT_NE(at, std::string::npos) << s.message();
  daemon::Config config;
  const Status parsed =
      daemon::parse_config(s.message().substr(at + marker.size()), "hint", &config);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_TRUE(config.policy().authorize_container("network_latency", "latency", 7).ok());
}

}  // namespace
}  // namespace perfqos
