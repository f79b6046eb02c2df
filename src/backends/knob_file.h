// KnobFile and RangeFiles: the write path every sysfs backend shares. A write records the
// file's original value in the journal first (once per file), then writes the value with one
// write(2); a failure returns the errno with a message naming the file and the value.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "backends/journal/knob_journal.h"
#include "backends/sysfs.h"
#include "engine/range_constraint.h"
#include "util/status.h"

namespace perfqos::backends {

class KnobFile {
 public:
  // `journal` may be null (nothing recorded).
  KnobFile(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal, std::string path);

  const std::string& path() const { return path_; }
  SysfsRoot& root() const { return *root_; }
  KnobJournal* journal() const { return journal_.get(); }

  Status read(std::string* text) const;
  // The file as a decimal integer; EINVAL names the file and what it held.
  Status read_int(long long* value) const;
  // Journals the original value (first write only), then writes `value`.
  Status write(std::string_view value);

 private:
  std::shared_ptr<SysfsRoot> root_;
  std::shared_ptr<KnobJournal> journal_;
  std::string path_;
};

// Which end of a range to write first when moving from `current` to `target` (both
// min <= max): when the max rises, raise it before the min; otherwise lower the min before the
// max. Every intermediate state then keeps min <= max, which cpufreq and devfreq require.
// Returns true for "max first".
bool restore_range_order(long long current_max, long long target_max);

// A min/max pair of files in a unit that is `scale` times the knob's unit (devfreq: Hz files,
// kHz knob: scale 1000). Remembers what it last wrote so that only the end that changed is
// written; the first write reads the files.
class RangeFiles {
 public:
  RangeFiles(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
             std::string min_path, std::string max_path, std::int64_t scale = 1);

  // Writes `target` (knob units, min <= max): journal both originals as a pair first, then the
  // ends that changed, in the order of restore_range_order(). After a failure the files are
  // re-read on the next call.
  Status write(Range target);
  // The files as last read or written, in knob units (reads them if unknown).
  Status current(Range* range);

  const KnobFile& min_file() const { return min_; }

 private:
  Status journal_pair();
  Status write_end(KnobFile& file, std::int32_t value);

  KnobFile min_;
  KnobFile max_;
  std::int64_t scale_;
  bool known_ = false;
  Range current_;
};

}  // namespace perfqos::backends
