// The wire layout of every message, said once: each layout() lists a message's fields in wire
// order with their limits, and is run by three visitors: FieldWriter (encode), FieldReader
// (decode) and MinSize (smallest encoding). docs/protocol.md documents the same tables.
//
// Visitor interface: u8, u16, u32, i32, boolean, enumeration(name, v, last), str(name, s, max,
// charset), names(name, list, max_count, max_bytes, charset), nested(name, item),
// list(name, items, max_count), require(ok, name, reason), failed().
#pragma once

#include <concepts>
#include <type_traits>

#include "protocol/field_rules.h"
#include "protocol/limits.h"
#include "protocol/messages.h"

namespace perfqos::protocol {

// M is T or const T: one layout serves the writer (const) and the reader (mutable).
template <class M, class T>
concept Of = std::same_as<std::remove_const_t<M>, T>;

template <class V, Of<Effective> M>
void layout(V& v, M& m) {
  v.boolean("is_range", m.is_range);
  v.i32("min", m.min);
  v.i32("max", m.max);
  v.require(m.is_range || m.min == m.max, "max", "must equal 'min' for a one-valued knob");
}

template <class V, Of<Change> M>
void layout(V& v, M& m) {
  v.boolean("changed", m.changed);
  v.nested("effective", m.effective);
}

// Every reply starts with its status; the rest of the reply is present only when it is ok.
// Returns true when the body follows.
template <class V, Of<ReplyStatus> M>
bool reply_status(V& v, M& m) {
  v.i32("errno", m.error);
  v.require(m.error >= 0 && m.error <= 4095, "errno", "must lie in 0..4095");
  v.str("message", m.message, kMaxReplyMessage);
  return m.error == 0;
}

template <class V, Of<KnobInfo> M>
void layout(V& v, M& m) {
  v.str("name", m.name, kMaxKnobName, Charset::kName);
  v.enumeration("list_type", m.list_type, kLastListType);
  v.str("unit", m.unit, kMaxUnit);
  v.i32("default_value", m.default_value);
  v.i32("no_constraint_value", m.no_constraint_value);
  v.i32("min_request", m.min_request);
  v.i32("max_request", m.max_request);
  v.nested("effective", m.effective);
  v.i32("limit_min", m.limit_min);
  v.i32("limit_max", m.limit_max);
  v.u32("active_requests", m.active_requests);
  if (v.version() >= 3) {
    v.names("choices", m.choices, kMaxChoices, kMaxChoiceName, Charset::kName);
  }
}

template <class V, Of<DeviceInfo> M>
void layout(V& v, M& m) {
  v.str("name", m.name, kMaxDeviceName, Charset::kName);
  v.str("kind", m.kind, kMaxKind, Charset::kName);
  v.str("parent", m.parent, kMaxDeviceName, Charset::kName);
  v.str("perf_unit", m.perf_unit, kMaxUnit);
  v.i32("last_errno", m.last_errno);
  v.str("last_error", m.last_error, kMaxBackendMessage);
  v.u32("error_count", m.error_count);
  v.list("knobs", m.knobs, kMaxKnobsPerDevice);
}

template <class V, Of<HolderEntry> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.enumeration("end", m.end, kLastEnd);
  v.i32("value", m.value);
  v.u32("request_id", m.request_id);
  v.enumeration("holder_kind", m.holder_kind, kLastHolderKind);
  v.i32("pid", m.pid);
  v.u32("uid", m.uid);
  v.u32("gid", m.gid);
  v.str("comm", m.comm, kMaxComm);
  v.str("cgroup", m.cgroup, kMaxCgroupPath);
  v.str("label", m.label, kMaxLabel);
  v.boolean("binding", m.binding);
  v.u32("remaining_ms", m.remaining_ms);
  if (v.version() >= 2) {
    v.str("reason", m.reason, kMaxReason);
    v.str("app_id", m.app_id, kMaxAppId);
  }
}

template <class V, Of<CgroupKnobLimit> M>
void layout(V& v, M& m) {
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.boolean("has_floor", m.has_floor);
  v.i32("floor", m.floor);
  v.boolean("has_cap", m.has_cap);
  v.i32("cap", m.cap);
}

template <class V, Of<CgroupDataEntry> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("cgroup", m.cgroup, kMaxCgroupPath);
  v.list("limits", m.limits, kMaxCgroupKnobLimits);
  v.u32("admitted", m.admitted);
  v.u32("refused", m.refused);
}

