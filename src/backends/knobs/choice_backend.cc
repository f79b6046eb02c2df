#include "backends/knobs/choice_backend.h"

#include <algorithm>
#include <cerrno>

namespace perfqos::backends {

ChoiceBackend::ChoiceBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                             std::string path, KnobId knob, std::vector<std::string> choices)
    : file_(std::move(root), std::move(journal), std::move(path)),
      knob_(knob),
      choices_(std::move(choices)) {}

Status ChoiceBackend::apply_value(const Device&, KnobId knob, std::int32_t) {
  return Status::Error(EINVAL, file_.path() + ": holds a named range, not " + knob_name(knob));
}

Status ChoiceBackend::read_original() {
  if (original_) return Status::Ok();
  std::string text;
  // A journaled original is the truth: after a rescan re-made this backend, the file holds
  // what perfqos wrote, not what the system had.
  if (file_.journal() == nullptr || !file_.journal()->original_of(file_.path(), &text)) {
    if (Status s = file_.read(&text); !s.ok()) return s;
  }
  original_ = std::string(trim(text));
  const auto it = std::find(choices_.begin(), choices_.end(), *original_);
  if (it != choices_.end()) original_at_ = static_cast<std::int32_t>(it - choices_.begin());
  return Status::Ok();
}

std::string ChoiceBackend::target_of(Range range) const {
  const Range limits{0, static_cast<std::int32_t>(choices_.size()) - 1};
  range.min = std::clamp(range.min, limits.min, limits.max);
  range.max = std::clamp(range.max, range.min, limits.max);
  if (range == limits) return *original_;
  if (original_at_) return choices_[std::clamp(*original_at_, range.min, range.max)];
  return choices_[range.min > limits.min ? range.min : range.max];
}

Status ChoiceBackend::apply_range(const Device&, KnobId knob, Range range) {
  if (knob != knob_) {
    return Status::Error(EINVAL, file_.path() + ": holds " + knob_name(knob_) + ", not " +
                                     knob_name(knob));
  }
  if (choices_.empty()) return Status::Error(EINVAL, file_.path() + ": no choices");
  if (Status s = read_original(); !s.ok()) return s;
  const std::string word = target_of(range);
  if (word == written_) return Status::Ok();
  if (Status s = file_.write(word); !s.ok()) {
    written_.clear();  // unknown now: write again next time
    return s;
  }
  written_ = word;
  return Status::Ok();
}

}  // namespace perfqos::backends
