// CpuLatencyBackend: a CPU latency PM QoS class device on its kernel node (DESIGN §7):
// `cpu_dma_latency` on /dev/cpu_dma_latency, and `cpu_wakeup_latency` on
// /dev/cpu_wakeup_latency (Linux 6.19, CONFIG_PM_QOS_CPU_SYSTEM_WAKEUP), which has the same user
// ABI. The two differ only in their no-constraint value (kCpuLatencyDefault, 2000 s, and
// kCpuWakeupLatencyDefault, S32_MAX).
//
// While the effective value is a constraint (below the no-constraint value) the backend holds one
// open file description on the node and writes the value as a native-endian binary s32 (a
// 4-byte write). When the effective value returns to the default it closes the node, so the
// kernel drops our request; the kernel also drops it if the daemon dies, which is why this knob
// needs no journal entry.
//
// Errors: EINVAL for a knob other than `latency`; the errno of open(2) or write(2) otherwise
// (ENOENT when the node is absent). After a failed write the node is closed.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <string>

#include "backends/sysfs.h"
#include "model/device.h"
#include "model/device_specs.h"

namespace perfqos::backends {

class CpuLatencyBackend final : public DeviceBackend {
 public:
  // `no_constraint`: the class's no-constraint value; at or above it the node is closed.
  explicit CpuLatencyBackend(std::shared_ptr<SysfsRoot> root, std::string node = kCpuLatencyNode,
                             std::int32_t no_constraint = kCpuLatencyDefault);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

  // True while the backend holds a request on the node.
  bool holding() const { return node_ != nullptr; }

 private:
  std::shared_ptr<SysfsRoot> root_;
  std::string path_;
  std::int32_t no_constraint_;
  std::unique_ptr<HeldNode> node_;
};

// The backend the daemon passes to Broker::register_device for
// pm_qos_class_spec(PmQosClass::kCpuDmaLatency).
std::shared_ptr<DeviceBackend> make_cpu_latency_backend(std::shared_ptr<SysfsRoot> root,
                                                        std::string node = kCpuLatencyNode);

// The backend for pm_qos_class_spec(PmQosClass::kCpuWakeupLatency), on `node` (a path under the
// root). REQUIRES: the node exists (without it the class is model only: the daemon registers
// it with no backend).
std::shared_ptr<DeviceBackend> make_cpu_wakeup_latency_backend(
    std::shared_ptr<SysfsRoot> root, std::string node = kCpuWakeupLatencyNode);

}  // namespace perfqos::backends
