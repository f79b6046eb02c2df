// UidTally: how many places each uid holds, and all uids together, counted by the Slots it
// hands out. The quotas (ConnectionQuota, SubscriptionQuota) decide whether a place may be
// taken; this only counts, so that counting is written once.
//
// Thread safety: none; each quota confines its tally to the daemon's loop thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <unordered_map>

namespace perfqos::daemon {

class UidTally {
 public:
  // One counted place of one uid, given back when destroyed or released. Movable, not
  // copyable. REQUIRES: the tally outlives its slots.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

    bool admitted() const { return tally_ != nullptr; }
    // Gives the place back at once (idempotent).
    void release();

   private:
    friend class UidTally;
    Slot(UidTally* tally, uid_t uid) : tally_(tally), uid_(uid) {}
    UidTally* tally_ = nullptr;
    uid_t uid_ = 0;
  };

  UidTally() = default;
  UidTally(const UidTally&) = delete;
  UidTally& operator=(const UidTally&) = delete;

  // Counts one more place of `uid`.
  Slot take(uid_t uid);
  std::size_t held(uid_t uid) const;
  std::size_t total() const { return total_; }

 private:
  std::unordered_map<uid_t, std::size_t> held_;
  std::size_t total_ = 0;
};

}  // namespace perfqos::daemon
