#include "backends/knobs/runtime_pm_backend.h"

#include <cerrno>

namespace perfqos::backends {

RuntimePmBackend::RuntimePmBackend(std::shared_ptr<SysfsRoot> root,
                                   std::shared_ptr<KnobJournal> journal, std::string path)
    : file_(std::move(root), std::move(journal), std::move(path)) {}

Status RuntimePmBackend::apply_value(const Device&, KnobId knob, std::int32_t value) {
  if (knob != KnobId::kFlags) {
    return Status::Error(EINVAL,
                         file_.path() + ": only flags can be applied here, not " + knob_name(knob));
  }
  if (!original_) {
    std::string text;
    if (Status s = file_.read(&text); !s.ok()) return s;
    original_ = text;
  }
  return file_.write((value & kFlagNoPowerOff) ? "on" : *original_);
}

Status RuntimePmBackend::apply_range(const Device&, KnobId, Range) {
  return Status::Error(EINVAL, file_.path() + ": flags have no range");
}

}  // namespace perfqos::backends
