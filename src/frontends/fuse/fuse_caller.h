// Who calls: the FUSE request's context (the kernel's view of the calling thread) as the
// holder identity of an open and as the admission's Requester of a call. Read on the worker
// thread: the cgroup, comm and groups come from /proc.
#pragma once

#include <fuse_lowlevel.h>

#include "admission/admission.h"
#include "frontends/fuse/open_file.h"
#include "model/holder.h"

namespace perfqos::daemon {

// The opener of a file: kind kFuse, pid, uid, gid, comm and cgroup.
HolderIdentity fuse_caller_identity(fuse_req_t req);

// The caller of this request (Vouch::kFuseContext). `file`, when its opener is the caller,
// spares reading the cgroup (and gives the comm) again. Supplementary groups are read only
// when `with_groups` (Admission::needs_groups): they cost 14 µs a call here.
admission::Requester fuse_requester(fuse_req_t req, bool with_groups,
                                    const FuseOpenFile* file = nullptr);

}  // namespace perfqos::daemon
