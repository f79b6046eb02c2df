// The FUSE tree's libfuse callbacks (fuse_handlers.cc), for fuse_session_new(); the session's
// userdata must be the FuseTree they serve.
#pragma once

#include <fuse_lowlevel.h>

namespace perfqos::daemon {

fuse_lowlevel_ops fuse_tree_operations();

}  // namespace perfqos::daemon
