#include "perfqos/cgroup_data.h"

#include <gtest/gtest.h>

#include "perfqos/broker.h"
#include "perfqos/device_specs.h"

namespace perfqos {
namespace {

TEST(CgroupData, LifeCycle) {
  Broker broker;
  DeviceSpec gpu, npu;
  ASSERT_TRUE(perf_device_spec("gpu", PerfUnit::kNormal, 0, 1024, &gpu).ok());
  ASSERT_TRUE(perf_device_spec("npu", PerfUnit::kNormal, 0, 1024, &npu).ok());
  ASSERT_TRUE(broker.register_device(gpu).ok());
  ASSERT_TRUE(broker.register_device(npu).ok());
  CgroupLimit cap;
  cap.cgroup = "/games/*";
  cap.device = "gpu";
  cap.knob = "max";
  cap.cap = 700;
  cap.origin = "c:3";
  Policy policy({}, {cap}, {});

  CgroupDataTable table;
  bool created = false;
  CgroupData& a = table.get(*broker.registry().find("gpu"), "/games/a", policy, &created);
  EXPECT_TRUE(created);  // created on first use
  ASSERT_EQ(a.limits.size(), 1u);
  EXPECT_EQ(a.limits[0].knob, "max");
  EXPECT_EQ(a.limits[0].cap, 700);
  a.counters.admitted++;
  CgroupData& again = table.get(*broker.registry().find("gpu"), "/games/a", policy, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.counters.admitted, 1u);
  table.get(*broker.registry().find("npu"), "/games/a", policy);
  table.get(*broker.registry().find("gpu"), "/games/b", policy);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_TRUE(table.find("npu", "/games/a")->limits.empty());

  // The policy changes: limits follow, counters stay.
  cap.cap = 600;
  Policy next({}, {cap}, {});
  table.refresh(next, broker.registry());
  EXPECT_EQ(table.find("gpu", "/games/a")->limits[0].cap, 600);
  EXPECT_EQ(table.find("gpu", "/games/a")->counters.admitted, 1u);

  // The cgroup is removed: its data on every device goes.
  EXPECT_EQ(table.remove_cgroup("/games/a"), 2u);
  EXPECT_EQ(table.find("gpu", "/games/a"), nullptr);
  EXPECT_EQ(table.find("npu", "/games/a"), nullptr);
  // The device goes: all its data is released.
  EXPECT_EQ(table.release_device("gpu"), 1u);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace perfqos
