#include "model/perf_qos_handle.h"

#include <cerrno>

namespace perfqos {

namespace {
int index(RangeEnd end) {
  return end == RangeEnd::kMin ? 0 : 1;
}
}  // namespace

PerfQosHandle::PerfQosHandle(Broker& broker, Holder& holder, std::string device, KnobId knob)
    : broker_(broker), holder_(holder), device_(std::move(device)), knob_(knob) {}

Status PerfQosHandle::range_knob(const Device** device, const Knob** knob) const {
  std::shared_ptr<Device> d = broker_.registry().find(device_);
  const Knob* k = d ? d->knob(knob_) : nullptr;
  if (k == nullptr) return device_gone("perf QoS device '" + device_ + "'");
  *device = d.get();  // kept alive by the registry
  *knob = k;
  return Status::Ok();
}

std::optional<std::int32_t> PerfQosHandle::own(RangeEnd end) const {
  const std::optional<RequestId>& id = ids_[index(end)];
  const HeldRequest* r = id ? holder_.find(*id) : nullptr;
  if (r == nullptr || r->device() == nullptr) return std::nullopt;
  return r->value();
}

Status PerfQosHandle::set(RangeEnd end, std::int32_t value, bool* changed) {
  if (changed != nullptr) *changed = false;
  const Device* device = nullptr;
  const Knob* knob = nullptr;
  std::optional<RequestId>& id = ids_[index(end)];
  if (Status s = range_knob(&device, &knob); !s.ok()) {
    if (id) (void)broker_.remove(holder_, *id, nullptr);  // frees the detached request
    id.reset();
    return s;
  }
  const Range limits = knob->limits();
  const std::string what = device_ + "." + knob_request_name(knob_, end);
  if (value < limits.min || value > limits.max) {
    return Status::Error(EINVAL, what + ": value " + std::to_string(value) +
                                     " out of range: allowed " + std::to_string(limits.min) + ".." +
                                     std::to_string(limits.max));
  }
  const HeldRequest* current = id ? holder_.find(*id) : nullptr;
  if (current != nullptr && current->value() == value) {
    return Status::Error(EALREADY, what + ": " + std::to_string(value) + " is already set");
  }
  const std::int32_t hard_limit = end == RangeEnd::kMin ? limits.min : limits.max;
  RequestOutcome outcome;
  Status s;
  if (value == hard_limit) {
    if (current == nullptr) {
      return Status::Error(EINVAL, what + ": no request to remove (setting the hard limit " +
                                       std::to_string(value) + " removes this file's request)");
    }
    s = broker_.remove(holder_, *id, &outcome);
    id.reset();  // a remove never stays, even when the backend failed
  } else if (current != nullptr) {
    s = broker_.update(holder_, *id, value, &outcome);
  } else {
    s = broker_.add(holder_, RequestTarget{device_, knob_, end, false}, value, std::nullopt,
                    &outcome);
    if (s.ok()) id = outcome.id;
  }
  if (s.ok() && changed != nullptr) *changed = outcome.changed;
  return s;
}

Status PerfQosHandle::get(RangeEnd end, std::int32_t* value) const {
  const Device* device = nullptr;
  const Knob* knob = nullptr;
  if (Status s = range_knob(&device, &knob); !s.ok()) return s;
  if (knob->size(end) == 0) {
    return Status::Error(
        ENODATA, device_ + "." + knob_request_name(knob_, end) + ": no request on the device");
  }
  const Range r = knob->effective_range();
  *value = end == RangeEnd::kMin ? r.min : r.max;
  return Status::Ok();
}

Status PerfQosHandle::effective(Range* range) const {
  const Device* device = nullptr;
  const Knob* knob = nullptr;
  if (Status s = range_knob(&device, &knob); !s.ok()) return s;
  *range = knob->effective_range();
  return Status::Ok();
}

Status PerfQosHandle::limits(Range* limits, PerfUnit* unit) const {
  const Device* device = nullptr;
  const Knob* knob = nullptr;
  if (Status s = range_knob(&device, &knob); !s.ok()) return s;
  *limits = knob->limits();
  *unit = device->perf_unit();
  return Status::Ok();
}

}  // namespace perfqos
