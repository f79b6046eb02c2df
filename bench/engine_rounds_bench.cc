// engine_rounds_bench: perfqos's ConstraintList against the kernel-plist-style baseline, update
// and remove, interleaved in rounds in one process with a ratio per round (issue #15).
//
//   engine_rounds_bench [--pin] [ROUNDS [BATCH]]     defaults: 2000 rounds of 64 operations
//
// engine_bench (Google Benchmark) runs each list alone, one after the other; on a shared VM the
// same code then moves by up to 50% between runs, more than the differences it is asked to
// show. Here every round runs BATCH operations on each list, in alternating order, so that both
// see the same machine state; a round's ratio is the plist's time over perfqos's (above 1:
// perfqos is faster), and the median over rounds is printed with each list's median ns/op.
//
// Cases: MIN lists of 100 and 10k requests with 16 and 10^6 distinct values (uniform random,
// fixed seed, the same for both lists). 1M requests stays in engine_bench: refilling the plist
// there costs O(n) per add, seconds per round.
//
//   remove  BATCH random requests (the same ones for both lists) removed, timed around the
//           batch; then put back untimed, and every request of both lists read once so that
//           both start the next round equally warm (the plist's refill walks its values, which
//           perfqos's does not).
//   update  BATCH random requests (the same for both) each given a random value.
//
// The two lists are compared across the same boundary: ConstraintList's mutators are calls into
// the engine library, and the plist's go through out-of-line wrappers, as the kernel's plist_del
// and pm_qos_update_target are out-of-line functions. Inlined into the timed loop the plist
// saves about 1-2 ns per operation (measured on this VM), a cost every real caller pays.
//
// --pin runs on CPU 0 only (the benchmark is one thread; pinning keeps it from migrating).
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "baselines/plist_min_list.h"
#include "engine/constraint_list.h"

namespace perfqos::bench {
namespace {

constexpr std::int32_t kNoConstraint = std::numeric_limits<std::int32_t>::max();

using Plist = PlistMinList;

[[gnu::noinline]] bool plist_add(Plist& list, Plist::Request& r, std::int32_t value) {
  return list.add(r, value);
}
[[gnu::noinline]] bool plist_update(Plist& list, Plist::Request& r, std::int32_t value) {
  return list.update(r, value);
}
[[gnu::noinline]] bool plist_remove(Plist& list, Plist::Request& r) { return list.remove(r); }

// The same n requests with the same values on both lists.
struct Pair {
  Pair(std::size_t n, std::int32_t distinct)
      : values(n),
        engine_requests(std::make_unique<Request[]>(n)),
        plist_requests(std::make_unique<Plist::Request[]>(n)),
        engine(ListSpec{ListType::kMin, kNoConstraint, kNoConstraint, 0, kNoConstraint}),
        plist(kNoConstraint) {
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::int32_t> dist(0, distinct - 1);
    for (auto& v : values) v = dist(rng);
    for (std::size_t i = 0; i < n; ++i) (void)engine.add(engine_requests[i], values[i]);
    plist.bulk_fill(std::span(plist_requests.get(), n), values);
  }
  ~Pair() {
    for (std::size_t i = 0; i < values.size(); ++i) (void)engine_requests[i].remove();
  }

  // Reads every request of both lists (untimed), so that neither starts a round warmer.
  void warm_both() {
    std::uintptr_t sum = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      sum += static_cast<std::uintptr_t>(engine_requests[i].active());
      sum += static_cast<std::uintptr_t>(plist_requests[i].active());
    }
    if (sum == 0) std::abort();  // every request is active between rounds
  }

