// The broker: registry, holders, requests, hierarchy, backends, timed requests, unregistering.
#include "model/broker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <climits>

#include "model/device_specs.h"
#include "model/recording_backend.h"

namespace perfqos {
namespace {

using perfqos::testing::Apply;
using perfqos::testing::RecordingBackend;
using std::chrono::milliseconds;

DeviceSpec cpu_spec(const std::string& name, const std::string& parent = "") {
  return DeviceSpec{name, "cpu", parent, PerfUnit::kNone, {resume_latency_knob(), flags_knob()}};
}

HolderIdentity process(pid_t pid) {
  return HolderIdentity{HolderKind::kConnection, pid, 1000, 1000, "player", "/user.slice/a"};
}

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend = std::make_shared<RecordingBackend>();
    ASSERT_TRUE(broker.register_device(cpu_spec("cpu0"), backend).ok());
    DeviceSpec gpu;
    ASSERT_TRUE(perf_device_spec("gpu", PerfUnit::kNormal, 100, 900, &gpu).ok());
    ASSERT_TRUE(broker.register_device(gpu, backend).ok());
  }

  std::shared_ptr<RecordingBackend> backend;
  Broker broker;  // after backend: destroyed first
};

TEST_F(BrokerTest, RegistryFindsDevicesInNameOrderAndEmitsEvents) {
  std::vector<std::string> events;
  broker.registry().subscribe([&](RegistryEvent e, const std::shared_ptr<Device>& d) {
    events.push_back((e == RegistryEvent::kAdded ? "+" : "-") + d->name());
  });
  ASSERT_TRUE(broker.register_device(cpu_spec("a_first")).ok());
  std::vector<std::string> names;
  for (const auto& d : broker.registry().devices()) names.push_back(d->name());
  EXPECT_EQ(names, (std::vector<std::string>{"a_first", "cpu0", "gpu"}));
  EXPECT_EQ(broker.registry().find("cpu0")->kind(), "cpu");
  EXPECT_EQ(broker.registry().find("nope"), nullptr);
  ASSERT_TRUE(broker.unregister_device("a_first").ok());
  EXPECT_EQ(events, (std::vector<std::string>{"+a_first", "-a_first"}));
}

TEST_F(BrokerTest, RegisterErrorsChangeNothing) {
  EXPECT_EQ(broker.register_device(cpu_spec("cpu0")).code(), EEXIST);
  EXPECT_EQ(broker.register_device(cpu_spec("bad name")).code(), EINVAL);
  EXPECT_EQ(broker.register_device(cpu_spec("")).code(), EINVAL);
  EXPECT_EQ(broker.register_device(cpu_spec(std::string(64, 'x'))).code(), EINVAL);
  EXPECT_EQ(broker.register_device(cpu_spec("cpu1", "missing")).code(), ENODEV);
  DeviceSpec twice{"twice", "cpu", "", PerfUnit::kNone, {flags_knob(), flags_knob()}};
  EXPECT_EQ(broker.register_device(twice).code(), EINVAL);
  EXPECT_EQ(broker.unregister_device("missing").code(), ENODEV);
  EXPECT_EQ(broker.registry().size(), 2u);
}

TEST_F(BrokerTest, AddUpdateRemoveApplyOnlyOnChange) {
  auto a = broker.make_holder(process(10));
  auto b = broker.make_holder(process(11));
  RequestOutcome out;
  ASSERT_TRUE(broker.add(*a, {"cpu0", KnobId::kResumeLatency}, 50, {}, &out).ok());
  EXPECT_TRUE(out.changed);
  EXPECT_EQ(out.effective.min, 50);
  const RequestId a_id = out.id;
  ASSERT_TRUE(broker.add(*b, {"cpu0", KnobId::kResumeLatency}, 80, {}, &out).ok());
  EXPECT_FALSE(out.changed);
  ASSERT_TRUE(broker.update(*a, a_id, 100, &out).ok());
  EXPECT_EQ(out.effective.min, 80);
  ASSERT_TRUE(broker.remove(*a, a_id, &out).ok());
  EXPECT_FALSE(out.changed);
  const std::vector<Apply> expected{{"cpu0", KnobId::kResumeLatency, {50, 50}},
                                    {"cpu0", KnobId::kResumeLatency, {80, 80}}};
  EXPECT_EQ(backend->applied, expected);
}

