#include "frontends/fuse/perf_qos_node.h"

#include <cerrno>
#include <cstring>

#include "perfqos/perf_qos_ioctl.h"

namespace perfqos::daemon {

namespace {
constexpr std::size_t kArgSize = sizeof(struct perf_qos_ioctl_arg);
static_assert(kArgSize == 16, "struct perf_qos_ioctl_arg is part of the ABI");
static_assert(PERF_QOS_UNIT_NORMAL == static_cast<int>(PerfUnit::kNormal) &&
                  PERF_QOS_UNIT_KBPS == static_cast<int>(PerfUnit::kKbps),
              "PerfUnit numbers the units as the ABI does");

// The smallest prefix of the structure that carries the answer of `op` when a pointer-sized
// encoding moves the unit and limit_max into `value`.
std::size_t pointer_sized_need(PerfIoctlOp op) {
  return op == PerfIoctlOp::kGetLimits ? 2 * sizeof(int) : sizeof(int);
}
}  // namespace

int decode_perf_ioctl(unsigned int cmd, PerfIoctl* out) {
  if (_IOC_TYPE(cmd) != PERF_QOS_IOCTL_TYPE) return ENOTTY;
  const unsigned nr = _IOC_NR(cmd);
  if (nr >= PERF_QOS_IOC_MAX_CMD) return ENOTTY;
  PerfIoctl decoded;
  decoded.op = static_cast<PerfIoctlOp>(nr);
  const unsigned want_dir = decoded.is_set() ? _IOC_WRITE : _IOC_READ;
  if (_IOC_DIR(cmd) != want_dir) return ENOTTY;
  decoded.size = _IOC_SIZE(cmd);
  if (decoded.size != kArgSize) {
    if (decoded.size != 8 && decoded.size != 4) return ENOTTY;
    if (decoded.size < pointer_sized_need(decoded.op)) return ENOTTY;
    decoded.pointer_sized = true;
  }
  *out = decoded;
  return 0;
}

std::int32_t perf_ioctl_value(const void* in, std::size_t /*in_size*/) {
  std::int32_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}

std::size_t encode_perf_answer(const PerfIoctl& cmd, const PerfAnswer& answer, void* out) {
  struct perf_qos_ioctl_arg arg;
  std::memset(&arg, 0, sizeof arg);
  switch (cmd.op) {
    case PerfIoctlOp::kGetMin:
    case PerfIoctlOp::kGetMax:
    case PerfIoctlOp::kGetEffectiveMin:
    case PerfIoctlOp::kGetEffectiveMax:
      arg.value = answer.value;
      break;
    case PerfIoctlOp::kGetUnit:
      if (cmd.pointer_sized) {
        arg.value = static_cast<int>(answer.unit);
      } else {
        arg.unit = static_cast<perf_qos_unit_t>(answer.unit);
      }
      break;
    case PerfIoctlOp::kGetLimits:
      arg.limit_min = answer.limits.min;
      if (cmd.pointer_sized) {
        arg.value = answer.limits.max;
      } else {
        arg.limit_max = answer.limits.max;
      }
      break;
    case PerfIoctlOp::kSetMin:
    case PerfIoctlOp::kSetMax:
      return 0;
  }
  const std::size_t n = std::min(cmd.size, sizeof arg);
  std::memcpy(out, &arg, n);
  return n;
}

std::string perf_node_summary(Range effective, Range limits, PerfUnit unit) {
  return "min " + std::to_string(effective.min) + " max " + std::to_string(effective.max) +
         " limits " + std::to_string(limits.min) + ".." + std::to_string(limits.max) + " unit " +
         to_string(unit) + "\n";
}

}  // namespace perfqos::daemon
