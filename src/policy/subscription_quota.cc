#include "policy/subscription_quota.h"

#include <cerrno>
#include <string>

namespace perfqos::daemon {

Status SubscriptionQuota::admit(uid_t uid, Slot* slot) {
  *slot = Slot();
  const Quotas& q = policy_->current()->quotas();
  const bool exempt = uid == 0 && !q.apply_to_root;
  const std::size_t mine = held(uid);
  if (!exempt && q.max_subscriptions_per_uid != 0 && mine >= q.max_subscriptions_per_uid) {
    return Status::Error(EDQUOT, "subscribe: quota: uid " + std::to_string(uid) + " already has " +
                                     std::to_string(mine) +
                                     " subscribed connections, the most "
                                     "quotas.max_subscriptions_per_uid = " +
                                     std::to_string(q.max_subscriptions_per_uid) + " allows");
  }
  if (!exempt && q.max_subscriptions != 0 && tally_.total() >= q.max_subscriptions) {
    return Status::Error(EDQUOT, "subscribe: quota: " + std::to_string(tally_.total()) +
                                     " connections are subscribed, the most "
                                     "quotas.max_subscriptions = " +
                                     std::to_string(q.max_subscriptions) + " allows");
  }
  *slot = tally_.take(uid);
  return Status::Ok();
}

}  // namespace perfqos::daemon
