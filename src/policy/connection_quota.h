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
// Thread safety: confined to the daemon's loop thread (FUSE workers reach it through the
// LoopExecutor). Slots are destroyed on that thread too.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <unordered_map>

#include "policy/policy_store.h"
#include "util/status.h"

namespace perfqos::daemon {

class ConnectionQuota {
 public:
  // One admitted connection; counts against its uid while it lives. Movable, not copyable.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : quota_(other.quota_), uid_(other.uid_) { other.quota_ = nullptr; }
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

    bool admitted() const { return quota_ != nullptr; }

   private:
    friend class ConnectionQuota;
    Slot(ConnectionQuota* quota, uid_t uid) : quota_(quota), uid_(uid) {}
    void release();

    ConnectionQuota* quota_ = nullptr;
    uid_t uid_ = 0;
  };

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
  std::size_t held(uid_t uid) const;
  // Connections every uid holds together.
  std::size_t total() const { return total_; }

 private:
  const PolicyStore* policy_;
  std::unordered_map<uid_t, std::size_t> held_;
  std::size_t total_ = 0;
};

}  // namespace perfqos::daemon
