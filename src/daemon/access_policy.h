// The authorization rule every front end applies before a request is placed (DESIGN §8):
// root may do anything; any other uid may only read until the policy grants more. One function,
// so that the socket path and the FUSE nodes can never disagree.
//
// Thread safety: pure function.
#pragma once

#include <sys/types.h>

#include <string>

#include "perfqos/status.h"

namespace perfqos::daemon {

// Ok when `uid`/`gid` may place or change requests on `what` (e.g. "cpu_dma_latency",
// "gpu.min"); EACCES with a message naming `what` and the uid otherwise.
Status may_write(uid_t uid, gid_t gid, const std::string& what);

}  // namespace perfqos::daemon
