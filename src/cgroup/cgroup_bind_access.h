// Admission of a client's BIND beyond the policy's grant (issue #13, DESIGN §10): which cgroup a
// binder may bind, and how many bindings it may make.
//
// Which cgroup: a binding outlives its connection and acts whenever its cgroup is populated, so
// an unprivileged binder could otherwise pin a knob on behalf of any workload on the machine.
// Root may bind any cgroup. Any other binder may bind only
//   - a cgroup delegated to it: its directory is owned by the binder's uid (as systemd does for
//     user@UID.service and for Delegate=yes units run as that user), or
//   - the cgroup the binder is in (as the kernel reported it when the binder connected), or one
//     below it; except when the binder is in the root cgroup "/", which would be every cgroup.
// Anything else is EACCES with a message saying why and what would be allowed.
//
// How many: client bindings count per binder uid (Quotas::max_bindings_per_uid) and in all
// (Quotas::max_bindings); the config's [[bind]]s count against neither. Over either, EDQUOT
// naming the key and its value. uid 0 is exempt unless Quotas::apply_to_root; its bindings
// still count in the global total. 0 means unlimited.
//
// Thread safety: free functions without state; may_bind_cgroup reads the file system.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "model/holder.h"
#include "policy/policy.h"
#include "util/status.h"

namespace perfqos::daemon {

// Ok when `binder` may bind `cgroup` (a path checked by check_cgroup_path, relative to the
// cgroup2 mount `mount`); EACCES as above; ENOENT when the cgroup's directory cannot be stat'ed.
Status may_bind_cgroup(const HolderIdentity& binder, const std::string& mount,
                       const std::string& cgroup);

// Ok when `uid`, which made `held_by_uid` of the `held_total` client bindings in force, may make
// one more under `quotas`; EDQUOT otherwise.
Status admit_binding(const Quotas& quotas, uid_t uid, std::size_t held_by_uid,
                     std::size_t held_total);

}  // namespace perfqos::daemon
