// Profiles: named sets of requests (SPECs). The D-Bus front end applies one as one holder, for
// power-profiles-daemon's ActiveProfile and profile holds; the socket's PROFILE resolves one for
// perfqos-oci-hook, which binds its requests to a container's cgroup. No D-Bus here: a build
// without the D-Bus front end still serves PROFILE.
//
// Built in, for the knobs this machine has (platform profile and EPP, see docs/devices.md):
//   power-saver   every epp capped at "power", every platform profile at low-power (quiet,
//                 cool where it has no low-power)
//   balanced      no requests: every knob where the kernel and the other holders put it
//   performance   every epp and platform profile raised to "performance"
// The config's [[profile]]s replace these by name or add to them. A profile is offered when it
// has no requests (balanced) or at least one of its requests names a device registered now; the
// requests on absent devices are skipped (the knob comes and goes with its hardware).
//
// Thread safety: the thread that owns the Broker.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "admission/spec_resolver.h"
#include "model/broker.h"
#include "policy/config.h"

namespace perfqos::admission {

struct Profile {
  std::string name;
  std::vector<std::string> requests;
  bool anyone = false;  // every local user may hold and select it, without grants
  std::string origin;   // "built in" or "file:line"
};

// The built-in profiles for the devices registered now, from the most power saving.
std::vector<Profile> builtin_profiles(const Broker& broker);

// The built-ins with `configured` replacing them by name or added after them.
std::vector<Profile> profiles_in_force(const Broker& broker,
                                       const std::vector<daemon::ProfileConfig>& configured);

// The requests of `profile` on devices registered now, appended to `*out`; `*absent` (if not
// null) counts those skipped. Errors are those of resolve_specs for a present device (a value
// its knob does not take); nothing is appended then.
Status resolve_profile(const Broker& broker, const Admission& admission, const Profile& profile,
                       std::vector<ResolvedSpec>* out, std::size_t* absent = nullptr);

// Ok when `who` may hold or select `profile`: the profile is open to anyone, `who` is root, or
// the policy admits every request of the profile for `who` (Admission::judge, as perfqosctl
// explain judges). Otherwise the refusal (EACCES, EDQUOT, EINVAL) naming the profile and SPEC.
Status may_use_profile(const Broker& broker, const Admission& admission, const Requester& who,
                       const Profile& profile);

// True when `profile` is offered now (see the file comment).
bool profile_offered(const Broker& broker, const Admission& admission, const Profile& profile);

}  // namespace perfqos::admission
