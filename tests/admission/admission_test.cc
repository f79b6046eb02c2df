// The admission path: knob resolution, policy, quotas and per-cgroup counting in front of a real
// Broker, with the PM QoS classes, a CPU with per-device knobs and a perf QoS device.
#include "admission/admission.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "model/device_specs.h"
#include "model/recording_backend.h"

namespace perfqos::admission {
namespace {

using perfqos::testing::RecordingBackend;

class CountingCounter : public AdmissionCounter {
 public:
  void record(const std::string& device, const std::string& cgroup, bool admitted) override {
    ++counts[{device, cgroup, admitted}];
  }
  std::map<std::tuple<std::string, std::string, bool>, int> counts;
};

Requester user(uid_t uid, std::string cgroup = "/user.slice/app") {
  return Requester{4242, uid, uid, {}, std::move(cgroup), "app", Vouch::kPeerCred};
}

HolderIdentity holder_of(HolderKind kind) {
  HolderIdentity id;
  id.kind = kind;
  id.pid = 4242;
  id.uid = id.gid = 1000;
  return id;
}

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend = std::make_shared<RecordingBackend>();
    for (PmQosClass c : kPmQosClasses)
      ASSERT_TRUE(broker.register_device(pm_qos_class_spec(c)).ok());
    ASSERT_TRUE(
        broker
            .register_device(
                DeviceSpec{
                    "cpu0", "cpu", "", PerfUnit::kNone, {resume_latency_knob(), flags_knob()}},
                backend)
            .ok());
    DeviceSpec gpu;
    ASSERT_TRUE(perf_device_spec("gpu", PerfUnit::kNormal, 100, 900, &gpu).ok());
    ASSERT_TRUE(broker.register_device(gpu, backend).ok());
    Grant latency;
    latency.uids = {1000};
    latency.device = "cpu_dma_latency";
    latency.min = 100;
    latency.max = 800;
    latency.origin = "test.toml:1";
    Grant gpu_min;
    gpu_min.uids = {1000};
    gpu_min.device = "gpu";
    gpu_min.knob = "min";
    gpu_min.min = 200;
    gpu_min.max = 600;
    Quotas quotas;
    quotas.max_requests_per_holder = 2;
    policy.set(Policy({latency, gpu_min}, {}, quotas));
    admission.set_counter(&counter);
  }

  Range effective(const std::string& device, KnobId knob) const {
    const Knob* k = broker.registry().find(device)->knob(knob);
    return k->is_range() ? k->effective_range() : Range{k->effective(), k->effective()};
  }

  std::shared_ptr<RecordingBackend> backend;
  Broker broker;
  daemon::PolicyStore policy;
  daemon::Logger log{daemon::LogLevel::kError};
  CountingCounter counter;
  Admission admission{broker, policy, log};
};

TEST_F(AdmissionTest, ResolvesEverySpellingOfAKnob) {
  RequestTarget t;
  ASSERT_TRUE(admission.resolve("cpu_dma_latency", "", std::nullopt, &t).ok());
  EXPECT_EQ(t.knob, KnobId::kLatency);
  ASSERT_TRUE(admission.resolve("gpu", "max", std::nullopt, &t).ok());
  EXPECT_EQ(t.knob, KnobId::kRange);
  EXPECT_EQ(t.end, RangeEnd::kMax);
  ASSERT_TRUE(admission.resolve("gpu", "range", RangeEnd::kMin, &t).ok());
  EXPECT_EQ(t.end, RangeEnd::kMin);
  ASSERT_TRUE(admission.resolve("gpu", "", RangeEnd::kMax, &t).ok());
  EXPECT_EQ(t.end, RangeEnd::kMax);
  ASSERT_TRUE(admission.resolve("cpu0", "flags", std::nullopt, &t).ok());
  EXPECT_EQ(t.knob, KnobId::kFlags);
}

