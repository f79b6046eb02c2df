// Concurrency of the engine (DESIGN §3): lock-free readers against writers, and notifications
// under several writers. Meant to run under ThreadSanitizer as well
// (`./dev test --sanitize=thread --label=concurrency`).
//
// What is checked:
//  - readers spinning on effective()/is_allowed() only ever see values that were aggregates
//    (the writers record every aggregate they produce, from their own brute-force model, and
//    readers' observations must be a subset), and a range's two ends always come from one state;
//  - with several writers and a subscriber, the notifications form one chain: each old equals the
//    previous new, the first old is the empty list's value, the last new is effective(), no two
//    callbacks overlap, and there are exactly as many notifications as Changed results.
//
// Runtimes are bounded by operation counts, never by time; no timing is asserted.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/constraint_list.h"
#include "engine/range_constraint.h"

namespace perfqos {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr int kScale = 4;  // ThreadSanitizer: fewer operations, same interleavings per op
#else
constexpr int kScale = 1;
#endif

// Values readers record stay in [0, kDomain), so "seen" sets are plain bitmaps.
constexpr std::int32_t kDomain = 4096;
using Bitmap = std::vector<char>;

// Starts `readers` threads running `read(bitmap-index)` until stop(); the readers announce
// themselves before the writers start, so writing always overlaps reading.
class Readers {
 public:
  template <typename Read>
  Readers(int count, Read read) {
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back([this, read, i]() mutable {
        started_.fetch_add(1, std::memory_order_release);
        long reads = 0;
        while (!stop_.load(std::memory_order_acquire)) {
          read(i);
          ++reads;
        }
        total_reads_.fetch_add(reads, std::memory_order_relaxed);
      });
    }
    while (started_.load(std::memory_order_acquire) < count) std::this_thread::yield();
  }
  ~Readers() { stop(); }
  Readers(const Readers&) = delete;
  Readers& operator=(const Readers&) = delete;

  // Returns the number of reads done.
  long stop() {
    stop_.store(true, std::memory_order_release);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    return total_reads_.load(std::memory_order_relaxed);
  }

 private:
  std::vector<std::thread> threads_;
  std::atomic<int> started_{0};
  std::atomic<bool> stop_{false};
  std::atomic<long> total_reads_{0};
};

// ---- One writer, many readers: readers see only aggregates. ----

TEST(Readers, SeeOnlyAggregatesTheWriterProduced) {
  // MIN list; requests are multiples of 7, so most of [0, kDomain) is never an aggregate.
  const ListSpec spec{ListType::kMin, kDomain - 1, kDomain - 1, 0, kDomain - 1};
  ConstraintList list(spec);
  constexpr int kRequests = 24;
  const int ops = 400'000 / kScale;

  Bitmap produced(kDomain, 0);
  produced[static_cast<std::size_t>(list.effective())] = 1;
  std::vector<Bitmap> seen(2, Bitmap(kDomain, 0));
  std::atomic<bool> out_of_domain{false};

  Readers readers(2, [&](int i) {
    const std::int32_t v = list.effective();
    if (v < 0 || v >= kDomain) {
      out_of_domain = true;
    } else {
      seen[static_cast<std::size_t>(i)][static_cast<std::size_t>(v)] = 1;
    }
  });

  std::vector<Request> requests(kRequests);
  std::vector<std::int32_t> model(kRequests, -1);  // -1: not active
  std::mt19937_64 rng(1);
  int mismatches = 0;
  for (int op = 0; op < ops; ++op) {
    const std::size_t i = rng() % kRequests;
    const std::int32_t value = static_cast<std::int32_t>(7 * (rng() % (kDomain / 7)));
    Result r = Result::Unchanged();
    if (model[i] < 0) {
      r = list.add(requests[i], value);
      model[i] = value;
    } else if (rng() % 4 == 0) {
      r = requests[i].remove();
      model[i] = -1;
    } else {
      r = requests[i].update(value);
      model[i] = value;
    }
    std::int32_t aggregate = spec.no_constraint_value;
    for (std::int32_t v : model) {
      if (v >= 0) aggregate = std::min(aggregate, v);
    }
    produced[static_cast<std::size_t>(aggregate)] = 1;
    // The only writer: the list must agree with the model at once.
    mismatches += !r.ok() || list.effective() != aggregate;
  }
  const long reads = readers.stop();

  EXPECT_EQ(mismatches, 0);
  EXPECT_FALSE(out_of_domain);
  int distinct_seen = 0;
  for (const Bitmap& s : seen) {
    for (std::int32_t v = 0; v < kDomain; ++v) {
      if (!s[static_cast<std::size_t>(v)]) continue;
      ++distinct_seen;
      EXPECT_TRUE(produced[static_cast<std::size_t>(v)]) << "reader saw " << v;
    }
  }
  EXPECT_GT(reads, 0);
  EXPECT_GT(distinct_seen, 1) << "readers never saw the list change";
}

