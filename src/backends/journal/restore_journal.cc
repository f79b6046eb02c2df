#include "backends/journal/restore_journal.h"

#include <cerrno>

#include "backends/journal/journal_file.h"
#include "backends/journal/knob_path.h"
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

bool vanished(int code) {
  return code == ENOENT || code == ENODEV;
}

// A path the journal must not write: not a knob path, or one that leads out of /sys and /dev.
bool refused(int code) {
  return code == EINVAL || code == EXDEV;
}

// `e` with both paths resolved in `root` (resolve_knob_path).
Status resolve_entry(backends::SysfsRoot& root, const JournalEntry& e, JournalEntry* resolved) {
  *resolved = e;
  if (Status s = resolve_knob_path(root, e.path, &resolved->path); !s.ok()) return s;
  if (e.range) return resolve_knob_path(root, e.max_path, &resolved->max_path);
  return Status::Ok();
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
    if (!ok) {
      report(line_no, "bad escape");
      continue;
    }
    // Only knob paths: a planted "/etc/shadow" or "/sys/../x" never reaches a restore.
    Status path_ok = check_knob_path(e.path);
    if (path_ok.ok() && e.range) path_ok = check_knob_path(e.max_path);
    if (!path_ok.ok()) {
      report(line_no, "bad path: " + path_ok.message());
      continue;
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

RestoreJournal::RestoreJournal(std::shared_ptr<backends::SysfsRoot> root,
                               std::shared_ptr<const StateDir> dir, JournalLog log, JournalIo& io)
    : root_(std::move(root)),
      dir_(std::move(dir)),
      io_(io),
      path_(dir_->path() + "/" + kJournalFileName),
      log_(std::move(log)) {}

void RestoreJournal::say(const std::string& message) const {
  if (log_) log_(message);
}

Status RestoreJournal::open(std::shared_ptr<backends::SysfsRoot> root, std::string state_dir,
                            JournalLog log, std::shared_ptr<RestoreJournal>* out) {
  std::shared_ptr<const StateDir> dir;
  if (Status s = StateDir::open(state_dir, &dir); !s.ok()) return s;
  return open(std::move(root), std::move(dir), std::move(log), out);
}

Status RestoreJournal::open(std::shared_ptr<backends::SysfsRoot> root,
                            std::shared_ptr<const StateDir> dir, JournalLog log,
                            std::shared_ptr<RestoreJournal>* out, JournalIo* io) {
  JournalIo& calls = io != nullptr ? *io : system_journal_io();
  std::string text;
  bool exists = false;
  if (Status s = read_journal_file(*dir, kJournalFileName, &text, &exists, calls); !s.ok()) {
    return s;
  }
  std::shared_ptr<RestoreJournal> j(
      new RestoreJournal(std::move(root), std::move(dir), std::move(log), calls));
  if (exists) {
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

bool RestoreJournal::original_of(std::string_view path, std::string* original) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (!it->range && it->path == path) {
      *original = it->original;
      return true;
    }
  }
  return false;
}

Status RestoreJournal::add(JournalEntry entry) {
  // What is recorded must pass the next start's parse_journal, or that start would not restore it.
  Status path_ok = check_knob_path(entry.path);
  if (path_ok.ok() && entry.range) path_ok = check_knob_path(entry.max_path);
  if (!path_ok.ok()) return path_ok;
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
  if (entries_.empty()) return remove_journal_file(*dir_, kJournalFileName, io_);
  return write_journal_file(*dir_, kJournalFileName, format_journal(entries_), io_);
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
    JournalEntry resolved;
    Status s = resolve_entry(*root_, *it, &resolved);
    if (!s.ok() && refused(s.code())) {
      say("restore " + what + ": refused (" + s.message() + "): dropped, nothing written");
      continue;
    }
    if (s.ok()) s = restore_entry(resolved);
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
