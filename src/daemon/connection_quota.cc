#include "daemon/connection_quota.h"

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
  quota_ = nullptr;
}

Status ConnectionQuota::admit(uid_t uid, Slot* slot) {
  *slot = Slot();
  if (policy_ != nullptr) {
    if (Status s = policy_->current()->admit_connection(uid, held(uid)); !s.ok()) return s;
  }
  ++held_[uid];
  *slot = Slot(this, uid);
  return Status::Ok();
}

std::size_t ConnectionQuota::held(uid_t uid) const {
  auto it = held_.find(uid);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace perfqos::daemon
