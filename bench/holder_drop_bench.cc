// holder_drop_bench: the model's cost of destroying a Holder that holds many requests (issue #15),
// without the daemon, for perf: what the event loop spends when such a connection closes.
//
// A Broker with cpu_dma_latency (MIN), memory_bandwidth (SUM) and a perf device's range; one
// holder places REQUESTS requests (1,000,000) on one of them, random values (or DISTINCT
// distinct values), a second holder keeps 100 requests there; then the first holder is
// destroyed. Printed: fill time, destroy time (the loop thread's stall), backend writes and
// notifications during the destroy, and the effective value after it against the survivors'.
//
//   holder_drop_bench [--requests N] [--distinct D] [--knob latency|bandwidth|range] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/broker.h"
#include "model/device_specs.h"

namespace {

using namespace perfqos;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

class CountingBackend : public DeviceBackend {
 public:
  Status apply_value(const Device&, KnobId, std::int32_t) override {
    ++writes;
    return Status::Ok();
  }
  Status apply_range(const Device&, KnobId, Range) override {
    ++writes;
    return Status::Ok();
  }
  std::uint64_t writes = 0;
};

[[noreturn]] void die(const Status& s) {
  std::fprintf(stderr, "holder_drop_bench: %s\n", s.message().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 1000000, distinct = 0, rounds = 3;
  std::string knob = "latency";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--requests") {
      requests = std::atoi(argv[i + 1]);
    } else if (arg == "--distinct") {
      distinct = std::atoi(argv[i + 1]);
    } else if (arg == "--rounds") {
      rounds = std::atoi(argv[i + 1]);
    } else if (arg == "--knob") {
      knob = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [--requests N] [--distinct D] [--knob K] [--rounds R]\n",
                   argv[0]);
      return 2;
    }
  }
  Broker broker;
  auto backend = std::make_shared<CountingBackend>();
  if (Status s = broker.register_device(pm_qos_class_spec(PmQosClass::kCpuDmaLatency), backend);
      !s.ok()) {
    die(s);
  }
  if (Status s = broker.register_device(pm_qos_class_spec(PmQosClass::kMemoryBandwidth), backend);
      !s.ok()) {
    die(s);
  }
  DeviceSpec perf;
  if (Status s = perf_device_spec("perf0", PerfUnit::kNormal, 0, 1024, &perf); !s.ok()) die(s);
  if (Status s = broker.register_device(perf, backend); !s.ok()) die(s);

  RequestTarget target{"cpu_dma_latency", KnobId::kLatency};
  std::int32_t lo = 1000, hi = 1000000000;
  if (knob == "bandwidth") {
    target = {"memory_bandwidth", KnobId::kBandwidth};
    hi = 1000;
  } else if (knob == "range") {
    target = {"perf0", KnobId::kRange};
    lo = 0;
    hi = 1024;
  }
  Knob& k = *broker.registry().find(target.device)->knob(target.knob);
  std::uint64_t notifications = 0;
  k.subscribe([&](Range, Range) { ++notifications; });

  std::printf("holder_drop_bench: %d requests on %s (%s values)\n", requests, target.device.c_str(),
              distinct > 0 ? (std::to_string(distinct) + " distinct").c_str() : "random");
  std::mt19937 rng(15);
  std::uniform_int_distribution<std::int32_t> any(lo, hi);
  std::vector<std::int32_t> pool;
  for (int i = 0; i < distinct; ++i) pool.push_back(any(rng));
  const auto value = [&] {
    return pool.empty() ? any(rng)
                        : pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)];
  };
  auto survivor = broker.make_holder({});
  for (int i = 0; i < 100; ++i) {
    RequestTarget t = target;
    t.end = i % 2 ? RangeEnd::kMax : RangeEnd::kMin;
    if (Status s = broker.add(*survivor, t, value(), std::nullopt, nullptr); !s.ok()) die(s);
  }
  const Range survivors = k.effective_range();
  for (int round = 1; round <= rounds; ++round) {
    auto holder = broker.make_holder({});
    const auto fill = Clock::now();
    for (int i = 0; i < requests; ++i) {
      RequestTarget t = target;
      t.end = i % 2 ? RangeEnd::kMax : RangeEnd::kMin;
      if (Status s = broker.add(*holder, t, value(), std::nullopt, nullptr); !s.ok()) die(s);
    }
    const double fill_ms = ms_since(fill);
    const std::uint64_t writes = backend->writes, notified = notifications;
    const auto drop = Clock::now();
    holder.reset();
    const double drop_ms = ms_since(drop);
    const Range after = k.effective_range();
    // What is left to free, in the daemon's steps (src/daemon/daemon.cc).
    double step_max_ms = 0, reclaim_ms = 0;
    int steps = 0;
    for (bool more = true; more; ++steps) {
      const auto step = Clock::now();
      more = broker.reclaim(8192);
      const double ms = ms_since(step);
      step_max_ms = std::max(step_max_ms, ms);
      reclaim_ms += ms;
    }
    std::printf(
        "  round %d: fill %.1f ms; destroy %.2f ms, %llu backend writes, %llu notifications; "
        "effective [%d, %d] (survivors' [%d, %d]): %s; then freed in %d steps, %.1f ms in all, "
        "the longest %.2f ms\n",
        round, fill_ms, drop_ms, static_cast<unsigned long long>(backend->writes - writes),
        static_cast<unsigned long long>(notifications - notified), after.min, after.max,
        survivors.min, survivors.max, after == survivors ? "ok" : "WRONG", steps, reclaim_ms,
        step_max_ms);
  }
  return 0;
}
