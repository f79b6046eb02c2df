// AdmissionTally: how many requests each front end had admitted and refused, and why (the
// errno of the refusal), counted by Admission, the one path every front end takes. It is what
// the metrics endpoint exports as perfqos_admissions_total and perfqos_refusals_total.
//
// A decision is one call of Admission that places or changes a request (add, update, set_perf,
// add_at_open, admit_binding, place_bound) and a counted may_hold; removals are never refused
// and are not counted. The refusal reason is the Status code of the call: the policy's EACCES,
// the quota's EDQUOT, the Broker's EINVAL / ENODEV / ENOENT, or a backend's errno.
//
// Counters only grow (until the daemon restarts). Label cardinality is bounded by
// kFrontEndCount front ends times the errnos that occur: at most kMaxReasons distinct errnos per
// front end, and one more series (reason 0, exported as "other") for any further errno.
//
// Thread safety: confined to the thread that owns the Admission (the daemon's loop thread).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>

namespace perfqos::admission {

// Who brought the request in: the socket (SO_PEERCRED or SCM_CREDENTIALS), a FUSE node, the
// bus, the administrator's config, or a cgroup binding placing its request as its cgroup fills.
enum class FrontEnd : std::uint8_t { kSocket, kFuse, kDbus, kConfig, kCgroupBinding };
inline constexpr std::size_t kFrontEndCount = 5;
// "socket", "fuse", "dbus", "config", "cgroup_binding": the label values.
const char* to_string(FrontEnd front_end);

class AdmissionTally {
 public:
  static constexpr std::size_t kMaxReasons = 32;

  // A decision: `error` is 0 for an admission, else the positive errno of the refusal.
  void count(FrontEnd front_end, int error);

  std::uint64_t admitted(FrontEnd front_end) const {
    return admitted_[static_cast<std::size_t>(front_end)];
  }
  // errno -> refusals (0 = the errnos past kMaxReasons), in errno order.
  const std::map<int, std::uint64_t>& refused(FrontEnd front_end) const {
    return refused_[static_cast<std::size_t>(front_end)];
  }

 private:
  std::array<std::uint64_t, kFrontEndCount> admitted_{};
  std::array<std::map<int, std::uint64_t>, kFrontEndCount> refused_{};
};

}  // namespace perfqos::admission
