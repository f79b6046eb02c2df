// libFuzzer target: the perf_qos/<device> ioctl argument path (src/frontends/fuse/perf_qos_node.h),
// driven as the FUSE handler drives it, with a model PerfQosHandle per open file behind it.
//
// Input: a device header, then records until the input runs out.
//   header   u8 unit, s32 limit_min, s32 limit_max (little-endian): the perf device's spec
//   record   u8 op, then
//              op % 4 < 3:   open file (op % 4) does an ioctl: u32 cmd (little-endian), and for
//                            a SET the cmd's size bytes of argument;
//              op % 4 == 3:  (op / 4) % 4 < 3: that file is closed and opened again;
//                            otherwise the device is unregistered.
//
// Properties:
//   - decode_perf_ioctl() accepts exactly the commands include/perfqos/perf_qos_ioctl.h lists:
//     the 16-byte ones, and the pointer-sized ones (8 or 4 bytes) where the answer fits; a
//     refused command leaves *out alone;
//   - a SET reads only the cmd's size bytes (its argument is a heap block of exactly that size,
//     so ASan sees any read past it); a GET writes exactly its size bytes (the guard bytes around
//     the answer stay intact) and the answer holds what the header says at the offsets it says,
//     zero elsewhere;
//   - every SET and GET through PerfQosHandle gives the status the RFC's per-file rules give (a
//     plain model of them, below), each file's own requests match the model, the effective range
//     is the model's aggregate, and the backend was last given that range.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "frontends/fuse/perf_qos_node.h"
#include "fuzz/fuzz_check.h"
#include "model/broker.h"
#include "model/device_specs.h"
#include "model/perf_qos_handle.h"
#include "perfqos/perf_qos_ioctl.h"

namespace {

using perfqos::Broker;
using perfqos::PerfQosHandle;
using perfqos::PerfUnit;
using perfqos::Range;
using perfqos::RangeEnd;
using perfqos::Status;
using perfqos::daemon::PerfIoctl;
using perfqos::daemon::PerfIoctlOp;

// The layout the header's ABI fixes.
static_assert(offsetof(perf_qos_ioctl_arg, value) == 0 &&
              offsetof(perf_qos_ioctl_arg, limit_min) == 4 &&
              offsetof(perf_qos_ioctl_arg, limit_max) == 8 &&
              offsetof(perf_qos_ioctl_arg, unit) == 12 && sizeof(perf_qos_ioctl_arg) == 16);

struct Command {
  unsigned int cmd;
  PerfIoctlOp op;
  std::size_t size;
  bool pointer_sized;
};

// Every command the header accepts. The 4-byte forms are what a 32-bit process sends for the
// RFC's pointer encoding; GET_LIMITS has none (its answer needs 8 bytes).
constexpr Command kAccepted[] = {
    {PERF_QOS_IOC_SET_MIN, PerfIoctlOp::kSetMin, 16, false},
    {PERF_QOS_IOC_GET_MIN, PerfIoctlOp::kGetMin, 16, false},
    {PERF_QOS_IOC_SET_MAX, PerfIoctlOp::kSetMax, 16, false},
    {PERF_QOS_IOC_GET_MAX, PerfIoctlOp::kGetMax, 16, false},
    {PERF_QOS_IOC_GET_UNIT, PerfIoctlOp::kGetUnit, 16, false},
    {PERF_QOS_IOC_GET_LIMITS, PerfIoctlOp::kGetLimits, 16, false},
    {PERF_QOS_IOC_GET_EFFECTIVE_MIN, PerfIoctlOp::kGetEffectiveMin, 16, false},
    {PERF_QOS_IOC_GET_EFFECTIVE_MAX, PerfIoctlOp::kGetEffectiveMax, 16, false},
    {PERF_QOS_IOC_RFC_SET_MIN, PerfIoctlOp::kSetMin, 8, true},
    {PERF_QOS_IOC_RFC_GET_MIN, PerfIoctlOp::kGetMin, 8, true},
    {PERF_QOS_IOC_RFC_SET_MAX, PerfIoctlOp::kSetMax, 8, true},
    {PERF_QOS_IOC_RFC_GET_MAX, PerfIoctlOp::kGetMax, 8, true},
    {PERF_QOS_IOC_RFC_GET_UNIT, PerfIoctlOp::kGetUnit, 8, true},
    {PERF_QOS_IOC_RFC_GET_LIMITS, PerfIoctlOp::kGetLimits, 8, true},
    {_IOR('P', PERF_QOS_IOC_GET_EFFECTIVE_MIN_CMD, std::uint64_t), PerfIoctlOp::kGetEffectiveMin, 8,
     true},
    {_IOR('P', PERF_QOS_IOC_GET_EFFECTIVE_MAX_CMD, std::uint64_t), PerfIoctlOp::kGetEffectiveMax, 8,
     true},
    {_IOW('P', PERF_QOS_IOC_SET_MIN_CMD, std::uint32_t), PerfIoctlOp::kSetMin, 4, true},
    {_IOR('P', PERF_QOS_IOC_GET_MIN_CMD, std::uint32_t), PerfIoctlOp::kGetMin, 4, true},
    {_IOW('P', PERF_QOS_IOC_SET_MAX_CMD, std::uint32_t), PerfIoctlOp::kSetMax, 4, true},
    {_IOR('P', PERF_QOS_IOC_GET_MAX_CMD, std::uint32_t), PerfIoctlOp::kGetMax, 4, true},
    {_IOR('P', PERF_QOS_IOC_GET_UNIT_CMD, std::uint32_t), PerfIoctlOp::kGetUnit, 4, true},
    {_IOR('P', PERF_QOS_IOC_GET_EFFECTIVE_MIN_CMD, std::uint32_t), PerfIoctlOp::kGetEffectiveMin, 4,
     true},
    {_IOR('P', PERF_QOS_IOC_GET_EFFECTIVE_MAX_CMD, std::uint32_t), PerfIoctlOp::kGetEffectiveMax, 4,
     true},
};

const Command* accepted(unsigned int cmd) {
  for (const Command& c : kAccepted) {
    if (c.cmd == cmd) return &c;
  }
  return nullptr;
}

// The RFC's per-file rules (src/model/perf_qos_handle.h), as plainly as they read.
struct Model {
  static constexpr int kFiles = 3;
  Range limits;
  bool gone = false;
  std::optional<std::int32_t> own[kFiles][2];  // [file][RangeEnd]

