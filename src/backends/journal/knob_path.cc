#include "backends/journal/knob_path.h"

#include <cerrno>

namespace perfqos::daemon {

namespace {

bool in_knob_area(std::string_view path) {
  return path.starts_with("/sys/") || path.starts_with("/dev/");
}

}  // namespace

Status check_knob_path(std::string_view path) {
  const std::string shown(path);
  if (!in_knob_area(path)) {
    return Status::Error(EINVAL, "path '" + shown + "' is not under /sys/ or /dev/");
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return Status::Error(EINVAL, "path '" + shown +
                                       "' has an empty, '.' or '..' component (allowed: a plain "
                                       "absolute path under /sys/ or /dev/)");
    }
    start = end + 1;
  }
  return Status::Ok();
}

Status resolve_knob_path(backends::SysfsRoot& root, std::string_view path, std::string* resolved) {
  if (Status s = check_knob_path(path); !s.ok()) return s;
  std::string real;
  if (Status s = root.canonical(path, &real); !s.ok()) return s;
  if (!in_knob_area(real)) {
    return Status::Error(EXDEV, "path '" + std::string(path) + "' leads to '" + real +
                                    "', not under /sys/ or /dev/");
  }
  *resolved = std::move(real);
  return Status::Ok();
}

}  // namespace perfqos::daemon
