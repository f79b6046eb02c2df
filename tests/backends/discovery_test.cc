// Discovery of a generated tree: the documented names, kinds, units and limits
// (docs/devices.md), backends that work when registered, and what is skipped.
#include "backends/discovery.h"

#include <gtest/gtest.h>

#include <climits>

#include "backends/sysfs_tree.h"
#include "model/broker.h"

namespace perfqos::backends {
namespace {

using perfqos::testing::SysfsTree;

const DiscoveredDevice* find(const Discovery& d, const std::string& name) {
  for (const auto& dev : d.devices)
    if (dev.spec.name == name) return &dev;
  return nullptr;
}

std::vector<KnobId> knob_ids(const DeviceSpec& spec) {
  std::vector<KnobId> ids;
  for (const auto& k : spec.knobs) ids.push_back(k.id);
  return ids;
}

void build_machine(SysfsTree& tree) {
  tree.add_cpu(0, "0", "auto");
  tree.add_cpu(1, "n/a", std::nullopt);
  tree.add_cpu(10, "0", "on");
  tree.make_dir("/sys/devices/system/cpu/cpuidle");  // not a CPU
  tree.add_cpufreq_policy(0, 400000, 3600000, {0, 1}, 800000, 3000000);
  tree.add_cpufreq_policy(10, 400000, 2000000, {10});
  tree.add_devfreq("ff9a0000.gpu", "/sys/devices/platform/ff9a0000.gpu", 300000000, 800000000,
                   {200000000, 300000000, 600000000, 800000000}, "auto");
  tree.add_devfreq("dmc", "/sys/devices/platform/dmc", 3200000000, 4266000000, {});
  tree.add_cooling_device(0, "Processor", 3);
  tree.add_cooling_device(1, "Fan", 0);  // nothing to control
  tree.add_thermal_zone(0);
  tree.add_rapl_zone("intel-rapl:0", "package-0", 15000000, 28000000);
  tree.add_rapl_zone("intel-rapl:0:0", "core", 0, 0);
  tree.add_cpu_latency_node();
}

TEST(DiscoveryTest, FindsTheDocumentedDevices) {
  SysfsTree tree;
  build_machine(tree);
  const Discovery d = discover_devices(tree.sysfs(), nullptr);
  std::vector<std::string> names;
  for (const auto& dev : d.devices) names.push_back(dev.spec.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cpu0", "cpu1", "cpu10", "policy0", "policy10", "dmc",
                                             "ff9a0000.gpu", "cooling_device0", "intel-rapl:0",
                                             "intel-rapl:0:0"}));

  const auto* cpu0 = find(d, "cpu0");
  ASSERT_NE(cpu0, nullptr);
  EXPECT_EQ(cpu0->spec.kind, "cpu");
  EXPECT_EQ(knob_ids(cpu0->spec), (std::vector<KnobId>{KnobId::kResumeLatency, KnobId::kFlags}));
  EXPECT_EQ(cpu0->spec.knobs[0].unit, "us");
  EXPECT_EQ(knob_ids(find(d, "cpu1")->spec), (std::vector<KnobId>{KnobId::kResumeLatency}));

  const auto* policy = find(d, "policy0");
  EXPECT_EQ(policy->spec.kind, "cpufreq");
  ASSERT_EQ(policy->spec.knobs.size(), 1u);
  EXPECT_EQ(policy->spec.knobs[0].unit, "kHz");
  EXPECT_EQ(policy->spec.knobs[0].limits, (Range{400000, 3600000}));  // cpuinfo, not scaling

  const auto* gpu = find(d, "ff9a0000.gpu");
  EXPECT_EQ(gpu->spec.kind, "devfreq");
  EXPECT_EQ(knob_ids(gpu->spec), (std::vector<KnobId>{KnobId::kRange, KnobId::kFlags}));
  EXPECT_EQ(gpu->spec.knobs[0].unit, "kHz");
  EXPECT_EQ(gpu->spec.knobs[0].limits, (Range{200000, 800000}));  // available_frequencies
  // Above 2.147 GHz: still fits, in kHz; no available list: the files' range.
  EXPECT_EQ(find(d, "dmc")->spec.knobs[0].limits, (Range{3200000, 4266000}));

