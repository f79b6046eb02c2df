// A Holder going away drops its requests in bulk (Broker::drop_all, issue #15): checked against
// a brute-force model of random holders on MIN, SUM, FLAGS and RANGE knobs. Before a holder
// goes, others add, update, remove one by one and expire; after it goes (while earlier holders'
// memory is still being reclaimed, in random steps): every knob's effective value is the brute
// force aggregate of the survivors, the backend got exactly one write per knob whose value
// changed (with the final value) and subscribers one notification, each device lists exactly
// the survivors, oldest first, and the counts agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "model/broker.h"
#include "model/device_specs.h"
#include "model/recording_backend.h"

namespace perfqos {
namespace {

HolderIdentity process(pid_t pid) {
  return HolderIdentity{HolderKind::kConnection, pid, 1000, 1000, "player", "/user.slice/a"};
}

using perfqos::testing::Apply;
using perfqos::testing::RecordingBackend;

struct Target {
  std::string device;
  KnobId knob;
  RangeEnd end;
};
const Target kTargets[] = {
    {"cpu0", KnobId::kResumeLatency, RangeEnd::kMin},
    {"cpu0", KnobId::kFlags, RangeEnd::kMin},
    {"gpu", KnobId::kRange, RangeEnd::kMin},
    {"gpu", KnobId::kRange, RangeEnd::kMax},
    {"memory_bandwidth", KnobId::kBandwidth, RangeEnd::kMin},
    {"cpu_dma_latency", KnobId::kLatency, RangeEnd::kMin},
};

// The model's view of one request.
struct Placed {
  int holder;
  RequestId id;
  std::size_t target;  // in kTargets
  std::int32_t value;
  std::uint64_t order;  // when it was added
};

class HolderDropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend = std::make_shared<RecordingBackend>();
    DeviceSpec cpu{"cpu0", "cpu", "", PerfUnit::kNone, {resume_latency_knob(), flags_knob()}};
    ASSERT_TRUE(broker.register_device(cpu, backend).ok());
    DeviceSpec gpu;
    ASSERT_TRUE(perf_device_spec("gpu", PerfUnit::kNormal, 100, 900, &gpu).ok());
    ASSERT_TRUE(broker.register_device(gpu, backend).ok());
    ASSERT_TRUE(
        broker.register_device(pm_qos_class_spec(PmQosClass::kMemoryBandwidth), backend).ok());
    ASSERT_TRUE(
        broker.register_device(pm_qos_class_spec(PmQosClass::kCpuDmaLatency), backend).ok());
    for (const char* d : {"cpu0", "gpu", "memory_bandwidth", "cpu_dma_latency"}) {
      for (const Knob* k : broker.registry().find(d)->knobs()) {
        Knob* knob = broker.registry().find(d)->knob(k->id());
        knob->subscribe([this, d, knob](Range o, Range n) {
          notified.push_back({std::string(d), knob->id(), o, n});
        });
      }
    }
  }

  Knob& knob(const Target& t) { return *broker.registry().find(t.device)->knob(t.knob); }

  std::int32_t random_value(std::size_t target) {
    switch (kTargets[target].knob) {
      case KnobId::kFlags:
        return static_cast<std::int32_t>(rng() % 2);
      case KnobId::kRange:
        return static_cast<std::int32_t>(100 + rng() % 801);
      default:  // few distinct values half the time: ties, shared value nodes
        return static_cast<std::int32_t>(rng() % (rng() % 2 ? 8 : 100000));
    }
  }

