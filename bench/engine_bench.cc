// Engine benchmarks (DESIGN §9): add, update, remove and read on a MIN list holding 1, 100,
// 10k and 1M requests, for perfqos's ConstraintList and, in the same run, two baselines:
// a kernel-plist-style list (bench/baselines/plist_min_list.h) and a sort-on-every-add list
// like the perf QoS RFC (bench/baselines/sort_on_add_min_list.h).
//
// Names: <op>/<list>/n:<requests>/values:<distinct values>. Request values are uniform random
// (fixed seed) in [0, values): "values:1000000" has many distinct values (about 632k at 1M
// requests), "values:16" few, which is where a plist is at its best.
//
// Measurement:
//   read    effective() in a loop.
//   update  one random existing request gets a new random value; the list stays at n. For the
//           baselines update is remove + add (under one lock, as the kernel does).
//   add     a batch of `batch` requests is added to a list of n (n -> n + batch), timed with
//           steady_clock around the batch; the batch is removed again untimed.
//   remove  a batch of `batch` random requests is removed from a list of n + batch, timed the
//           same way; then put back untimed. Where putting back through add() would cost far
//           more than the timed part (the baselines), the benchmark runs a fixed number of
//           batches instead, on a list pre-filled with that many extra requests and never
//           refilled, or with a fixed number of refilled batches.
//   "per_op" is the time per operation for all of them (for add/remove: batch time / batch).
// Lists are pre-filled in bulk (one sort) for the baselines, since filling 1M requests through
// their O(n) / O(n log n) add would take hours; perfqos fills through add(), which is O(log n).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "baselines/plist_min_list.h"
#include "baselines/sort_on_add_min_list.h"
#include "engine/constraint_list.h"

namespace perfqos::bench {
namespace {

constexpr std::int32_t kNoConstraint = std::numeric_limits<std::int32_t>::max();

// perfqos's ConstraintList behind the baselines' interface.
class EngineMinList {
 public:
  using Request = perfqos::Request;
  explicit EngineMinList(std::int32_t no_constraint_value)
      : list_(ListSpec{ListType::kMin, no_constraint_value, no_constraint_value, 0,
                       no_constraint_value}) {}
  std::int32_t effective() const { return list_.effective(); }
  bool add(Request& r, std::int32_t value) { return list_.add(r, value).changed(); }
  bool update(Request& r, std::int32_t value) { return list_.update(r, value).changed(); }
  bool remove(Request& r) { return list_.remove(r).changed(); }
  void bulk_fill(std::span<Request> requests, std::span<const std::int32_t> values) {
    for (std::size_t i = 0; i < requests.size(); ++i) (void)list_.add(requests[i], values[i]);
  }

 private:
  ConstraintList list_;
};

std::vector<std::int32_t> random_values(std::size_t count, std::int32_t distinct,
                                        std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int32_t> dist(0, distinct - 1);
  std::vector<std::int32_t> v(count);
  for (auto& x : v) x = dist(rng);
  return v;
}

// A list of `size` requests with random values. Requests are declared first so that the list
// goes first on destruction (perfqos then detaches them instead of removing one by one).
template <typename List>
struct Filled {
  Filled(std::size_t size, std::int32_t distinct)
      : requests(std::make_unique<typename List::Request[]>(size)),
        values(random_values(size, distinct, 42)),
        list(kNoConstraint) {
    list.bulk_fill(std::span(requests.get(), size), values);
  }
  std::unique_ptr<typename List::Request[]> requests;
  std::vector<std::int32_t> values;
  List list;
};

// Values to add, cycled through so that generating them stays out of the timed loops.
constexpr std::size_t kRing = 4096;

// splitmix64: a random request and value per update, cheap enough (~1 ns) to sit in the timed
// loop. A precomputed ring of indices would keep only its few thousand requests in cache, which
// flatters every list at 1M requests.
class FastRandom {
 public:
  explicit FastRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound) from 32 random bits (multiply-shift, no division).
  static std::uint64_t below(std::uint32_t bits, std::uint64_t bound) {
    return (std::uint64_t{bits} * bound) >> 32;
  }

