#include "admission/admission_tally.h"

namespace perfqos::admission {

const char* to_string(FrontEnd front_end) {
  switch (front_end) {
    case FrontEnd::kSocket:
      return "socket";
    case FrontEnd::kFuse:
      return "fuse";
    case FrontEnd::kDbus:
      return "dbus";
    case FrontEnd::kConfig:
      return "config";
    case FrontEnd::kCgroupBinding:
      return "cgroup_binding";
  }
  return "?";
}

void AdmissionTally::count(FrontEnd front_end, int error) {
  const auto i = static_cast<std::size_t>(front_end);
  if (error == 0) {
    ++admitted_[i];
    return;
  }
  std::map<int, std::uint64_t>& reasons = refused_[i];
  auto it = reasons.find(error);
  if (it == reasons.end()) {
    // Bounded: a backend could return any errno; the rare ones past the bound share one series.
    it = reasons.size() < kMaxReasons ? reasons.emplace(error, 0).first
                                      : reasons.emplace(0, 0).first;
  }
  ++it->second;
}

}  // namespace perfqos::admission