TEST_F(BrokerTest, RequestErrorsNameTheFieldAndChangeNothing) {
  auto h = broker.make_holder(process(10));
  RequestOutcome out;
  ASSERT_TRUE(broker.add(*h, {"cpu0", KnobId::kResumeLatency}, 50, {}, &out).ok());
  const RequestId id = out.id;
  const std::size_t applies = backend->applied.size();

  Status s = broker.add(*h, {"cpu0", KnobId::kResumeLatency}, -3, {}, &out);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(), "cpu0.resume_latency: value -3 out of range: allowed 0..2147483647 or -1");
  s = broker.add(*h, {"cpu0", KnobId::kThroughput}, 3, {}, &out);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("has no knob 'throughput': it has resume_latency, flags"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(broker.add(*h, {"cpu9", KnobId::kResumeLatency}, 3, {}, &out).code(), ENODEV);
  s = broker.add(*h, {"gpu", KnobId::kRange, RangeEnd::kMax}, 901, {}, &out);
  EXPECT_EQ(s.message(), "gpu.max: value 901 out of range: allowed 100..900 or -1");
  EXPECT_EQ(broker.update(*h, id, INT_MIN, &out).code(), EINVAL);
  EXPECT_EQ(broker.update(*h, 999, 5, &out).code(), ENOENT);
  EXPECT_EQ(broker.remove(*h, 999, &out).code(), ENOENT);

  EXPECT_EQ(h->size(), 1u);
  EXPECT_EQ(h->find(id)->value(), 50);
  EXPECT_EQ(broker.registry().find("cpu0")->knob(KnobId::kResumeLatency)->effective(), 50);
  EXPECT_EQ(backend->applied.size(), applies);
}

TEST_F(BrokerTest, HolderGoingAwayDropsItsRequestsAndRestores) {
  {
    auto h = broker.make_holder(process(10));
    RequestOutcome out;
    ASSERT_TRUE(broker.add(*h, {"cpu0", KnobId::kResumeLatency}, 5, {}, &out).ok());
    ASSERT_TRUE(broker.add(*h, {"gpu", KnobId::kRange, RangeEnd::kMin}, 600, {}, &out).ok());
    ASSERT_TRUE(broker.add(*h, {"cpu0", KnobId::kFlags}, kFlagNoPowerOff, {}, &out).ok());
  }
  const Device& cpu0 = *broker.registry().find("cpu0");
  EXPECT_EQ(cpu0.knob(KnobId::kResumeLatency)->effective(), INT_MAX);
  EXPECT_EQ(cpu0.knob(KnobId::kFlags)->effective(), 0);
  EXPECT_TRUE(cpu0.requests().empty());
  ASSERT_GE(backend->applied.size(), 3u);
  const auto& tail = backend->applied;
  EXPECT_NE(std::find(tail.begin(), tail.end(), Apply{"gpu", KnobId::kRange, {100, 900}}),
            tail.end());
  EXPECT_NE(std::find(tail.begin(), tail.end(),
                      Apply{"cpu0", KnobId::kResumeLatency, {INT_MAX, INT_MAX}}),
            tail.end());
}

TEST_F(BrokerTest, RequestsAreEnumerablePerDeviceWithHolderAndBindingMarked) {
  auto a = broker.make_holder(process(10));
  auto b = broker.make_holder(HolderIdentity{HolderKind::kFuse, 22, 0, 0, "rec", "/rec.scope"});
  RequestOutcome out;
  ASSERT_TRUE(broker.add(*a, {"cpu0", KnobId::kResumeLatency}, 30, {}, &out).ok());
  ASSERT_TRUE(broker.add(*b, {"cpu0", KnobId::kResumeLatency}, 20, {}, &out).ok());
  ASSERT_TRUE(broker.add(*b, {"cpu0", KnobId::kFlags}, 1, {}, &out).ok());
  const auto requests = broker.registry().find("cpu0")->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0]->holder().identity().pid, 10);
  EXPECT_EQ(requests[0]->holder().identity().label(), "process_10");
  EXPECT_EQ(requests[0]->holder().identity().cgroup, "/user.slice/a");
  EXPECT_FALSE(requests[0]->binding());
  EXPECT_EQ(requests[1]->holder().identity().comm, "rec");
  EXPECT_EQ(requests[1]->holder().identity().kind, HolderKind::kFuse);
  EXPECT_TRUE(requests[1]->binding());
  EXPECT_TRUE(requests[2]->binding());
  EXPECT_EQ(b->requests().size(), 2u);
}