  // The brute-force effective value of the knob of `t`, from `placed`.
  Range brute(const Target& t) const {
    const Knob& k = *broker.registry().find(t.device)->knob(t.knob);
    const Range limits = k.limits();
    if (k.is_range()) {
      Range r = limits;
      bool floor = false, cap = false;
      for (const Placed& p : placed) {
        const Target& pt = kTargets[p.target];
        if (pt.device != t.device || pt.knob != t.knob) continue;
        if (pt.end == RangeEnd::kMin) {
          r.min = floor ? std::max(r.min, p.value) : p.value;
          floor = true;
        } else {
          r.max = cap ? std::min(r.max, p.value) : p.value;
          cap = true;
        }
      }
      if (r.min > r.max) r.min = r.max;
      return r;
    }
    std::int64_t acc = 0;
    bool any = false;
    const ListType type = k.spec().type;
    for (const Placed& p : placed) {
      const Target& pt = kTargets[p.target];
      if (pt.device != t.device || pt.knob != t.knob) continue;
      if (!any) {
        acc = type == ListType::kSum || type == ListType::kFlags ? 0 : p.value;
        any = true;
      }
      if (type == ListType::kMin) acc = std::min<std::int64_t>(acc, p.value);
      if (type == ListType::kMax) acc = std::max<std::int64_t>(acc, p.value);
      if (type == ListType::kSum) acc += p.value;
      if (type == ListType::kFlags) acc |= p.value;
    }
    const auto v = static_cast<std::int32_t>(any ? std::min<std::int64_t>(acc, INT32_MAX)
                                                 : limits.min);
    return Range{v, v};
  }

  void add(int holder, std::size_t target, std::optional<Deadline> expiry = std::nullopt) {
    const Target& t = kTargets[target];
    const std::int32_t v = random_value(target);
    RequestOutcome out;
    ASSERT_TRUE(broker.add(*holders[holder], {t.device, t.knob, t.end}, v, expiry, &out).ok());
    placed.push_back({holder, out.id, target, v, next_order++});
  }

  // Everything the model says, against the broker.
  void check_all(const std::string& when) {
    for (const Target& t : kTargets) {
      ASSERT_EQ(knob(t).effective_range(), brute(t)) << when << ": " << t.device;
    }
    for (const char* d : {"cpu0", "gpu", "memory_bandwidth", "cpu_dma_latency"}) {
      const Device& device = *broker.registry().find(d);
      std::vector<std::tuple<std::uint64_t, pid_t, RequestId>> expected;
      for (const Placed& p : placed) {
        if (kTargets[p.target].device == d) expected.emplace_back(p.order, 100 + p.holder, p.id);
      }
      std::sort(expected.begin(), expected.end());
      const auto listed = device.requests();
      ASSERT_EQ(device.request_count(), expected.size()) << when << ": " << d;
      ASSERT_EQ(listed.size(), expected.size()) << when << ": " << d;
      for (std::size_t i = 0; i < listed.size(); ++i) {
        ASSERT_EQ(listed[i]->holder().identity().pid, std::get<1>(expected[i])) << when;
        ASSERT_EQ(listed[i]->id(), std::get<2>(expected[i])) << when;
      }
      std::size_t first = expected.size() / 2, seen = 0;
      device.visit_requests(first, [&](const HeldRequest& r) {
        EXPECT_EQ(r.id(), std::get<2>(expected[first + seen++]));
        return true;
      });
      EXPECT_EQ(seen, expected.size() - first);
    }
    for (std::size_t h = 0; h < holders.size(); ++h) {
      if (!holders[h]) continue;
      const auto n = static_cast<std::size_t>(std::count_if(
          placed.begin(), placed.end(), [&](const Placed& p) { return p.holder == int(h); }));
      ASSERT_EQ(holders[h]->size(), n) << when;
      ASSERT_EQ(holders[h]->requests().size(), n) << when;
    }
  }

  std::shared_ptr<RecordingBackend> backend;
  struct Notified {
    std::string device;
    KnobId knob;
    Range old_value, new_value;
  };
  std::vector<Notified> notified;
  Broker broker;  // after backend: destroyed first
  std::vector<std::unique_ptr<Holder>> holders;
  std::vector<Placed> placed;
  std::uint64_t next_order = 0;
  std::mt19937 rng{15};
};

