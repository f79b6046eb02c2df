// Logger: one line per event that matters, to stderr, with a level threshold (--log-level).
// Lines look like "perfqosd[1234]: info: client pid 55 (player) connected". When stderr is the
// systemd journal (JOURNAL_STREAM names its device and inode, as systemd sets it for a stream
// it connected), lines are "<6>client pid 55 (player) connected" instead: the sd-daemon(3)
// priority prefix the journal turns into PRIORITY=, and no name or pid, which the journal
// records itself.
//
// Thread safety: log() may be called from any thread (one write(2) per line).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <string_view>

namespace perfqos::daemon {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

// "error", "warning", "info", "debug" -> level; false for anything else.
bool parse_log_level(std::string_view text, LogLevel* level);

// True when `journal_stream` (the value of $JOURNAL_STREAM, "DEVICE:INODE" in decimal; may be
// null) names the file open on `fd`. False on any mismatch, bad text or fstat error.
bool is_journal_stream(const char* journal_stream, int fd);

// One line, newline included: "<N>message" for the journal (N the syslog priority: error 3,
// warning 4, info 6, debug 7), else "perfqosd[PID]: LEVEL: message".
std::string format_log_line(LogLevel level, std::string_view message, bool journal, pid_t pid);

class Logger {
 public:
  // Reads $JOURNAL_STREAM once, here: the format does not change for the Logger's lifetime.
  explicit Logger(LogLevel threshold = LogLevel::kInfo);
  bool enabled(LogLevel level) const { return level <= threshold_.load(std::memory_order_relaxed); }
  void log(LogLevel level, std::string_view message) const;

  void error(std::string_view m) const { log(LogLevel::kError, m); }
  void warning(std::string_view m) const { log(LogLevel::kWarning, m); }
  void info(std::string_view m) const { log(LogLevel::kInfo, m); }
  void debug(std::string_view m) const { log(LogLevel::kDebug, m); }

 private:
  std::atomic<LogLevel> threshold_;
  bool journal_;
};

}  // namespace perfqos::daemon
