#include "frontends/socket/wire_types.h"

#include <algorithm>
#include <chrono>

#include "model/value_text.h"

namespace perfqos::daemon::wire {

namespace p = protocol;

namespace {

p::ListType list_type_of(const Knob& knob) {
  if (knob.is_range()) return p::ListType::kRange;
  switch (knob.spec().type) {
    case ListType::kMin:
      return p::ListType::kMin;
    case ListType::kMax:
      return p::ListType::kMax;
    case ListType::kSum:
      return p::ListType::kSum;
    case ListType::kFlags:
      return p::ListType::kFlags;
  }
  return p::ListType::kMin;
}

p::End end_of(const HeldRequest& r) {
  if (!is_range_knob(r.knob())) return p::End::kNone;
  return r.end() == RangeEnd::kMin ? p::End::kMin : p::End::kMax;
}

}  // namespace

p::Effective effective_of(const Knob& knob) {
  if (knob.is_range()) {
    const Range r = knob.effective_range();
    return p::Effective::Range(r.min, r.max);
  }
  return p::Effective::Single(knob.effective());
}

p::CgroupDataEntry cgroup_data_entry(const CgroupData& data) {
  const auto saturated = [](std::uint64_t n) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX));
  };
  p::CgroupDataEntry e;
  e.device = data.device;
  e.cgroup = data.cgroup.substr(0, p::kMaxCgroupPath);
  for (const CgroupLimit& l : data.limits) {
    if (e.limits.size() == p::kMaxCgroupKnobLimits) break;
    e.limits.push_back(p::CgroupKnobLimit{l.knob, l.floor.has_value(), l.floor.value_or(0),
                                          l.cap.has_value(), l.cap.value_or(0)});
  }
  e.admitted = saturated(data.counters.admitted);
  e.refused = saturated(data.counters.refused);
  return e;
}

p::Effective as_effective(const Knob& knob, Range r) {
  return knob.is_range() ? p::Effective::Range(r.min, r.max) : p::Effective::Single(r.min);
}

p::DeviceInfo describe(const Device& device) {
  p::DeviceInfo info;
  info.name = device.name();
  info.kind = device.kind();
  info.parent = device.parent() ? device.parent()->name() : "";
  info.perf_unit = to_string(device.perf_unit());
  info.last_errno = device.backend_errors().last_errno;
  info.last_error = device.backend_errors().last_message.substr(0, p::kMaxBackendMessage);
  info.error_count = static_cast<std::uint32_t>(device.backend_errors().count);
  for (const Knob* knob : device.knobs()) {
    p::KnobInfo k;
    k.name = knob_name(knob->id());
    k.list_type = list_type_of(*knob);
    k.unit = knob->unit();
    const ListSpec spec = knob->spec(RangeEnd::kMin);
    k.default_value = knob->is_range() ? knob->limits().min : spec.default_value;
    k.no_constraint_value = knob->is_range() ? knob->limits().min : spec.no_constraint_value;
    k.min_request = spec.min_request;
    k.max_request = spec.max_request;
    k.effective = effective_of(*knob);
    if (knob->is_range()) {
      k.limit_min = knob->limits().min;
      k.limit_max = knob->limits().max;
    }
    k.active_requests = static_cast<std::uint32_t>(knob->size());
    k.choices = knob->choices();
    info.knobs.push_back(std::move(k));
  }
  return info;
}

p::HolderEntry holder_entry(const HeldRequest& r, Deadline now) {
  const HolderIdentity& id = r.holder().identity();
  p::HolderEntry e;
  e.device = r.device() ? r.device()->name() : "";
  e.knob = knob_name(r.knob());
  e.end = end_of(r);
  e.value = r.value();
  e.request_id = r.id();
  e.holder_kind = static_cast<p::HolderKind>(id.kind);
  e.pid = id.pid;
  e.uid = id.uid;
  e.gid = id.gid;
  e.comm = id.comm.substr(0, p::kMaxComm);
  e.cgroup = id.cgroup.substr(0, p::kMaxCgroupPath);
  e.label = id.label();
  e.reason = r.reason().substr(0, p::kMaxReason);
  e.app_id = r.app_id().substr(0, p::kMaxAppId);
  e.binding = r.binding();
  if (r.expiry()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*r.expiry() - now).count();
    e.remaining_ms = static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1));
  }
  return e;
}

std::optional<RangeEnd> range_end_of(p::End end) {
  if (end == p::End::kNone) return std::nullopt;
  return end == p::End::kMin ? RangeEnd::kMin : RangeEnd::kMax;
}

p::ReplyStatus reply_status(const Status& s) {
  return s.ok() ? p::ReplyStatus{} : p::ReplyStatus::Error(s.code(), s.message());
}

p::Change change_of(const RequestOutcome& out) {
  const Range r = out.effective;
  return p::Change{out.changed, is_range_knob(out.knob) ? p::Effective::Range(r.min, r.max)
                                                           : p::Effective::Single(r.min)};
}

}  // namespace perfqos::daemon::wire
