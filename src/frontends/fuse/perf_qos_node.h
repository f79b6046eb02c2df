// The perf_qos/<device> nodes' ioctl commands (include/perfqos/perf_qos_ioctl.h) decoded and
// answered as pure functions, so the FUSE handler only moves bytes and calls PerfQosHandle.
//
// Decoding never trusts the caller's direction bits: a command is accepted only when its type is
// 'P', its number is known, its direction is exactly what the number needs (_IOW for SET, _IOR
// for GET) and its size is sizeof(struct perf_qos_ioctl_arg) or, for the RFC's encoding, the
// size of a pointer (8 or 4) where the answer fits (see the header). Anything else is ENOTTY.
// Only `size` bytes are ever read or written, and every byte written comes from a zeroed answer.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/range_constraint.h"
#include "model/device.h"

namespace perfqos::daemon {

enum class PerfIoctlOp : std::uint8_t {
  kSetMin,
  kGetMin,
  kSetMax,
  kGetMax,
  kGetUnit,
  kGetLimits,
  kGetEffectiveMin,
  kGetEffectiveMax,
};

struct PerfIoctl {
  PerfIoctlOp op = PerfIoctlOp::kGetUnit;
  std::size_t size = 0;        // bytes to read (SET) or write (GET)
  bool pointer_sized = false;  // the RFC's encoding
  bool is_set() const { return op == PerfIoctlOp::kSetMin || op == PerfIoctlOp::kSetMax; }
};

// 0 and *out, or ENOTTY.
int decode_perf_ioctl(unsigned int cmd, PerfIoctl* out);

// The value a SET carries: the first int of `in`. REQUIRES: in_size >= 4 (decode guarantees it).
std::int32_t perf_ioctl_value(const void* in, std::size_t in_size);

// What a GET answers; fields a command does not use are ignored.
struct PerfAnswer {
  std::int32_t value = 0;
  Range limits;
  PerfUnit unit = PerfUnit::kNormal;
};

// Writes the answer of `cmd` (a GET) to `out` (cmd.size bytes) and returns cmd.size.
std::size_t encode_perf_answer(const PerfIoctl& cmd, const PerfAnswer& answer, void* out);

// The text a read() returns: "min 300 max 1024 limits 0..1024 unit normal\n".
std::string perf_node_summary(Range effective, Range limits, PerfUnit unit);

}  // namespace perfqos::daemon