template <class V, Of<HelloRequest> M>
void layout(V& v, M& m) {
  v.u8("max_version", m.max_version);
  v.str("client_name", m.client_name, kMaxPeerName);
}
template <class V, Of<HelloReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.u8("version", m.version);
  v.u32("max_frame_size", m.max_frame_size);
  v.str("server_name", m.server_name, kMaxPeerName);
}

template <class V, Of<ListDevicesRequest> M>
void layout(V& v, M& m) {
  v.u32("offset", m.offset);
  v.u16("max_entries", m.max_entries);
}
template <class V, Of<ListDevicesReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.u32("total", m.total);
  v.u32("next_offset", m.next_offset);
  v.list("devices", m.devices, kMaxPageEntries);
}

template <class V, Of<DescribeRequest> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
}
template <class V, Of<DescribeReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.nested("device", m.device);
}

template <class V, Of<AddRequest> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.enumeration("end", m.end, kLastEnd);
  v.i32("value", m.value);
  v.u32("duration_ms", m.duration_ms);
  if (v.version() >= 2) {
    v.str("reason", m.reason, kMaxReason);
    v.str("app_id", m.app_id, kMaxAppId);
  }
  if (v.version() >= 4) v.str("cpus_of", m.cpus_of, kMaxCgroupPath);
}
template <class V, Of<AddReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.u32("request_id", m.request_id);
  v.nested("change", m.change);
}

template <class V, Of<UpdateRequest> M>
void layout(V& v, M& m) {
  v.u32("request_id", m.request_id);
  v.i32("value", m.value);
}
template <class V, Of<UpdateReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.nested("change", m.change);
}

template <class V, Of<RemoveRequest> M>
void layout(V& v, M& m) {
  v.u32("request_id", m.request_id);
}
template <class V, Of<RemoveReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.nested("change", m.change);
}

template <class V, Of<ReadRequest> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
}
template <class V, Of<ReadReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.nested("effective", m.effective);
}

template <class V, Of<SubscribeRequest> M>
void layout(V& v, M& m) {
  v.names("devices", m.devices, kMaxSubscribeDevices, kMaxDeviceName, Charset::kName);
}
template <class V, Of<SubscribeReply> M>
void layout(V& v, M& m) {
  reply_status(v, m.status);
}

template <class V, Of<UnsubscribeRequest> M>
void layout(V& v, M& m) {
  v.names("devices", m.devices, kMaxSubscribeDevices, kMaxDeviceName, Charset::kName);
}
template <class V, Of<UnsubscribeReply> M>
void layout(V& v, M& m) {
  reply_status(v, m.status);
}

template <class V, Of<StatusRequest> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.u32("offset", m.offset);
  v.u16("max_entries", m.max_entries);
}
template <class V, Of<StatusReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.u32("total", m.total);
  v.u32("next_offset", m.next_offset);
  v.list("entries", m.entries, kMaxPageEntries);
}

template <class V, Of<BindRequest> M>
void layout(V& v, M& m) {
  v.str("cgroup", m.cgroup, kMaxCgroupPath);
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.enumeration("end", m.end, kLastEnd);
  v.i32("value", m.value);
  if (v.version() >= 2) {
    v.str("reason", m.reason, kMaxReason);
    v.str("app_id", m.app_id, kMaxAppId);
  }
  if (v.version() >= 3) v.boolean("transient", m.transient);
  if (v.version() >= 4) {
    v.str("cpus_of", m.cpus_of, kMaxCgroupPath);
    v.boolean("container", m.container);
  }
}
template <class V, Of<BindReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.u32("binding_id", m.binding_id);
  v.nested("change", m.change);
}

template <class V, Of<UnbindRequest> M>
void layout(V& v, M& m) {
  v.u32("binding_id", m.binding_id);
}
template <class V, Of<UnbindReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.nested("change", m.change);
}

template <class V, Of<RescanRequest> M>
void layout(V&, M&) {}
template <class V, Of<RescanReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.u32("devices_added", m.devices_added);
  v.u32("devices_removed", m.devices_removed);
}

template <class V, Of<CgroupDataRequest> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.u32("offset", m.offset);
  v.u16("max_entries", m.max_entries);
}
template <class V, Of<CgroupDataReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.u32("total", m.total);
  v.u32("next_offset", m.next_offset);
  v.list("entries", m.entries, kMaxPageEntries);
}

