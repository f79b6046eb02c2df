#include "util/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

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

bool is_journal_stream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  const char* end = journal_stream + std::strlen(journal_stream);
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  auto [p, ec] = std::from_chars(journal_stream, end, dev);
  if (ec != std::errc() || p == end || *p != ':') return false;
  auto [q, ec2] = std::from_chars(p + 1, end, ino);
  if (ec2 != std::errc() || q != end || q == p + 1) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  // An inherited JOURNAL_STREAM whose stderr was redirected elsewhere (perfqosd 2>file under a
  // shell started by a service) names another file: then the plain format is right.
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string format_log_line(LogLevel level, std::string_view message, bool journal, pid_t pid) {
  static constexpr const char* kLevelNames[] = {"error", "warning", "info", "debug"};
  static constexpr char kPriorities[] = {'3', '4', '6', '7'};  // LOG_ERR ... LOG_DEBUG
  const int i = static_cast<int>(level);
  std::string line;
  if (journal) {
    line += '<';
    line += kPriorities[i];
    line += '>';
  } else {
    line += "perfqosd[";
    line += std::to_string(pid);
    line += "]: ";
    line += kLevelNames[i];
    line += ": ";
  }
  line += message;
  line += '\n';
  return line;
}

Logger::Logger(LogLevel threshold)
    : threshold_(threshold),
      journal_(is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO)) {}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  const std::string line = format_log_line(level, message, journal_, ::getpid());
  // One write per line so that lines from different threads do not interleave.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace perfqos::daemon