  std::vector<std::int32_t> values;
  std::unique_ptr<Request[]> engine_requests;
  std::unique_ptr<Plist::Request[]> plist_requests;
  ConstraintList engine;
  Plist plist;
};

using Clock = std::chrono::steady_clock;

double elapsed_ns(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// What one round measured: ns per operation for each list.
struct Sample {
  double engine;
  double plist;
};

// One round of removes: the same `picked` requests out of both lists, timed, then back in.
Sample remove_round(Pair& p, const std::vector<std::uint32_t>& picked, bool engine_first) {
  Sample s{};
  const auto run_engine = [&] {
    const auto start = Clock::now();
    for (const std::uint32_t i : picked) (void)p.engine.remove(p.engine_requests[i]);
    s.engine = elapsed_ns(start) / static_cast<double>(picked.size());
    for (const std::uint32_t i : picked) (void)p.engine.add(p.engine_requests[i], p.values[i]);
  };
  const auto run_plist = [&] {
    const auto start = Clock::now();
    for (const std::uint32_t i : picked) (void)plist_remove(p.plist, p.plist_requests[i]);
    s.plist = elapsed_ns(start) / static_cast<double>(picked.size());
    for (const std::uint32_t i : picked) (void)plist_add(p.plist, p.plist_requests[i], p.values[i]);
  };
  if (engine_first) {
    run_engine();
    run_plist();
  } else {
    run_plist();
    run_engine();
  }
  p.warm_both();
  return s;
}

// One round of updates: request picked[j] gets value new_values[j], on both lists. The lists
// keep their new values (values[] is only what they were filled with).
Sample update_round(Pair& p, const std::vector<std::uint32_t>& picked,
                    const std::vector<std::int32_t>& new_values, bool engine_first) {
  Sample s{};
  const auto run_engine = [&] {
    const auto start = Clock::now();
    for (std::size_t j = 0; j < picked.size(); ++j) {
      (void)p.engine.update(p.engine_requests[picked[j]], new_values[j]);
    }
    s.engine = elapsed_ns(start) / static_cast<double>(picked.size());
  };
  const auto run_plist = [&] {
    const auto start = Clock::now();
    for (std::size_t j = 0; j < picked.size(); ++j) {
      (void)plist_update(p.plist, p.plist_requests[picked[j]], new_values[j]);
    }
    s.plist = elapsed_ns(start) / static_cast<double>(picked.size());
  };
  if (engine_first) {
    run_engine();
    run_plist();
  } else {
    run_plist();
    run_engine();
  }
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

void run_case(const char* op, std::size_t n, std::int32_t distinct, int rounds,
              std::size_t batch) {
  Pair p(n, distinct);
  std::mt19937_64 rng(11);
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::vector<std::uint32_t> picked(batch);
  std::vector<std::int32_t> new_values(batch);
  std::uniform_int_distribution<std::int32_t> value_dist(0, distinct - 1);
  const bool remove = std::strcmp(op, "remove") == 0;
  std::vector<double> engine_ns, plist_ns, ratio;
  for (int r = 0; r < rounds; ++r) {
    // Distinct requests for removal (a partial shuffle); updates may repeat one, as in use.
    for (std::size_t j = 0; j < batch; ++j) {
      std::swap(order[j], order[j + rng() % (n - j)]);
      picked[j] = order[j];
      new_values[j] = value_dist(rng);
    }
    const bool engine_first = r % 2 == 0;
    const Sample s = remove ? remove_round(p, picked, engine_first)
                            : update_round(p, picked, new_values, engine_first);
    engine_ns.push_back(s.engine);
    plist_ns.push_back(s.plist);
    ratio.push_back(s.plist / s.engine);
  }
  std::printf("%-7s %8zu %8d %10.2f %10.2f %9.2fx %9.2fx %9.2fx\n", op, n, distinct,
              median(engine_ns), median(plist_ns), median(ratio), quantile(ratio, 0.1),
              quantile(ratio, 0.9));
}

int parse_positive(const char* arg, const char* what) {
  char* end = nullptr;
  const long v = std::strtol(arg, &end, 10);
  if (end == arg || *end != '\0' || v < 1 || v > 1'000'000) {
    std::fprintf(stderr, "engine_rounds_bench: %s must be an integer in 1..1000000, not '%s'\n",
                 what, arg);
    std::exit(2);
  }
  return static_cast<int>(v);
}

}  // namespace
}  // namespace perfqos::bench

int main(int argc, char** argv) {
  using namespace perfqos::bench;
  int arg = 1;
  bool pin = false;
  if (arg < argc && std::strcmp(argv[arg], "--pin") == 0) {
    pin = true;
    ++arg;
  }
  if (arg < argc && argv[arg][0] == '-') {
    std::fprintf(stderr, "usage: engine_rounds_bench [--pin] [ROUNDS [BATCH]]\n");
    return std::strcmp(argv[arg], "--help") == 0 ? 0 : 2;
  }
  const int rounds = arg < argc ? parse_positive(argv[arg++], "ROUNDS") : 2000;
  const int batch = arg < argc ? parse_positive(argv[arg++], "BATCH") : 64;
  if (arg < argc) {
    std::fprintf(stderr, "usage: engine_rounds_bench [--pin] [ROUNDS [BATCH]]\n");
    return 2;
  }
  if (batch > 100) {
    std::fprintf(stderr, "engine_rounds_bench: BATCH must be at most 100 (the smallest list)\n");
    return 2;
  }
  if (pin) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    if (sched_setaffinity(0, sizeof cpus, &cpus) != 0) {
      std::perror("engine_rounds_bench: sched_setaffinity(CPU 0)");
      return 1;
    }
  }
  std::printf("%d rounds of %d operations per list, %s; ns per operation (median of rounds),\n"
              "ratio = plist / perfqos per round (above 1: perfqos faster), median, p10, p90\n",
              rounds, batch, pin ? "pinned to CPU 0" : "unpinned");
  std::printf("%-7s %8s %8s %10s %10s %10s %10s %10s\n", "op", "requests", "values", "perfqos",
              "plist", "ratio", "p10", "p90");
  for (const char* op : {"update", "remove"}) {
    for (const std::size_t n : {std::size_t{100}, std::size_t{10'000}}) {
      for (const std::int32_t distinct : {16, 1'000'000}) {
        run_case(op, n, distinct, rounds, static_cast<std::size_t>(batch));
      }
    }
  }
  return 0;
}
