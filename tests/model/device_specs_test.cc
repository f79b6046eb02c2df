// The classes and per-device knobs of DESIGN §4: units, list types, defaults, valid ranges.
#include <gtest/gtest.h>

#include <climits>

#include "model/broker.h"
#include "model/device_specs.h"

namespace perfqos {
namespace {

struct ClassRow {
  PmQosClass cls;
  const char* name;
  KnobId knob;
  const char* unit;
  ListType type;
  std::int32_t no_constraint;
  std::int32_t max_request;
};

TEST(PmQosClasses, MatchTheDesignTable) {
  const ClassRow rows[] = {
      {PmQosClass::kCpuDmaLatency, "cpu_dma_latency", KnobId::kLatency, "us", ListType::kMin,
       2000000000, 2000000000},
      {PmQosClass::kNetworkLatency, "network_latency", KnobId::kLatency, "us", ListType::kMin,
       2000000000, 2000000000},
      {PmQosClass::kNetworkThroughput, "network_throughput", KnobId::kThroughput, "kbit/s",
       ListType::kMax, 0, INT_MAX},
      {PmQosClass::kMemoryBandwidth, "memory_bandwidth", KnobId::kBandwidth, "Mbit/s",
       ListType::kSum, 0, INT_MAX},
      // Linux 6.19: PM_QOS_RESUME_LATENCY_NO_CONSTRAINT (S32_MAX), not 2000 s.
      {PmQosClass::kCpuWakeupLatency, "cpu_wakeup_latency", KnobId::kLatency, "us", ListType::kMin,
       INT_MAX, INT_MAX},
  };
  for (const ClassRow& row : rows) {
    const DeviceSpec spec = pm_qos_class_spec(row.cls);
    EXPECT_EQ(spec.name, row.name);
    EXPECT_EQ(spec.kind, "class");
    ASSERT_EQ(spec.knobs.size(), 1u);
    const KnobSpec& k = spec.knobs[0];
    EXPECT_EQ(k.id, row.knob) << row.name;
    EXPECT_EQ(k.unit, row.unit) << row.name;
    EXPECT_EQ(k.list.type, row.type) << row.name;
    EXPECT_EQ(k.list.default_value, row.no_constraint) << row.name;
    EXPECT_EQ(k.list.no_constraint_value, row.no_constraint) << row.name;
    EXPECT_EQ(k.list.min_request, 0) << row.name;
    EXPECT_EQ(k.list.max_request, row.max_request) << row.name;
    EXPECT_TRUE(k.list.accepts(-1));
    EXPECT_FALSE(k.list.accepts(-2));
  }
}

TEST(PmQosClasses, RegisterAndAggregate) {
  Broker broker;
  for (PmQosClass c : kPmQosClasses) ASSERT_TRUE(broker.register_device(pm_qos_class_spec(c)).ok());
  auto holder = broker.make_holder({});
  RequestOutcome out;
  ASSERT_TRUE(broker.add(*holder, {"memory_bandwidth", KnobId::kBandwidth}, 100, {}, &out).ok());
  ASSERT_TRUE(broker.add(*holder, {"memory_bandwidth", KnobId::kBandwidth}, 250, {}, &out).ok());
  EXPECT_EQ(out.effective.min, 350);
  ASSERT_TRUE(broker.add(*holder, {"network_throughput", KnobId::kThroughput}, 9, {}, &out).ok());
  ASSERT_TRUE(broker.add(*holder, {"network_throughput", KnobId::kThroughput}, 7, {}, &out).ok());
  EXPECT_EQ(out.effective.min, 9);
  EXPECT_FALSE(out.changed);
}

TEST(DeviceKnobs, ResumeLatencyNoConstraintIsInt32Max) {
  const KnobSpec k = resume_latency_knob();
  EXPECT_EQ(k.list.type, ListType::kMin);
  EXPECT_EQ(k.list.no_constraint_value, INT_MAX);
  EXPECT_EQ(k.list.resolve(-1), INT_MAX);
  EXPECT_TRUE(k.list.accepts(0));  // 0 = no power saving at all
}

TEST(DeviceKnobs, LatencyToleranceEmptyIsAutoAndMinusOneRequestsZero) {
  const KnobSpec k = latency_tolerance_knob();
  Knob knob(k);
  EXPECT_EQ(knob.effective(), -1);  // auto
  Request r;
  ASSERT_TRUE(knob.add(r, RangeEnd::kMin, -1).changed());
  EXPECT_EQ(knob.effective(), 0);
  ASSERT_TRUE(r.update(INT_MAX).changed());  // "any"
  EXPECT_EQ(knob.effective(), INT_MAX);
}

TEST(DeviceKnobs, FlagsAcceptOnlyNoPowerOff) {
  const KnobSpec k = flags_knob();
  EXPECT_TRUE(k.list.accepts(kFlagNoPowerOff));
  EXPECT_TRUE(k.list.accepts(0));
  EXPECT_FALSE(k.list.accepts(2));
}

TEST(PerfDevices, LimitsAreCheckedAtCreation) {
  DeviceSpec spec;
  EXPECT_TRUE(perf_device_spec("gpu", PerfUnit::kNormal, 0, 1024, &spec).ok());
  EXPECT_EQ(spec.knobs[0].limits, (Range{0, 1024}));
  EXPECT_EQ(spec.knobs[0].unit, "normal");
  Status s = perf_device_spec("gpu", PerfUnit::kNormal, 0, 1025, &spec);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("limit_max 1025"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("0..1024"), std::string::npos) << s.message();
  EXPECT_EQ(perf_device_spec("gpu", PerfUnit::kNormal, -1, 10, &spec).code(), EINVAL);
  s = perf_device_spec("gpu", PerfUnit::kNormal, 600, 500, &spec);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("above limit_max"), std::string::npos);
  EXPECT_TRUE(perf_device_spec("link", PerfUnit::kKbps, 1000, 5000000, &spec).ok());
  EXPECT_EQ(perf_device_spec("x", PerfUnit::kNone, 0, 1, &spec).code(), EINVAL);
}

TEST(PerfDevices, BrokerRechecksLimits) {
  Broker broker;
  DeviceSpec spec{"gpu", "perf", "", PerfUnit::kNormal, {range_knob("normal", 0, 2000)}};
  EXPECT_EQ(broker.register_device(spec).code(), EINVAL);
  spec.knobs[0] = range_knob("normal", 10, 5);
  EXPECT_EQ(broker.register_device(spec).code(), EINVAL);
  spec.knobs.clear();
  EXPECT_EQ(broker.register_device(spec).code(), EINVAL);  // a perf device needs a range
  EXPECT_EQ(broker.registry().size(), 0u);
}

}  // namespace
}  // namespace perfqos
