// Every backend against generated trees, driven through a real perfqos::Broker: sysfs
// spellings, clamping, write order of range ends, writing only what changed, journaling before
// the first write, failure injection (errors recorded on the device, rollback visible), and a
// knob file vanishing mid-run.
#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <random>

#include "backends/knob_dispatch.h"
#include "backends/knobs/cooling_backend.h"
#include "backends/knobs/cpu_latency_backend.h"
#include "backends/knobs/cpufreq_backend.h"
#include "backends/knobs/devfreq_backend.h"
#include "backends/knobs/rapl_backend.h"
#include "backends/knobs/resume_latency_backend.h"
#include "backends/knobs/runtime_pm_backend.h"
#include "backends/sysfs_tree.h"
#include "model/broker.h"
#include "model/device_specs.h"

namespace perfqos::backends {
namespace {

using perfqos::testing::FaultInjectingSysfs;
using perfqos::testing::OrderCheckingSysfs;
using perfqos::testing::RecordingSysfs;
using perfqos::testing::SysfsTree;
using perfqos::testing::SysfsWrite;

constexpr char kPolicy[] = "/sys/devices/system/cpu/cpufreq/policy0";
constexpr char kMinFile[] = "/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq";
constexpr char kMaxFile[] = "/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq";
constexpr char kResume[] = "/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us";
constexpr char kControl[] = "/sys/devices/system/cpu/cpu0/power/control";

// A journal in memory that remembers what each file held when it was recorded.
class MemoryJournal : public KnobJournal {
 public:
  bool recorded(std::string_view path) const override {
    return originals.contains(std::string(path));
  }
  Status record_value(std::string_view path, std::string_view original) override {
    if (fail_with) return Status::Error(fail_with, "journal full");
    originals.emplace(std::string(path), std::string(original));
    order.emplace_back(path);
    return Status::Ok();
  }
  Status record_range(std::string_view min_path, std::string_view min_original,
                      std::string_view max_path, std::string_view max_original) override {
    if (Status s = record_value(min_path, min_original); !s.ok()) return s;
    return record_value(max_path, max_original);
  }
  std::map<std::string, std::string> originals;
  std::vector<std::string> order;
  int fail_with = 0;
};

class BackendsTest : public ::testing::Test {
 protected:
  BackendsTest()
      : faults(std::make_shared<FaultInjectingSysfs>(tree.sysfs())),
        checked(std::make_shared<OrderCheckingSysfs>(faults)),
        root(std::make_shared<RecordingSysfs>(checked)),
        journal(std::make_shared<MemoryJournal>()) {}

  void TearDown() override {
    holder.reset();
    other.reset();
  }

  Holder& h() {
    if (!holder) holder = broker.make_holder(HolderIdentity{});
    return *holder;
  }

  Status add(const std::string& device, KnobId knob, std::int32_t value, RequestId* id,
             RangeEnd end = RangeEnd::kMin) {
    RequestOutcome out;
    Status s = broker.add(h(), RequestTarget{device, knob, end, false}, value, std::nullopt, &out);
    if (s.ok() && id) *id = out.id;
    return s;
  }

  void add_policy(long long scaling_min = -1, long long scaling_max = -1) {
    tree.add_cpufreq_policy(0, 800000, 3000000, {0, 1}, scaling_min, scaling_max);
    ASSERT_TRUE(broker
                    .register_device(DeviceSpec{"policy0",
                                                "cpufreq",
                                                "",
                                                PerfUnit::kNone,
                                                {range_knob("kHz", 800000, 3000000)}},
                                     std::make_shared<CpufreqBackend>(root, journal, kPolicy,
                                                                      Range{800000, 3000000}))
                    .ok());
  }

  void add_cpu0(std::string resume = "0", std::string control = "auto") {
    tree.add_cpu(0, resume, control);
    auto dispatch = std::make_shared<KnobDispatch>();
    dispatch->set(KnobId::kResumeLatency,
                  std::make_shared<ResumeLatencyBackend>(root, journal, kResume));
    dispatch->set(KnobId::kFlags, std::make_shared<RuntimePmBackend>(root, journal, kControl));
    ASSERT_TRUE(
        broker
            .register_device(
                DeviceSpec{
                    "cpu0", "cpu", "", PerfUnit::kNone, {resume_latency_knob(), flags_knob()}},
                dispatch)
            .ok());
  }

