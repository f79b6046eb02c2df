// uclamp (issue #17 point 4) on a generated cgroup v2 tree: this kernel has no
// CONFIG_UCLAMP_TASK_GROUP, so the files are generated as the kernel shows them.
#include <gtest/gtest.h>

#include "backends/discovery.h"
#include "backends/knobs/uclamp_backend.h"
#include "backends/sysfs_tree.h"
#include "model/broker.h"

namespace perfqos::backends {
namespace {

using perfqos::testing::SysfsTree;

constexpr char kBatch[] = "/sys/fs/cgroup/batch.slice";

TEST(UclampTest, NormalUnitsBecomePercentRoundedTowardTheRequest) {
  EXPECT_EQ(uclamp_percent(307, false, true), "29.98");  // a cap rounds down
  EXPECT_EQ(uclamp_percent(307, true, true), "29.99");   // a floor rounds up
  EXPECT_EQ(uclamp_percent(512, true, true), "50.00");
  EXPECT_EQ(uclamp_percent(0, false, true), "0.00");
  EXPECT_EQ(uclamp_percent(1024, false, true), "max");
  EXPECT_EQ(uclamp_percent(1024, false, false), "100.00");
}

TEST(UclampTest, FirstLevelCgroupsWithClampsAreDevicesThatWriteAndRestore) {
  SysfsTree tree;
  tree.write_file(std::string(kBatch) + "/cpu.uclamp.min", "0.00");
  tree.write_file(std::string(kBatch) + "/cpu.uclamp.max", "max");
  tree.write_file("/sys/fs/cgroup/system.slice/cpu.max", "max 100000");  // no clamps: no device
  tree.write_file("/sys/fs/cgroup/cgroup.controllers", "cpu memory");
  Broker broker;
  for (auto& dev : discover_devices(tree.sysfs(), nullptr).devices) {
    ASSERT_TRUE(broker.register_device(dev.spec, dev.backend).ok()) << dev.spec.name;
  }
  ASSERT_NE(broker.registry().find("uclamp:batch.slice"), nullptr);
  EXPECT_EQ(broker.registry().find("uclamp:system.slice"), nullptr);
  EXPECT_EQ(broker.registry().find("uclamp:batch.slice")->kind(), "uclamp");
  EXPECT_EQ(broker.registry().find("uclamp:batch.slice")->perf_unit(), PerfUnit::kNormal);

  auto holder = broker.make_holder(HolderIdentity{});
  RequestOutcome cap, floor;
  ASSERT_TRUE(broker
                  .add(*holder, RequestTarget{"uclamp:batch.slice", KnobId::kRange, RangeEnd::kMax, false},
                       307, std::nullopt, &cap)
                  .ok());
  EXPECT_EQ(tree.read_file(std::string(kBatch) + "/cpu.uclamp.max"), "29.98");
  EXPECT_EQ(tree.read_file(std::string(kBatch) + "/cpu.uclamp.min"), "0.00");
  ASSERT_TRUE(broker
                  .add(*holder, RequestTarget{"uclamp:batch.slice", KnobId::kRange, RangeEnd::kMin, false},
                       100, std::nullopt, &floor)
                  .ok());
  EXPECT_EQ(tree.read_file(std::string(kBatch) + "/cpu.uclamp.min"), "9.77");
  ASSERT_TRUE(broker.remove(*holder, cap.id, nullptr).ok());
  EXPECT_EQ(tree.read_file(std::string(kBatch) + "/cpu.uclamp.max"), "max");
  ASSERT_TRUE(broker.remove(*holder, floor.id, nullptr).ok());
  EXPECT_EQ(tree.read_file(std::string(kBatch) + "/cpu.uclamp.min"), "0.00");
  holder.reset();
}

}  // namespace
}  // namespace perfqos::backends
