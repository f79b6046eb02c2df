// One test per aggregation rule of DESIGN §3, plus the request life cycle and notifications.
#include <gtest/gtest.h>

#include <climits>
#include <memory>
#include <utility>
#include <vector>

#include "engine/constraint_list.h"
#include "engine/range_constraint.h"

namespace perfqos {
namespace {

constexpr std::int32_t kLatencyDefault = 2000000000;

ListSpec latency_spec() {
  return ListSpec{ListType::kMin, kLatencyDefault, kLatencyDefault, 0, kLatencyDefault};
}
ListSpec throughput_spec() {
  return ListSpec{ListType::kMax, 0, 0, 0, INT32_MAX};
}
ListSpec bandwidth_spec() {
  return ListSpec{ListType::kSum, 0, 0, 0, INT32_MAX};
}
ListSpec flags_spec() {
  return ListSpec{ListType::kFlags, 0, 0, 0, 0x7};
}

TEST(EmptyList, ReadsNoConstraintValueForEveryType) {
  EXPECT_EQ(ConstraintList(latency_spec()).effective(), kLatencyDefault);
  EXPECT_EQ(ConstraintList(throughput_spec()).effective(), 0);
  EXPECT_EQ(ConstraintList(bandwidth_spec()).effective(), 0);
  EXPECT_EQ(ConstraintList(flags_spec()).effective(), 0);
  ListSpec tolerance{ListType::kMin, 0, -1, 0, INT32_MAX};  // latency tolerance: empty = auto
  EXPECT_EQ(ConstraintList(tolerance).effective(), -1);
}

TEST(EmptyList, ReadsNoConstraintValueAgainAfterLastRemove) {
  ConstraintList list(latency_spec());
  Request a;
  ASSERT_TRUE(list.add(a, 50).changed());
  EXPECT_TRUE(a.remove().changed());
  EXPECT_EQ(list.effective(), kLatencyDefault);
  EXPECT_EQ(list.size(), 0u);
}

TEST(MinList, SmallestRequestWins) {
  ConstraintList list(latency_spec());
  Request a, b, c;
  EXPECT_TRUE(list.add(a, 100).changed());
  EXPECT_TRUE(list.add(b, 20).changed());
  EXPECT_FALSE(list.add(c, 60).changed());
  EXPECT_EQ(list.effective(), 20);
  EXPECT_TRUE(b.remove().changed());
  EXPECT_EQ(list.effective(), 60);
  EXPECT_TRUE(c.update(500).changed());
  EXPECT_EQ(list.effective(), 100);
}

TEST(MaxList, LargestRequestWins) {
  ConstraintList list(throughput_spec());
  Request a, b;
  EXPECT_TRUE(list.add(a, 1000).changed());
  EXPECT_TRUE(list.add(b, 5000).changed());
  EXPECT_EQ(list.effective(), 5000);
  EXPECT_TRUE(b.update(10).changed());
  EXPECT_EQ(list.effective(), 1000);
}

TEST(DefaultRequest, MinusOneStandsForTheDefaultValue) {
  ListSpec spec{ListType::kMin, 0, -1, 0, INT32_MAX};  // default differs from no-constraint
  ConstraintList list(spec);
  Request a;
  EXPECT_TRUE(list.add(a, kDefaultRequest).changed());
  EXPECT_EQ(a.value(), 0);
  EXPECT_EQ(list.effective(), 0);

  ConstraintList latency(latency_spec());
  Request b;
  EXPECT_FALSE(latency.add(b, -1).changed());  // default == no-constraint: nothing changes
  EXPECT_EQ(b.value(), kLatencyDefault);
  EXPECT_TRUE(b.update(10).changed());
  EXPECT_TRUE(b.update(-1).changed());
  EXPECT_EQ(latency.effective(), kLatencyDefault);
}

TEST(InvalidValue, OtherNegativesAreRejectedAndChangeNothing) {
  ConstraintList list(latency_spec());
  Request a, b;
  ASSERT_TRUE(list.add(a, 30).ok());
  for (std::int32_t bad : {-2, -100, INT32_MIN, kLatencyDefault + 1}) {
    Result r = list.add(b, bad);
    EXPECT_EQ(r.error(), Error::kInvalidValue) << bad;
    EXPECT_EQ(r.errno_code(), EINVAL);
    EXPECT_FALSE(b.active());
    EXPECT_EQ(a.update(bad).error(), Error::kInvalidValue);
    EXPECT_EQ(a.value(), 30);
    EXPECT_EQ(list.effective(), 30);
    EXPECT_EQ(list.size(), 1u);
  }
}

TEST(InvalidValue, FlagsOutsideTheMaskAreRejected) {
  ConstraintList list(flags_spec());
  Request a;
  EXPECT_EQ(list.add(a, 0x8).error(), Error::kInvalidValue);
  EXPECT_EQ(list.add(a, -5).error(), Error::kInvalidValue);
  EXPECT_FALSE(a.active());
}

TEST(SumList, AddsRequestsAndSaturatesAtInt32Max) {
  ConstraintList list(bandwidth_spec());
  Request a, b, c;
  EXPECT_TRUE(list.add(a, 1000).changed());
  EXPECT_TRUE(list.add(b, 2000).changed());
  EXPECT_EQ(list.effective(), 3000);
  EXPECT_TRUE(list.add(c, INT32_MAX - 10).changed());
  EXPECT_EQ(list.effective(), INT32_MAX);
  EXPECT_FALSE(a.update(5).changed());  // still saturated
  EXPECT_TRUE(c.remove().changed());
  EXPECT_EQ(list.effective(), 2005);
}

TEST(FlagsList, OrOfRequestsRecomputedOnRemove) {
  ConstraintList list(flags_spec());
  Request a, b;
  EXPECT_TRUE(list.add(a, 0x1).changed());
  EXPECT_TRUE(list.add(b, 0x3).changed());
  EXPECT_EQ(list.effective(), 0x3);
  EXPECT_FALSE(a.remove().changed());  // bit 0 still requested by b
  EXPECT_EQ(list.effective(), 0x3);
  EXPECT_TRUE(b.update(0x4).changed());
  EXPECT_EQ(list.effective(), 0x4);
  EXPECT_TRUE(b.remove().changed());
  EXPECT_EQ(list.effective(), 0);
}

TEST(IdenticalValues, TwoHoldersAreTwoRequests) {
  for (ListSpec spec : {latency_spec(), throughput_spec(), flags_spec()}) {
    ConstraintList list(spec);
    Request a, b;
    ASSERT_TRUE(list.add(a, 4).changed());
    EXPECT_FALSE(list.add(b, 4).changed());
    EXPECT_EQ(list.size(), 2u);
    EXPECT_FALSE(a.remove().changed()) << to_string(spec.type);
    EXPECT_EQ(list.effective(), 4) << to_string(spec.type);
    EXPECT_TRUE(b.remove().changed());
  }
}

TEST(RequestLifeCycle, AddTwiceAndUseInactiveAreErrors) {
  ConstraintList list(latency_spec()), other(latency_spec());
  Request a;
  EXPECT_EQ(a.update(5).error(), Error::kInactive);
  EXPECT_EQ(a.remove().error(), Error::kInactive);
  EXPECT_EQ(list.remove(a).errno_code(), ENOENT);
  ASSERT_TRUE(list.add(a, 5).ok());
  EXPECT_EQ(list.add(a, 6).error(), Error::kAlreadyActive);
  EXPECT_EQ(other.add(a, 6).errno_code(), EEXIST);
  EXPECT_EQ(other.update(a, 6).error(), Error::kInactive);
  EXPECT_EQ(other.remove(a).error(), Error::kInactive);
  EXPECT_EQ(list.effective(), 5);
  EXPECT_EQ(other.effective(), kLatencyDefault);
}

TEST(RequestLifeCycle, DestructorRemovesTheRequest) {
  ConstraintList list(latency_spec());
  {
    Request a;
    ASSERT_TRUE(list.add(a, 7).ok());
    EXPECT_EQ(list.effective(), 7);
  }
  EXPECT_EQ(list.effective(), kLatencyDefault);
  EXPECT_EQ(list.size(), 0u);
}

TEST(RequestLifeCycle, ListDestroyedFirstLeavesRequestsInactive) {
  Request a, b;
  {
    ConstraintList list(latency_spec());
    ASSERT_TRUE(list.add(a, 7).ok());
    ASSERT_TRUE(list.add(b, 9).ok());
  }
  EXPECT_FALSE(a.active());
  EXPECT_EQ(a.update(1).error(), Error::kInactive);
  EXPECT_EQ(b.remove().error(), Error::kInactive);
}

TEST(RequestLifeCycle, ManyRequestsRemovedInAnyOrderKeepTheHeapRight) {
  ConstraintList list(latency_spec());
  std::vector<std::unique_ptr<Request>> requests;
  for (int i = 0; i < 200; ++i) {
    requests.push_back(std::make_unique<Request>());
    ASSERT_TRUE(list.add(*requests.back(), (i * 7919) % 1000).ok());
  }
  // Remove every third, then check the minimum over the rest.
  for (std::size_t i = 0; i < requests.size(); i += 3) requests[i].reset();
  std::int32_t expected = kLatencyDefault;
  for (const auto& r : requests) {
    if (r) expected = std::min(expected, r->value());
  }
  EXPECT_EQ(list.effective(), expected);
}

TEST(Notifications, OncePerChangeWithOldAndNew) {
  ConstraintList list(latency_spec());
  std::vector<std::pair<std::int32_t, std::int32_t>> seen;
  list.subscribe([&](std::int32_t o, std::int32_t n) { seen.emplace_back(o, n); });
  Request a, b;
  ASSERT_TRUE(list.add(a, 100).ok());                        // change
  ASSERT_TRUE(list.add(b, 200).ok());                        // no change
  ASSERT_TRUE(b.update(50).ok());                            // change
  ASSERT_TRUE(b.update(60).ok());                            // change
  ASSERT_TRUE(a.remove().ok());                              // no change
  ASSERT_TRUE(b.remove().ok());                              // change
  EXPECT_EQ(list.add(a, -7).error(), Error::kInvalidValue);  // no notification
  const std::vector<std::pair<std::int32_t, std::int32_t>> expected{
      {kLatencyDefault, 100}, {100, 50}, {50, 60}, {60, kLatencyDefault}};
  EXPECT_EQ(seen, expected);
}

TEST(Notifications, UnsubscribeStopsThem) {
  ConstraintList list(throughput_spec());
  int calls = 0;
  SubscriptionId id = list.subscribe([&](std::int32_t, std::int32_t) { ++calls; });
  Request a;
  ASSERT_TRUE(list.add(a, 1).ok());
  EXPECT_TRUE(list.unsubscribe(id));
  EXPECT_FALSE(list.unsubscribe(id));
  ASSERT_TRUE(a.update(2).ok());
  EXPECT_EQ(calls, 1);
}

TEST(Notifications, CallbackMayChangeTheListWithoutDeadlockOrRecursion) {
  // Declared before the list and its requests: the callback outlives neither.
  std::vector<std::pair<std::int32_t, std::int32_t>> seen;
  int depth = 0, max_depth = 0;
  bool reacted = false;
  ConstraintList list(latency_spec());
  Request follower;
  list.subscribe([&](std::int32_t o, std::int32_t n) {
    max_depth = std::max(max_depth, ++depth);
    seen.emplace_back(o, n);
    // React to the first change by adding a stricter request from inside the callback.
    if (!reacted) {
      reacted = true;
      EXPECT_TRUE(list.add(follower, n / 2).changed());
    }
    --depth;
  });
  Request a;
  ASSERT_TRUE(list.add(a, 100).changed());
  EXPECT_EQ(max_depth, 1);
  const std::vector<std::pair<std::int32_t, std::int32_t>> expected{{kLatencyDefault, 100},
                                                                    {100, 50}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(list.effective(), 50);
}

TEST(RangeList, EmptyReadsTheHardLimits) {
  RangeConstraint range({100, 900});
  EXPECT_EQ(range.effective(), (Range{100, 900}));
  EXPECT_TRUE(range.is_allowed(100));
  EXPECT_TRUE(range.is_allowed(900));
  EXPECT_FALSE(range.is_allowed(99));
  EXPECT_FALSE(range.is_allowed(901));
}

TEST(RangeList, HighestFloorAndLowestCapWin) {
  RangeConstraint range({0, 1024});
  Request f1, f2, c1, c2;
  EXPECT_TRUE(range.add(f1, RangeEnd::kMin, 200).changed());
  EXPECT_TRUE(range.add(f2, RangeEnd::kMin, 300).changed());
  EXPECT_TRUE(range.add(c1, RangeEnd::kMax, 800).changed());
  EXPECT_TRUE(range.add(c2, RangeEnd::kMax, 700).changed());
  EXPECT_EQ(range.effective(), (Range{300, 700}));
  EXPECT_EQ(range.size(RangeEnd::kMin), 2u);
  EXPECT_TRUE(f2.remove().changed());
  EXPECT_TRUE(c2.remove().changed());
  EXPECT_EQ(range.effective(), (Range{200, 800}));
}

TEST(RangeList, ConflictIsResolvedInFavourOfTheCap) {
  RangeConstraint range({0, 1024});
  Request floor, cap;
  ASSERT_TRUE(range.add(floor, RangeEnd::kMin, 600).ok());
  ASSERT_TRUE(range.add(cap, RangeEnd::kMax, 300).ok());
  EXPECT_EQ(range.effective(), (Range{300, 300}));
  EXPECT_FALSE(range.is_allowed(600));
  EXPECT_TRUE(cap.remove().changed());
  EXPECT_EQ(range.effective(), (Range{600, 1024}));
}

TEST(RangeList, ValuesOutsideTheLimitsAreRejectedMinusOneIsNoConstraint) {
  RangeConstraint range({100, 900});
  Request r;
  EXPECT_EQ(range.add(r, RangeEnd::kMin, 99).error(), Error::kInvalidValue);
  EXPECT_EQ(range.add(r, RangeEnd::kMax, 901).error(), Error::kInvalidValue);
  EXPECT_EQ(range.add(r, RangeEnd::kMax, -2).error(), Error::kInvalidValue);
  EXPECT_FALSE(r.active());
  EXPECT_FALSE(range.add(r, RangeEnd::kMax, -1).changed());
  EXPECT_EQ(r.value(), 900);
  EXPECT_EQ(r.end(), RangeEnd::kMax);
  EXPECT_EQ(range.spec(RangeEnd::kMin).type, ListType::kMax);
  EXPECT_EQ(range.spec(RangeEnd::kMax).type, ListType::kMin);
}

TEST(RangeList, NotificationsCarryBothEnds) {
  RangeConstraint range({0, 1024});
  std::vector<std::pair<Range, Range>> seen;
  range.subscribe([&](Range o, Range n) { seen.emplace_back(o, n); });
  Request floor;
  ASSERT_TRUE(range.add(floor, RangeEnd::kMin, 512).ok());
  ASSERT_TRUE(floor.update(512).ok());  // unchanged: no notification
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, (Range{0, 1024}));
  EXPECT_EQ(seen[0].second, (Range{512, 1024}));
}

TEST(RangeList, DestroyedFirstLeavesRequestsInactive) {
  Request a;
  {
    RangeConstraint range({0, 10});
    ASSERT_TRUE(range.add(a, RangeEnd::kMin, 5).ok());
  }
  EXPECT_EQ(a.update(3).error(), Error::kInactive);
}

}  // namespace
}  // namespace perfqos
