#include "util/mountinfo.h"

#include <cerrno>
#include <fstream>

namespace perfqos {

namespace {

// mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo.
std::string unescape(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string oct = field.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

}  // namespace

bool parse_mountinfo_line(const std::string& line, MountEntry* out) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (start < line.size()) {
    const std::size_t end = line.find(' ', start);
    if (end != start) fields.push_back(line.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (fields.size() < 5) return false;
  for (std::size_t i = 5; i + 1 < fields.size(); ++i) {
    if (fields[i] == "-") {
      out->mount_point = unescape(fields[4]);
      out->fs_type = fields[i + 1];
      return true;
    }
  }
  return false;
}

Status read_mountinfo(std::vector<MountEntry>* out, const std::string& path) {
  out->clear();
  std::ifstream in(path);
  if (!in) return Status::Error(ENOENT, path + ": cannot read");
  std::string line;
  MountEntry entry;
  while (std::getline(in, line)) {
    if (parse_mountinfo_line(line, &entry)) out->push_back(entry);
  }
  return Status::Ok();
}

}  // namespace perfqos
