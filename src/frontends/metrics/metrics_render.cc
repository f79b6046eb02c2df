#include "frontends/metrics/metrics_render.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "admission/admission_tally.h"
#include "cgroup/cgroup_data.h"
#include "frontends/metrics/exposition.h"
#include "model/broker.h"

namespace perfqos::metrics {

namespace {

constexpr admission::FrontEnd kFrontEnds[] = {
    admission::FrontEnd::kSocket, admission::FrontEnd::kFuse, admission::FrontEnd::kDbus,
    admission::FrontEnd::kConfig, admission::FrontEnd::kCgroupBinding};
static_assert(std::size(kFrontEnds) == admission::kFrontEndCount);

void render_model(const Broker& broker, Exposition& out) {
  const std::vector<std::shared_ptr<Device>> devices = broker.registry().devices();
  out.family("perfqos_devices", "gauge",
             "Devices registered (PM QoS classes, discovered, config).");
  out.sample("perfqos_devices", {}, static_cast<std::uint64_t>(devices.size()));

  out.family("perfqos_effective_value", "gauge",
             "Effective value of a knob in the knob's own unit (label unit): the aggregate of "
             "its requests, or its no-constraint value. end is min or max for a range knob, "
             "empty otherwise.");
  for (const auto& d : devices) {
    for (const Knob* k : d->knobs()) {
      const char* knob = knob_name(k->id());
      if (k->is_range()) {
        const Range r = k->effective_range();
        out.sample("perfqos_effective_value",
                   {{"device", d->name()}, {"knob", knob}, {"end", "min"}, {"unit", k->unit()}},
                   static_cast<std::int64_t>(r.min));
        out.sample("perfqos_effective_value",
                   {{"device", d->name()}, {"knob", knob}, {"end", "max"}, {"unit", k->unit()}},
                   static_cast<std::int64_t>(r.max));
      } else {
        out.sample("perfqos_effective_value",
                   {{"device", d->name()}, {"knob", knob}, {"end", ""}, {"unit", k->unit()}},
                   static_cast<std::int64_t>(k->effective()));
      }
    }
  }
  out.family("perfqos_requests", "gauge", "Requests in force on a knob (both ends of a range).");
  for (const auto& d : devices) {
    for (const Knob* k : d->knobs()) {
      out.sample("perfqos_requests", {{"device", d->name()}, {"knob", knob_name(k->id())}},
                 static_cast<std::uint64_t>(k->size()));
    }
  }
  out.family("perfqos_knob_writes_total", "counter",
             "Effective values handed to a device's backend (failed writes included).");
  for (const auto& d : devices) {
    if (d->backend() == nullptr) continue;
    out.sample("perfqos_knob_writes_total", {{"device", d->name()}}, d->backend_writes());
  }
  out.family("perfqos_knob_write_errors_total", "counter",
             "Backend writes of a device that failed (the requester got the error).");
  for (const auto& d : devices) {
    if (d->backend() == nullptr) continue;
    out.sample("perfqos_knob_write_errors_total", {{"device", d->name()}},
               d->backend_errors().count);
  }
}

void render_tally(const admission::AdmissionTally& tally, Exposition& out) {
  out.family("perfqos_admissions_total", "counter",
             "Requests placed or changed, per front end that brought them in.");
  for (admission::FrontEnd f : kFrontEnds) {
    out.sample("perfqos_admissions_total", {{"frontend", to_string(f)}}, tally.admitted(f));
  }
  out.family("perfqos_refusals_total", "counter",
             "Requests refused, per front end and reason (the errno name: EACCES policy, "
             "EDQUOT quota, EINVAL bad value or knob, ENODEV no device, ...).");
  for (admission::FrontEnd f : kFrontEnds) {
    for (const auto& [error, n] : tally.refused(f)) {
      const std::string reason = errno_label(error);
      out.sample("perfqos_refusals_total", {{"frontend", to_string(f)}, {"reason", reason}}, n);
    }
  }
}

void render_cgroups(const CgroupDataTable& table, Exposition& out) {
  std::map<std::string_view, CgroupCounters> by_cgroup;
  for (const CgroupData* e : table.entries()) {
    CgroupCounters& c = by_cgroup[e->cgroup];
    c.admitted += e->counters.admitted;
    c.refused += e->counters.refused;
  }
  using Row = std::pair<std::string_view, CgroupCounters>;
  std::vector<Row> rows(by_cgroup.begin(), by_cgroup.end());
  const auto total = [](const CgroupCounters& c) { return c.admitted + c.refused; };
  // Most decisions first; the map's path order breaks ties (stable).
  std::stable_sort(rows.begin(), rows.end(), [&total](const Row& a, const Row& b) {
    return total(a.second) > total(b.second);
  });
  CgroupCounters other;
  bool has_other = false;
  if (rows.size() > kCgroupSeries) {
    has_other = true;
    for (std::size_t i = kCgroupSeries; i < rows.size(); ++i) {
      other.admitted += rows[i].second.admitted;
      other.refused += rows[i].second.refused;
    }
    rows.resize(kCgroupSeries);
  }
  out.family("perfqos_cgroups", "gauge", "Cgroups with per-cgroup data (every device).");
  out.sample("perfqos_cgroups", {}, static_cast<std::uint64_t>(by_cgroup.size()));
  out.family("perfqos_cgroup_data_entries", "gauge",
             "Per-cgroup data entries (one per cgroup and device it asked for).");
  out.sample("perfqos_cgroup_data_entries", {}, static_cast<std::uint64_t>(table.size()));
  const std::string top = ", summed over devices; the " + std::to_string(kCgroupSeries) +
                          " cgroups with the most decisions, the rest as cgroup=\"other\".";
  const auto family = [&](const char* name, const std::string& help, auto field) {
    out.family(name, "counter", help);
    for (const Row& r : rows) out.sample(name, {{"cgroup", r.first}}, r.second.*field);
    if (has_other) out.sample(name, {{"cgroup", "other"}}, other.*field);
  };
  family("perfqos_cgroup_admitted_total",
         "Policy decisions that admitted a member of the cgroup" + top, &CgroupCounters::admitted);
  family("perfqos_cgroup_refused_total",
         "Policy decisions that refused a member of the cgroup" + top, &CgroupCounters::refused);
}

}  // namespace

std::string errno_label(int error) {
  if (error == 0) return "other";
  if (const char* name = ::strerrorname_np(error)) return name;
  return "E" + std::to_string(error);
}

std::string render_metrics(const MetricsSources& sources,
                           std::chrono::steady_clock::time_point now) {
  Exposition out;
  out.family("perfqos_build_info", "gauge", "Always 1; the labels say which perfqosd this is.");
  out.sample("perfqos_build_info", {{"version", sources.version}}, std::uint64_t{1});
  out.family("perfqos_start_time_seconds", "gauge",
             "When perfqosd started, in seconds since the Unix epoch.");
  out.sample("perfqos_start_time_seconds", {},
             std::chrono::duration<double>(sources.start_time.time_since_epoch()).count());
  out.family("perfqos_uptime_seconds", "gauge", "Seconds since perfqosd started.");
  out.sample("perfqos_uptime_seconds", {},
             std::chrono::duration<double>(now - sources.started).count());
  render_model(*sources.broker, out);
  if (sources.tally != nullptr) render_tally(*sources.tally, out);
  if (sources.cgroups != nullptr) render_cgroups(*sources.cgroups, out);
  return out.take();
}

}  // namespace perfqos::metrics
