// RestoreJournal: the durable record of every knob file's original value (DESIGN §7), the
// daemon's implementation of backends::KnobJournal.
//
// File: <state_dir>/restore.journal (state_dir default /run/perfqos). Text, one entry per line,
// fields separated by one space:
//
//   perfqos-restore-journal 1                          header (first line)
//   value <path> <original>                            one knob file
//   range <min_path> <min_original> <max_path> <max_original>
//                                                      the two ends of a range knob
//
// Paths are as the backends' SysfsRoot sees them ("/sys/devices/..."); originals are the file's
// contents as read, trimmed. In both, '%', bytes <= 0x20 and 0x7f are written %XX (two hex
// digits); an empty field is written "%-". Lines that do not parse (unknown keyword, wrong field
// count, bad escape, a path that is not a knob path: daemon/knob_path.h) are reported through
// the log callback and skipped; a missing or unknown header is reported and the lines are still
// read.
//
// Trust (DESIGN §10): the state directory is checked by StateDir (a real directory of the
// daemon's euid, no group or other write) and the file by read_journal_file (a regular file of
// that euid, no group or other write, bounded size; never a link or a FIFO). A journal that
// fails either check makes open() fail: perfqosd then does not start, and the file stays as it
// is for an administrator to look at. Starting anyway would overwrite it with the first knob
// write, losing the only record of the originals if it was genuine, and trusting it is what
// the checks exist to avoid. Only the daemon's euid can put such a file in a checked directory,
// so no other user can stop the daemon this way. A restore writes only the file an entry's path
// resolves to under the sysfs root's /sys or /dev (resolve_knob_path); other entries are
// logged and dropped.
//
// Every change is made durable before record_*() returns: the whole journal is written to
// restore.journal.tmp (created afresh, never through a planted link), fsync'ed, renamed over
// restore.journal, and the directory fsync'ed (write_journal_file).
//
// Life cycle in the daemon:
//   0. the daemon holds the state directory's InstanceLock (only one daemon uses a journal).
//   1. open() at start; it loads a journal a crashed run left behind.
//   2. restore() before discovery and before serving: puts those originals back.
//   3. discovery; backends get the journal (shared_ptr) and record before their first write.
//   4. at clean exit, after the last backend write (holders and the Broker gone): restore().
//
// Thread safety: one thread (the one that owns the model).
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backends/journal/journal_io.h"
#include "backends/journal/knob_journal.h"
#include "backends/journal/state_dir.h"
#include "backends/sysfs.h"
#include "util/status.h"

namespace perfqos::daemon {

inline constexpr char kDefaultStateDir[] = "/run/perfqos";
inline constexpr char kJournalFileName[] = "restore.journal";

// One journal line.
struct JournalEntry {
  bool range = false;
  std::string path;  // the knob file, or a range's min file
  std::string original;
  std::string max_path;  // range only
  std::string max_original;
  bool operator==(const JournalEntry&) const = default;
};

using JournalLog = std::function<void(std::string_view message)>;

// The journal text for `entries` (header included).
std::string format_journal(const std::vector<JournalEntry>& entries);
// The entries of a journal text; corrupt lines are reported to `log` (which may be empty) with
// their line number, and skipped.
std::vector<JournalEntry> parse_journal(std::string_view text, const JournalLog& log);

class RestoreJournal final : public backends::KnobJournal {
 public:
  // Opens the journal in `state_dir` (StateDir::open: created 0700 if missing, refused unless
  // trusted), and loads a journal left there by a run that did not exit cleanly: its entries
  // count as recorded (they hold the true originals) until restore(). `log` receives one line
  // per skipped or failed entry and per restored leftover; it may be empty.
  // Errors: those of StateDir::open and read_journal_file (an untrusted journal: ELOOP, EPERM,
  // EFBIG); *out is then unchanged and nothing was written.
  static Status open(std::shared_ptr<backends::SysfsRoot> root, std::string state_dir,
                     JournalLog log, std::shared_ptr<RestoreJournal>* out);
  // The same in a StateDir the caller already opened (the daemon, which locked it): the
  // journal is read and written through that descriptor, with `io`'s calls (null: the
  // system's). REQUIRES: dir is not null; io, if given, outlives the journal.
  static Status open(std::shared_ptr<backends::SysfsRoot> root, std::shared_ptr<const StateDir> dir,
                     JournalLog log, std::shared_ptr<RestoreJournal>* out, JournalIo* io = nullptr);

  RestoreJournal(const RestoreJournal&) = delete;
  RestoreJournal& operator=(const RestoreJournal&) = delete;

  // Writes every recorded original back, newest entry first, each to the file its path resolves
  // to (resolve_knob_path; an entry that leads out of /sys and /dev is logged and dropped);
  // a range's two ends go in an order
  // the kernel accepts (backends::restore_range_order, from the files' current max), and the
  // other order is tried if that fails. Then the journal file is removed.
  // A knob whose file vanished (ENOENT, ENODEV) is logged and dropped. A knob whose write fails
  // otherwise is logged and stays in the journal for the next start. Returns the first such
  // failure (ok when every entry was restored or had vanished).
  Status restore();

  const std::vector<JournalEntry>& entries() const { return entries_; }
  // <state_dir>/restore.journal.
  const std::string& path() const { return path_; }

  bool recorded(std::string_view path) const override;
  bool original_of(std::string_view path, std::string* original) const override;
  // Both record_*: EINVAL when a path is not a knob path (check_knob_path), else persist's.
  Status record_value(std::string_view path, std::string_view original) override;
  Status record_range(std::string_view min_path, std::string_view min_original,
                      std::string_view max_path, std::string_view max_original) override;

 private:
  RestoreJournal(std::shared_ptr<backends::SysfsRoot> root, std::shared_ptr<const StateDir> dir,
                 JournalLog log, JournalIo& io);
  Status add(JournalEntry entry);
  // Makes the file match entries_ (removes it when there are none).
  Status persist();
  // Restores one entry whose paths are resolved; returns ok, a vanished status
  // (ENOENT/ENODEV), or the failure.
  Status restore_entry(const JournalEntry& entry);
  void say(const std::string& message) const;

  std::shared_ptr<backends::SysfsRoot> root_;
  std::shared_ptr<const StateDir> dir_;
  JournalIo& io_;
  std::string path_;
  JournalLog log_;
  std::vector<JournalEntry> entries_;  // oldest first
  std::set<std::string, std::less<>> paths_;
};

}  // namespace perfqos::daemon
