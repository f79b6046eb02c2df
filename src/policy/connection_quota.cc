#include "policy/connection_quota.h"

#include <cerrno>
#include <string>
#include <utility>

namespace perfqos::daemon {

ConnectionQuota::Slot& ConnectionQuota::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    quota_ = std::exchange(other.quota_, nullptr);
    uid_ = other.uid_;
  }
  return *this;
}

void ConnectionQuota::Slot::release() {
  if (quota_ == nullptr) return;
  auto it = quota_->held_.find(uid_);
  if (it != quota_->held_.end() && --it->second == 0) quota_->held_.erase(it);
  --quota_->total_;
  quota_ = nullptr;
}

Status ConnectionQuota::check(uid_t uid) const {
  if (policy_ == nullptr) return Status::Ok();
  const std::shared_ptr<const Policy> policy = policy_->current();
  if (Status s = policy->admit_connection(uid, held(uid)); !s.ok()) return s;
  const Quotas& q = policy->quotas();
  // The global bound counts root's connections too, but refuses only those quotas apply to.
  if (q.max_connections == 0 || (uid == 0 && !q.apply_to_root) || total_ < q.max_connections) {
    return Status::Ok();
  }
  return Status::Error(EUSERS, "quota: " + std::to_string(total_) +
                                   " connections are open in all, the most "
                                   "quotas.max_connections = " +
                                   std::to_string(q.max_connections) + " allows");
}

Status ConnectionQuota::admit(uid_t uid, Slot* slot) {
  *slot = Slot();
  if (Status s = check(uid); !s.ok()) return s;
  ++held_[uid];
  ++total_;
  *slot = Slot(this, uid);
  return Status::Ok();
}

std::size_t ConnectionQuota::held(uid_t uid) const {
  auto it = held_.find(uid);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace perfqos::daemon