template <class V, Of<ExplainRequest> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.enumeration("end", m.end, kLastEnd);
  v.boolean("has_value", m.has_value);
  v.i32("value", m.value);
}
template <class V, Of<ExplainGrant> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName);
  v.str("knob", m.knob, kMaxKnobName);
  v.i32("min", m.min);
  v.i32("max", m.max);
  v.str("origin", m.origin, kMaxOrigin);
}
template <class V, Of<ExplainReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.enumeration("end", m.end, kLastEnd);
  v.str("unit", m.unit, kMaxUnit);
  v.nested("effective", m.effective);
  v.i32("min_request", m.min_request);
  v.i32("max_request", m.max_request);
  v.u32("caller_uid", m.caller_uid);
  v.str("caller_cgroup", m.caller_cgroup, kMaxCgroupPath);
  v.boolean("unrestricted", m.unrestricted);
  v.u32("grants_total", m.grants_total);
  v.list("grants", m.grants, kMaxExplainGrants);
  v.nested("limit", m.limit);
  v.str("limit_origin", m.limit_origin, kMaxOrigin);
  v.u32("setters_total", m.setters_total);
  v.list("setters", m.setters, kMaxExplainSetters);
  v.boolean("has_value", m.has_value);
  v.i32("value", m.value);
  v.i32("verdict_errno", m.verdict_errno);
  v.require(m.verdict_errno >= 0 && m.verdict_errno <= 4095, "verdict_errno",
            "must lie in 0..4095");
  v.str("verdict", m.verdict, kMaxReplyMessage);
  v.boolean("would_change", m.would_change);
  v.nested("would_be", m.would_be);
}

template <class V, Of<BindingEntry> M>
void layout(V& v, M& m) {
  v.u32("binding_id", m.binding_id);
  v.str("cgroup", m.cgroup, kMaxCgroupPath);
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.enumeration("end", m.end, kLastEnd);
  v.i32("value", m.value);
  v.boolean("active", m.active);
  v.u32("uid", m.uid);
  v.str("origin", m.origin, kMaxOrigin);
  v.str("reason", m.reason, kMaxReason);
  v.str("app_id", m.app_id, kMaxAppId);
}
template <class V, Of<BindingsRequest> M>
void layout(V& v, M& m) {
  v.u32("offset", m.offset);
  v.u16("max_entries", m.max_entries);
}
template <class V, Of<BindingsReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.u32("total", m.total);
  v.u32("next_offset", m.next_offset);
  v.list("entries", m.entries, kMaxPageEntries);
}

template <class V, Of<ProfileRequest> M>
void layout(V& v, M& m) {
  v.str("name", m.name, kMaxProfileName, Charset::kName);
}
template <class V, Of<ProfileEntry> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.enumeration("end", m.end, kLastEnd);
  v.i32("value", m.value);
}
template <class V, Of<ProfileReply> M>
void layout(V& v, M& m) {
  if (!reply_status(v, m.status)) return;
  v.list("requests", m.requests, kMaxProfileRequests);
  v.u32("absent", m.absent);
}

template <class V, Of<Notification> M>
void layout(V& v, M& m) {
  v.str("device", m.device, kMaxDeviceName, Charset::kName);
  v.str("knob", m.knob, kMaxKnobName, Charset::kName);
  v.nested("old", m.old_value);
  v.nested("new", m.new_value);
  if (v.version() >= 3) {
    v.boolean("has_cause", m.has_cause);
    v.enumeration("cause_kind", m.cause_kind, kLastHolderKind);
    v.i32("cause_pid", m.cause_pid);
    v.u32("cause_uid", m.cause_uid);
    v.str("cause_comm", m.cause_comm, kMaxComm);
    v.u32("cause_request_id", m.cause_request_id);
    v.enumeration("cause_action", m.cause_action, kLastCauseAction);
    v.str("cause_reason", m.cause_reason, kMaxReason);
    v.str("cause_app_id", m.cause_app_id, kMaxAppId);
  }
}

template <class V, Of<ErrorReply> M>
void layout(V& v, M& m) {
  reply_status(v, m.status);
  v.require(m.status.error != 0, "errno", "must not be 0 in an ERROR frame");
}

}  // namespace perfqos::protocol
