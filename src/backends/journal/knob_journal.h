// KnobJournal: where backends record a knob file's original value before they first write it
// (DESIGN §7), so that a clean exit, or the next start after a crash, can put it back.
//
// The backends depend on this interface only; the daemon provides the durable implementation
// (src/backends/journal/restore_journal.h). A backend with no journal (null) writes without
// recording.
//
// Thread safety: as the backends: the thread that owns the model.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace perfqos::backends {

class KnobJournal {
 public:
  virtual ~KnobJournal() = default;

  // True when an original value for the file `path` is already recorded (by this run or by a
  // run that did not exit cleanly): the backend must not record it again.
  virtual bool recorded(std::string_view path) const = 0;
  // The original recorded for the one-valued knob file `path` (not a range end): what a backend
  // made again for a device that discovery re-registered must start from, since the file now
  // holds what perfqos wrote. False when none is recorded.
  virtual bool original_of(std::string_view path, std::string* original) const {
    (void)path;
    (void)original;
    return false;
  }
  // Records the original value of one knob file, durably, before returning. An error means
  // the caller must not write the knob.
  virtual Status record_value(std::string_view path, std::string_view original) = 0;
  // Records the two ends of a range knob (e.g. scaling_min_freq, scaling_max_freq); they are
  // restored together, in an order the kernel accepts (see restore_range_order()).
  virtual Status record_range(std::string_view min_path, std::string_view min_original,
                              std::string_view max_path, std::string_view max_original) = 0;
};

}  // namespace perfqos::backends
