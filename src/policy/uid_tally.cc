#include "policy/uid_tally.h"

#include <utility>

namespace perfqos::daemon {

UidTally::Slot::Slot(Slot&& other) noexcept
    : tally_(std::exchange(other.tally_, nullptr)), uid_(other.uid_) {}

UidTally::Slot& UidTally::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    tally_ = std::exchange(other.tally_, nullptr);
    uid_ = other.uid_;
  }
  return *this;
}

void UidTally::Slot::release() {
  if (tally_ == nullptr) return;
  auto it = tally_->held_.find(uid_);
  if (it != tally_->held_.end() && --it->second == 0) tally_->held_.erase(it);
  --tally_->total_;
  tally_ = nullptr;
}

UidTally::Slot UidTally::take(uid_t uid) {
  ++held_[uid];
  ++total_;
  return Slot(this, uid);
}

std::size_t UidTally::held(uid_t uid) const {
  auto it = held_.find(uid);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace perfqos::daemon
