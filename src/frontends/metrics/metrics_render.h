// render_metrics: the text of one scrape of /metrics (docs/metrics.md lists every family),
// made from the model as it is now: the Broker's devices and knobs, the Admission's tally, the
// per-cgroup data, and the daemon's start time and version.
//
// Label cardinality is bounded: devices and knobs are what the machine has (discovery), front
// ends and reasons are AdmissionTally's bounded sets, and cgroups are cut to the
// kCgroupSeries cgroups with the most decisions (admitted + refused, summed over devices; ties
// by path), every other cgroup summed into one series with cgroup="other" (real cgroup paths
// start with '/', so it cannot clash).
//
// Cost: O(devices x knobs + cgroup entries x log) string appends; no allocation that grows with
// the number of requests.
//
// Thread safety: reads the model, so it runs on the thread that owns the Broker (the loop
// thread; the metrics server posts it there through a LoopExecutor).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace perfqos {
class Broker;
class CgroupDataTable;
namespace admission {
class AdmissionTally;
}
}  // namespace perfqos

namespace perfqos::metrics {

inline constexpr std::size_t kCgroupSeries = 20;

struct MetricsSources {
  const Broker* broker = nullptr;                    // REQUIRED
  const admission::AdmissionTally* tally = nullptr;  // null: no admission families
  const CgroupDataTable* cgroups = nullptr;          // null: no per-cgroup families
  std::string version;                               // perfqos_build_info{version}
  std::chrono::system_clock::time_point start_time;  // perfqos_start_time_seconds
  std::chrono::steady_clock::time_point started;     // perfqos_uptime_seconds counts from it
};

std::string render_metrics(const MetricsSources& sources,
                           std::chrono::steady_clock::time_point now);

// "EACCES" for EACCES; "other" for 0 (AdmissionTally's overflow bucket); "E<n>" for an errno
// glibc has no name for.
std::string errno_label(int error);

}  // namespace perfqos::metrics