TEST(Readers, SeeBothEndsOfARangeFromOneState) {
  // Limits [0, 63]: a pair fits in a 4096-entry bitmap as min * 64 + max.
  RangeConstraint range({0, 63});
  constexpr int kRequests = 16;
  const int ops = 400'000 / kScale;

  auto index = [](Range r) { return static_cast<std::size_t>(r.min * 64 + r.max); };
  Bitmap produced(kDomain, 0);
  produced[index(range.effective())] = 1;
  std::vector<Bitmap> seen(2, Bitmap(kDomain, 0));
  // is_allowed(x) answers seen for x in [-1, 64], by reader.
  std::vector<Bitmap> allowed(2, Bitmap(66, 0)), denied(2, Bitmap(66, 0));
  std::atomic<bool> malformed{false};

  Readers readers(2, [&, probe = std::array<int, 2>{0, 0}](int i) mutable {
    const Range r = range.effective();
    if (r.min < 0 || r.max > 63 || r.min > r.max) {
      malformed = true;
    } else {
      seen[static_cast<std::size_t>(i)][index(r)] = 1;
    }
    const int x = probe[static_cast<std::size_t>(i)]++ % 66 - 1;
    (range.is_allowed(x) ? allowed
                         : denied)[static_cast<std::size_t>(i)][static_cast<std::size_t>(x + 1)] =
        1;
  });

  std::vector<Request> requests(kRequests);
  std::vector<bool> active(kRequests, false);
  std::vector<std::int32_t> values(kRequests, 0);
  std::mt19937_64 rng(2);
  int mismatches = 0;
  for (int op = 0; op < ops; ++op) {
    const std::size_t i = rng() % kRequests;
    const RangeEnd end = i % 2 == 0 ? RangeEnd::kMin : RangeEnd::kMax;
    // Floors mostly high and caps mostly low, so that they often cross.
    const std::int32_t value =
        static_cast<std::int32_t>(end == RangeEnd::kMin ? 16 + rng() % 48 : rng() % 48);
    Result r = Result::Unchanged();
    if (!active[i]) {
      r = range.add(requests[i], end, value);
      active[i] = true;
      values[i] = value;
    } else if (rng() % 4 == 0) {
      r = requests[i].remove();
      active[i] = false;
    } else {
      r = requests[i].update(value);
      values[i] = value;
    }
    std::int32_t floor = 0, cap = 63;
    for (std::size_t k = 0; k < kRequests; ++k) {
      if (!active[k]) continue;
      if (k % 2 == 0) {
        floor = std::max(floor, values[k]);
      } else {
        cap = std::min(cap, values[k]);
      }
    }
    const Range aggregate{std::min(floor, cap), cap};
    produced[index(aggregate)] = 1;
    mismatches += !r.ok() || !(range.effective() == aggregate);
  }
  readers.stop();

  EXPECT_EQ(mismatches, 0);
  EXPECT_FALSE(malformed);
  int distinct_seen = 0;
  for (const Bitmap& s : seen) {
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (!s[k]) continue;
      ++distinct_seen;
      EXPECT_TRUE(produced[k]) << "reader saw [" << k / 64 << ", " << k % 64 << "]";
    }
  }
  EXPECT_GT(distinct_seen, 1) << "readers never saw the range change";
  // Every is_allowed() answer must be the answer of some produced state.
  for (int x = -1; x <= 64; ++x) {
    bool could_allow = false, could_deny = false;
    for (std::size_t k = 0; k < produced.size(); ++k) {
      if (!produced[k]) continue;
      const bool in = static_cast<int>(k / 64) <= x && x <= static_cast<int>(k % 64);
      (in ? could_allow : could_deny) = true;
    }
    for (int i = 0; i < 2; ++i) {
      const auto slot = static_cast<std::size_t>(x + 1);
      if (allowed[static_cast<std::size_t>(i)][slot]) {
        EXPECT_TRUE(could_allow) << x;
      }
      if (denied[static_cast<std::size_t>(i)][slot]) {
        EXPECT_TRUE(could_deny) << x;
      }
    }
  }
}