  const auto* cooling = find(d, "cooling_device0");
  EXPECT_EQ(cooling->spec.kind, "cooling");
  EXPECT_EQ(cooling->spec.perf_unit, PerfUnit::kNormal);
  EXPECT_EQ(cooling->spec.knobs[0].limits, (Range{0, 1024}));

  const auto* rapl = find(d, "intel-rapl:0");
  EXPECT_EQ(rapl->spec.kind, "powercap");
  EXPECT_EQ(rapl->spec.knobs[0].unit, "mW");
  EXPECT_EQ(rapl->spec.knobs[0].limits, (Range{0, 28000}));
  EXPECT_EQ(find(d, "intel-rapl:0:0")->spec.knobs[0].limits, (Range{0, 0}));  // no max: limit

  bool fan_warned = false;
  for (const auto& w : d.warnings) fan_warned |= w.starts_with("cooling_device1");
  EXPECT_TRUE(fan_warned);
  EXPECT_EQ(find(d, "cpu_dma_latency"), nullptr);  // the daemon registers the class itself
}

TEST(DiscoveryTest, DiscoveredDevicesRegisterAndDriveTheirFiles) {
  SysfsTree tree;
  build_machine(tree);
  Broker broker;
  for (auto& dev : discover_devices(tree.sysfs(), nullptr).devices) {
    ASSERT_TRUE(broker.register_device(dev.spec, dev.backend).ok()) << dev.spec.name;
  }
  auto holder = broker.make_holder(HolderIdentity{});
  auto add = [&](const std::string& device, KnobId knob, RangeEnd end, std::int32_t v) {
    return broker.add(*holder, RequestTarget{device, knob, end, false}, v, std::nullopt, nullptr);
  };
  ASSERT_TRUE(add("cpu0", KnobId::kResumeLatency, RangeEnd::kMin, 0).ok());
  EXPECT_EQ(tree.read_file("/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us"), "n/a");
  ASSERT_TRUE(add("ff9a0000.gpu", KnobId::kFlags, RangeEnd::kMin, kFlagNoPowerOff).ok());
  EXPECT_EQ(tree.read_file("/sys/devices/platform/ff9a0000.gpu/power/control"), "on");
  ASSERT_TRUE(add("ff9a0000.gpu", KnobId::kRange, RangeEnd::kMax, 600000).ok());
  EXPECT_EQ(tree.read_file("/sys/devices/platform/ff9a0000.gpu/devfreq/ff9a0000.gpu/max_freq"),
            "600000000");
  ASSERT_TRUE(add("policy0", KnobId::kRange, RangeEnd::kMin, 2000000).ok());
  EXPECT_EQ(tree.read_file("/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq"), "2000000");
  ASSERT_TRUE(add("cooling_device0", KnobId::kRange, RangeEnd::kMax, 0).ok());
  EXPECT_EQ(tree.read_file("/sys/devices/virtual/thermal/cooling_device0/cur_state"), "3");
  ASSERT_TRUE(add("intel-rapl:0", KnobId::kRange, RangeEnd::kMax, 9000).ok());
  EXPECT_EQ(
      tree.read_file(
          "/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/constraint_0_power_limit_uw"),
      "9000000");
  holder.reset();
}

TEST(DiscoveryTest, AnEmptyOrBrokenTreeGivesNothingAndNoCrash) {
  SysfsTree tree;
  EXPECT_TRUE(discover_devices(tree.sysfs(), nullptr).devices.empty());
  tree.add_cpufreq_policy(0, 900, 100, {0});  // inverted cpuinfo
  tree.write_file("/sys/devices/system/cpu/cpufreq/policy1/cpuinfo_min_freq", "garbage");
  tree.make_link("/sys/class/devfreq/dangling", "/sys/devices/nowhere");
  tree.write_file("/sys/devices/virtual/thermal/cooling_device0/max_state", "x");
  tree.make_link("/sys/class/thermal/cooling_device0",
                 "/sys/devices/virtual/thermal/cooling_device0");
  const Discovery d = discover_devices(tree.sysfs(), nullptr);
  EXPECT_TRUE(d.devices.empty());
  EXPECT_EQ(d.warnings.size(), 4u);
}

}  // namespace
}  // namespace perfqos::backends
