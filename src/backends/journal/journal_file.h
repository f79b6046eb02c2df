// The restore journal's file access, in one place and through JournalIo (journal_io.h, the
// journal's SysfsRoot: a test can make any call fail): reading a journal only when it can be
// trusted, and replacing it atomically without following anything planted at the temp path.
//
// Trust (DESIGN §10): the file is opened O_NOFOLLOW | O_NONBLOCK (a symbolic link is refused,
// a FIFO never blocks the start) and fstat'ed: it must be a regular file owned by the daemon's
// euid, not writable by group or others, and at most kMaxJournalBytes long.
//
// Every name is relative to a checked StateDir's descriptor (openat and friends).
//
// Thread safety: none (the thread that owns the model).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "backends/journal/journal_io.h"
#include "backends/journal/state_dir.h"
#include "util/status.h"

namespace perfqos::daemon {

// Far above any real journal (one short line per knob file) and small enough to read at start.
inline constexpr std::size_t kMaxJournalBytes = 1 << 20;

// Reads `dir`/`name` into *text. A missing file is ok with *exists = false.
// Errors (nothing read, message naming the file and why it is refused):
//   ELOOP: a symbolic link; EPERM: not a regular file, owned by another uid or writable by group
//   or others; EFBIG: longer than kMaxJournalBytes; otherwise the errno of open or read.
Status read_journal_file(const StateDir& dir, const std::string& name, std::string* text,
                         bool* exists, JournalIo& io = system_journal_io());

// Replaces `dir`/`name` with `text` durably: written to `name`.tmp (whatever was at that name
// first removed, never followed: O_CREAT | O_EXCL | O_NOFOLLOW), fsync'ed, renamed over `name`,
// and the directory fsync'ed. Errors: the errno of the failing call; `name` is then unchanged.
Status write_journal_file(const StateDir& dir, const std::string& name, std::string_view text,
                          JournalIo& io = system_journal_io());

// Removes `dir`/`name` (a missing file is ok) and fsyncs the directory.
Status remove_journal_file(const StateDir& dir, const std::string& name,
                           JournalIo& io = system_journal_io());

}  // namespace perfqos::daemon
