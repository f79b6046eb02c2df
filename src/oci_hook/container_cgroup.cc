#include "oci_hook/container_cgroup.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "util/errno_status.h"

namespace perfqos::oci {
namespace {

// The whole of a small file; errno_status of the open on failure.
Status read_small_file(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return errno_status(errno != 0 ? errno : EIO, "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return Status::Ok();
}

}  // namespace

Status cgroup_v2_path(std::string_view text, std::string* out) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, 3) != "0::") continue;
    const std::string_view path = line.substr(3);
    if (path.empty() || path[0] != '/') {
      return Status::Error(EINVAL, "cgroup v2 path \"" + std::string(path) + "\" is not absolute");
    }
    if (path == "/") {
      return Status::Error(EINVAL,
                           "the container is in the root cgroup: its requests could never end "
                           "with it (does the runtime create a cgroup v2 cgroup for it?)");
    }
    *out = std::string(path);
    return Status::Ok();
  }
  return Status::Error(ENOENT, "no cgroup v2 (\"0::\") line: the container has no cgroup v2 "
                               "cgroup to bind its requests to");
}

Status read_container_cgroup(int pid, std::string* out, const std::string& proc_root) {
  const std::string path = proc_root + "/" + std::to_string(pid) + "/cgroup";
  std::string text;
  if (Status s = read_small_file(path, &text); !s.ok()) {
    if (s.code() == ENOENT) {
      return Status::Error(ESRCH, "process " + std::to_string(pid) + " is gone (" + path + ")");
    }
    return s;
  }
  if (Status s = cgroup_v2_path(text, out); !s.ok()) {
    return Status::Error(s.code(), path + ": " + s.message());
  }
  return Status::Ok();
}

}  // namespace perfqos::oci
