#include "backends/knobs/cpu_latency_backend.h"

#include <cerrno>
#include <cstring>

#include "model/device_specs.h"

namespace perfqos::backends {

CpuLatencyBackend::CpuLatencyBackend(std::shared_ptr<SysfsRoot> root, std::string node,
                                     std::int32_t no_constraint)
    : root_(std::move(root)), path_(std::move(node)), no_constraint_(no_constraint) {}

Status CpuLatencyBackend::apply_value(const Device&, KnobId knob, std::int32_t value) {
  if (knob != KnobId::kLatency) {
    return Status::Error(
        EINVAL, path_ + ": only the latency knob can be applied here, not " + knob_name(knob));
  }
  if (value >= no_constraint_ || value < 0) {
    node_.reset();  // no constraint: closing drops our request
    return Status::Ok();
  }
  if (!node_) {
    if (Status s = root_->open_node(path_, &node_); !s.ok()) return s;
  }
  const std::int32_t v = value;
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  Status s = node_->write(std::string_view(bytes, sizeof bytes));
  if (!s.ok()) {
    node_.reset();
    return Status::Error(s.code(),
                         "write " + std::to_string(value) + " us to " + path_ + ": " + s.message());
  }
  return s;
}

Status CpuLatencyBackend::apply_range(const Device&, KnobId, Range) {
  return Status::Error(EINVAL, path_ + ": a CPU latency node has no range");
}

std::shared_ptr<DeviceBackend> make_cpu_latency_backend(std::shared_ptr<SysfsRoot> root,
                                                        std::string node) {
  return std::make_shared<CpuLatencyBackend>(std::move(root), std::move(node), kCpuLatencyDefault);
}

std::shared_ptr<DeviceBackend> make_cpu_wakeup_latency_backend(std::shared_ptr<SysfsRoot> root,
                                                               std::string node) {
  return std::make_shared<CpuLatencyBackend>(std::move(root), std::move(node),
                                             kCpuWakeupLatencyDefault);
}

}  // namespace perfqos::backends
