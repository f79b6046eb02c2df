// ConnectionQuota: the config's max_connections_per_uid and max_connections (DESIGN §8) across
// every front end. A socket connection and a FUSE open file that may hold requests (a class node
// opened for writing, any perf_qos node) are each one "connection" of their uid; both front ends
// ask the same ConnectionQuota, so a uid cannot get around its quota by mixing them.
//
//   admit(uid) asks the current policy whether `uid` may have one more connection: first its
//   per-uid quota, then the global one (which counts everyone's connections, root's included,
//   but refuses only uids the quotas apply to: not root unless apply_to_root). Admitted, it
//   returns a Slot that counts until it is destroyed; refused, an empty Slot and EUSERS whose
//   message names the quota key and its value. Without a policy everything is admitted and
//   counted.
//   check(uid) says what admit(uid) would say now without counting anything: a front end can
//   shed a connection before it pays for anything else (the socket does, before /proc reads).
//
// Thread safety: confined to the daemon's loop thread (which serves FUSE too). Slots are
// destroyed on that thread too.
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "policy/policy_store.h"
#include "policy/uid_tally.h"
#include "util/status.h"

namespace perfqos::daemon {

class ConnectionQuota {
 public:
  // One counted place: an admitted connection of a uid, while it lives.
  using Slot = UidTally::Slot;

  // REQUIRES: `policy`, when not null, outlives the quota and its slots.
  explicit ConnectionQuota(const PolicyStore* policy = nullptr) : policy_(policy) {}
  ConnectionQuota(const ConnectionQuota&) = delete;
  ConnectionQuota& operator=(const ConnectionQuota&) = delete;

  void set_policy(const PolicyStore* policy) { policy_ = policy; }
  // The policy the quotas come from; null when there is none.
  const PolicyStore* policy() const { return policy_; }

  // Ok and an admitted slot, or EUSERS and an empty one.
  Status admit(uid_t uid, Slot* slot);
  // What admit(uid) would answer now; counts nothing.
  Status check(uid_t uid) const;

  // Connections `uid` holds now.
  std::size_t held(uid_t uid) const { return tally_.held(uid); }
  // Connections every uid holds together.
  std::size_t total() const { return tally_.total(); }

 private:
  const PolicyStore* policy_;
  UidTally tally_;
};

}  // namespace perfqos::daemon
