// Bulk removal (issue #15): ConstraintList/RangeConstraint::remove_all and retain_only, checked
// against a brute-force model. Requests belong to random "holders"; a holder goes away in one
// call, by either way Broker::drop_all uses (remove_all of its requests, retain_only of the
// others), and after each: the effective value is the
// brute-force aggregate of the survivors, size() counts them, the removed read inactive (once
// released), and the subscriber fired exactly once if, and only if, the effective value moved,
// with the values before and after.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "engine/constraint_list.h"
#include "engine/range_constraint.h"

namespace perfqos {
namespace {

enum class Way { kRemoveAll, kRetainOnly };

struct Held {
  std::unique_ptr<Request> request = std::make_unique<Request>();
  int holder = 0;
  RangeEnd end = RangeEnd::kMin;
  std::int32_t value = 0;
};

std::int32_t brute(ListType type, std::int32_t none, const std::vector<Held>& held) {
  if (held.empty()) return none;
  std::int64_t acc = type == ListType::kMin ? INT64_MAX : 0;
  for (const Held& h : held) {
    switch (type) {
      case ListType::kMin:
        acc = std::min<std::int64_t>(acc, h.value);
        break;
      case ListType::kMax:
        acc = std::max<std::int64_t>(acc, h.value);
        break;
      case ListType::kSum:
        acc += h.value;
        break;
      case ListType::kFlags:
        acc |= h.value;
        break;
    }
  }
  return static_cast<std::int32_t>(std::min<std::int64_t>(acc, INT32_MAX));
}

Range brute_range(Range limits, const std::vector<Held>& held) {
  Range r{limits.min, limits.max};
  bool any_min = false, any_max = false;
  for (const Held& h : held) {
    if (h.end == RangeEnd::kMin) {
      r.min = any_min ? std::max(r.min, h.value) : h.value;
      any_min = true;
    } else {
      r.max = any_max ? std::min(r.max, h.value) : h.value;
      any_max = true;
    }
  }
  if (r.min > r.max) r.min = r.max;
  return r;
}

// Splits `held` into the holder's requests (returned, out of `held`) and the others.
std::vector<Held> take_holder(std::vector<Held>& held, int holder) {
  std::vector<Held> gone;
  std::vector<Held> kept;
  for (Held& h : held) (h.holder == holder ? gone : kept).push_back(std::move(h));
  held = std::move(kept);
  return gone;
}

std::vector<Request*> pointers(const std::vector<Held>& held) {
  std::vector<Request*> out;
  for (const Held& h : held) out.push_back(h.request.get());
  return out;
}

template <typename List, typename Value>
void drop(List& list, Way way, std::vector<Held>& gone, const std::vector<Held>& kept,
          const Value& before, const Value& after, const std::vector<std::pair<Value, Value>>& seen,
          std::size_t seen_before) {
  const std::vector<Request*> mine = pointers(gone);
  const std::vector<Request*> rest = pointers(kept);
  Result r = Result::Unchanged();
  switch (way) {
    case Way::kRemoveAll:
      r = list.remove_all(mine);
      break;
    case Way::kRetainOnly:
      r = list.retain_only(rest, mine.size());
      break;
  }
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.changed(), !(before == after));
  ASSERT_EQ(seen.size(), seen_before + (before == after ? 0 : 1));
  if (!(before == after)) {
    EXPECT_TRUE(seen.back().first == before);
    EXPECT_TRUE(seen.back().second == after);
  }
  for (Held& h : gone) {
    if (way == Way::kRetainOnly) List::release_retired(*h.request);
    EXPECT_FALSE(h.request->active());
  }
}

class BulkRemoval : public ::testing::TestWithParam<ListType> {};

TEST_P(BulkRemoval, DroppingAHolderMatchesTheBruteForceAggregate) {
  const ListType type = GetParam();
  ListSpec spec{type, 5, type == ListType::kMin ? 1000000 : 0, 0,
                type == ListType::kFlags ? 0xff : 1000000};
  std::mt19937 rng(15);
  for (int round = 0; round < 300; ++round) {
    ConstraintList list(spec);
    std::vector<std::pair<std::int32_t, std::int32_t>> seen;
    list.subscribe([&](std::int32_t o, std::int32_t n) { seen.emplace_back(o, n); });
    std::vector<Held> held;
    const int holders = 1 + static_cast<int>(rng() % 5);
    const int n = static_cast<int>(rng() % 200);
    // Few distinct values half the time, so that ties and shared value nodes happen.
    const std::int32_t range = rng() % 2 ? 8 : 1000000;
    for (int i = 0; i < n; ++i) {
      Held h;
      h.holder = static_cast<int>(rng() % holders);
      std::int32_t v = static_cast<std::int32_t>(rng() % range);
      if (type == ListType::kFlags) v &= 0xff;
      if (rng() % 16 == 0) v = kDefaultRequest;
      ASSERT_TRUE(list.add(*h.request, v).ok());
      h.value = spec.resolve(v);
      held.push_back(std::move(h));
    }
    std::vector<int> order(static_cast<std::size_t>(holders));
    for (int i = 0; i < holders; ++i) order[static_cast<std::size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (int holder : order) {
      const std::int32_t before = list.effective();
      std::vector<Held> gone = take_holder(held, holder);
      const std::int32_t after = brute(type, spec.no_constraint_value, held);
      const auto way = static_cast<Way>(rng() % 2);
      drop(list, way, gone, held, before, after, seen, seen.size());
      ASSERT_EQ(list.effective(), after) << "round " << round << " holder " << holder;
      ASSERT_EQ(list.size(), held.size());
    }
    // The list still works after its aggregator was rebuilt.
    Request late;
    ASSERT_TRUE(list.add(late, 7).ok());
    EXPECT_EQ(list.effective(), 7);
    ASSERT_TRUE(late.remove().ok());
    EXPECT_EQ(list.effective(), spec.no_constraint_value);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryListType, BulkRemoval,
                         ::testing::Values(ListType::kMin, ListType::kMax, ListType::kSum,
                                           ListType::kFlags));

TEST(BulkRemovalRange, DroppingAHolderMatchesTheBruteForceAggregate) {
  const Range limits{100, 900};
  std::mt19937 rng(16);
  for (int round = 0; round < 300; ++round) {
    RangeConstraint range(limits);
    std::vector<std::pair<Range, Range>> seen;
    range.subscribe([&](Range o, Range n) { seen.emplace_back(o, n); });
    std::vector<Held> held;
    const int holders = 1 + static_cast<int>(rng() % 5);
    const int n = static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      Held h;
      h.holder = static_cast<int>(rng() % holders);
      h.end = rng() % 2 ? RangeEnd::kMin : RangeEnd::kMax;
      const auto v = static_cast<std::int32_t>(100 + rng() % 801);
      ASSERT_TRUE(range.add(*h.request, h.end, v).ok());
      h.value = v;
      held.push_back(std::move(h));
    }
    std::vector<int> order(static_cast<std::size_t>(holders));
    for (int i = 0; i < holders; ++i) order[static_cast<std::size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (int holder : order) {
      const Range before = range.effective();
      std::vector<Held> gone = take_holder(held, holder);
      const Range after = brute_range(limits, held);
      drop(range, static_cast<Way>(rng() % 2), gone, held, before, after, seen, seen.size());
      ASSERT_EQ(range.effective(), after) << "round " << round << " holder " << holder;
      std::size_t floors = 0;
      for (const Held& h : held) floors += h.end == RangeEnd::kMin;
      ASSERT_EQ(range.size(RangeEnd::kMin), floors);
      ASSERT_EQ(range.size(RangeEnd::kMax), held.size() - floors);
    }
  }
}

TEST(BulkRemovalErrors, AFailedCallChangesNothing) {
  ConstraintList list(ListSpec{ListType::kMin, 5, 1000, 0, 1000});
  ConstraintList other(ListSpec{ListType::kMin, 5, 1000, 0, 1000});
  Request a, b, foreign;
  ASSERT_TRUE(list.add(a, 10).ok());
  ASSERT_TRUE(list.add(b, 20).ok());
  ASSERT_TRUE(other.add(foreign, 1).ok());
  int notified = 0;
  list.subscribe([&](std::int32_t, std::int32_t) { ++notified; });

  Request* with_foreign[] = {&a, &foreign};
  EXPECT_EQ(list.remove_all(with_foreign).error(), Error::kInactive);
  Request* keep_b[] = {&b};
  EXPECT_EQ(list.retain_only(keep_b, 2).error(), Error::kInactive);  // miscounted
  Request* keep_foreign[] = {&foreign};
  EXPECT_EQ(list.retain_only(keep_foreign, 1).error(), Error::kInactive);
  EXPECT_EQ(list.effective(), 10);
  EXPECT_EQ(list.size(), 2u);
  EXPECT_TRUE(a.active());
  EXPECT_EQ(notified, 0);

  // After the failed calls, a good one still works.
  Request* just_a[] = {&a};
  EXPECT_TRUE(list.remove_all(just_a).changed());
  EXPECT_EQ(list.effective(), 20);
  EXPECT_EQ(list.size(), 1u);
  EXPECT_TRUE(b.active());
  EXPECT_EQ(notified, 1);
}

TEST(BulkRemovalRetired, RetiredRequestsAreOutOfTheListUntilReleased) {
  ConstraintList list(ListSpec{ListType::kMin, 5, 1000, 0, 1000});
  std::vector<std::unique_ptr<Request>> many;
  for (int i = 0; i < 100; ++i) {
    many.push_back(std::make_unique<Request>());
    ASSERT_TRUE(list.add(*many.back(), i).ok());
  }
  Request survivor;
  ASSERT_TRUE(list.add(survivor, 500).ok());
  Request* keep[] = {&survivor};
  EXPECT_TRUE(list.retain_only(keep, many.size()).changed());
  EXPECT_EQ(list.effective(), 500);
  EXPECT_EQ(list.size(), 1u);
  // The list changes on while the retired wait to be released; they must not come back.
  Request later;
  ASSERT_TRUE(list.add(later, 300).ok());
  ASSERT_TRUE(survivor.update(200).ok());
  for (auto& r : many) {
    ConstraintList::release_retired(*r);
    EXPECT_FALSE(r->active());
    r.reset();  // destroying a released request leaves the list alone
  }
  EXPECT_EQ(list.effective(), 200);
  EXPECT_EQ(list.size(), 2u);
}

}  // namespace
}  // namespace perfqos
