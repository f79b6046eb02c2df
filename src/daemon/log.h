// Logger: one line per event that matters, to stderr, with a level threshold (--log-level).
// Lines look like "perfqosd[1234]: info: client pid 55 (player) connected".
//
// Thread safety: log() may be called from any thread (one write(2) per line).
#pragma once

#include <atomic>
#include <string>
#include <string_view>

namespace perfqos::daemon {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

// "error", "warning", "info", "debug" -> level; false for anything else.
bool parse_log_level(std::string_view text, LogLevel* level);

class Logger {
 public:
  explicit Logger(LogLevel threshold = LogLevel::kInfo) : threshold_(threshold) {}
  bool enabled(LogLevel level) const { return level <= threshold_.load(std::memory_order_relaxed); }
  void log(LogLevel level, std::string_view message) const;

  void error(std::string_view m) const { log(LogLevel::kError, m); }
  void warning(std::string_view m) const { log(LogLevel::kWarning, m); }
  void info(std::string_view m) const { log(LogLevel::kInfo, m); }
  void debug(std::string_view m) const { log(LogLevel::kDebug, m); }

 private:
  std::atomic<LogLevel> threshold_;
};

}  // namespace perfqos::daemon
