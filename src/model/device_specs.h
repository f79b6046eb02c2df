// The standard devices and knobs of DESIGN §4, with their exact units, list types, defaults and
// valid ranges, so that every front end and backend builds them the same way.
//
//   class               unit    list  default = no constraint  valid requests
//   cpu_dma_latency     us      MIN   2000000000               0..2000000000, -1
//   network_latency     us      MIN   2000000000               0..2000000000, -1
//   network_throughput  kbit/s  MAX   0                        0..INT32_MAX, -1
//   memory_bandwidth    Mbit/s  SUM   0                        0..INT32_MAX, -1
//   cpu_wakeup_latency  us      MIN   INT32_MAX                0..INT32_MAX, -1
//     (Linux 6.19 /dev/cpu_wakeup_latency, CONFIG_PM_QOS_CPU_SYSTEM_WAKEUP: the kernel's
//     no-constraint value is PM_QOS_RESUME_LATENCY_NO_CONSTRAINT = S32_MAX, not 2000 s)
//
//   resume_latency      us      MIN   no constraint INT32_MAX ("any"); -1 = INT32_MAX
//   latency_tolerance   us      MIN   empty reads -1 ("auto"); -1 requests 0; "any" = INT32_MAX
//   flags               flags   FLAGS 0; bit 0 no_power_off
//   range (min/max)     unit    RANGE [limit_min, limit_max]
//   epp, profile        choice  RANGE [0, n-1] over the knob's n ordered words
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/device.h"
#include "model/knob.h"
#include "util/status.h"

namespace perfqos {

inline constexpr std::int32_t kCpuLatencyDefault = 2000000000;  // µs: 2000 s
// The CPU system wakeup latency class: default = no constraint = S32_MAX µs.
inline constexpr std::int32_t kCpuWakeupLatencyDefault = 2147483647;

enum class PmQosClass : std::uint8_t {
  kCpuDmaLatency,
  kNetworkLatency,
  kNetworkThroughput,
  kMemoryBandwidth,
  kCpuWakeupLatency,  // Linux 6.19; appended: FUSE inode numbers follow this order
};
inline constexpr PmQosClass kPmQosClasses[] = {
    PmQosClass::kCpuDmaLatency, PmQosClass::kNetworkLatency, PmQosClass::kNetworkThroughput,
    PmQosClass::kMemoryBandwidth, PmQosClass::kCpuWakeupLatency};

// "cpu_dma_latency", ...: the device name and the FUSE node name.
const char* to_string(PmQosClass c);
// The kind of a class device whose kernel node this kernel lacks (cpu_wakeup_latency before
// Linux 6.19): requests aggregate as usual, nothing is written.
inline constexpr char kModelOnlyKind[] = "model-only";

// The class as a device (kind "class") with its one knob.
DeviceSpec pm_qos_class_spec(PmQosClass c);

KnobSpec resume_latency_knob();
KnobSpec latency_tolerance_knob();
KnobSpec flags_knob();  // no_power_off
// REQUIRES: limit_min <= limit_max (Broker::register_device checks it again).
KnobSpec range_knob(std::string unit, std::int32_t limit_min, std::int32_t limit_max);
// A named knob (kEpp, kProfile): a range over the indices of `choices`, ordered from the most
// power saving to the most performant, unit "choice". REQUIRES: is_named_knob(id), choices
// not empty (Broker::register_device checks it again).
KnobSpec named_knob(KnobId id, std::vector<std::string> choices);

// A perf QoS device (the RFC's abstraction): unit normal (limits within 0..1024) or kbps, hard
// limits limit_min <= limit_max. EINVAL names the offending limit and the allowed range.
Status perf_device_spec(const std::string& name, PerfUnit unit, std::int32_t limit_min,
                        std::int32_t limit_max, DeviceSpec* out);

}  // namespace perfqos
