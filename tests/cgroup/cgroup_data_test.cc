#include "cgroup/cgroup_data.h"

#include <gtest/gtest.h>

#include "model/broker.h"
#include "model/device_specs.h"

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

// visit_from() is the paging of CGROUP_DATA: from every position, with or without a device
// filter, it visits exactly the tail of entries() (filtered), in the same order.
TEST(CgroupData, VisitFromEveryPositionIsTheTailOfTheListing) {
  Broker broker;
  Policy policy;
  CgroupDataTable table;
  for (const char* name : {"a", "b", "c"}) {
    DeviceSpec spec;
    ASSERT_TRUE(perf_device_spec(name, PerfUnit::kNormal, 0, 1024, &spec).ok());
    ASSERT_TRUE(broker.register_device(spec).ok());
  }
  for (int i = 0; i < 7; ++i)
    table.get(*broker.registry().find("a"), "/g" + std::to_string(i), policy);
  for (int i = 0; i < 3; ++i)
    table.get(*broker.registry().find("c"), "/h" + std::to_string(i), policy);
  for (const std::string device : {"", "a", "b", "c", "nosuch"}) {
    std::vector<const CgroupData*> all;
    for (const CgroupData* e : table.entries()) {
      if (device.empty() || e->device == device) all.push_back(e);
    }
    EXPECT_EQ(table.count(device), all.size()) << device;
    for (std::size_t first = 0; first <= all.size() + 1; ++first) {
      std::vector<const CgroupData*> got;
      table.visit_from(device, first, [&](const CgroupData& e) {
        got.push_back(&e);
        return true;
      });
      const std::vector<const CgroupData*> tail(all.begin() + std::min(first, all.size()),
                                                all.end());
      EXPECT_EQ(got, tail) << "device '" << device << "' from " << first;
    }
  }
  // The visitor stops the walk.
  std::size_t seen = 0;
  table.visit_from("", 2, [&](const CgroupData&) { return ++seen < 4; });
  EXPECT_EQ(seen, 4u);
}

}  // namespace
}  // namespace perfqos
