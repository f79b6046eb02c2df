// InstanceLock: one perfqosd per state directory (DESIGN §10).
//
// Two daemons on one state directory would share one restore journal: the second would put the
// first one's knobs back, remove its journal and leave it believing its originals are recorded.
// So the daemon takes this lock before it restores or touches anything, and holds it for its
// whole life: an flock(LOCK_EX | LOCK_NB) on <state_dir>/perfqosd.lock, which holds the owner's
// pid as text (for the message a second start prints). The kernel drops the lock when the
// owner dies, however it dies, so a crash never leaves a stale lock; the file itself stays.
//
// Thread safety: none needed (taken once at start, released at exit).
#pragma once

#include <sys/types.h>

#include "backends/journal/state_dir.h"
#include "util/status.h"
#include "util/unique_fd.h"

namespace perfqos::daemon {

inline constexpr char kInstanceLockFileName[] = "perfqosd.lock";

class InstanceLock {
 public:
  InstanceLock() = default;  // holds nothing
  InstanceLock(InstanceLock&&) noexcept = default;
  InstanceLock& operator=(InstanceLock&&) noexcept = default;

  // Takes the lock of `dir` and writes this process's pid into the file; on success *out holds
  // it. Errors (*out unchanged):
  //   EBUSY: another process holds it; the message names its pid (as the file says) and the file;
  //   EPERM: the lock file is not a regular file owned by this euid;
  //   otherwise the errno of open, flock or write.
  static Status acquire(const StateDir& dir, InstanceLock* out);

  bool held() const { return static_cast<bool>(fd_); }

 private:
  explicit InstanceLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // the lock lives as long as this open file description
};

}  // namespace perfqos::daemon
