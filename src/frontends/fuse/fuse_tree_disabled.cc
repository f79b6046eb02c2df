// FuseTree for a perfqosd built with -DPERFQOS_FUSE=OFF (no libfuse3): start() always fails
// with ENOTSUP, so perfqosd serves the socket only (at the default mount it logs why; an explicit
// --mount is fatal, as for any failed mount). The interface is fuse_tree.h's.
#include <cerrno>

#include "frontends/fuse/fuse_tree.h"

namespace perfqos::daemon {

// fuse_tree.h only declares these; the members that hold them need complete types to destroy.
struct FuseOpenFile {};
struct FuseTree::Buffer {};

FuseTree::FuseTree(Broker& broker, EventLoop& loop, const Logger& log, FuseTreeOptions options)
    : broker_(broker), loop_(loop), log_(log), options_(std::move(options)) {}

FuseTree::~FuseTree() = default;

Status FuseTree::start() {
  return Status::Error(ENOTSUP, "FUSE device tree at " + options_.mountpoint +
                                    ": this perfqosd was built without FUSE (-DPERFQOS_FUSE=OFF)");
}

void FuseTree::stop() {}

}  // namespace perfqos::daemon
