// ConnectionQuota: the config's max_connections_per_uid (DESIGN §8) across every front end. A
// socket connection and a FUSE open file that may hold requests (a class node opened for writing,
// any perf_qos node) are each one "connection" of their uid; both front ends ask the same
// ConnectionQuota, so a uid cannot get around its quota by mixing them.
//
//   admit(uid) asks the current policy whether `uid` may have one more connection. Admitted, it
//   returns a Slot that counts until it is destroyed; refused, an empty Slot and EUSERS with the
//   policy's message (the quota, what the uid holds). Without a policy everything is admitted
//   and counted.
//
// Thread safety: confined to the daemon's loop thread (FUSE workers reach it through the
// LoopExecutor). Slots are destroyed on that thread too.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <unordered_map>

#include "daemon/policy_store.h"
#include "perfqos/status.h"

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

  // Ok and an admitted slot, or EUSERS and an empty one.
  Status admit(uid_t uid, Slot* slot);

  // Connections `uid` holds now.
  std::size_t held(uid_t uid) const;

 private:
  const PolicyStore* policy_;
  std::unordered_map<uid_t, std::size_t> held_;
};

}  // namespace perfqos::daemon
