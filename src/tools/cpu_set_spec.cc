#include "tools/cpu_set_spec.h"

#include <algorithm>
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

enum class PartResult { kOk, kBad, kTooMany };

// One comma-separated part: "N", "N-M" or "N-M:USED/GROUP". kTooMany, before listing any, when
// the part alone names more than `max` CPUs.
PartResult read_part(std::string_view part, std::size_t max, std::set<int>* cpus) {
  int used = 1, group = 1;
  if (const std::size_t colon = part.find(':'); colon != std::string_view::npos) {
    const std::string_view stride = part.substr(colon + 1);
    const std::size_t slash = stride.find('/');
    if (slash == std::string_view::npos || !read_number(stride.substr(0, slash), &used) ||
        !read_number(stride.substr(slash + 1), &group) || used == 0 || used > group) {
      return PartResult::kBad;
    }
    part = part.substr(0, colon);
  }
  int first = 0, last = 0;
  if (const std::size_t dash = part.find('-'); dash != std::string_view::npos) {
    if (!read_number(part.substr(0, dash), &first) || !read_number(part.substr(dash + 1), &last))
      return PartResult::kBad;
  } else if (read_number(part, &first)) {
    last = first;
  } else {
    return PartResult::kBad;
  }
  if (first > last) return PartResult::kBad;
  const std::size_t span = static_cast<std::size_t>(last - first) + 1;
  const std::size_t count =
      span / static_cast<std::size_t>(group) * static_cast<std::size_t>(used) +
      std::min(span % static_cast<std::size_t>(group), std::size_t(used));
  if (count > max) return PartResult::kTooMany;
  // Group by group, so that a sparse stride costs what it names, not its span.
  for (int start = first; start <= last; start += group) {
    for (int cpu = start; cpu < start + used && cpu <= last; ++cpu) cpus->insert(cpu);
  }
  return PartResult::kOk;
}

// parse_cpu_list() listing at most `max` CPUs (E2BIG beyond).
Status parse_bounded(std::string_view list, std::size_t max, std::vector<int>* cpus) {
  std::set<int> found;
  std::string_view rest = list;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    const PartResult r = read_part(part, max, &found);
    if (r == PartResult::kBad) {
      return Status::Error(EINVAL, "CPU list '" + std::string(list) + "': cannot read '" +
                                       std::string(part) +
                                       "': expected N, N-M or N-M:USED/GROUP "
                                       "with CPUs 0.." +
                                       std::to_string(kMaxCpuNumber));
    }
    if (r == PartResult::kTooMany || found.size() > max) {
      return Status::Error(E2BIG, "CPU list '" + std::string(list) + "' names more than " +
                                      std::to_string(max) + " CPUs");
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  cpus->assign(found.begin(), found.end());
  return Status::Ok();
}

}  // namespace

Status parse_cpu_list(std::string_view list, std::vector<int>* cpus) {
  // Every CPU number fits: a list is never too long here.
  return parse_bounded(list, kMaxCpuNumber + 1, cpus);
}

Status expand_cpu_sets(const std::vector<std::string>& texts, std::size_t max,
                       std::vector<std::string>* out) {
  const auto too_many = [max](const std::string& text) {
    return Status::Error(E2BIG, "'" + text + "': more than " + std::to_string(max) +
                                    " requests in all (each CPU of cpus[LIST] is one)");
  };
  std::vector<std::string> expanded;
  for (const std::string& text : texts) {
    if (!text.starts_with("cpus[")) {
      if (expanded.size() == max) return too_many(text);
      expanded.push_back(text);
      continue;
    }
    const std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != '.') {
      return Status::Error(EINVAL, "'" + text +
                                       "': expected cpus[LIST].KNOB=VALUE, e.g. "
                                       "cpus[2-5].resume_latency=0");
    }
    std::vector<int> cpus;
    const std::string_view list = std::string_view(text).substr(5, close - 5);
    if (Status s = parse_bounded(list, max - expanded.size(), &cpus); !s.ok()) {
      return s.code() == E2BIG ? too_many(text)
                               : Status::Error(EINVAL, "'" + text + "': " + s.message());
    }
    for (int cpu : cpus) expanded.push_back("cpu" + std::to_string(cpu) + text.substr(close + 1));
  }
  *out = std::move(expanded);
  return Status::Ok();
}

}  // namespace perfqos::tools