 private:
  std::uint64_t state_;
};

// Every benchmark reports: Time per iteration (a batch for add/remove), "per_op" seconds per
// operation, and items_per_second operations per second, both from the reported time.
void report(benchmark::State& state, std::size_t batch) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
  state.counters["batch"] = static_cast<double>(batch);
  state.counters["per_op"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

template <typename List>
void read_bench(benchmark::State& state, std::size_t n, std::int32_t distinct) {
  Filled<List> f(n, distinct);
  for (auto _ : state) benchmark::DoNotOptimize(f.list.effective());
  report(state, 1);
}

template <typename List>
void update_bench(benchmark::State& state, std::size_t n, std::int32_t distinct) {
  Filled<List> f(n, distinct);
  FastRandom rng(7);
  for (auto _ : state) {
    const std::uint64_t r = rng.next();
    const auto i = FastRandom::below(static_cast<std::uint32_t>(r), n);
    const auto value = static_cast<std::int32_t>(FastRandom::below(
        static_cast<std::uint32_t>(r >> 32), static_cast<std::uint64_t>(distinct)));
    benchmark::DoNotOptimize(f.list.update(f.requests[i], value));
  }
  report(state, 1);
}

using Clock = std::chrono::steady_clock;

template <typename List>
void add_bench(benchmark::State& state, std::size_t n, std::int32_t distinct, std::size_t batch) {
  // The batch's requests are the last `batch` ones, inactive at the start of every batch.
  auto requests = std::make_unique<typename List::Request[]>(n + batch);
  List list(kNoConstraint);
  list.bulk_fill(std::span(requests.get(), n), random_values(n, distinct, 42));
  const std::vector<std::int32_t> value = random_values(kRing, distinct, 9);
  std::size_t k = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    for (std::size_t j = 0; j < batch; ++j) {
      benchmark::DoNotOptimize(list.add(requests[n + j], value[(k + j) % kRing]));
    }
    const std::chrono::duration<double> elapsed = Clock::now() - start;
    state.SetIterationTime(elapsed.count());
    for (std::size_t j = 0; j < batch; ++j) (void)list.remove(requests[n + j]);
    k = (k + batch) % kRing;
  }
  report(state, batch);
}

// refill: put the removed batch back after each batch (untimed). Otherwise the list is pre-filled
// with state.max_iterations * batch extra requests and every batch removes fresh ones.
template <typename List>
void remove_bench(benchmark::State& state, std::size_t n, std::int32_t distinct, std::size_t batch,
                  bool refill) {
  const std::size_t total =
      n + batch * (refill ? 1 : static_cast<std::size_t>(state.max_iterations));
  Filled<List> f(total, distinct);
  std::vector<std::uint32_t> order(total);
  std::iota(order.begin(), order.end(), 0u);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(11));
  std::size_t k = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    for (std::size_t j = 0; j < batch; ++j) {
      benchmark::DoNotOptimize(f.list.remove(f.requests[order[(k + j) % total]]));
    }
    const std::chrono::duration<double> elapsed = Clock::now() - start;
    state.SetIterationTime(elapsed.count());
    if (refill) {
      for (std::size_t j = 0; j < batch; ++j) {
        const std::uint32_t i = order[(k + j) % total];
        (void)f.list.add(f.requests[i], f.values[i]);
      }
    }
    k += batch;
  }
  report(state, batch);
}

enum class Kind { kEngine, kPlist, kSortOnAdd };

struct Case {
  std::size_t n;
  std::int32_t distinct;
};

