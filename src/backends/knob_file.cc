#include "backends/knob_file.h"

#include <cerrno>
#include <climits>

namespace perfqos::backends {

KnobFile::KnobFile(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                   std::string path)
    : root_(std::move(root)), journal_(std::move(journal)), path_(std::move(path)) {}

Status KnobFile::read(std::string* text) const {
  return root_->read(path_, text);
}

Status KnobFile::read_int(long long* value) const {
  std::string text;
  if (Status s = read(&text); !s.ok()) return s;
  if (!parse_int64(text, value)) {
    return Status::Error(EINVAL, path_ + " holds '" + text + "', not a number");
  }
  return Status::Ok();
}

Status KnobFile::write(std::string_view value) {
  if (journal_ && !journal_->recorded(path_)) {
    std::string original;
    if (Status s = read(&original); !s.ok()) return s;
    if (Status s = journal_->record_value(path_, original); !s.ok()) {
      return Status::Error(s.code(), "not writing '" + std::string(value) + "' to " + path_ +
                                         ": journal: " + s.message());
    }
  }
  return root_->write(path_, value);
}

bool restore_range_order(long long current_max, long long target_max) {
  return target_max > current_max;
}

RangeFiles::RangeFiles(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                       std::string min_path, std::string max_path, std::int64_t scale)
    : min_(root, journal, std::move(min_path)),
      max_(std::move(root), std::move(journal), std::move(max_path)),
      scale_(scale) {}

Status RangeFiles::current(Range* range) {
  if (!known_) {
    long long lo = 0, hi = 0;
    if (Status s = min_.read_int(&lo); !s.ok()) return s;
    if (Status s = max_.read_int(&hi); !s.ok()) return s;
    auto knob_units = [this](long long v) {
      const long long k = v / scale_;
      return static_cast<std::int32_t>(k > INT_MAX ? INT_MAX : (k < INT_MIN ? INT_MIN : k));
    };
    current_ = Range{knob_units(lo), knob_units(hi)};
    known_ = true;
  }
  *range = current_;
  return Status::Ok();
}

Status RangeFiles::journal_pair() {
  KnobJournal* journal = min_.journal();
  if (journal == nullptr || (journal->recorded(min_.path()) && journal->recorded(max_.path()))) {
    return Status::Ok();
  }
  std::string lo, hi;
  if (Status s = min_.read(&lo); !s.ok()) return s;
  if (Status s = max_.read(&hi); !s.ok()) return s;
  if (Status s = journal->record_range(min_.path(), lo, max_.path(), hi); !s.ok()) {
    return Status::Error(
        s.code(), "not writing " + min_.path() + " / " + max_.path() + ": journal: " + s.message());
  }
  return Status::Ok();
}

Status RangeFiles::write_end(KnobFile& file, std::int32_t value) {
  // The journal already holds this file (journal_pair), so KnobFile::write records nothing.
  return file.write(std::to_string(static_cast<long long>(value) * scale_));
}

Status RangeFiles::write(Range target) {
  Range now;
  if (Status s = current(&now); !s.ok()) return s;
  if (Status s = journal_pair(); !s.ok()) return s;
  const bool min_changes = target.min != now.min, max_changes = target.max != now.max;
  auto step = [&](bool is_max) -> Status {
    KnobFile& file = is_max ? max_ : min_;
    const std::int32_t v = is_max ? target.max : target.min;
    Status s = write_end(file, v);
    if (!s.ok()) {
      known_ = false;  // the kernel may have taken part of it: read again next time
      return s;
    }
    (is_max ? current_.max : current_.min) = v;
    return s;
  };
  const bool max_first = restore_range_order(now.max, target.max);
  for (const bool is_max : {max_first, !max_first}) {
    if (!(is_max ? max_changes : min_changes)) continue;
    if (Status s = step(is_max); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace perfqos::backends
