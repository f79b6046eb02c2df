#include "frontends/fuse/fuse_caller.h"

#include <algorithm>
#include <vector>

#include "admission/peer_identity.h"

namespace perfqos::daemon {

namespace {

// The caller's supplementary groups (libfuse reads them from /proc); none if unreadable.
std::vector<gid_t> supplementary_groups(fuse_req_t req) {
  std::vector<gid_t> groups(32);
  int n = fuse_req_getgroups(req, static_cast<int>(groups.size()), groups.data());
  if (n > static_cast<int>(groups.size())) {
    groups.resize(static_cast<std::size_t>(n));
    n = fuse_req_getgroups(req, n, groups.data());
  }
  groups.resize(n > 0 ? std::min(static_cast<std::size_t>(n), groups.size()) : 0);
  return groups;
}

}  // namespace

HolderIdentity fuse_caller_identity(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  HolderIdentity id;
  id.kind = HolderKind::kFuse;
  id.pid = ctx->pid;
  id.uid = ctx->uid;
  id.gid = ctx->gid;
  id.comm = process_comm(ctx->pid);
  id.cgroup = process_cgroup(ctx->pid);
  return id;
}

admission::Requester fuse_requester(fuse_req_t req, bool with_groups, const FuseOpenFile* file) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  admission::Requester who;
  who.pid = ctx->pid;
  who.uid = ctx->uid;
  who.gid = ctx->gid;
  who.vouched_by = admission::Vouch::kFuseContext;
  if (file != nullptr && file->opener == ctx->pid) {
    who.cgroup = file->cgroup;
    who.comm = file->comm;
  } else {
    who.cgroup = process_cgroup(ctx->pid);
  }
  if (with_groups) who.groups = supplementary_groups(req);
  return who;
}

}  // namespace perfqos::daemon
