// The value-node index of MIN and MAX lists (engine/value_index.h) at sizes the brute-force
// model test does not reach: thousands of requests over 16 distinct values (long runs of one
// value, nodes emptied and refilled) and over a million (almost every value its own node, so
// empty nodes pile up in the heap and the index compacts), with bursts that empty the list and
// that remove the top value over and over. After every operation the effective value is
// checked against a multiset of the requests' values, and the request count against the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "engine/constraint_list.h"

namespace perfqos {
namespace {

constexpr std::int32_t kNone = 2'000'000'000;

struct Run {
  ListType type;
  std::int32_t distinct_values;
  std::size_t requests;
  unsigned seed;
};

void run(const Run& run) {
  ConstraintList list(ListSpec{run.type, kNone, kNone, 0, kNone});
  std::vector<std::unique_ptr<Request>> requests(run.requests);
  std::vector<std::int32_t> held(run.requests, -1);  // -1: not in the list
  std::multiset<std::int32_t> model;
  std::mt19937 rng(run.seed);
  std::uniform_int_distribution<std::int32_t> value(0, run.distinct_values - 1);
  auto expected = [&] {
    if (model.empty()) return kNone;
    return run.type == ListType::kMin ? *model.begin() : *model.rbegin();
  };
  for (auto& r : requests) r = std::make_unique<Request>();

  std::size_t steps = 0;
  auto check = [&](const char* what) {
    ++steps;
    ASSERT_EQ(list.effective(), expected()) << what << " at step " << steps;
    ASSERT_EQ(list.size(), model.size()) << what << " at step " << steps;
  };
  for (int phase = 0; phase < 12; ++phase) {
    // Fill, churn, then drain: in order of value from the top (every removal empties the top
    // node), or at random.
    for (std::size_t i = 0; i < run.requests; ++i) {
      if (held[i] >= 0) continue;
      const std::int32_t v = value(rng);
      ASSERT_TRUE(list.add(*requests[i], v).ok());
      held[i] = v;
      model.insert(v);
      check("add");
    }
    for (std::size_t step = 0; step < 4 * run.requests; ++step) {
      const std::size_t i = rng() % run.requests;
      if (held[i] < 0) {
        const std::int32_t v = value(rng);
        ASSERT_TRUE(list.add(*requests[i], v).ok());
        held[i] = v;
        model.insert(v);
        check("add");
      } else if (rng() % 2 == 0) {
        const std::int32_t v = value(rng);
        ASSERT_TRUE(list.update(*requests[i], v).ok());
        model.erase(model.find(held[i]));
        model.insert(v);
        held[i] = v;
        check("update");
      } else {
        ASSERT_TRUE(list.remove(*requests[i]).ok());
        model.erase(model.find(held[i]));
        held[i] = -1;
        check("remove");
      }
    }
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < run.requests; ++i) {
      if (held[i] >= 0) order.push_back(i);
    }
    if (phase % 2 == 0) {
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return run.type == ListType::kMin ? held[a] < held[b] : held[a] > held[b];
      });
    } else {
      std::shuffle(order.begin(), order.end(), rng);
    }
    // Drain all but a few on odd phases, everything on even ones.
    const std::size_t keep = phase % 2 == 0 ? 0 : 3;
    for (std::size_t k = 0; k + keep < order.size(); ++k) {
      const std::size_t i = order[k];
      ASSERT_TRUE(list.remove(*requests[i]).ok());
      model.erase(model.find(held[i]));
      held[i] = -1;
      check("drain");
    }
  }
}

TEST(ValueIndex, MinListFewValues) { run({ListType::kMin, 16, 3000, 1}); }
TEST(ValueIndex, MaxListFewValues) { run({ListType::kMax, 16, 3000, 2}); }
TEST(ValueIndex, MinListManyValues) { run({ListType::kMin, 1'000'000, 3000, 3}); }
TEST(ValueIndex, MaxListManyValues) { run({ListType::kMax, 1'000'000, 3000, 4}); }
TEST(ValueIndex, MinListOneValue) { run({ListType::kMin, 1, 500, 5}); }

// Values that collide in the hash table's home slots (multiples of a large power of two) still
// find their own nodes, and erasing from the middle of a probe run keeps the rest findable.
TEST(ValueIndex, CollidingValues) {
  ConstraintList list(ListSpec{ListType::kMin, kNone, kNone, 0, kNone});
  std::vector<std::unique_ptr<Request>> requests;
  std::multiset<std::int32_t> model;
  for (std::int32_t k = 0; k < 300; ++k) {
    for (int copy = 0; copy < 2; ++copy) {
      requests.push_back(std::make_unique<Request>());
      ASSERT_TRUE(list.add(*requests.back(), k << 20).ok());
      model.insert(k << 20);
    }
  }
  std::mt19937 rng(6);
  std::shuffle(requests.begin(), requests.end(), rng);
  for (auto& r : requests) {
    const std::int32_t v = r->value();
    ASSERT_TRUE(list.update(*r, v + 1).ok());
    model.erase(model.find(v));
    model.insert(v + 1);
    ASSERT_EQ(list.effective(), *model.begin());
  }
  for (auto& r : requests) {
    model.erase(model.find(r->value()));
    ASSERT_TRUE(list.remove(*r).ok());
    ASSERT_EQ(list.effective(), model.empty() ? kNone : *model.begin());
  }
}

// A value that loses its last request keeps its node, empty, with a head that no longer means
// anything; destroying the list (which detaches every request it holds) must not follow it.
// Here the emptied values' requests are freed before the list goes, so under ASan a walk of a
// stale head is a use after free. Values 0..199 span several words of the held-node bitmap.
TEST(ValueIndex, DestroyingTheListSkipsEmptiedValues) {
  std::vector<std::unique_ptr<Request>> kept;
  {
    ConstraintList list(ListSpec{ListType::kMax, kNone, kNone, 0, kNone});
    for (std::int32_t v = 0; v < 200; ++v) {
      auto r = std::make_unique<Request>();
      ASSERT_TRUE(list.add(*r, v).ok());
      if (v % 3 == 0) {
        kept.push_back(std::move(r));
      } else {
        ASSERT_TRUE(list.remove(*r).ok());  // its node stays, empty, below the top (198)
      }
    }
    // The top (198) empties too: it and the empty nodes under it leave; 195 is the next held.
    auto top = std::make_unique<Request>();
    ASSERT_TRUE(list.add(*top, 199).ok());
    ASSERT_TRUE(list.remove(*top).ok());
    EXPECT_EQ(list.effective(), 198);
    ASSERT_TRUE(kept.back()->remove().ok());
    EXPECT_EQ(list.effective(), 195);
    EXPECT_EQ(list.size(), kept.size() - 1);
  }
  for (std::size_t i = 0; i + 1 < kept.size(); ++i) EXPECT_FALSE(kept[i]->active()) << i;
}

}  // namespace
}  // namespace perfqos
