#include "daemon/log.h"

#include <unistd.h>

namespace perfqos::daemon {

bool parse_log_level(std::string_view text, LogLevel* level) {
  static constexpr std::pair<std::string_view, LogLevel> kNames[] = {
      {"error", LogLevel::kError},
      {"warning", LogLevel::kWarning},
      {"info", LogLevel::kInfo},
      {"debug", LogLevel::kDebug},
  };
  for (const auto& [name, value] : kNames) {
    if (text == name) {
      *level = value;
      return true;
    }
  }
  return false;
}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  static constexpr const char* kLevelNames[] = {"error", "warning", "info", "debug"};
  std::string line = "perfqosd[" + std::to_string(::getpid()) + "]: ";
  line += kLevelNames[static_cast<int>(level)];
  line += ": ";
  line += message;
  line += '\n';
  // One write per line so that lines from different threads do not interleave.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace perfqos::daemon
