// What a container asks of perfqos, read from its OCI annotations (docs/kubernetes.md):
//   perfqos.io/request.NAME: "SPEC"   one request in perfqosctl SPEC syntax (DESIGN §6),
//                                     NAME any non-empty label (one SPEC per annotation)
//   perfqos.io/reason: "TEXT"         why the requests are held (shown by `perfqosctl status`)
//   perfqos.io/profile: "NAME"        a profile's requests (the daemon's built-in profiles and
//                                     its config's [[profile]]s, resolved by perfqosd: PROFILE),
//                                     NAME 1..32 of a-z, 0-9, _ and -
//   cpu-c-states.crio.io: "disable" | "enable" | "max_latency:N"
//                                     CRI-O's key: disable = resume_latency 0 µs on each CPU of
//                                     the container, max_latency:N = N µs, enable = nothing
// Any other key under perfqos.io/ is an error (a typo must not go unnoticed); other keys are
// not ours and are ignored.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/request_spec.h"
#include "util/status.h"

namespace perfqos::oci {

inline constexpr char kPrefix[] = "perfqos.io/";
inline constexpr char kRequestPrefix[] = "perfqos.io/request.";
inline constexpr char kReasonKey[] = "perfqos.io/reason";
inline constexpr char kProfileKey[] = "perfqos.io/profile";
inline constexpr char kCrioCStatesKey[] = "cpu-c-states.crio.io";

struct PlannedRequest {
  std::string source;       // the annotation it comes from, for messages
  tools::RequestSpec spec;  // device, knob ("" = the device's only knob), value as written
  // The value when perfqosd has read it already (a profile's request); spec.value is then only
  // for messages.
  std::optional<std::int32_t> value;
};

struct HookPlan {
  std::vector<PlannedRequest> requests;  // perfqos.io/request.*, in key order
  std::string reason;                    // perfqos.io/reason, "" when absent
  std::string profile;                   // perfqos.io/profile, "" when absent
  // cpu-c-states.crio.io: the resume latency in µs for each of the container's CPUs; none for
  // "enable" or without the key.
  std::optional<std::int32_t> cpu_resume_latency;
};

// True when any annotation is ours: without one the hook has nothing to do.
bool has_hook_annotations(const std::map<std::string, std::string>& annotations);

// Reads our annotations into `*out`. EINVAL names the annotation and what it must be. *out is
// untouched on error.
Status plan_from_annotations(const std::map<std::string, std::string>& annotations,
                             HookPlan* out);

// The request of `plan.cpu_resume_latency`: cpus.resume_latency=V (device "cpus": on the CPUs
// of the container's cgroup, followed by the daemon as its cpuset changes), source the CRI-O
// key. None when it is unset.
std::optional<PlannedRequest> cpu_request(const HookPlan& plan);

}  // namespace perfqos::oci