TEST_F(BrokerTest, RangeBackendGetsBothEndsInOneCall) {
  auto h = broker.make_holder(process(10));
  RequestOutcome out;
  ASSERT_TRUE(broker.add(*h, {"gpu", KnobId::kRange, RangeEnd::kMin}, 600, {}, &out).ok());
  ASSERT_TRUE(broker.add(*h, {"gpu", KnobId::kRange, RangeEnd::kMax}, 500, {}, &out).ok());
  EXPECT_EQ(out.effective, (Range{500, 500}));  // the cap wins
  const std::vector<Apply> expected{{"gpu", KnobId::kRange, {600, 900}},
                                    {"gpu", KnobId::kRange, {500, 500}}};
  EXPECT_EQ(backend->applied, expected);
  const Device& gpu = *broker.registry().find("gpu");
  EXPECT_TRUE(gpu.is_allowed(500));
  EXPECT_FALSE(gpu.is_allowed(600));
}

TEST_F(BrokerTest, EmptyPerfDeviceAllowsExactlyItsHardLimits) {
  const Device& gpu = *broker.registry().find("gpu");
  EXPECT_TRUE(gpu.is_allowed(100));
  EXPECT_TRUE(gpu.is_allowed(900));
  EXPECT_FALSE(gpu.is_allowed(99));
  EXPECT_FALSE(gpu.is_allowed(901));
  EXPECT_FALSE(broker.registry().find("cpu0")->is_allowed(5));  // no range knob
}

TEST_F(BrokerTest, BackendFailureIsRecordedReturnedAndRolledBack) {
  auto h = broker.make_holder(process(10));
  RequestOutcome out;
  ASSERT_TRUE(broker.add(*h, {"gpu", KnobId::kRange, RangeEnd::kMin}, 300, {}, &out).ok());
  const RequestId id = out.id;
  backend->fail_with = EBUSY;
  Status s = broker.add(*h, {"gpu", KnobId::kRange, RangeEnd::kMin}, 700, {}, &out);
  EXPECT_EQ(s.code(), EBUSY);
  EXPECT_NE(s.message().find("gpu.range: injected failure"), std::string::npos) << s.message();
  s = broker.update(*h, id, 400, &out);
  EXPECT_EQ(s.code(), EBUSY);
  const Device& gpu = *broker.registry().find("gpu");
  EXPECT_EQ(gpu.knob(KnobId::kRange)->effective_range(), (Range{300, 900}));
  EXPECT_EQ(h->size(), 1u);
  EXPECT_EQ(h->find(id)->value(), 300);
  EXPECT_EQ(gpu.backend_errors().last_errno, EBUSY);
  EXPECT_EQ(gpu.backend_errors().count, 4u);  // two failed changes, two failed restores
  // A remove is not rolled back: the request goes, the failure is reported.
  EXPECT_EQ(broker.remove(*h, id, &out).code(), EBUSY);
  EXPECT_EQ(h->size(), 0u);
  EXPECT_EQ(gpu.knob(KnobId::kRange)->effective_range(), (Range{100, 900}));
}

TEST_F(BrokerTest, AncestorRequestGoesToTheFirstAncestorWithTheKnob) {
  ASSERT_TRUE(
      broker
          .register_device(
              DeviceSpec{"bus", "device", "", PerfUnit::kNone, {latency_tolerance_knob()}}, backend)
          .ok());
  ASSERT_TRUE(
      broker.register_device(DeviceSpec{"bridge", "device", "bus", PerfUnit::kNone, {flags_knob()}})
          .ok());
  ASSERT_TRUE(broker
                  .register_device(DeviceSpec{
                      "leaf", "device", "bridge", PerfUnit::kNone, {latency_tolerance_knob()}})
                  .ok());
  auto h = broker.make_holder(process(10));
  RequestOutcome out;
  ASSERT_TRUE(
      broker.add(*h, {"leaf", KnobId::kLatencyTolerance, RangeEnd::kMin, true}, 40, {}, &out).ok());
  ASSERT_NE(out.device, nullptr);
  EXPECT_EQ(out.device->name(), "bus");  // skips bridge (no latency_tolerance) and leaf itself
  EXPECT_EQ(broker.registry().find("bus")->knob(KnobId::kLatencyTolerance)->effective(), 40);
  EXPECT_EQ(broker.registry().find("leaf")->knob(KnobId::kLatencyTolerance)->effective(), -1);
  Status s = broker.add(*h, {"leaf", KnobId::kResumeLatency, RangeEnd::kMin, true}, 4, {}, &out);
  EXPECT_EQ(s.code(), ENODEV);
  EXPECT_NE(s.message().find("no ancestor of 'leaf'"), std::string::npos);
}