  static int at(RangeEnd end) { return end == RangeEnd::kMin ? 0 : 1; }

  int set(int file, RangeEnd end, std::int32_t value) {
    std::optional<std::int32_t>& mine = own[file][at(end)];
    if (gone) return ENODEV;
    if (value < limits.min || value > limits.max) return EINVAL;
    if (mine == value) return EALREADY;
    if (value == (end == RangeEnd::kMin ? limits.min : limits.max)) {
      if (!mine) return EINVAL;
      mine.reset();
      return 0;
    }
    mine = value;
    return 0;
  }
  bool any(RangeEnd end) const {
    for (const auto& file : own) {
      if (file[at(end)]) return true;
    }
    return false;
  }
  Range effective() const {
    Range r = limits;
    for (const auto& file : own) {
      if (file[0] && *file[0] > r.min) r.min = *file[0];
      if (file[1] && *file[1] < r.max) r.max = *file[1];
    }
    if (r.min > r.max) r.min = r.max;
    return r;
  }
};

// The perf device's hardware: remembers the last range it was given.
class LastRange : public perfqos::DeviceBackend {
 public:
  Status apply_value(const perfqos::Device&, perfqos::KnobId, std::int32_t) override {
    perfqos::fuzz::check_failed("apply_value() on a perf device, which has only a range knob",
                                __FILE__, __LINE__);
  }
  Status apply_range(const perfqos::Device&, perfqos::KnobId, Range range) override {
    last = range;
    return Status::Ok();
  }
  std::optional<Range> last;
};

class Input {
 public:
  explicit Input(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::optional<std::span<const std::uint8_t>> take(std::size_t n) {
    if (bytes_.size() < n) return std::nullopt;
    auto taken = bytes_.first(n);
    bytes_ = bytes_.subspan(n);
    return taken;
  }
  std::optional<std::uint32_t> u32() {
    auto b = take(4);
    if (!b) return std::nullopt;
    return std::uint32_t{(*b)[0]} | std::uint32_t{(*b)[1]} << 8 | std::uint32_t{(*b)[2]} << 16 |
           std::uint32_t{(*b)[3]} << 24;
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

constexpr const char* kDevice = "gpu";

// The broker with the device and its open files. Members are destroyed handles first, then
// holders, then the broker, as their REQUIRES lines ask.
struct World {
  Broker broker;
  std::shared_ptr<LastRange> backend = std::make_shared<LastRange>();
  std::unique_ptr<perfqos::Holder> holders[Model::kFiles];
  std::unique_ptr<PerfQosHandle> handles[Model::kFiles];
  Model model;

  void open(int file) {
    handles[file].reset();
    holders[file] = broker.make_holder({});
    handles[file] = std::make_unique<PerfQosHandle>(broker, *holders[file], kDevice);
    model.own[file][0].reset();
    model.own[file][1].reset();
  }

  void check_state() const {
    for (int f = 0; f < Model::kFiles; ++f) {
      FUZZ_CHECK(handles[f]->own(RangeEnd::kMin) == model.own[f][0]);
      FUZZ_CHECK(handles[f]->own(RangeEnd::kMax) == model.own[f][1]);
    }
    if (model.gone) return;
    Range effective;
    FUZZ_CHECK(handles[0]->effective(&effective).ok());
    const Range want = model.effective();
    FUZZ_CHECK_MSG(effective == want,
                   std::to_string(effective.min) + ".." + std::to_string(effective.max) +
                       " != " + std::to_string(want.min) + ".." + std::to_string(want.max));
    FUZZ_CHECK(backend->last.value_or(model.limits) == want);
  }
};

// The answer the header documents for a GET, byte by byte.
std::vector<std::uint8_t> expected_answer(const Command& c, const perfqos::daemon::PerfAnswer& a) {
  std::uint8_t bytes[16] = {};
  const auto put = [&](std::size_t offset, std::int32_t v) {
    std::memcpy(bytes + offset, &v, sizeof v);
  };
  switch (c.op) {
    case PerfIoctlOp::kGetMin:
    case PerfIoctlOp::kGetMax:
    case PerfIoctlOp::kGetEffectiveMin:
    case PerfIoctlOp::kGetEffectiveMax:
      put(0, a.value);
      break;
    case PerfIoctlOp::kGetUnit:
      put(c.pointer_sized ? 0 : 12, static_cast<std::int32_t>(a.unit));
      break;
    case PerfIoctlOp::kGetLimits:
      put(4, a.limits.min);
      put(c.pointer_sized ? 0 : 8, a.limits.max);
      break;
    case PerfIoctlOp::kSetMin:
    case PerfIoctlOp::kSetMax:
      break;
  }
  return std::vector<std::uint8_t>(bytes, bytes + c.size);
}

// encode_perf_answer() into a guard-bordered buffer: returns the bytes it wrote, after checking
// that it wrote nothing else.
std::vector<std::uint8_t> encode_guarded(const PerfIoctl& io,
                                         const perfqos::daemon::PerfAnswer& answer) {
  constexpr std::size_t kGuard = 32;
  constexpr std::uint8_t kPattern = 0xa5;
  std::vector<std::uint8_t> buffer(kGuard + io.size + kGuard, kPattern);
  const std::size_t n = perfqos::daemon::encode_perf_answer(io, answer, buffer.data() + kGuard);
  FUZZ_CHECK(n == (io.is_set() ? 0 : io.size));
  for (std::size_t i = 0; i < buffer.size(); ++i) {
    if (i < kGuard || i >= kGuard + n) FUZZ_CHECK(buffer[i] == kPattern);
  }
  return std::vector<std::uint8_t>(buffer.begin() + kGuard, buffer.begin() + kGuard + n);
}

RangeEnd end_of(PerfIoctlOp op) {
  const bool min = op == PerfIoctlOp::kSetMin || op == PerfIoctlOp::kGetMin ||
                   op == PerfIoctlOp::kGetEffectiveMin;
  return min ? RangeEnd::kMin : RangeEnd::kMax;
}

// One ioctl by open file `file`. False when the input ran out.
bool ioctl(World& w, int file, Input& in) {
  const std::optional<std::uint32_t> cmd = in.u32();
  if (!cmd) return false;
  const Command* want = accepted(*cmd);
  PerfIoctl io;
  io.size = 12345;  // a refusal must leave it
  const int rc = perfqos::daemon::decode_perf_ioctl(*cmd, &io);
  if (want == nullptr) {
    FUZZ_CHECK(rc == ENOTTY);
    FUZZ_CHECK(io.size == 12345);
    return true;
  }
  FUZZ_CHECK(rc == 0);
  FUZZ_CHECK(io.op == want->op && io.size == want->size && io.pointer_sized == want->pointer_sized);

  PerfQosHandle& handle = *w.handles[file];
  const RangeEnd end = end_of(io.op);
  if (io.is_set()) {
    const auto arg_bytes = in.take(io.size);
    if (!arg_bytes) return false;
    // Exactly the bytes the kernel hands over: a read past them is an ASan report.
    const auto arg = std::make_unique<std::uint8_t[]>(io.size);
    std::memcpy(arg.get(), arg_bytes->data(), io.size);
    const std::int32_t value = perfqos::daemon::perf_ioctl_value(arg.get(), io.size);
    std::int32_t first;
    std::memcpy(&first, arg_bytes->data(), sizeof first);
    FUZZ_CHECK(value == first);
    const Status s = handle.set(end, value);
    const int model_rc = w.model.set(file, end, value);
    FUZZ_CHECK_MSG(s.code() == model_rc, std::to_string(s.code()) + " != " +
                                             std::to_string(model_rc) + ": " + s.message());
    FUZZ_CHECK(encode_guarded(io, {}).empty());
    return true;
  }

  perfqos::daemon::PerfAnswer answer;
  Status s;
  int model_rc = w.model.gone ? ENODEV : 0;
  switch (io.op) {
    case PerfIoctlOp::kGetMin:
    case PerfIoctlOp::kGetMax:
      s = handle.get(end, &answer.value);
      if (model_rc == 0 && !w.model.any(end)) model_rc = ENODATA;
      if (s.ok()) {
        const Range r = w.model.effective();
        FUZZ_CHECK(answer.value == (end == RangeEnd::kMin ? r.min : r.max));
      }
      break;
    case PerfIoctlOp::kGetEffectiveMin:
    case PerfIoctlOp::kGetEffectiveMax: {
      Range r;
      s = handle.effective(&r);
      answer.value = end == RangeEnd::kMin ? r.min : r.max;
      break;
    }
    case PerfIoctlOp::kGetUnit:
    case PerfIoctlOp::kGetLimits:
      s = handle.limits(&answer.limits, &answer.unit);
      FUZZ_CHECK(!s.ok() || answer.limits == w.model.limits);
      break;
    case PerfIoctlOp::kSetMin:
    case PerfIoctlOp::kSetMax:
      break;
  }
  FUZZ_CHECK_MSG(s.code() == model_rc,
                 std::to_string(s.code()) + " != " + std::to_string(model_rc) + ": " + s.message());
  if (s.ok()) FUZZ_CHECK(encode_guarded(io, answer) == expected_answer(*want, answer));
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(std::span<const std::uint8_t>(data, size));
  const auto unit = in.take(1);
  const auto limit_min = in.u32(), limit_max = in.u32();
  if (!unit || !limit_min || !limit_max) return 0;

  World w;
  w.model.limits =
      Range{static_cast<std::int32_t>(*limit_min), static_cast<std::int32_t>(*limit_max)};
  const auto perf_unit = static_cast<PerfUnit>((*unit)[0]);
  perfqos::DeviceSpec spec;
  const Status made =
      perfqos::perf_device_spec(kDevice, perf_unit, w.model.limits.min, w.model.limits.max, &spec);
  const std::int32_t high = perf_unit == PerfUnit::kNormal ? perfqos::kPerfNormalMax : INT32_MAX;
  const bool valid = (perf_unit == PerfUnit::kNormal || perf_unit == PerfUnit::kKbps) &&
                     0 <= w.model.limits.min && w.model.limits.min <= w.model.limits.max &&
                     w.model.limits.max <= high;
  FUZZ_CHECK_MSG(made.ok() == valid, made.message());
  if (!made.ok()) return 0;
  const Status registered = w.broker.register_device(spec, w.backend);
  FUZZ_CHECK_MSG(registered.ok(), registered.message());
  for (int f = 0; f < Model::kFiles; ++f) w.open(f);

  for (std::optional<std::span<const std::uint8_t>> op; (op = in.take(1));) {
    const int who = (*op)[0] % 4, which = ((*op)[0] / 4) % 4;
    if (who < Model::kFiles) {
      if (!ioctl(w, who, in)) break;
    } else if (which < Model::kFiles) {
      w.open(which);
    } else if (!w.model.gone) {
      FUZZ_CHECK(w.broker.unregister_device(kDevice).ok());
      w.model.gone = true;
      for (auto& file : w.model.own) {
        file[0].reset();
        file[1].reset();
      }
    }
    w.check_state();
  }
  return 0;
}
