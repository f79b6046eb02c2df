#include "cgroup/cgroup_bind_access.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace perfqos::daemon {

namespace {

// `cgroup` is `base` or below it. Paths are checked (absolute, no . or ..), so a prefix that
// ends at a '/' cannot lead outside `base`.
bool at_or_below(const std::string& cgroup, const std::string& base) {
  if (cgroup.compare(0, base.size(), base) != 0) return false;
  return cgroup.size() == base.size() || cgroup[base.size()] == '/';
}

bool exempt(const Quotas& quotas, uid_t uid) {
  return uid == 0 && !quotas.apply_to_root;
}

}  // namespace

Status may_bind_cgroup(const HolderIdentity& binder, const std::string& mount,
                       const std::string& cgroup) {
  if (binder.uid == 0) return Status::Ok();
  // lstat: a cgroup is a directory of the cgroup2 mount, never a link to one.
  struct stat st {};
  if (::lstat((mount + cgroup).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::Error(ENOENT, "bind: no cgroup " + cgroup + " under " + mount);
  }
  if (st.st_uid == binder.uid) return Status::Ok();  // delegated to the binder
  const bool in_root = binder.cgroup.empty() || binder.cgroup == "/";
  if (!in_root && at_or_below(cgroup, binder.cgroup)) return Status::Ok();
  const std::string uid = std::to_string(binder.uid);
  return Status::Error(
      EACCES, "bind: uid " + uid + " may not bind cgroup " + cgroup + ": it is owned by uid " +
                  std::to_string(st.st_uid) + " (not delegated to uid " + uid + ") and is not " +
                  (in_root ? std::string("below the binder's cgroup (the binder is in the root "
                                         "cgroup, which does not count)")
                           : "the binder's cgroup " + binder.cgroup + " or below it") +
                  "; a non-root binder may bind only a cgroup whose directory it owns, or the "
                  "cgroup it is in and those below it");
}

Status admit_binding(const Quotas& quotas, uid_t uid, std::size_t held_by_uid,
                     std::size_t held_total) {
  if (exempt(quotas, uid)) return Status::Ok();
  if (const std::uint32_t limit = quotas.max_bindings_per_uid; limit != 0 && held_by_uid >= limit) {
    return Status::Error(EDQUOT, "quota: uid " + std::to_string(uid) + " already has " +
                                     std::to_string(held_by_uid) +
                                     " bindings, the most quotas.max_bindings_per_uid = " +
                                     std::to_string(limit) + " allows; unbind one first");
  }
  if (const std::uint32_t limit = quotas.max_bindings; limit != 0 && held_total >= limit) {
    return Status::Error(EDQUOT, "quota: perfqosd already holds " + std::to_string(held_total) +
                                     " client bindings, the most quotas.max_bindings = " +
                                     std::to_string(limit) + " allows");
  }
  return Status::Ok();
}

}  // namespace perfqos::daemon