TEST(Readers, NeverSeeARangeTornBetweenStates) {
  // The floor is pinned at the upper limit, so every state is [cap, cap]: a min from one state
  // and a max from another would show as min != max.
  RangeConstraint range({0, 1000});
  Request floor, cap;
  ASSERT_TRUE(range.add(floor, RangeEnd::kMin, 1000).ok());
  ASSERT_TRUE(range.add(cap, RangeEnd::kMax, 0).ok());
  std::atomic<long> torn{0};
  std::atomic<long> changes_seen{0};
  {
    Readers readers(2, [&, previous = std::array<std::int32_t, 2>{-1, -1}](int i) mutable {
      const Range r = range.effective();
      if (r.min != r.max) torn.fetch_add(1, std::memory_order_relaxed);
      // is_allowed() must accept exactly one point at any time: the point itself, never its
      // neighbours (a torn read could accept a whole interval).
      if (range.is_allowed(-1) || range.is_allowed(1001)) torn.fetch_add(1);
      auto& prev = previous[static_cast<std::size_t>(i)];
      if (r.min != prev) changes_seen.fetch_add(1, std::memory_order_relaxed);
      prev = r.min;
    });
    std::mt19937_64 rng(3);
    const int ops = 400'000 / kScale;
    for (int op = 0; op < ops; ++op) {
      ASSERT_TRUE(cap.update(static_cast<std::int32_t>(rng() % 1001)).ok());
    }
  }
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(changes_seen.load(), 2) << "readers never saw the range change";
}

// ---- Several writers, one subscriber: one consistent notification chain. ----

template <typename V>
struct Chain {
  std::vector<std::pair<V, V>> notes;  // written only from callbacks, which must not overlap
  std::atomic<bool> inside{false};
  std::atomic<bool> overlapped{false};

  void record(V old_value, V new_value) {
    if (inside.exchange(true, std::memory_order_acq_rel)) overlapped = true;
    notes.emplace_back(old_value, new_value);
    // Now and then linger, so that an engine delivering from two threads at once would be
    // caught overlapping even without ThreadSanitizer.
    if (notes.size() % 512 == 0) std::this_thread::yield();
    inside.store(false, std::memory_order_release);
  }

  // The checks shared by every list type.
  void expect_consistent(const V& initial, const V& final_value, long changed_results) const {
    EXPECT_FALSE(overlapped.load()) << "two notifications were delivered at once";
    ASSERT_EQ(static_cast<long>(notes.size()), changed_results);
    ASSERT_FALSE(notes.empty());
    EXPECT_TRUE(notes.front().first == initial);
    for (std::size_t k = 0; k < notes.size(); ++k) {
      EXPECT_FALSE(notes[k].first == notes[k].second) << "notification without change at " << k;
      if (k > 0) {
        ASSERT_TRUE(notes[k].first == notes[k - 1].second) << "chain broken at " << k;
      }
    }
    EXPECT_TRUE(notes.back().second == final_value);
  }
};