// Issue #13, finding 1: "min"/"max" on a device without a range knob once resolved to a knob
// the device lacks, and READ dereferenced it.
TEST_F(AdmissionTest, RangeEndNamesOnADeviceWithoutARangeAreRefused) {
  RequestTarget t{"untouched"};
  for (const char* device : {"cpu_dma_latency", "cpu0", "network_throughput"}) {
    for (const char* knob : {"min", "max"}) {
      Status s = admission.resolve(device, knob, std::nullopt, &t);
      EXPECT_EQ(s.code(), EINVAL) << device << "." << knob;
      EXPECT_NE(s.message().find("has no such knob"), std::string::npos) << s.message();
      EXPECT_EQ(t.device, "untouched");
    }
  }
}

TEST_F(AdmissionTest, BadTargetsNameTheDeviceAndItsKnobs) {
  RequestTarget t;
  EXPECT_EQ(admission.resolve("nope", "", std::nullopt, &t).code(), ENODEV);
  Status s = admission.resolve("cpu0", "", std::nullopt, &t);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("name a knob"), std::string::npos) << s.message();
  EXPECT_EQ(admission.resolve("cpu0", "speed", std::nullopt, &t).code(), EINVAL);
  EXPECT_EQ(admission.resolve("cpu0", "latency", std::nullopt, &t).code(), EINVAL);
  EXPECT_EQ(admission.resolve("gpu", "range", std::nullopt, &t).code(), EINVAL);
  EXPECT_EQ(admission.resolve("gpu", "min", RangeEnd::kMax, &t).code(), EINVAL);
  EXPECT_EQ(admission.resolve("cpu0", "flags", RangeEnd::kMin, &t).code(), EINVAL);
}

TEST_F(AdmissionTest, GrantedValuesAreAdmittedAndCounted) {
  auto holder = broker.make_holder(holder_of(HolderKind::kConnection));
  RequestTarget t;
  ASSERT_TRUE(admission.resolve("cpu_dma_latency", "", std::nullopt, &t).ok());
  RequestOutcome out;
  ASSERT_TRUE(admission.add(user(1000), *holder, t, 100, std::nullopt, &out).ok());
  EXPECT_TRUE(out.changed);
  EXPECT_EQ(effective("cpu_dma_latency", KnobId::kLatency).min, 100);
  EXPECT_EQ((counter.counts[{"cpu_dma_latency", "/user.slice/app", true}]), 1);
  ASSERT_TRUE(admission.update(user(1000), *holder, out.id, 800, nullptr).ok());
  EXPECT_EQ(effective("cpu_dma_latency", KnobId::kLatency).min, 800);
}

TEST_F(AdmissionTest, RefusalsChangeNothingButTheRefusalCount) {
  auto holder = broker.make_holder(holder_of(HolderKind::kConnection));
  RequestTarget t;
  ASSERT_TRUE(admission.resolve("cpu_dma_latency", "", std::nullopt, &t).ok());
  RequestOutcome out;
  Status s = admission.add(user(1000), *holder, t, 20, std::nullopt, &out);
  EXPECT_EQ(s.code(), EACCES);
  EXPECT_EQ(holder->size(), 0u);
  EXPECT_EQ(effective("cpu_dma_latency", KnobId::kLatency).min, 2000000000);
  EXPECT_EQ(admission.add(user(1001), *holder, t, 200, std::nullopt, &out).code(), EACCES);
  EXPECT_EQ((counter.counts[{"cpu_dma_latency", "/user.slice/app", false}]), 2);

  ASSERT_TRUE(admission.add(user(1000), *holder, t, 200, std::nullopt, &out).ok());
  EXPECT_EQ(admission.update(user(1000), *holder, out.id, 20, nullptr).code(), EACCES);
  EXPECT_EQ(effective("cpu_dma_latency", KnobId::kLatency).min, 200);
  // The rights are the asker's: a request root placed may not be moved by another uid.
  EXPECT_EQ(admission.update(user(1001), *holder, out.id, 300, nullptr).code(), EACCES);
  EXPECT_TRUE(admission.update(user(0), *holder, out.id, 5, nullptr).ok());
}

