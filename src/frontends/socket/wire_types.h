// The model's values as the socket protocol's messages (docs/protocol.md): devices, knobs,
// effective values, held requests, per-cgroup data, outcomes and statuses. Pure conversions,
// no state.
//
// Thread safety: free functions over their arguments; the model objects must not change
// during a call (the loop thread's).
#pragma once

#include <optional>

#include "cgroup/cgroup_data.h"
#include "model/broker.h"
#include "protocol/messages.h"

namespace perfqos::daemon::wire {

// A knob's effective value now; `as_effective` shows `r` as that knob's kind of value.
protocol::Effective effective_of(const Knob& knob);
protocol::Effective as_effective(const Knob& knob, Range r);
// What DESCRIBE and LIST_DEVICES tell of a device and its knobs.
protocol::DeviceInfo describe(const Device& device);
// One STATUS entry; `now` turns the request's expiry into remaining milliseconds.
protocol::HolderEntry holder_entry(const HeldRequest& r, Deadline now);
// One CGROUP_DATA entry, its strings cut to the protocol's limits.
protocol::CgroupDataEntry cgroup_data_entry(const CgroupData& data);
// The range end a frame names, if any.
std::optional<RangeEnd> range_end_of(protocol::End end);
protocol::ReplyStatus reply_status(const Status& s);
protocol::Change change_of(const RequestOutcome& out);

}  // namespace perfqos::daemon::wire
