#include "daemon/cgroup_mount.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <vector>

namespace perfqos::daemon {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

Status find_cgroup2_mount(std::string* mount, const std::string& mountinfo) {
  std::ifstream in(mountinfo);
  if (!in) return Status::Error(ENOENT, mountinfo + ": cannot read");
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    std::size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 5 || dash + 1 >= f.size()) continue;
    if (f[dash + 1] == "cgroup2") {
      *mount = unescape(f[4]);
      return Status::Ok();
    }
  }
  return Status::Error(ENOENT, "no cgroup2 file system in " + mountinfo);
}

}  // namespace perfqos::daemon
