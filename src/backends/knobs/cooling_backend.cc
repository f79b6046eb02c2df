#include "backends/knobs/cooling_backend.h"

#include <algorithm>
#include <cerrno>

namespace perfqos::backends {

std::int32_t cooling_state_for(Range range, std::int32_t max_state) {
  const std::int64_t cap = std::clamp<std::int64_t>(range.max, 0, kPerfNormalMax);
  const std::int64_t num = (kPerfNormalMax - cap) * max_state;
  const std::int64_t s = (num + kPerfNormalMax - 1) / kPerfNormalMax;  // ceil
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(s, 0, max_state));
}

CoolingBackend::CoolingBackend(std::shared_ptr<SysfsRoot> root,
                               std::shared_ptr<KnobJournal> journal, const std::string& cooling_dir,
                               std::int32_t max_state)
    : file_(std::move(root), std::move(journal), cooling_dir + "/cur_state"),
      max_state_(max_state) {}

Status CoolingBackend::apply_value(const Device&, KnobId knob, std::int32_t) {
  return Status::Error(
      EINVAL, file_.path() + ": a cooling device has only a range, not " + knob_name(knob));
}

Status CoolingBackend::apply_range(const Device&, KnobId, Range range) {
  const std::int32_t state = cooling_state_for(range, max_state_);
  if (written_ == state) return Status::Ok();
  Status s = file_.write(std::to_string(state));
  if (s.ok()) {
    written_ = state;
  } else {
    written_.reset();
  }
  return s;
}

}  // namespace perfqos::backends