TEST_F(BrokerTest, UnregisteringAParentTakesItsChildrenAndHoldersGetEnodev) {
  ASSERT_TRUE(broker.register_device(cpu_spec("child", "cpu0")).ok());
  ASSERT_TRUE(broker.register_device(cpu_spec("grandchild", "child")).ok());
  auto h = broker.make_holder(process(10));
  RequestOutcome out;
  ASSERT_TRUE(broker.add(*h, {"grandchild", KnobId::kResumeLatency}, 5, {}, &out).ok());
  const RequestId on_grandchild = out.id;
  ASSERT_TRUE(
      broker.add(*h, {"cpu0", KnobId::kResumeLatency}, 7, milliseconds(0) + Deadline{}, &out).ok());
  const RequestId timed_on_cpu0 = out.id;
  std::shared_ptr<Device> kept = broker.registry().find("grandchild");
  std::vector<std::string> removed;
  broker.registry().subscribe([&](RegistryEvent e, const std::shared_ptr<Device>& d) {
    if (e == RegistryEvent::kRemoved) removed.push_back(d->name());
  });
  const std::size_t applies = backend->applied.size();

  ASSERT_TRUE(broker.unregister_device("cpu0").ok());
  EXPECT_EQ(removed, (std::vector<std::string>{"grandchild", "child", "cpu0"}));
  EXPECT_EQ(broker.registry().size(), 1u);
  EXPECT_FALSE(kept->registered());
  EXPECT_EQ(kept->parent(), nullptr);
  EXPECT_TRUE(kept->requests().empty());
  EXPECT_EQ(backend->applied.size(), applies);  // no writes to hardware that is gone
  EXPECT_FALSE(broker.next_expiry().has_value());
  EXPECT_EQ(h->find(on_grandchild)->device(), nullptr);
  EXPECT_FALSE(h->find(on_grandchild)->binding());
  EXPECT_EQ(broker.update(*h, on_grandchild, 3, &out).code(), ENODEV);
  EXPECT_EQ(broker.remove(*h, timed_on_cpu0, &out).code(), ENODEV);
  EXPECT_EQ(h->find(timed_on_cpu0), nullptr);  // removing freed it
  EXPECT_EQ(broker.expire(Deadline::max()), 0u);
}

TEST_F(BrokerTest, TimedRequestsExpireLikeARemove) {
  std::vector<std::pair<std::int32_t, std::int32_t>> seen;  // outlives the holder
  auto h = broker.make_holder(process(10));
  const Deadline t0{};
  broker.registry().find("cpu0")->knob(KnobId::kResumeLatency)->subscribe([&](Range o, Range n) {
    seen.emplace_back(o.min, n.min);
  });
  RequestOutcome out;
  ASSERT_TRUE(
      broker.add(*h, {"cpu0", KnobId::kResumeLatency}, 10, t0 + milliseconds(50), &out).ok());
  ASSERT_TRUE(
      broker.add(*h, {"cpu0", KnobId::kResumeLatency}, 20, t0 + milliseconds(20), &out).ok());
  ASSERT_TRUE(broker.add(*h, {"cpu0", KnobId::kResumeLatency}, 30, std::nullopt, &out).ok());
  EXPECT_EQ(broker.next_expiry(), t0 + milliseconds(20));
  EXPECT_EQ(broker.expire(t0 + milliseconds(19)), 0u);
  EXPECT_EQ(broker.expire(t0 + milliseconds(20)), 1u);
  EXPECT_EQ(h->size(), 2u);
  EXPECT_EQ(broker.expire(t0 + milliseconds(100)), 1u);
  EXPECT_EQ(h->size(), 1u);
  EXPECT_FALSE(broker.next_expiry().has_value());
  const std::vector<std::pair<std::int32_t, std::int32_t>> expected{{INT_MAX, 10}, {10, 30}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(backend->applied.back(), (Apply{"cpu0", KnobId::kResumeLatency, {30, 30}}));
}

TEST_F(BrokerTest, RemovingATimedRequestEarlyClearsItsDeadline) {
  auto h = broker.make_holder(process(10));
  RequestOutcome out;
  ASSERT_TRUE(
      broker.add(*h, {"cpu0", KnobId::kResumeLatency}, 10, Deadline{} + milliseconds(5), &out)
          .ok());
  ASSERT_TRUE(broker.remove(*h, out.id, &out).ok());
  EXPECT_FALSE(broker.next_expiry().has_value());
}

}  // namespace
}  // namespace perfqos
