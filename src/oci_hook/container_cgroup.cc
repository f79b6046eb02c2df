#include "oci_hook/container_cgroup.h"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <set>
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

bool parse_cpu(std::string_view s, int* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size() && *out >= 0 &&
         *out <= 65535;
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

Status parse_cpu_list(std::string_view text, std::vector<int>* out) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const auto bad = [&] {
    return Status::Error(EINVAL, "CPU list \"" + std::string(text) +
                                     "\": expected N, N-M, ... (CPU numbers 0..65535)");
  };
  std::set<int> cpus;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(start, comma - start);
    const std::size_t dash = item.find('-');
    int lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!parse_cpu(item, &lo)) return bad();
      hi = lo;
    } else if (!parse_cpu(item.substr(0, dash), &lo) || !parse_cpu(item.substr(dash + 1), &hi) ||
               hi < lo) {
      return bad();
    }
    for (int c = lo; c <= hi; ++c) cpus.insert(c);
    start = comma + 1;
  }
  out->assign(cpus.begin(), cpus.end());
  return Status::Ok();
}

Status container_cpus(const std::string& cgroup2_mount, const std::string& cgroup,
                      std::vector<int>* out) {
  const std::string path = cgroup2_mount + cgroup + "/cpuset.cpus.effective";
  std::string text;
  if (Status s = read_small_file(path, &text); !s.ok()) return s;
  if (Status s = parse_cpu_list(text, out); !s.ok()) {
    return Status::Error(s.code(), path + ": " + s.message());
  }
  if (out->empty()) return Status::Error(ENOENT, path + " is empty");
  return Status::Ok();
}

Status online_cpus(std::vector<int>* out, const std::string& sys_root) {
  const std::string path = sys_root + "/devices/system/cpu/online";
  std::string text;
  if (Status s = read_small_file(path, &text); !s.ok()) return s;
  if (Status s = parse_cpu_list(text, out); !s.ok()) {
    return Status::Error(s.code(), path + ": " + s.message());
  }
  return Status::Ok();
}

}  // namespace perfqos::oci