TEST_F(HolderDropTest, DroppingRandomHoldersMatchesTheBruteForceModel) {
  const Deadline t0{};
  for (int round = 0; round < 40; ++round) {
    const std::string when = "round " + std::to_string(round);
    holders.clear();
    while (broker.reclaim(1 + rng() % 100)) {
    }
    placed.clear();
    const int n = 2 + static_cast<int>(rng() % 5);
    for (int h = 0; h < n; ++h) {
      holders.push_back(broker.make_holder(process(100 + h)));
    }
    // Some holders big (the rebuild paths), some small (one by one), interleaved.
    std::vector<int> size(static_cast<std::size_t>(n));
    for (int& s : size) s = rng() % 3 == 0 ? 1500 : static_cast<int>(rng() % 60);
    const std::size_t narrow = rng() % std::size(kTargets);  // most requests on one knob
    for (bool more = true; more;) {
      more = false;
      for (int h = 0; h < n; ++h) {
        if (size[h] <= 0) continue;
        more = true;
        const int burst = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < burst && size[h] > 0; ++i, --size[h]) {
          const std::size_t target = rng() % 4 ? narrow : rng() % std::size(kTargets);
          std::optional<Deadline> expiry;
          if (rng() % 50 == 0) expiry = t0 + std::chrono::milliseconds(rng() % 100);
          ASSERT_NO_FATAL_FAILURE(add(h, target, expiry));
        }
      }
    }
    // One-by-one changes before anyone goes: removes (leaving stale handles behind), updates.
    for (int i = 0; i < 200 && !placed.empty(); ++i) {
      const std::size_t at = rng() % placed.size();
      Placed& p = placed[at];
      if (rng() % 2) {
        ASSERT_TRUE(broker.remove(*holders[p.holder], p.id, nullptr).ok());
        placed.erase(placed.begin() + static_cast<std::ptrdiff_t>(at));
      } else {
        const std::int32_t v = random_value(p.target);
        ASSERT_TRUE(broker.update(*holders[p.holder], p.id, v, nullptr).ok());
        p.value = v;
      }
    }
    // Expire what is due at 50 ms.
    std::vector<std::pair<int, RequestId>> due;
    for (std::size_t h = 0; h < holders.size(); ++h) {
      for (const HeldRequest* r : holders[h]->requests()) {
        if (r->expiry() && *r->expiry() <= t0 + std::chrono::milliseconds(50)) {
          due.emplace_back(int(h), r->id());
        }
      }
    }
    EXPECT_EQ(broker.expire(t0 + std::chrono::milliseconds(50)), due.size());
    std::erase_if(placed, [&](const Placed& p) {
      return std::find(due.begin(), due.end(), std::pair{p.holder, p.id}) != due.end();
    });
    ASSERT_NO_FATAL_FAILURE(check_all(when + ", before the drops"));

    std::vector<int> order(static_cast<std::size_t>(n));
    for (int h = 0; h < n; ++h) order[static_cast<std::size_t>(h)] = h;
    std::shuffle(order.begin(), order.end(), rng);
    for (int h : order) {
      std::map<std::pair<std::string, KnobId>, Range> before;
      for (const Target& t : kTargets) before[{t.device, t.knob}] = knob(t).effective_range();
      const std::size_t applies = backend->applied.size(), notes = notified.size();
      holders[h].reset();
      std::erase_if(placed, [&](const Placed& p) { return p.holder == h; });
      const std::string step = when + ", holder " + std::to_string(h) + " gone";
      ASSERT_NO_FATAL_FAILURE(check_all(step));
      std::vector<Apply> expected_applies;
      std::size_t changed = 0;
      for (const auto& [key, old_value] : before) {
        const Range now = broker.registry().find(key.first)->knob(key.second)->effective_range();
        if (now == old_value) continue;
        ++changed;
        expected_applies.push_back({key.first, key.second, now});
      }
      std::vector<Apply> applied(backend->applied.begin() + static_cast<std::ptrdiff_t>(applies),
                                 backend->applied.end());
      const auto by_name = [](const Apply& a, const Apply& b) {
        return std::tie(a.device, a.knob) < std::tie(b.device, b.knob);
      };
      std::sort(applied.begin(), applied.end(), by_name);
      std::sort(expected_applies.begin(), expected_applies.end(), by_name);
      EXPECT_EQ(applied, expected_applies) << step;
      ASSERT_EQ(notified.size() - notes, changed) << step;
      for (std::size_t i = notes; i < notified.size(); ++i) {
        const Notified& e = notified[i];
        EXPECT_EQ(e.old_value, (before[{e.device, e.knob}])) << step;
        EXPECT_EQ(e.new_value, knob({e.device, e.knob, RangeEnd::kMin}).effective_range()) << step;
      }
      // Memory of the ones gone is reclaimed in random steps, not necessarily all before the
      // next one goes.
      for (int steps = static_cast<int>(rng() % 4); steps > 0; --steps) {
        (void)broker.reclaim(1 + rng() % 500);
      }
    }
  }
}

