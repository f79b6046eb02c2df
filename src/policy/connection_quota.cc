#include "policy/connection_quota.h"

#include <cerrno>
#include <string>

namespace perfqos::daemon {

Status ConnectionQuota::check(uid_t uid) const {
  if (policy_ == nullptr) return Status::Ok();
  const std::shared_ptr<const Policy> policy = policy_->current();
  if (Status s = policy->admit_connection(uid, held(uid)); !s.ok()) return s;
  const Quotas& q = policy->quotas();
  // The global bound counts root's connections too, but refuses only those quotas apply to.
  if (q.max_connections == 0 || (uid == 0 && !q.apply_to_root) ||
      tally_.total() < q.max_connections) {
    return Status::Ok();
  }
  return Status::Error(EUSERS, "quota: " + std::to_string(tally_.total()) +
                                   " connections are open in all, the most "
                                   "quotas.max_connections = " +
                                   std::to_string(q.max_connections) + " allows");
}

Status ConnectionQuota::admit(uid_t uid, Slot* slot) {
  *slot = Slot();
  if (Status s = check(uid); !s.ok()) return s;
  *slot = tally_.take(uid);
  return Status::Ok();
}

}  // namespace perfqos::daemon
