#include "daemon/access_policy.h"

#include <cerrno>

namespace perfqos::daemon {

Status may_write(uid_t uid, gid_t /*gid*/, const std::string& what) {
  if (uid == 0) return Status::Ok();
  return Status::Error(EACCES, what + ": uid " + std::to_string(uid) +
                                   " may only read; a grant in the perfqosd policy is needed "
                                   "to place requests");
}

}  // namespace perfqos::daemon
