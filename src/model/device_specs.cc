#include "model/device_specs.h"

#include <cerrno>
#include <climits>

namespace perfqos {

const char* to_string(PmQosClass c) {
  switch (c) {
    case PmQosClass::kCpuDmaLatency:
      return "cpu_dma_latency";
    case PmQosClass::kNetworkLatency:
      return "network_latency";
    case PmQosClass::kNetworkThroughput:
      return "network_throughput";
    case PmQosClass::kMemoryBandwidth:
      return "memory_bandwidth";
    case PmQosClass::kCpuWakeupLatency:
      return "cpu_wakeup_latency";
  }
  return "unknown";
}

DeviceSpec pm_qos_class_spec(PmQosClass c) {
  KnobSpec knob;
  switch (c) {
    case PmQosClass::kCpuDmaLatency:
    case PmQosClass::kNetworkLatency:
      knob = {
          KnobId::kLatency,
          "us",
          ListSpec{ListType::kMin, kCpuLatencyDefault, kCpuLatencyDefault, 0, kCpuLatencyDefault},
          {}};
      break;
    case PmQosClass::kCpuWakeupLatency:
      knob = {KnobId::kLatency,
              "us",
              ListSpec{ListType::kMin, kCpuWakeupLatencyDefault, kCpuWakeupLatencyDefault, 0,
                       kCpuWakeupLatencyDefault},
              {}};
      break;
    case PmQosClass::kNetworkThroughput:
      knob = {KnobId::kThroughput, "kbit/s", ListSpec{ListType::kMax, 0, 0, 0, INT_MAX}, {}};
      break;
    case PmQosClass::kMemoryBandwidth:
      knob = {KnobId::kBandwidth, "Mbit/s", ListSpec{ListType::kSum, 0, 0, 0, INT_MAX}, {}};
      break;
  }
  return DeviceSpec{to_string(c), "class", "", PerfUnit::kNone, {knob}};
}

KnobSpec resume_latency_knob() {
  return {KnobId::kResumeLatency, "us", ListSpec{ListType::kMin, INT_MAX, INT_MAX, 0, INT_MAX}, {}};
}

KnobSpec latency_tolerance_knob() {
  // As the kernel: a request of -1 means 0 (PM_QOS_LATENCY_TOLERANCE_DEFAULT_VALUE); an empty
  // list reads -1, autonomous mode.
  return {KnobId::kLatencyTolerance, "us", ListSpec{ListType::kMin, 0, -1, 0, INT_MAX}, {}};
}

KnobSpec flags_knob() {
  return {KnobId::kFlags, "flags", ListSpec{ListType::kFlags, 0, 0, 0, kFlagNoPowerOff}, {}};
}

KnobSpec range_knob(std::string unit, std::int32_t limit_min, std::int32_t limit_max) {
  return {KnobId::kRange, std::move(unit), ListSpec{}, Range{limit_min, limit_max}};
}

KnobSpec named_knob(KnobId id, std::vector<std::string> choices) {
  const Range limits{0, static_cast<std::int32_t>(choices.size()) - 1};
  return {id, kChoiceUnit, ListSpec{}, limits, std::move(choices)};
}

Status perf_device_spec(const std::string& name, PerfUnit unit, std::int32_t limit_min,
                        std::int32_t limit_max, DeviceSpec* out) {
  if (unit != PerfUnit::kNormal && unit != PerfUnit::kKbps) {
    return Status::Error(EINVAL, name + ": unit must be normal or kbps");
  }
  if (limit_min > limit_max) {
    return Status::Error(EINVAL, name + ": limit_min " + std::to_string(limit_min) +
                                     " is above limit_max " + std::to_string(limit_max));
  }
  const std::int32_t low = 0, high = unit == PerfUnit::kNormal ? kPerfNormalMax : INT_MAX;
  for (auto [field, v] : {std::pair{"limit_min", limit_min}, std::pair{"limit_max", limit_max}}) {
    if (v < low || v > high) {
      return Status::Error(EINVAL, name + ": " + field + " " + std::to_string(v) +
                                       " out of range: allowed " + std::to_string(low) + ".." +
                                       std::to_string(high) + " for unit " + to_string(unit));
    }
  }
  *out = DeviceSpec{name, "perf", "", unit, {range_knob(to_string(unit), limit_min, limit_max)}};
  return Status::Ok();
}

}  // namespace perfqos
