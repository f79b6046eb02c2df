// Who calls: the FUSE request's context (the kernel's view of the calling thread) as the
// holder identity of an open and as the admission's Requester of a call. The cgroup, comm and
// groups come from /proc through the tree's CallerCache.
#pragma once

#include <fuse_lowlevel.h>

#include "admission/admission.h"
#include "frontends/fuse/caller_cache.h"
#include "frontends/fuse/open_file.h"
#include "model/holder.h"

namespace perfqos::daemon {

// The opener of a file: kind kFuse, pid, uid, gid, comm and cgroup.
HolderIdentity fuse_caller_identity(fuse_req_t req, CallerCache& callers);

// The caller of this request (Vouch::kFuseContext). `file`, when its opener is the caller,
// gives the cgroup and comm it had at open. Supplementary groups are looked up only when
// `with_groups` (Admission::needs_groups): reading them costs 14 µs here.
admission::Requester fuse_requester(fuse_req_t req, bool with_groups, CallerCache& callers,
                                    const FuseOpenFile* file = nullptr);

}  // namespace perfqos::daemon
