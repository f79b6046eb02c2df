#include "tools/cpu_set_spec.h"

#include <cerrno>
#include <charconv>
#include <set>

namespace perfqos::tools {

namespace {

bool read_number(std::string_view text, int* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out, 10);
  return ec == std::errc() && ptr == end && *out >= 0 && *out <= kMaxCpuNumber;
}

// One comma-separated part: "N", "N-M" or "N-M:USED/GROUP".
bool read_part(std::string_view part, std::set<int>* cpus) {
  int used = 1, group = 1;
  if (const std::size_t colon = part.find(':'); colon != std::string_view::npos) {
    const std::string_view stride = part.substr(colon + 1);
    const std::size_t slash = stride.find('/');
    if (slash == std::string_view::npos || !read_number(stride.substr(0, slash), &used) ||
        !read_number(stride.substr(slash + 1), &group) || used == 0 || used > group) {
      return false;
    }
    part = part.substr(0, colon);
  }
  int first = 0, last = 0;
  if (const std::size_t dash = part.find('-'); dash != std::string_view::npos) {
    if (!read_number(part.substr(0, dash), &first) || !read_number(part.substr(dash + 1), &last))
      return false;
  } else if (read_number(part, &first)) {
    last = first;
  } else {
    return false;
  }
  if (first > last) return false;
  for (int cpu = first; cpu <= last; ++cpu) {
    if ((cpu - first) % group < used) cpus->insert(cpu);
  }
  return true;
}

}  // namespace

Status parse_cpu_list(std::string_view list, std::vector<int>* cpus) {
  std::set<int> found;
  std::string_view rest = list;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    if (!read_part(part, &found)) {
      return Status::Error(EINVAL, "CPU list '" + std::string(list) + "': cannot read '" +
                                       std::string(part) + "': expected N, N-M or N-M:USED/GROUP "
                                       "with CPUs 0.." + std::to_string(kMaxCpuNumber));
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  cpus->assign(found.begin(), found.end());
  return Status::Ok();
}

Status expand_cpu_sets(const std::vector<std::string>& texts, std::vector<std::string>* out) {
  std::vector<std::string> expanded;
  for (const std::string& text : texts) {
    if (!text.starts_with("cpus[")) {
      expanded.push_back(text);
      continue;
    }
    const std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != '.') {
      return Status::Error(EINVAL, "'" + text + "': expected cpus[LIST].KNOB=VALUE, e.g. "
                                                "cpus[2-5].resume_latency=0");
    }
    std::vector<int> cpus;
    if (Status s = parse_cpu_list(std::string_view(text).substr(5, close - 5), &cpus); !s.ok()) {
      return Status::Error(EINVAL, "'" + text + "': " + s.message());
    }
    for (int cpu : cpus) expanded.push_back("cpu" + std::to_string(cpu) + text.substr(close + 1));
  }
  *out = std::move(expanded);
  return Status::Ok();
}

}  // namespace perfqos::tools
