#include "backends/knobs/rapl_backend.h"

#include <algorithm>
#include <cerrno>

namespace perfqos::backends {

RaplBackend::RaplBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                         const std::string& zone_dir, Range limits)
    : file_(std::move(root), std::move(journal), zone_dir + "/constraint_0_power_limit_uw"),
      limits_(limits) {}

Status RaplBackend::apply_value(const Device&, KnobId knob, std::int32_t) {
  return Status::Error(EINVAL,
                       file_.path() + ": a power cap has only a range, not " + knob_name(knob));
}

Status RaplBackend::apply_range(const Device&, KnobId, Range range) {
  if (!original_uw_) {
    long long v = 0;
    if (Status s = file_.read_int(&v); !s.ok()) return s;
    original_uw_ = v;
    written_uw_ = v;
  }
  long long uw;
  if (range.max < limits_.max) {
    uw = static_cast<long long>(std::max(range.max, limits_.min)) * 1000;
  } else {
    uw = std::max(*original_uw_, static_cast<long long>(range.min) * 1000);
  }
  if (written_uw_ == uw) return Status::Ok();
  Status s = file_.write(std::to_string(uw));
  if (s.ok()) {
    written_uw_ = uw;
  } else {
    written_uw_.reset();
  }
  return s;
}

}  // namespace perfqos::backends
