// The perf QoS RFC's per-holder rules (DESIGN §5), each error with its errno.
#include "model/perf_qos_handle.h"

#include <gtest/gtest.h>

#include "model/device_specs.h"
#include "model/recording_backend.h"

namespace perfqos {
namespace {

class PerfQosHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DeviceSpec gpu;
    ASSERT_TRUE(perf_device_spec("gpu", PerfUnit::kNormal, 100, 900, &gpu).ok());
    ASSERT_TRUE(broker.register_device(gpu, backend).ok());
  }
  Range effective() const {
    return broker.registry().find("gpu")->knob(KnobId::kRange)->effective_range();
  }

  std::shared_ptr<testing::RecordingBackend> backend =
      std::make_shared<testing::RecordingBackend>();
  Broker broker;
  std::unique_ptr<Holder> holder_a = broker.make_holder({});
  std::unique_ptr<Holder> holder_b = broker.make_holder({});
  PerfQosHandle a{broker, *holder_a, "gpu"};
  PerfQosHandle b{broker, *holder_b, "gpu"};
};

TEST_F(PerfQosHandleTest, OneMinAndOneMaxPerHandleSettingAgainChangesIt) {
  bool changed = false;
  ASSERT_TRUE(a.set(RangeEnd::kMin, 300, &changed).ok());
  EXPECT_TRUE(changed);
  ASSERT_TRUE(a.set(RangeEnd::kMin, 400, &changed).ok());
  ASSERT_TRUE(a.set(RangeEnd::kMax, 800).ok());
  EXPECT_EQ(holder_a->size(), 2u);
  EXPECT_EQ(effective(), (Range{400, 800}));
  EXPECT_EQ(a.own(RangeEnd::kMin), 400);
}

TEST_F(PerfQosHandleTest, SameValueAgainIsEalready) {
  ASSERT_TRUE(a.set(RangeEnd::kMax, 700).ok());
  Status s = a.set(RangeEnd::kMax, 700);
  EXPECT_EQ(s.code(), EALREADY);
  EXPECT_EQ(holder_a->size(), 1u);
  // Another handle asking for the same value is its own request, not EALREADY.
  EXPECT_TRUE(b.set(RangeEnd::kMax, 700).ok());
  EXPECT_EQ(holder_b->size(), 1u);
}

TEST_F(PerfQosHandleTest, HardLimitRemovesTheRequestOrIsEinvalWithoutOne) {
  EXPECT_EQ(a.set(RangeEnd::kMin, 100).code(), EINVAL);  // nothing to remove
  EXPECT_EQ(a.set(RangeEnd::kMax, 900).code(), EINVAL);
  ASSERT_TRUE(a.set(RangeEnd::kMin, 500).ok());
  bool changed = false;
  ASSERT_TRUE(a.set(RangeEnd::kMin, 100, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(holder_a->size(), 0u);
  EXPECT_EQ(effective(), (Range{100, 900}));
  EXPECT_FALSE(a.own(RangeEnd::kMin).has_value());
}

TEST_F(PerfQosHandleTest, OutsideTheHardLimitsIsEinval) {
  EXPECT_EQ(a.set(RangeEnd::kMax, 901).code(), EINVAL);
  EXPECT_EQ(a.set(RangeEnd::kMin, 99).code(), EINVAL);
  EXPECT_EQ(a.set(RangeEnd::kMin, 901).code(), EINVAL);
  EXPECT_EQ(a.set(RangeEnd::kMax, -1).code(), EINVAL);
  Status s = a.set(RangeEnd::kMax, 1000);
  EXPECT_EQ(s.message(), "gpu.max: value 1000 out of range: allowed 100..900");
  EXPECT_EQ(holder_a->size(), 0u);
  EXPECT_TRUE(backend->applied.empty());
}

TEST_F(PerfQosHandleTest, GetWithNoRequestOnTheDeviceIsEnodata) {
  std::int32_t v = 0;
  EXPECT_EQ(a.get(RangeEnd::kMin, &v).code(), ENODATA);
  EXPECT_EQ(a.get(RangeEnd::kMax, &v).code(), ENODATA);
  ASSERT_TRUE(b.set(RangeEnd::kMin, 350).ok());  // someone else's request counts
  ASSERT_TRUE(a.get(RangeEnd::kMin, &v).ok());
  EXPECT_EQ(v, 350);
  EXPECT_EQ(a.get(RangeEnd::kMax, &v).code(), ENODATA);
  Range r;
  ASSERT_TRUE(a.effective(&r).ok());  // effective works without requests
  EXPECT_EQ(r, (Range{350, 900}));
  PerfUnit unit;
  ASSERT_TRUE(a.limits(&r, &unit).ok());
  EXPECT_EQ(r, (Range{100, 900}));
  EXPECT_EQ(unit, PerfUnit::kNormal);
}

TEST_F(PerfQosHandleTest, DeviceGoneIsEnodevForEverything) {
  ASSERT_TRUE(a.set(RangeEnd::kMin, 300).ok());
  ASSERT_TRUE(broker.unregister_device("gpu").ok());
  std::int32_t v;
  Range r;
  PerfUnit unit;
  EXPECT_EQ(a.set(RangeEnd::kMin, 400).code(), ENODEV);
  EXPECT_EQ(a.get(RangeEnd::kMin, &v).code(), ENODEV);
  EXPECT_EQ(a.effective(&r).code(), ENODEV);
  EXPECT_EQ(a.limits(&r, &unit).code(), ENODEV);
  EXPECT_EQ(holder_a->size(), 0u);  // the detached request was freed
}

}  // namespace
}  // namespace perfqos
