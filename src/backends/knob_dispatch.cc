#include "backends/knob_dispatch.h"

#include <cerrno>

namespace perfqos::backends {

void KnobDispatch::set(KnobId knob, std::shared_ptr<DeviceBackend> backend) {
  backends_[knob] = std::move(backend);
}

DeviceBackend* KnobDispatch::get(KnobId knob) const {
  auto it = backends_.find(knob);
  return it == backends_.end() ? nullptr : it->second.get();
}

Status KnobDispatch::apply_value(const Device& device, KnobId knob, std::int32_t value) {
  DeviceBackend* b = get(knob);
  if (b == nullptr) {
    return Status::Error(EINVAL, device.name() + ": no backend for knob " + knob_name(knob));
  }
  return b->apply_value(device, knob, value);
}

Status KnobDispatch::apply_range(const Device& device, KnobId knob, Range range) {
  DeviceBackend* b = get(knob);
  if (b == nullptr) {
    return Status::Error(EINVAL, device.name() + ": no backend for knob " + knob_name(knob));
  }
  return b->apply_range(device, knob, range);
}

}  // namespace perfqos::backends