TEST_F(AdmissionTest, ABindingIsJudgedWhenBoundAndPlacedWhenItsCgroupFills) {
  RequestTarget t;
  ASSERT_TRUE(admission.resolve("cpu_dma_latency", "", std::nullopt, &t).ok());
  // Judged at bind time, against the binder's grant, and counted like an add.
  EXPECT_EQ(admission.admit_binding(user(1000), t, 20).code(), EACCES);
  ASSERT_TRUE(admission.admit_binding(user(1000), t, 150).ok());
  EXPECT_EQ((counter.counts[{"cpu_dma_latency", "/user.slice/app", false}]), 1);
  EXPECT_EQ((counter.counts[{"cpu_dma_latency", "/user.slice/app", true}]), 1);
  EXPECT_EQ(effective("cpu_dma_latency", KnobId::kLatency).min, 2000000000);  // nothing placed

  // Placed later, when the cgroup fills: the Broker's checks only, nothing counted again.
  auto holder = broker.make_holder(holder_of(HolderKind::kCgroupBinding));
  RequestOutcome out;
  ASSERT_TRUE(admission.place_bound(*holder, t, 150, &out).ok());
  EXPECT_TRUE(out.changed);
  EXPECT_EQ(effective("cpu_dma_latency", KnobId::kLatency).min, 150);
  EXPECT_EQ((counter.counts[{"cpu_dma_latency", "/user.slice/app", true}]), 1);
  EXPECT_EQ(admission.place_bound(*holder, t, -5, &out).code(), EINVAL);  // the Broker's range
  ASSERT_TRUE(admission.remove(*holder, out.id, nullptr).ok());
  EXPECT_EQ(effective("cpu_dma_latency", KnobId::kLatency).min, 2000000000);
}

TEST_F(AdmissionTest, QuotaPerHolderIsEnforcedAndRootIsExempt) {
  auto holder = broker.make_holder(holder_of(HolderKind::kConnection));
  RequestTarget t;
  ASSERT_TRUE(admission.resolve("cpu_dma_latency", "", std::nullopt, &t).ok());
  RequestOutcome out;
  ASSERT_TRUE(admission.add(user(1000), *holder, t, 200, std::nullopt, &out).ok());
  ASSERT_TRUE(admission.add(user(1000), *holder, t, 300, std::nullopt, &out).ok());
  Status s = admission.add(user(1000), *holder, t, 400, std::nullopt, &out);
  EXPECT_EQ(s.code(), EDQUOT);
  EXPECT_NE(s.message().find("max_requests_per_holder"), std::string::npos) << s.message();
  EXPECT_EQ(holder->size(), 2u);
  EXPECT_TRUE(admission.add(user(0), *holder, t, 400, std::nullopt, &out).ok());
}

TEST_F(AdmissionTest, RemovingIsNeverRefused) {
  auto holder = broker.make_holder(holder_of(HolderKind::kConnection));
  RequestTarget t;
  ASSERT_TRUE(admission.resolve("cpu_dma_latency", "", std::nullopt, &t).ok());
  RequestOutcome out;
  ASSERT_TRUE(admission.add(user(0), *holder, t, 5, std::nullopt, &out).ok());
  policy.set(Policy());  // no grants any more
  ASSERT_TRUE(admission.remove(*holder, out.id, nullptr).ok());
  EXPECT_EQ(holder->size(), 0u);
  EXPECT_EQ(admission.remove(*holder, out.id, nullptr).code(), ENOENT);
}

