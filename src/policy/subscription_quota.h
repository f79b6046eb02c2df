// SubscriptionQuota: the config's max_subscriptions_per_uid and max_subscriptions (struct
// Quotas). A "subscription" is one connection with any SUBSCRIBE in force, however many devices
// it names: each one costs a notification frame per change, so 5,000 of them that never read
// slowed root's UPDATE a thousandfold (issue #13).
//
//   admit(uid) asks the current policy whether one more connection of `uid` may subscribe.
//   Admitted, it returns a Slot that counts until it is destroyed (UNSUBSCRIBE of everything,
//   or the connection closing); refused, an empty Slot and EDQUOT naming the quota key and its
//   value. As struct Quotas says: uid 0 is never refused unless quotas.apply_to_root, but it
//   counts toward max_subscriptions like every caller.
//
// Thread safety: confined to the daemon's loop thread; slots are destroyed there too.
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "policy/policy_store.h"
#include "policy/uid_tally.h"
#include "util/status.h"

namespace perfqos::daemon {

class SubscriptionQuota {
 public:
  // One counted place: an admitted connection of a uid, while it lives.
  using Slot = UidTally::Slot;

  // REQUIRES: `policy` outlives the quota and its slots.
  explicit SubscriptionQuota(const PolicyStore* policy) : policy_(policy) {}
  SubscriptionQuota(const SubscriptionQuota&) = delete;
  SubscriptionQuota& operator=(const SubscriptionQuota&) = delete;

  void set_policy(const PolicyStore* policy) { policy_ = policy; }

  // Ok and an admitted slot, or EDQUOT and an empty one.
  Status admit(uid_t uid, Slot* slot);

  // Subscribed connections counted for `uid`, and for every uid together.
  std::size_t held(uid_t uid) const { return tally_.held(uid); }
  std::size_t total() const { return tally_.total(); }

 private:
  const PolicyStore* policy_;
  UidTally tally_;
};

}  // namespace perfqos::daemon