// How each (list, size) is run. Batches amortize the clock reads over many cheap operations;
// fixed iteration counts bound the cases whose untimed part (refill, O(n log n) adds) dominates.
struct Plan {
  std::size_t batch = 64;
  benchmark::IterationCount iterations = 0;  // 0: let the library decide
  bool refill = true;
};

Plan add_plan(Kind kind, const Case& c) {
  const bool wide = c.distinct > 1000;
  if (kind == Kind::kSortOnAdd && c.n >= 1'000'000) return {1, 3, true};
  if (kind == Kind::kSortOnAdd && c.n >= 10'000) return {1, 0, true};
  if (kind == Kind::kPlist && wide && c.n >= 10'000) return {4, 0, true};
  return {};
}

Plan remove_plan(Kind kind, const Case& c) {
  if (kind == Kind::kEngine) return {};
  if (c.n >= 1'000'000) return {64, 200, false};  // 12800 extra requests, never refilled
  if (c.n >= 10'000) {
    const bool cheap_refill = kind == Kind::kPlist && c.distinct <= 1000;
    return {64, cheap_refill ? 2000 : (kind == Kind::kPlist ? 200 : 16), true};
  }
  return {64, 2000, true};
}

benchmark::IterationCount update_iterations(Kind kind, const Case& c) {
  return kind == Kind::kSortOnAdd && c.n >= 1'000'000 ? 3 : 0;
}

std::string name(const char* op, const char* list, const Case& c) {
  return std::string(op) + "/" + list + "/n:" + std::to_string(c.n) +
         "/values:" + std::to_string(c.distinct);
}

// Timed seconds per benchmark (the library's default is 0.5): 84 benchmarks, plus their untimed
// set-up and refills, stay within a few minutes on a 2-core machine.
constexpr double kMinTime = 0.2;

template <typename List>
void register_list(Kind kind, const char* list_name) {
  constexpr std::int32_t kWide = 1'000'000, kFew = 16;
  const Case cases[] = {{1, kWide},  {100, kWide},   {10'000, kWide},  {1'000'000, kWide},
                        {100, kFew}, {10'000, kFew}, {1'000'000, kFew}};
  for (const Case& c : cases) {
    benchmark::RegisterBenchmark(name("read", list_name, c).c_str(),
                                 [c](benchmark::State& s) { read_bench<List>(s, c.n, c.distinct); })
        ->UseRealTime()
        ->MinTime(kMinTime);

    auto* update = benchmark::RegisterBenchmark(
        name("update", list_name, c).c_str(),
        [c](benchmark::State& s) { update_bench<List>(s, c.n, c.distinct); });
    update->UseRealTime();
    if (auto it = update_iterations(kind, c); it > 0) {
      update->Iterations(it);
    } else {
      update->MinTime(kMinTime);
    }

    const Plan a = add_plan(kind, c);
    auto* add = benchmark::RegisterBenchmark(
        name("add", list_name, c).c_str(),
        [c, a](benchmark::State& s) { add_bench<List>(s, c.n, c.distinct, a.batch); });
    add->UseManualTime();
    if (a.iterations > 0) {
      add->Iterations(a.iterations);
    } else {
      add->MinTime(kMinTime);
    }

    const Plan r = remove_plan(kind, c);
    auto* remove = benchmark::RegisterBenchmark(
        name("remove", list_name, c).c_str(),
        [c, r](benchmark::State& s) { remove_bench<List>(s, c.n, c.distinct, r.batch, r.refill); });
    remove->UseManualTime();
    if (r.iterations > 0) {
      remove->Iterations(r.iterations);
    } else {
      remove->MinTime(kMinTime);
    }
  }
}

}  // namespace
}  // namespace perfqos::bench

int main(int argc, char** argv) {
  using namespace perfqos::bench;
  register_list<EngineMinList>(Kind::kEngine, "perfqos");
  register_list<PlistMinList>(Kind::kPlist, "plist");
  register_list<SortOnAddMinList>(Kind::kSortOnAdd, "sort_on_add");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