TEST_F(AdmissionTest, PerfQosHandlesGoThroughThePolicyFirst) {
  auto holder = broker.make_holder(holder_of(HolderKind::kFuse));
  PerfQosHandle handle(broker, *holder, "gpu");
  EXPECT_EQ(admission.set_perf(user(1000), handle, RangeEnd::kMin, 700, nullptr).code(), EACCES);
  EXPECT_EQ(admission.set_perf(user(1000), handle, RangeEnd::kMax, 300, nullptr).code(), EACCES);
  EXPECT_EQ(holder->size(), 0u);
  bool changed = false;
  ASSERT_TRUE(admission.set_perf(user(1000), handle, RangeEnd::kMin, 300, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(effective("gpu", KnobId::kRange).min, 300);
  // The RFC's own rules still apply after the policy's.
  EXPECT_EQ(admission.set_perf(user(1000), handle, RangeEnd::kMin, 300, nullptr).code(), EALREADY);
}

TEST_F(AdmissionTest, MayHoldAnswersForOpensAndCountsOnlyWhenAsked) {
  EXPECT_TRUE(admission.may_hold(user(1000), "gpu", KnobId::kRange, RangeEnd::kMin, true).ok());
  EXPECT_EQ(admission.may_hold(user(1000), "gpu", KnobId::kRange, RangeEnd::kMax, true).code(),
            EACCES);
  EXPECT_EQ(
      admission.may_hold(user(1000), "network_latency", KnobId::kLatency, RangeEnd::kMin, false)
          .code(),
      EACCES);
  EXPECT_EQ((counter.counts[{"gpu", "/user.slice/app", false}]), 1);
  EXPECT_EQ((counter.counts[{"network_latency", "/user.slice/app", false}]), 0);
}

// A class node opened for writing holds a request at the default before any value is known: the
// decision is may_hold's (a grant on the knob, whatever its range); the front end's own part of
// the open comes after the policy's and its refusal counts nothing.
TEST_F(AdmissionTest, AnOpenPlacesTheDefaultRequestWhenTheKnobIsGranted) {
  auto holder = broker.make_holder(holder_of(HolderKind::kFuse));
  int reserved = 0;
  const auto reserve = [&](Holder** out) {
    ++reserved;
    *out = holder.get();
    return Status::Ok();
  };
  const RequestTarget latency{"cpu_dma_latency", KnobId::kLatency};
  RequestOutcome out;
  ASSERT_TRUE(admission.add_at_open(user(1000), latency, reserve, &out).ok());
  EXPECT_EQ(holder->size(), 1u);
  EXPECT_EQ(reserved, 1);
  EXPECT_EQ((counter.counts[{"cpu_dma_latency", "/user.slice/app", true}]), 1);

  const RequestTarget network{"network_latency", KnobId::kLatency};
  Status s = admission.add_at_open(user(1000), network, reserve, &out);
  EXPECT_EQ(s.code(), EACCES);
  EXPECT_NE(s.message().find("not granted to uid 1000"), std::string::npos) << s.message();
  EXPECT_EQ(reserved, 1);  // refused before the front end's part
  EXPECT_EQ(holder->size(), 1u);
  EXPECT_EQ((counter.counts[{"network_latency", "/user.slice/app", false}]), 1);

  const auto over = [](Holder**) { return Status::Error(EUSERS, "over the quota"); };
  EXPECT_EQ(admission.add_at_open(user(1000), latency, over, &out).code(), EUSERS);
  EXPECT_EQ((counter.counts[{"cpu_dma_latency", "/user.slice/app", true}]), 1);
  EXPECT_EQ((counter.counts[{"cpu_dma_latency", "/user.slice/app", false}]), 0);
  EXPECT_TRUE(admission.add_at_open(user(0), network, reserve, &out).ok());
}

TEST_F(AdmissionTest, ReloadCountsRequestsTheNewPolicyWouldRefuse) {
  auto holder = broker.make_holder(holder_of(HolderKind::kConnection));
  RequestTarget t;
  ASSERT_TRUE(admission.resolve("cpu_dma_latency", "", std::nullopt, &t).ok());
  RequestOutcome out;
  ASSERT_TRUE(admission.add(user(1000), *holder, t, 200, std::nullopt, &out).ok());
  EXPECT_EQ(admission.refused_in_force(), 0u);
  policy.set(Policy());
  EXPECT_EQ(admission.refused_in_force(), 1u);
  EXPECT_FALSE(admission.needs_groups(1000));
  EXPECT_FALSE(admission.needs_groups(0));
}

// judge(): add's checks and what the add would do, changing and counting nothing.
TEST_F(AdmissionTest, JudgeAnswersAsAddWouldWithoutChangingOrCounting) {
  auto holder = broker.make_holder(holder_of(HolderKind::kConnection));
  RequestTarget t;
  ASSERT_TRUE(admission.resolve("cpu_dma_latency", "", std::nullopt, &t).ok());
  RequestOutcome out;
  ASSERT_TRUE(admission.add(user(1000), *holder, t, 300, std::nullopt, &out).ok());
  counter.counts.clear();

  Judgement j;
  ASSERT_TRUE(admission.judge(user(1000), holder->size(), t, 200, &j).ok());
  EXPECT_TRUE(j.verdict.ok()) << j.verdict.message();
  EXPECT_TRUE(j.would_change);
  EXPECT_EQ(j.would_be, (Range{200, 200}));
  ASSERT_EQ(j.grants.size(), 1u);
  EXPECT_EQ(j.grants[0].origin, "test.toml:1");
  EXPECT_FALSE(j.unrestricted);
  ASSERT_EQ(j.setters.size(), 1u);
  EXPECT_EQ(j.setters[0]->value(), 300);

  ASSERT_TRUE(admission.judge(user(1000), holder->size(), t, 500, &j).ok());
  EXPECT_TRUE(j.verdict.ok());
  EXPECT_FALSE(j.would_change);  // 300 stays the smallest
  EXPECT_EQ(j.would_be, (Range{300, 300}));

  // The add's refusals, in its order: policy, then the quota, then the value's range.
  ASSERT_TRUE(admission.judge(user(1000), holder->size(), t, 20, &j).ok());
  EXPECT_EQ(j.verdict.code(), EACCES);
  EXPECT_NE(j.verdict.message().find("they allow 100..800 (test.toml:1)"), std::string::npos)
      << j.verdict.message();
  ASSERT_TRUE(admission.judge(user(1001), holder->size(), t, 200, &j).ok());
  EXPECT_EQ(j.verdict.code(), EACCES);
  EXPECT_TRUE(j.grants.empty());
  ASSERT_TRUE(admission.judge(user(1000), 2, t, 200, &j).ok());
  EXPECT_EQ(j.verdict.code(), EDQUOT);
  ASSERT_TRUE(admission.judge(user(0), 0, t, 2000000001, &j).ok());
  EXPECT_EQ(j.verdict.code(), EINVAL);
  EXPECT_TRUE(j.unrestricted);

  // Nothing changed, nothing counted.
  EXPECT_EQ(holder->size(), 1u);
  EXPECT_EQ(effective("cpu_dma_latency", KnobId::kLatency).min, 300);
  EXPECT_TRUE(counter.counts.empty());

  RequestTarget gone = t;
  gone.device = "nope";
  EXPECT_EQ(admission.judge(user(0), 0, gone, 1, &j).code(), ENODEV);
}

TEST_F(AdmissionTest, JudgeOfARangeEndComputesBothEnds) {
  auto holder = broker.make_holder(holder_of(HolderKind::kConnection));
  RequestTarget min_end, max_end;
  ASSERT_TRUE(admission.resolve("gpu", "min", std::nullopt, &min_end).ok());
  ASSERT_TRUE(admission.resolve("gpu", "max", std::nullopt, &max_end).ok());
  RequestOutcome out;
  ASSERT_TRUE(admission.add(user(0), *holder, max_end, 500, std::nullopt, &out).ok());
  Judgement j;
  ASSERT_TRUE(admission.judge(user(0), 0, min_end, 300, &j).ok());
  EXPECT_EQ(j.would_be, (Range{300, 500}));
  EXPECT_TRUE(j.would_change);
  ASSERT_TRUE(admission.judge(user(0), 0, min_end, 700, &j).ok());
  EXPECT_EQ(j.would_be, (Range{500, 500}));  // a floor above the cap reads as the cap
  ASSERT_TRUE(admission.judge(user(0), 0, max_end, 800, &j).ok());
  EXPECT_FALSE(j.would_change);  // the lowest cap wins
  ASSERT_TRUE(admission.judge(user(1000), 0, min_end, 100, &j).ok());
  EXPECT_EQ(j.verdict.code(), EACCES);  // the grant on gpu.min allows 200..600
  ASSERT_EQ(j.grants.size(), 1u);
  EXPECT_EQ(j.grants[0].min, 200);
}

}  // namespace
}  // namespace perfqos::admission
