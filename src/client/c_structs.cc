#include "client/c_structs.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace perfqos::clientlib {
namespace {

// Copies with NUL termination; the wire limits are below every array size, so nothing is cut.
template <std::size_t N>
void copy(char (&dst)[N], const std::string& src) {
  std::size_t n = std::min(src.size(), N - 1);
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

}  // namespace

KnobAddress knob_address(const char* knob) {
  if (knob == nullptr) return {};
  if (std::strcmp(knob, "min") == 0) return {"range", protocol::End::kMin};
  if (std::strcmp(knob, "max") == 0) return {"range", protocol::End::kMax};
  return {knob, protocol::End::kNone};
}

void to_c(const protocol::Effective& in, perfqos_effective* out) {
  out->value = in.min;
  out->min = in.min;
  out->max = in.max;
  out->is_range = in.is_range ? 1 : 0;
}

void to_c(const protocol::Change& in, perfqos_change* out) {
  out->changed = in.changed ? 1 : 0;
  to_c(in.effective, &out->effective);
}

void to_c(const protocol::DeviceInfo& in, perfqos_device_info* out) {
  std::memset(out, 0, sizeof *out);
  copy(out->name, in.name);
  copy(out->kind, in.kind);
  copy(out->parent, in.parent);
  copy(out->perf_unit, in.perf_unit);
  out->last_errno = in.last_errno;
  copy(out->last_error, in.last_error);
  out->error_count = in.error_count;
  out->knob_count = std::min<std::size_t>(in.knobs.size(), PERFQOS_MAX_KNOBS);
  for (std::size_t i = 0; i < out->knob_count; ++i) {
    const protocol::KnobInfo& k = in.knobs[i];
    perfqos_knob_info& o = out->knobs[i];
    copy(o.name, k.name);
    o.list_type = static_cast<perfqos_list_type>(k.list_type);
    copy(o.unit, k.unit);
    o.default_value = k.default_value;
    o.no_constraint_value = k.no_constraint_value;
    o.min_request = k.min_request;
    o.max_request = k.max_request;
    to_c(k.effective, &o.effective);
    o.limit_min = k.limit_min;
    o.limit_max = k.limit_max;
    o.active_requests = k.active_requests;
  }
}

void to_c(const protocol::HolderEntry& in, perfqos_holder_info* out) {
  std::memset(out, 0, sizeof *out);
  copy(out->device, in.device);
  copy(out->knob, in.knob);
  out->end = static_cast<perfqos_end>(in.end);
  out->value = in.value;
  out->request_id = in.request_id;
  out->holder_kind = static_cast<perfqos_holder_kind>(in.holder_kind);
  out->pid = in.pid;
  out->uid = in.uid;
  out->gid = in.gid;
  copy(out->comm, in.comm);
  copy(out->cgroup, in.cgroup);
  copy(out->label, in.label);
  out->binding = in.binding ? 1 : 0;
  out->remaining_ms = in.remaining_ms;
}

void to_c(const protocol::HolderEntry& in, perfqos_holder_note_info* out) {
  std::memset(out, 0, sizeof *out);
  to_c(in, &out->holder);
  static_assert(protocol::kMaxReason == PERFQOS_MAX_REASON);
  static_assert(protocol::kMaxAppId == PERFQOS_MAX_APP_ID);
  copy(out->reason, in.reason);
  copy(out->app_id, in.app_id);
}

void to_c(const protocol::CgroupDataEntry& in, perfqos_cgroup_info* out) {
  std::memset(out, 0, sizeof *out);
  copy(out->device, in.device);
  copy(out->cgroup, in.cgroup);
  // The wire bounds the list by the same limit as the array.
  static_assert(protocol::kMaxCgroupKnobLimits == PERFQOS_MAX_CGROUP_LIMITS);
  out->limit_count = in.limits.size();
  for (std::size_t i = 0; i < in.limits.size(); ++i) {
    const protocol::CgroupKnobLimit& l = in.limits[i];
    copy(out->limits[i].knob, l.knob);
    out->limits[i].has_floor = l.has_floor ? 1 : 0;
    out->limits[i].floor = l.floor;
    out->limits[i].has_cap = l.has_cap ? 1 : 0;
    out->limits[i].cap = l.cap;
  }
  out->admitted = in.admitted;
  out->refused = in.refused;
}

void to_c(const protocol::ExplainReply& in, perfqos_explain_info* out) {
  std::memset(out, 0, sizeof *out);
  static_assert(protocol::kMaxExplainGrants == PERFQOS_MAX_EXPLAIN_GRANTS);
  static_assert(protocol::kMaxExplainSetters == PERFQOS_MAX_EXPLAIN_SETTERS);
  copy(out->device, in.device);
  copy(out->knob, in.knob);
  out->end = static_cast<perfqos_end>(in.end);
  copy(out->unit, in.unit);
  to_c(in.effective, &out->effective);
  out->min_request = in.min_request;
  out->max_request = in.max_request;
  out->caller_uid = in.caller_uid;
  copy(out->caller_cgroup, in.caller_cgroup);
  out->unrestricted = in.unrestricted ? 1 : 0;
  out->grants_total = in.grants_total;
  out->grant_count = in.grants.size();
  for (std::size_t i = 0; i < in.grants.size(); ++i) {
    const protocol::ExplainGrant& g = in.grants[i];
    copy(out->grants[i].device, g.device);
    copy(out->grants[i].knob, g.knob);
    out->grants[i].min = g.min;
    out->grants[i].max = g.max;
    copy(out->grants[i].origin, g.origin);
  }
  copy(out->limit.knob, in.limit.knob);
  out->limit.has_floor = in.limit.has_floor ? 1 : 0;
  out->limit.floor = in.limit.floor;
  out->limit.has_cap = in.limit.has_cap ? 1 : 0;
  out->limit.cap = in.limit.cap;
  copy(out->limit_origin, in.limit_origin);
  out->setters_total = in.setters_total;
  out->setter_count = in.setters.size();
  for (std::size_t i = 0; i < in.setters.size(); ++i) to_c(in.setters[i], &out->setters[i]);
  out->has_value = in.has_value ? 1 : 0;
  out->value = in.value;
  out->verdict_errno = in.verdict_errno;
  copy(out->verdict, in.verdict);
  out->would_change = in.would_change ? 1 : 0;
  to_c(in.would_be, &out->would_be);
}

void to_c(const protocol::BindingEntry& in, perfqos_binding_info* out) {
  std::memset(out, 0, sizeof *out);
  out->binding_id = in.binding_id;
  copy(out->cgroup, in.cgroup);
  copy(out->device, in.device);
  copy(out->knob, in.knob);
  out->end = static_cast<perfqos_end>(in.end);
  out->value = in.value;
  out->active = in.active ? 1 : 0;
  out->uid = in.uid;
  copy(out->origin, in.origin);
  copy(out->reason, in.reason);
  copy(out->app_id, in.app_id);
}

void to_c(const protocol::ProfileEntry& in, perfqos_profile_request* out) {
  std::memset(out, 0, sizeof *out);
  copy(out->device, in.device);
  copy(out->knob, in.knob);
  out->end = static_cast<perfqos_end>(in.end);
  out->value = in.value;
}

void to_c(const protocol::Notification& in, std::uint32_t dropped, perfqos_event* out) {
  std::memset(out, 0, sizeof *out);
  copy(out->device, in.device);
  copy(out->knob, in.knob);
  to_c(in.old_value, &out->old_value);
  to_c(in.new_value, &out->new_value);
  out->dropped = dropped;
}

void to_c(const NamedKnob& in, perfqos_knob_choices* out) {
  copy(out->device, in.device->name);
  copy(out->knob, in.knob->name);
  out->count = std::min<std::size_t>(in.knob->choices.size(), PERFQOS_MAX_CHOICES);
  for (std::size_t i = 0; i < out->count; ++i) copy(out->names[i], in.knob->choices[i]);
}

void to_c(const protocol::Notification& in, perfqos_event_cause* out) {
  std::memset(out, 0, sizeof *out);
  if (!in.has_cause) return;
  out->known = 1;
  out->holder_kind = static_cast<perfqos_holder_kind>(in.cause_kind);
  out->pid = in.cause_pid;
  out->uid = in.cause_uid;
  copy(out->comm, in.cause_comm);
  out->request_id = in.cause_request_id;
  out->action = static_cast<perfqos_change_action>(in.cause_action);
  copy(out->reason, in.cause_reason);
  copy(out->app_id, in.cause_app_id);
}

}  // namespace perfqos::clientlib