TEST_F(HolderDropTest, ANotificationNamesTheHoldersOldestRequestOnTheKnob) {
  auto h = broker.make_holder(process(7));
  RequestOutcome first, second;
  ASSERT_TRUE(broker.add(*h, {"cpu_dma_latency", KnobId::kLatency}, 50, {}, &first).ok());
  ASSERT_TRUE(broker.add(*h, {"cpu_dma_latency", KnobId::kLatency}, 40, {}, &second).ok());
  RequestId cause = 0;
  pid_t pid = 0;
  ChangeAction action = ChangeAction::kAdd;
  int calls = 0;
  broker.registry().find("cpu_dma_latency")->knob(KnobId::kLatency)->subscribe([&](Range, Range) {
    ++calls;
    ASSERT_NE(broker.cause().request, nullptr);
    cause = broker.cause().request->id();
    pid = broker.cause().request->holder().identity().pid;
    action = broker.cause().action;
  });
  h.reset();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cause, first.id);
  EXPECT_EQ(pid, 7);
  EXPECT_EQ(action, ChangeAction::kRemove);
}

// The knobs a holder leaves are applied (and notified) in the order it first asked for them,
// as dropping its requests one by one, oldest first, did: a power profile restores its knobs
// in a fixed order, whatever the hash map holding the holder's knobs says.
TEST_F(HolderDropTest, KnobsAreReleasedInTheOrderTheHolderFirstAskedForThem) {
  const std::vector<std::size_t> order = {5, 2, 4, 0, 1};  // in kTargets
  for (int round = 0; round < 8; ++round) {
    auto h = broker.make_holder(process(7));
    for (const std::size_t t : order) {
      const Target& target = kTargets[t];
      // Values that move every knob off its default (flags: bit 0).
      const std::int32_t v = target.knob == KnobId::kFlags ? 1 : 300;
      ASSERT_TRUE(broker.add(*h, {target.device, target.knob, target.end}, v, {}, nullptr).ok())
          << target.device;
    }
    // A later request on the first knob does not move it back in the order.
    ASSERT_TRUE(broker.add(*h, {"cpu_dma_latency", KnobId::kLatency}, 200, {}, nullptr).ok());
    notified.clear();
    h.reset();
    ASSERT_EQ(notified.size(), order.size()) << round;
    for (std::size_t i = 0; i < order.size(); ++i) {
      EXPECT_EQ(notified[i].device, kTargets[order[i]].device) << round << ": " << i;
      EXPECT_EQ(notified[i].knob, kTargets[order[i]].knob) << round << ": " << i;
    }
  }
}

TEST_F(HolderDropTest, AHolderWhoseDeviceWentAwayDropsTheRest) {
  auto h = broker.make_holder(process(7));
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(broker.add(*h, {"gpu", KnobId::kRange, RangeEnd::kMin}, 100 + i, {}, nullptr).ok());
    ASSERT_TRUE(broker.add(*h, {"cpu_dma_latency", KnobId::kLatency}, 1000 + i, {}, nullptr).ok());
  }
  ASSERT_TRUE(broker.unregister_device("gpu").ok());
  DeviceSpec gpu;  // the same name again, maybe at the same address
  ASSERT_TRUE(perf_device_spec("gpu", PerfUnit::kNormal, 100, 900, &gpu).ok());
  ASSERT_TRUE(broker.register_device(gpu, backend).ok());
  auto other = broker.make_holder(process(8));
  ASSERT_TRUE(broker.add(*other, {"gpu", KnobId::kRange, RangeEnd::kMin}, 500, {}, nullptr).ok());
  EXPECT_EQ(h->size(), 600u);
  h.reset();
  const Device& dma = *broker.registry().find("cpu_dma_latency");
  EXPECT_EQ(dma.request_count(), 0u);
  EXPECT_EQ(dma.knob(KnobId::kLatency)->effective(), 2000000000);
  const Device& new_gpu = *broker.registry().find("gpu");
  EXPECT_EQ(new_gpu.request_count(), 1u);
  EXPECT_EQ(new_gpu.knob(KnobId::kRange)->effective_range(), (Range{500, 900}));
  while (broker.reclaim(64)) {
  }
}

}  // namespace
}  // namespace perfqos
