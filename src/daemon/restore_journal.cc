#include "daemon/restore_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backends/knob_file.h"

namespace perfqos::daemon {

namespace {

constexpr std::string_view kHeader = "perfqos-restore-journal 1";

std::string escape(std::string_view field) {
  if (field.empty()) return "%-";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : field) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool unescape(std::string_view field, std::string* out) {
  out->clear();
  if (field == "%-") return true;
  if (field.empty()) return false;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '%') {
      out->push_back(field[i]);
      continue;
    }
    if (i + 2 >= field.size()) return false;
    const int hi = hex_digit(field[i + 1]), lo = hex_digit(field[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (start <= line.size()) {
    const auto space = line.find(' ', start);
    const auto end = space == std::string_view::npos ? line.size() : space;
    fields.push_back(line.substr(start, end - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return fields;
}

Status errno_status(int code, const std::string& what) {
  return Status::Error(code, what + ": " + backends::errno_text(code));
}

Status fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return errno_status(err, "fsync " + dir);
  return Status::Ok();
}

Status mkdir_p(const std::string& dir) {
  std::string partial;
  for (std::size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      partial = dir.substr(0, i);
      if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
        return errno_status(errno, "mkdir " + partial);
      }
    }
  }
  return Status::Ok();
}

bool vanished(int code) {
  return code == ENOENT || code == ENODEV;
}

}  // namespace

std::string format_journal(const std::vector<JournalEntry>& entries) {
  std::string text(kHeader);
  text += '\n';
  for (const JournalEntry& e : entries) {
    if (e.range) {
      text += "range " + escape(e.path) + ' ' + escape(e.original) + ' ' + escape(e.max_path) +
              ' ' + escape(e.max_original) + '\n';
    } else {
      text += "value " + escape(e.path) + ' ' + escape(e.original) + '\n';
    }
  }
  return text;
}

std::vector<JournalEntry> parse_journal(std::string_view text, const JournalLog& log) {
  auto report = [&](std::size_t line_no, const std::string& why) {
    if (log) log("restore journal line " + std::to_string(line_no) + ": " + why + ": skipped");
  };
  std::vector<JournalEntry> entries;
  std::size_t line_no = 0, start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (line_no == 1) {
      if (line != kHeader) report(1, "not the header '" + std::string(kHeader) + "'");
      if (line.starts_with("perfqos-restore-journal")) continue;
    }
    if (line.empty()) continue;
    const std::vector<std::string_view> f = split_spaces(line);
    JournalEntry e;
    bool ok = false;
    if (f[0] == "value" && f.size() == 3) {
      ok = unescape(f[1], &e.path) && unescape(f[2], &e.original);
    } else if (f[0] == "range" && f.size() == 5) {
      e.range = true;
      ok = unescape(f[1], &e.path) && unescape(f[2], &e.original) && unescape(f[3], &e.max_path) &&
           unescape(f[4], &e.max_original);
    } else {
      report(line_no, "not 'value PATH ORIGINAL' or 'range MIN_PATH MIN MAX_PATH MAX'");
      continue;
    }
    if (!ok || e.path.empty() || e.path[0] != '/' ||
        (e.range && (e.max_path.empty() || e.max_path[0] != '/'))) {
      report(line_no, "bad path or escape");
      continue;
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

RestoreJournal::RestoreJournal(std::shared_ptr<backends::SysfsRoot> root, std::string state_dir,
                               JournalLog log)
    : root_(std::move(root)),
      dir_(std::move(state_dir)),
      path_(dir_ + "/" + kJournalFileName),
      log_(std::move(log)) {}

void RestoreJournal::say(const std::string& message) const {
  if (log_) log_(message);
}

Status RestoreJournal::open(std::shared_ptr<backends::SysfsRoot> root, std::string state_dir,
                            JournalLog log, std::shared_ptr<RestoreJournal>* out) {
  if (Status s = mkdir_p(state_dir); !s.ok()) return s;
  std::shared_ptr<RestoreJournal> j(
      new RestoreJournal(std::move(root), std::move(state_dir), std::move(log)));
  const int fd = ::open(j->path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) return errno_status(errno, "open " + j->path_);
  if (fd >= 0) {
    std::string text;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        return errno_status(err, "read " + j->path_);
      }
      text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    for (JournalEntry& e : parse_journal(text, j->log_)) {
      if (j->paths_.contains(e.path) || (e.range && j->paths_.contains(e.max_path))) {
        j->say("restore journal: " + e.path + " given twice: the first original is kept");
        continue;
      }
      j->paths_.insert(e.path);
      if (e.range) j->paths_.insert(e.max_path);
      j->entries_.push_back(std::move(e));
    }
    j->say("restore journal " + j->path_ + " left by an earlier run: " +
           std::to_string(j->entries_.size()) + " knob(s) to restore");
  }
  *out = std::move(j);
  return Status::Ok();
}

bool RestoreJournal::recorded(std::string_view path) const {
  return paths_.contains(path);
}

Status RestoreJournal::add(JournalEntry entry) {
  entries_.push_back(std::move(entry));
  if (Status s = persist(); !s.ok()) {
    entries_.pop_back();
    return s;
  }
  const JournalEntry& e = entries_.back();
  paths_.insert(e.path);
  if (e.range) paths_.insert(e.max_path);
  return Status::Ok();
}

Status RestoreJournal::record_value(std::string_view path, std::string_view original) {
  if (recorded(path)) return Status::Ok();
  return add(JournalEntry{false, std::string(path), std::string(original), {}, {}});
}

Status RestoreJournal::record_range(std::string_view min_path, std::string_view min_original,
                                    std::string_view max_path, std::string_view max_original) {
  const bool have_min = recorded(min_path), have_max = recorded(max_path);
  if (!have_min && !have_max) {
    return add(JournalEntry{true, std::string(min_path), std::string(min_original),
                            std::string(max_path), std::string(max_original)});
  }
  // One end is already journaled (an older run's value entry): keep it, add the other.
  if (!have_min) return record_value(min_path, min_original);
  if (!have_max) return record_value(max_path, max_original);
  return Status::Ok();
}

Status RestoreJournal::persist() {
  if (entries_.empty()) {
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
      return errno_status(errno, "remove " + path_);
    }
    return fsync_dir(dir_);
  }
  const std::string tmp = path_ + ".tmp";
  const std::string text = format_journal(entries_);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status(errno, "create " + tmp);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return errno_status(err, "write " + tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return errno_status(err, "fsync " + tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_status(err, "rename " + tmp + " to " + path_);
  }
  return fsync_dir(dir_);
}

Status RestoreJournal::restore_entry(const JournalEntry& e) {
  if (!e.range) return root_->write(e.path, e.original);
  std::string now_max;
  if (Status s = root_->read(e.max_path, &now_max); !s.ok()) return s;
  long long current = 0, target = 0;
  bool max_first = false;
  if (backends::parse_int64(now_max, &current) && backends::parse_int64(e.max_original, &target))
    max_first = backends::restore_range_order(current, target);
  auto in_order = [&](bool max_end_first) -> Status {
    const std::string* order[2][2] = {{&e.path, &e.original}, {&e.max_path, &e.max_original}};
    const int first = max_end_first ? 1 : 0;
    if (Status s = root_->write(*order[first][0], *order[first][1]); !s.ok()) return s;
    return root_->write(*order[1 - first][0], *order[1 - first][1]);
  };
  Status s = in_order(max_first);
  if (s.ok() || vanished(s.code())) return s;
  if (Status again = in_order(!max_first); again.ok()) return again;
  return s;
}

Status RestoreJournal::restore() {
  Status first_failure;
  std::vector<JournalEntry> kept;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    const std::string what = it->range ? it->path + " / " + it->max_path + " = " + it->original +
                                             " / " + it->max_original
                                       : it->path + " = " + it->original;
    Status s = restore_entry(*it);
    if (s.ok()) continue;
    if (vanished(s.code())) {
      say("restore " + what + ": the knob vanished (" + s.message() + "): skipped");
      continue;
    }
    say("restore " + what + " failed: " + s.message() + ": kept for the next start");
    if (first_failure.ok())
      first_failure = Status::Error(s.code(), "restore " + what + ": " + s.message());
    kept.insert(kept.begin(), *it);
  }
  entries_ = std::move(kept);
  paths_.clear();
  for (const JournalEntry& e : entries_) {
    paths_.insert(e.path);
    if (e.range) paths_.insert(e.max_path);
  }
  if (Status s = persist(); !s.ok()) {
    say("restore journal: " + s.message());
    if (first_failure.ok()) return s;
  }
  return first_failure;
}

}  // namespace perfqos::daemon
