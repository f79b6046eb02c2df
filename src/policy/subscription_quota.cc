#include "policy/subscription_quota.h"

#include <cerrno>
#include <string>
#include <utility>

namespace perfqos::daemon {

SubscriptionQuota::Slot& SubscriptionQuota::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    quota_ = std::exchange(other.quota_, nullptr);
    uid_ = other.uid_;
  }
  return *this;
}

void SubscriptionQuota::Slot::release() {
  if (quota_ == nullptr) return;
  auto it = quota_->held_.find(uid_);
  if (it != quota_->held_.end() && --it->second == 0) quota_->held_.erase(it);
  --quota_->total_;
  quota_ = nullptr;
}

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
  if (!exempt && q.max_subscriptions != 0 && total_ >= q.max_subscriptions) {
    return Status::Error(EDQUOT, "subscribe: quota: " + std::to_string(total_) +
                                     " connections are subscribed, the most "
                                     "quotas.max_subscriptions = " +
                                     std::to_string(q.max_subscriptions) + " allows");
  }
  ++held_[uid];
  ++total_;
  *slot = Slot(this, uid);
  return Status::Ok();
}

std::size_t SubscriptionQuota::held(uid_t uid) const {
  auto it = held_.find(uid);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace perfqos::daemon