// Runs `writers` threads, each doing `ops` random operations on its own `per_writer` requests
// through `op(request, active, rng) -> Result`, and returns how many results were Changed.
template <typename Op>
long run_writers(int writers, int ops, int per_writer, std::vector<Request>& requests,
                 std::vector<char>& active, Op op) {
  std::atomic<long> changed{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(100 + static_cast<std::uint64_t>(w));
      long mine = 0;
      for (int k = 0; k < ops; ++k) {
        const auto i = static_cast<std::size_t>(w * per_writer) + rng() % per_writer;
        const Result r = op(requests[i], active[i], rng);
        errors += !r.ok();
        mine += r.changed();
      }
      changed += mine;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  return changed.load();
}

class ScalarChain : public ::testing::TestWithParam<ListSpec> {};

TEST_P(ScalarChain, NotificationsFormOneChainAcrossWriters) {
  const ListSpec spec = GetParam();
  constexpr int kWriters = 3, kPerWriter = 8;
  const int ops = 150'000 / kScale;
  ConstraintList list(spec);
  const std::int32_t initial = list.effective();
  Chain<std::int32_t> chain;
  list.subscribe([&](std::int32_t o, std::int32_t n) { chain.record(o, n); });

  std::vector<Bitmap> seen(1, Bitmap(kDomain, 0));
  std::atomic<bool> out_of_domain{false};
  Readers readers(1, [&](int) {
    const std::int32_t v = list.effective();
    if (v < 0 || v >= kDomain) {
      out_of_domain = true;
    } else {
      seen[0][static_cast<std::size_t>(v)] = 1;
    }
  });

  std::vector<Request> requests(kWriters * kPerWriter);
  std::vector<char> active(requests.size(), 0);
  const long changed = run_writers(kWriters, ops, kPerWriter, requests, active,
                                   [&](Request& r, char& is_active, std::mt19937_64& rng) {
                                     // Values keep every aggregate (a sum of 24 included) inside
                                     // the readers' domain.
                                     const auto value = static_cast<std::int32_t>(
                                         spec.type == ListType::kFlags
                                             ? rng() & static_cast<std::uint64_t>(spec.max_request)
                                             : rng() % 160);
                                     if (!is_active) {
                                       is_active = 1;
                                       return list.add(r, value);
                                     }
                                     if (rng() % 4 == 0) {
                                       is_active = 0;
                                       return r.remove();
                                     }
                                     return r.update(value);
                                   });
  readers.stop();

  chain.expect_consistent(initial, list.effective(), changed);

  // The final state is the aggregate of the requests left, and readers only saw values that
  // were announced as aggregates.
  std::int64_t aggregate = 0;
  bool any = false;
  std::size_t count = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!active[i]) continue;
    ++count;
    const std::int64_t v = requests[i].value();
    switch (spec.type) {
      case ListType::kMin:
        aggregate = any ? std::min(aggregate, v) : v;
        break;
      case ListType::kMax:
        aggregate = any ? std::max(aggregate, v) : v;
        break;
      case ListType::kSum:
        aggregate += v;
        break;
      case ListType::kFlags:
        aggregate |= v;
        break;
    }
    any = true;
  }
  EXPECT_EQ(list.effective(), any ? aggregate : spec.no_constraint_value);
  EXPECT_EQ(list.size(), count);

  Bitmap announced(kDomain, 0);
  announced[static_cast<std::size_t>(initial)] = 1;
  for (const auto& [o, n] : chain.notes) {
    ASSERT_TRUE(n >= 0 && n < kDomain);
    announced[static_cast<std::size_t>(n)] = 1;
  }
  EXPECT_FALSE(out_of_domain);
  for (std::int32_t v = 0; v < kDomain; ++v) {
    if (seen[0][static_cast<std::size_t>(v)]) {
      EXPECT_TRUE(announced[static_cast<std::size_t>(v)]) << "reader saw " << v;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryListType, ScalarChain,
                         ::testing::Values(ListSpec{ListType::kMin, 0, kDomain - 1, 0, kDomain - 1},
                                           ListSpec{ListType::kMax, 0, 0, 0, kDomain - 1},
                                           ListSpec{ListType::kSum, 0, 0, 0, kDomain - 1},
                                           ListSpec{ListType::kFlags, 0, 0, 0, 0xfff}),
                         [](const ::testing::TestParamInfo<ListSpec>& param) {
                           return std::string(to_string(param.param.type));
                         });

TEST(RangeChain, NotificationsFormOneChainAcrossWriters) {
  constexpr int kWriters = 3, kPerWriter = 8;
  const int ops = 150'000 / kScale;
  RangeConstraint range({0, 63});
  const Range initial = range.effective();
  Chain<Range> chain;
  range.subscribe([&](Range o, Range n) { chain.record(o, n); });

  std::atomic<bool> malformed{false};
  Readers readers(1, [&](int) {
    const Range r = range.effective();
    if (r.min < 0 || r.max > 63 || r.min > r.max) malformed = true;
  });

  std::vector<Request> requests(kWriters * kPerWriter);
  std::vector<char> active(requests.size(), 0);
  const long changed =
      run_writers(kWriters, ops, kPerWriter, requests, active,
                  [&](Request& r, char& is_active, std::mt19937_64& rng) {
                    if (!is_active) {
                      is_active = 1;
                      const RangeEnd end = rng() % 2 ? RangeEnd::kMin : RangeEnd::kMax;
                      return range.add(r, end, static_cast<std::int32_t>(rng() % 64));
                    }
                    if (rng() % 4 == 0) {
                      is_active = 0;
                      return r.remove();
                    }
                    return r.update(static_cast<std::int32_t>(rng() % 64));
                  });
  readers.stop();

  chain.expect_consistent(initial, range.effective(), changed);
  EXPECT_FALSE(malformed);

  Range expected = range.limits();
  std::size_t floors = 0, caps = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!active[i]) continue;
    if (requests[i].end() == RangeEnd::kMin) {
      expected.min = floors++ ? std::max(expected.min, requests[i].value()) : requests[i].value();
    } else {
      expected.max = caps++ ? std::min(expected.max, requests[i].value()) : requests[i].value();
    }
  }
  expected.min = std::min(expected.min, expected.max);
  EXPECT_TRUE(range.effective() == expected);
  EXPECT_EQ(range.size(RangeEnd::kMin), floors);
  EXPECT_EQ(range.size(RangeEnd::kMax), caps);
}

TEST(Destruction, ListGoneAfterConcurrentWritersLeavesRequestsInactive) {
  // Writers finish, then the list goes first: every request must read inactive, and the
  // requests' own destructors must not touch the freed list (ASan/TSan would object).
  std::vector<Request> requests(32);
  {
    ConstraintList list(ListSpec{ListType::kMax, 0, 0, 0, 1000});
    std::vector<char> active(requests.size(), 0);
    run_writers(4, 20'000 / kScale, 8, requests, active,
                [&](Request& r, char& is_active, std::mt19937_64& rng) {
                  if (!is_active) {
                    is_active = 1;
                    return list.add(r, static_cast<std::int32_t>(rng() % 1000));
                  }
                  return r.update(static_cast<std::int32_t>(rng() % 1000));
                });
  }
  for (Request& r : requests) {
    EXPECT_FALSE(r.active());
    EXPECT_EQ(r.update(1).error(), Error::kInactive);
  }
}

}  // namespace
}  // namespace perfqos
