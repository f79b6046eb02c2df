// CpuLatencyBackend: the `cpu_dma_latency` class device on the kernel's CPU latency QoS node
// (DESIGN §7, default /dev/cpu_dma_latency).
//
// While the effective value is a constraint (below kCpuLatencyDefault) the backend holds one
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

namespace perfqos::backends {

class CpuLatencyBackend final : public DeviceBackend {
 public:
  explicit CpuLatencyBackend(std::shared_ptr<SysfsRoot> root, std::string node = kCpuLatencyNode);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, Range range) override;

  // True while the backend holds a request on the node.
  bool holding() const { return node_ != nullptr; }

 private:
  std::shared_ptr<SysfsRoot> root_;
  std::string path_;
  std::unique_ptr<HeldNode> node_;
};

// The backend the daemon passes to Broker::register_device for
// pm_qos_class_spec(PmQosClass::kCpuDmaLatency).
std::shared_ptr<DeviceBackend> make_cpu_latency_backend(std::shared_ptr<SysfsRoot> root,
                                                        std::string node = kCpuLatencyNode);

}  // namespace perfqos::backends
