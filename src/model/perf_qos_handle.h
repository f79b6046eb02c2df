// PerfQosHandle: the perf QoS RFC's per-holder rules, as one open file description of a
// perf_qos/<device> node keeps them (DESIGN §5), on the device's range or on one of its named
// knobs (a range over choice indices: perf_qos/policy0.epp). The FUSE ioctl path is a thin user
// of it.
//
//   - at most one min and one max request per handle; setting again changes that request;
//   - setting the value the handle already has on that end: EALREADY, nothing changes;
//   - setting exactly the hard limit (limit_min for min, limit_max for max) removes the handle's
//     request on that end; EINVAL if it had none;
//   - a value outside [limit_min, limit_max] (SET_MAX above limit_max, SET_MIN below limit_min,
//     and the other two): EINVAL;
//   - get() with no request on that end of the device, from anyone: ENODATA;
//   - a device that is gone (or has not that knob): ENODEV.
//
// The handle's requests belong to its Holder and go when the Holder goes.
//
// Thread safety: confined to the thread that owns the Broker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/broker.h"

namespace perfqos {

class PerfQosHandle {
 public:
  // REQUIRES: `broker` and `holder` outlive the handle; is_range_knob(knob).
  PerfQosHandle(Broker& broker, Holder& holder, std::string device, KnobId knob = KnobId::kRange);
  PerfQosHandle(const PerfQosHandle&) = delete;
  PerfQosHandle& operator=(const PerfQosHandle&) = delete;

  const std::string& device() const { return device_; }
  KnobId knob() const { return knob_; }

  // `changed`, when given, tells whether the effective range changed.
  Status set(RangeEnd end, std::int32_t value, bool* changed = nullptr);
  // The effective value of that end, when the device has a request on it.
  Status get(RangeEnd end, std::int32_t* value) const;
  // The effective range even with no request (empty = the hard limits).
  Status effective(Range* range) const;
  Status limits(Range* limits, PerfUnit* unit) const;
  // This handle's own request on `end`, if any.
  std::optional<std::int32_t> own(RangeEnd end) const;

 private:
  Status range_knob(const Device** device, const Knob** knob) const;

  Broker& broker_;
  Holder& holder_;
  std::string device_;
  KnobId knob_;
  std::optional<RequestId> ids_[2];  // by RangeEnd
};

}  // namespace perfqos