  SysfsTree tree;
  std::shared_ptr<FaultInjectingSysfs> faults;
  std::shared_ptr<OrderCheckingSysfs> checked;
  std::shared_ptr<RecordingSysfs> root;
  std::shared_ptr<MemoryJournal> journal;
  Broker broker;
  std::unique_ptr<Holder> holder, other;  // destroyed before the broker
};

TEST_F(BackendsTest, CpuLatencyHoldsTheNodeOnlyWhileConstrained) {
  tree.add_cpu_latency_node();
  auto backend = std::make_shared<CpuLatencyBackend>(root);
  ASSERT_TRUE(broker.register_device(pm_qos_class_spec(PmQosClass::kCpuDmaLatency), backend).ok());
  RequestId a = 0, b = 0;
  ASSERT_TRUE(add("cpu_dma_latency", KnobId::kLatency, 100, &a).ok());
  EXPECT_EQ(tree.cpu_latency_node_value(), 100);
  EXPECT_EQ(root->nodes_open, 1);
  ASSERT_TRUE(add("cpu_dma_latency", KnobId::kLatency, 20, &b).ok());
  EXPECT_EQ(tree.cpu_latency_node_value(), 20);
  ASSERT_TRUE(broker.remove(h(), b, nullptr).ok());
  EXPECT_EQ(tree.cpu_latency_node_value(), 100);
  EXPECT_EQ(root->nodes_open, 1);  // the same open file description throughout
  ASSERT_TRUE(broker.remove(h(), a, nullptr).ok());
  EXPECT_EQ(root->nodes_open, 0);  // default again: closed, the kernel drops our request
  EXPECT_FALSE(backend->holding());
  EXPECT_EQ(root->writes,
            (std::vector<SysfsWrite>{
                {kCpuLatencyNode, "100"}, {kCpuLatencyNode, "20"}, {kCpuLatencyNode, "100"}}));
  EXPECT_TRUE(journal->order.empty());  // the kernel forgets us on exit: nothing to journal
}

TEST_F(BackendsTest, CpuLatencyMissingNodeIsAnErrorOnTheDevice) {
  ASSERT_TRUE(broker
                  .register_device(pm_qos_class_spec(PmQosClass::kCpuDmaLatency),
                                   make_cpu_latency_backend(root, "/dev/absent"))
                  .ok());
  Status s = add("cpu_dma_latency", KnobId::kLatency, 10, nullptr);
  EXPECT_EQ(s.code(), ENOENT);
  EXPECT_NE(s.message().find("/dev/absent"), std::string::npos) << s.message();
  EXPECT_EQ(broker.registry().find("cpu_dma_latency")->backend_errors().last_errno, ENOENT);
  EXPECT_EQ(broker.registry().find("cpu_dma_latency")->knob(KnobId::kLatency)->effective(),
            kCpuLatencyDefault);
}

TEST_F(BackendsTest, CpuWakeupLatencyHoldsItsNodeAndClosesAtS32Max) {
  tree.add_cpu_wakeup_latency_node();
  auto backend = make_cpu_wakeup_latency_backend(root);
  ASSERT_TRUE(
      broker.register_device(pm_qos_class_spec(PmQosClass::kCpuWakeupLatency), backend).ok());
  const Knob* knob = broker.registry().find("cpu_wakeup_latency")->knob(KnobId::kLatency);
  EXPECT_EQ(knob->effective(), kCpuWakeupLatencyDefault);  // S32_MAX, not 2000 s
  RequestId a = 0, b = 0, c = 0;
  ASSERT_TRUE(add("cpu_wakeup_latency", KnobId::kLatency, 2000000000, &a).ok());
  EXPECT_EQ(tree.cpu_wakeup_latency_node_value(), 2000000000);  // a constraint on this class
  ASSERT_TRUE(add("cpu_wakeup_latency", KnobId::kLatency, 300, &b).ok());
  ASSERT_TRUE(add("cpu_wakeup_latency", KnobId::kLatency, 40, &c).ok());
  EXPECT_EQ(knob->effective(), 40);  // MIN
  EXPECT_EQ(tree.cpu_wakeup_latency_node_value(), 40);
  EXPECT_EQ(root->nodes_open, 1);
  ASSERT_TRUE(broker.remove(h(), c, nullptr).ok());
  EXPECT_EQ(tree.cpu_wakeup_latency_node_value(), 300);
  ASSERT_TRUE(broker.remove(h(), b, nullptr).ok());
  ASSERT_TRUE(broker.remove(h(), a, nullptr).ok());
  EXPECT_EQ(root->nodes_open, 0);  // no constraint again: closed
  EXPECT_EQ(knob->effective(), kCpuWakeupLatencyDefault);
  EXPECT_TRUE(tree.cpu_latency_node_value() == std::nullopt);  // the other node is untouched
  EXPECT_TRUE(journal->order.empty());  // a held node: the kernel drops it when we die
}

TEST_F(BackendsTest, CpuWakeupLatencyRefusesValuesOutsideItsRange) {
  tree.add_cpu_wakeup_latency_node();
  ASSERT_TRUE(broker
                  .register_device(pm_qos_class_spec(PmQosClass::kCpuWakeupLatency),
                                   make_cpu_wakeup_latency_backend(root))
                  .ok());
  for (std::int32_t bad : {-2, INT_MIN}) {
    Status s = add("cpu_wakeup_latency", KnobId::kLatency, bad, nullptr);
    EXPECT_EQ(s.code(), EINVAL) << bad;
  }
  EXPECT_EQ(root->nodes_open, 0);
  EXPECT_TRUE(add("cpu_wakeup_latency", KnobId::kLatency, INT_MAX, nullptr).ok());
  EXPECT_EQ(root->nodes_open, 0);  // INT_MAX is the no-constraint value: nothing to hold
}

TEST_F(BackendsTest, ResumeLatencySysfsSpellings) {
  EXPECT_EQ(format_resume_latency(INT_MAX), "0");
  EXPECT_EQ(format_resume_latency(0), "n/a");
  EXPECT_EQ(format_resume_latency(25), "25");
  std::int32_t v = 0;
  ASSERT_TRUE(parse_resume_latency("n/a", &v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(parse_resume_latency("0\n", &v));
  EXPECT_EQ(v, INT_MAX);
  ASSERT_TRUE(parse_resume_latency("30", &v));
  EXPECT_EQ(v, 30);
  EXPECT_FALSE(parse_resume_latency("-1", &v));
  EXPECT_FALSE(parse_resume_latency("auto", &v));

  add_cpu0();
  RequestId a = 0, b = 0;
  ASSERT_TRUE(add("cpu0", KnobId::kResumeLatency, 50, &a).ok());
  EXPECT_EQ(tree.read_file(kResume), "50");
  ASSERT_TRUE(add("cpu0", KnobId::kResumeLatency, 0, &b).ok());
  EXPECT_EQ(tree.read_file(kResume), "n/a");
  ASSERT_TRUE(broker.remove(h(), b, nullptr).ok());
  ASSERT_TRUE(broker.remove(h(), a, nullptr).ok());
  EXPECT_EQ(tree.read_file(kResume), "0");
  EXPECT_EQ(journal->originals.at(kResume), "0");
}

TEST_F(BackendsTest, NoPowerOffFlagWritesOnThenWhatItWas) {
  add_cpu0("0", "auto");
  RequestId a = 0;
  ASSERT_TRUE(add("cpu0", KnobId::kFlags, kFlagNoPowerOff, &a).ok());
  EXPECT_EQ(tree.read_file(kControl), "on");
  ASSERT_TRUE(broker.remove(h(), a, nullptr).ok());
  EXPECT_EQ(tree.read_file(kControl), "auto");
  EXPECT_EQ(journal->originals.at(kControl), "auto");
}

TEST_F(BackendsTest, CpufreqWritesOnlyTheChangedEndInASafeOrder) {
  add_policy();
  RequestId floor = 0, cap = 0;
  ASSERT_TRUE(add("policy0", KnobId::kRange, 2000000, &floor, RangeEnd::kMin).ok());
  EXPECT_EQ(root->writes, (std::vector<SysfsWrite>{{kMinFile, "2000000"}}));
  root->writes.clear();
  // A cap below the floor: the cap wins, [1000000, 1000000]; going down: min first.
  ASSERT_TRUE(add("policy0", KnobId::kRange, 1000000, &cap, RangeEnd::kMax).ok());
  EXPECT_EQ(root->writes, (std::vector<SysfsWrite>{{kMinFile, "1000000"}, {kMaxFile, "1000000"}}));
  root->writes.clear();
  // Back up to [2000000, 3000000]: max first.
  ASSERT_TRUE(broker.remove(h(), cap, nullptr).ok());
  EXPECT_EQ(root->writes, (std::vector<SysfsWrite>{{kMaxFile, "3000000"}, {kMinFile, "2000000"}}));
  EXPECT_EQ(checked->rejected, 0);
  // Both originals were journaled before the first write, as a pair.
  EXPECT_EQ(journal->order, (std::vector<std::string>{kMinFile, kMaxFile}));
  EXPECT_EQ(journal->originals.at(kMinFile), "800000");
  EXPECT_EQ(journal->originals.at(kMaxFile), "3000000");
}

TEST_F(BackendsTest, CpufreqRandomRequestsNeverInvertTheFiles) {
  add_policy(1200000, 2400000);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> freq(8, 30);
  std::vector<RequestId> ids;
  for (int step = 0; step < 300; ++step) {
    if (!ids.empty() && rng() % 3 == 0) {
      const std::size_t i = rng() % ids.size();
      ASSERT_TRUE(broker.remove(h(), ids[i], nullptr).ok());
      ids.erase(ids.begin() + static_cast<long>(i));
    } else {
      RequestId id = 0;
      const RangeEnd end = rng() % 2 ? RangeEnd::kMin : RangeEnd::kMax;
      ASSERT_TRUE(add("policy0", KnobId::kRange, freq(rng) * 100000, &id, end).ok());
      ids.push_back(id);
    }
    const Range eff = broker.registry().find("policy0")->knob(KnobId::kRange)->effective_range();
    ASSERT_EQ(tree.read_file(kMinFile), std::to_string(eff.min)) << "step " << step;
    ASSERT_EQ(tree.read_file(kMaxFile), std::to_string(eff.max)) << "step " << step;
  }
  EXPECT_EQ(checked->rejected, 0);
  EXPECT_EQ(journal->originals.at(kMinFile), "1200000");
  EXPECT_EQ(journal->originals.at(kMaxFile), "2400000");
}

TEST_F(BackendsTest, CpufreqClampsToTheCpuinfoRange) {
  tree.add_cpufreq_policy(0, 800000, 3000000, {0}, 1000000, 2000000);
  CpufreqBackend backend(root, nullptr, kPolicy, Range{800000, 3000000});
  DeviceSpec spec{"policy0", "cpufreq", "", PerfUnit::kNone, {range_knob("kHz", 0, INT_MAX)}};
  ASSERT_TRUE(broker.register_device(spec).ok());
  const Device& d = *broker.registry().find("policy0");
  ASSERT_TRUE(backend.apply_range(d, KnobId::kRange, Range{100, 9000000}).ok());
  EXPECT_EQ(tree.read_file(kMinFile), "800000");
  EXPECT_EQ(tree.read_file(kMaxFile), "3000000");
  ASSERT_TRUE(backend.apply_range(d, KnobId::kRange, Range{5000000, 9000000}).ok());
  EXPECT_EQ(tree.read_file(kMinFile), "3000000");
  EXPECT_EQ(clamp_range(Range{5, 2}, Range{1, 10}), (Range{2, 2}));
  EXPECT_EQ(backend.apply_value(d, KnobId::kFlags, 1).code(), EINVAL);
}

TEST_F(BackendsTest, DevfreqKnobInKhzFilesInHz) {
  const std::string dir =
      tree.add_devfreq("gpu", "/sys/devices/platform/soc/gpu", 200000000, 800000000);
  auto backend = std::make_shared<DevfreqBackend>(root, journal, dir, Range{200000, 800000});
  ASSERT_TRUE(
      broker
          .register_device(
              DeviceSpec{
                  "gpu", "devfreq", "", PerfUnit::kNone, {range_knob("kHz", 200000, 800000)}},
              backend)
          .ok());
  RequestId cap = 0, floor = 0;
  ASSERT_TRUE(add("gpu", KnobId::kRange, 400000, &cap, RangeEnd::kMax).ok());
  ASSERT_TRUE(add("gpu", KnobId::kRange, 300000, &floor, RangeEnd::kMin).ok());
  EXPECT_EQ(root->writes, (std::vector<SysfsWrite>{{dir + "/max_freq", "400000000"},
                                                   {dir + "/min_freq", "300000000"}}));
  ASSERT_TRUE(broker.remove(h(), cap, nullptr).ok());
  EXPECT_EQ(tree.read_file(dir + "/max_freq"), "800000000");
  EXPECT_EQ(checked->rejected, 0);
}

TEST_F(BackendsTest, CoolingStateFollowsTheCap) {
  EXPECT_EQ(cooling_state_for(Range{0, 1024}, 10), 0);
  EXPECT_EQ(cooling_state_for(Range{0, 512}, 10), 5);
  EXPECT_EQ(cooling_state_for(Range{0, 1000}, 10), 1);  // never above the cap
  EXPECT_EQ(cooling_state_for(Range{0, 0}, 10), 10);
  EXPECT_EQ(cooling_state_for(Range{0, 1023}, 3), 1);
  EXPECT_EQ(cooling_state_for(Range{600, 700}, 3), 1);  // 683 lies within [600, 700]

  const std::string dir = tree.add_cooling_device(0, "Processor", 10, 2);
  DeviceSpec spec;
  ASSERT_TRUE(perf_device_spec("cooling_device0", PerfUnit::kNormal, 0, 1024, &spec).ok());
  ASSERT_TRUE(
      broker.register_device(spec, std::make_shared<CoolingBackend>(root, journal, dir, 10)).ok());
  RequestId a = 0, b = 0;
  ASSERT_TRUE(add("cooling_device0", KnobId::kRange, 1020, &a, RangeEnd::kMax).ok());
  ASSERT_TRUE(add("cooling_device0", KnobId::kRange, 1010, &b, RangeEnd::kMax).ok());
  EXPECT_EQ(root->writes, (std::vector<SysfsWrite>{{dir + "/cur_state", "1"}}));  // same state
  ASSERT_TRUE(broker.remove(h(), b, nullptr).ok());
  ASSERT_TRUE(broker.remove(h(), a, nullptr).ok());
  EXPECT_EQ(tree.read_file(dir + "/cur_state"), "0");
  EXPECT_EQ(journal->originals.at(dir + "/cur_state"), "2");
}

TEST_F(BackendsTest, RaplCapInMilliwattsAndTheOriginalWhenUncapped) {
  const std::string dir = tree.add_rapl_zone("intel-rapl:0", "package-0", 15000000, 25000000);
  const std::string file = dir + "/constraint_0_power_limit_uw";
  ASSERT_TRUE(
      broker
          .register_device(
              DeviceSpec{
                  "intel-rapl:0", "powercap", "", PerfUnit::kNone, {range_knob("mW", 0, 25000)}},
              std::make_shared<RaplBackend>(root, journal, dir, Range{0, 25000}))
          .ok());
  RequestId cap = 0, floor = 0;
  ASSERT_TRUE(add("intel-rapl:0", KnobId::kRange, 10000, &cap, RangeEnd::kMax).ok());
  EXPECT_EQ(tree.read_file(file), "10000000");
  ASSERT_TRUE(broker.remove(h(), cap, nullptr).ok());
  EXPECT_EQ(tree.read_file(file), "15000000");
  ASSERT_TRUE(add("intel-rapl:0", KnobId::kRange, 20000, &floor, RangeEnd::kMin).ok());
  EXPECT_EQ(tree.read_file(file), "20000000");
  ASSERT_TRUE(broker.remove(h(), floor, nullptr).ok());
  EXPECT_EQ(tree.read_file(file), "15000000");
  EXPECT_EQ(journal->originals.at(file), "15000000");
}

TEST_F(BackendsTest, WriteFailuresAreRecordedOnTheDeviceAndRolledBack) {
  add_policy();
  RequestId floor = 0;
  ASSERT_TRUE(add("policy0", KnobId::kRange, 1500000, &floor, RangeEnd::kMin).ok());
  for (int code : {EINVAL, EBUSY, EACCES}) {
    faults->fail_writes(kMaxFile, code);
    Status s = add("policy0", KnobId::kRange, 2000000, nullptr, RangeEnd::kMax);
    EXPECT_EQ(s.code(), code);
    EXPECT_NE(s.message().find(kMaxFile), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("'2000000'"), std::string::npos) << s.message();
    const auto dev = broker.registry().find("policy0");
    EXPECT_EQ(dev->backend_errors().last_errno, code);
    EXPECT_NE(dev->backend_errors().last_message.find(kMaxFile), std::string::npos);
    // Rolled back: the request is gone, the effective range and the files are as before.
    EXPECT_EQ(dev->knob(KnobId::kRange)->effective_range(), (Range{1500000, 3000000}));
    EXPECT_EQ(tree.read_file(kMinFile), "1500000");
    EXPECT_EQ(tree.read_file(kMaxFile), "3000000");
    faults->clear();
  }
  EXPECT_EQ(broker.registry().find("policy0")->backend_errors().count, 3u);
  // A second-end failure: min written, max refused; the rollback puts min back.
  faults->fail_value(kMaxFile, "1000000", EINVAL);
  EXPECT_EQ(add("policy0", KnobId::kRange, 1000000, nullptr, RangeEnd::kMax).code(), EINVAL);
  EXPECT_EQ(tree.read_file(kMinFile), "1500000");
  EXPECT_EQ(tree.read_file(kMaxFile), "3000000");
  // And it works again once the fault is gone.
  faults->clear();
  ASSERT_TRUE(add("policy0", KnobId::kRange, 2000000, nullptr, RangeEnd::kMax).ok());
  EXPECT_EQ(tree.read_file(kMaxFile), "2000000");
}

TEST_F(BackendsTest, AKnobVanishingMidRunIsAnErrorNotACrash) {
  add_cpu0();
  RequestId a = 0;
  ASSERT_TRUE(add("cpu0", KnobId::kResumeLatency, 40, &a).ok());
  tree.remove(kResume);
  Status s = add("cpu0", KnobId::kResumeLatency, 10, nullptr);
  EXPECT_EQ(s.code(), ENOENT);
  EXPECT_NE(s.message().find(kResume), std::string::npos) << s.message();
  EXPECT_EQ(broker.registry().find("cpu0")->backend_errors().last_errno, ENOENT);
  // A remove is never rolled back: the request goes, the error is reported.
  EXPECT_EQ(broker.remove(h(), a, nullptr).code(), ENOENT);
  // The device's other knob still works.
  ASSERT_TRUE(add("cpu0", KnobId::kFlags, kFlagNoPowerOff, nullptr).ok());
  EXPECT_EQ(tree.read_file(kControl), "on");
}

TEST_F(BackendsTest, NothingIsWrittenWhenTheJournalRefuses) {
  add_cpu0();
  journal->fail_with = ENOSPC;
  Status s = add("cpu0", KnobId::kResumeLatency, 40, nullptr);
  EXPECT_EQ(s.code(), ENOSPC);
  EXPECT_NE(s.message().find("journal"), std::string::npos) << s.message();
  EXPECT_TRUE(root->writes.empty());
  EXPECT_EQ(tree.read_file(kResume), "0");
}

TEST_F(BackendsTest, DispatchRefusesKnobsItHasNoBackendFor) {
  KnobDispatch dispatch;
  ASSERT_TRUE(broker.register_device(DeviceSpec{"x", "cpu", "", PerfUnit::kNone, {}}).ok());
  const Device& d = *broker.registry().find("x");
  EXPECT_EQ(dispatch.apply_value(d, KnobId::kFlags, 1).code(), EINVAL);
  EXPECT_EQ(dispatch.apply_range(d, KnobId::kRange, Range{1, 2}).code(), EINVAL);
}

}  // namespace
}  // namespace perfqos::backends
