#include "frontends/fuse/fuse_caller.h"

#include <algorithm>
#include <vector>

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

HolderIdentity fuse_caller_identity(fuse_req_t req, CallerCache& callers) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  const CallerCache::Caller& caller = callers.get(ctx->pid, CallerCache::Clock::now());
  HolderIdentity id;
  id.kind = HolderKind::kFuse;
  id.pid = ctx->pid;
  id.uid = ctx->uid;
  id.gid = ctx->gid;
  id.comm = caller.comm;
  id.cgroup = caller.cgroup;
  return id;
}

admission::Requester fuse_requester(fuse_req_t req, bool with_groups, CallerCache& callers,
                                    const FuseOpenFile* file) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  admission::Requester who;
  who.pid = ctx->pid;
  who.uid = ctx->uid;
  who.gid = ctx->gid;
  who.vouched_by = admission::Vouch::kFuseContext;
  const bool opener = file != nullptr && file->opener == ctx->pid;
  if (opener && !with_groups) {
    who.cgroup = file->cgroup;
    who.comm = file->comm;
    return who;
  }
  const auto now = CallerCache::Clock::now();
  const CallerCache::Caller& caller =
      with_groups
          ? callers.get_with_groups(ctx->pid, now, [req] { return supplementary_groups(req); })
          : callers.get(ctx->pid, now);
  who.cgroup = opener ? file->cgroup : caller.cgroup;
  who.comm = opener ? file->comm : caller.comm;
  if (with_groups) who.groups = *caller.groups;
  return who;
}

}  // namespace perfqos::daemon
