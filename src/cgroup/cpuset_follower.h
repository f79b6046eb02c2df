// CpusetFollower: the CPUs of cgroups (`cpuset.cpus.effective`), followed for the requests
// scoped to them (`--cpus-of CGROUP`, issue #17 point 3).
//
// cgroupfs sends no inotify event when a cgroup's effective CPUs change (the kernel notifies only
// cgroup.events and the partition file), so the follower re-reads the set of every followed
// cgroup once per `period`, while it follows any, and tells a listener only when its set
// changed. With nothing followed its timer is disarmed: a daemon without such requests makes no
// wake-ups for them.
//
// Which file: `ROOT MOUNT CGROUP/cpuset.cpus.effective`, ROOT being the daemon's sysfs root ("/"
// on a real system, a generated tree in tests) and MOUNT the cgroup2 mount. A cgroup without the
// file (the cpuset controller is not enabled for it) runs on its nearest ancestor's CPUs, so
// that one is read; with no cpuset anywhere, the CPUs of `ROOT/sys/devices/system/cpu/online`.
// A cgroup exists when it does in the cgroup2 hierarchy (or under ROOT MOUNT, for a generated
// tree); one that does not has no CPUs.
//
// Thread safety: confined to the loop thread. Listeners may follow and unfollow, themselves
// included.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "daemon/event_loop.h"
#include "util/log.h"
#include "util/status.h"
#include "util/unique_fd.h"

namespace perfqos::daemon {

class CpusetFollower {
 public:
  using Listener = std::function<void(const std::vector<int>& cpus)>;
  static constexpr std::chrono::milliseconds kDefaultPeriod{1000};

  // REQUIRES: `loop` and `log` outlive the follower. `root` is prefixed to every path as it
  // is ("" or "/" for the real file system).
  CpusetFollower(EventLoop& loop, const Logger& log, std::string root, std::string mount,
                 std::chrono::milliseconds period = kDefaultPeriod);
  ~CpusetFollower();
  CpusetFollower(const CpusetFollower&) = delete;
  CpusetFollower& operator=(const CpusetFollower&) = delete;

  // The CPUs `cgroup` (a cgroup v2 path, "/x.slice/y") runs on now, ascending; empty when the
  // cgroup does not exist. A file that cannot be read or parsed reads as no CPUs (and is
  // logged at debug level: the kernel writes well-formed lists).
  std::vector<int> cpus_of(const std::string& cgroup) const;
  // Whether `cgroup` exists (see above).
  bool exists(const std::string& cgroup) const;
  const std::string& mount() const { return mount_; }

  // Calls `listener` with the new set each time the CPUs of `cgroup` change from `*now`,
  // which is filled with the set now. Returns an id for unfollow() (never 0). Errors: the
  // timer cannot be made or watched (errno of timerfd_create / epoll_ctl).
  Status follow(const std::string& cgroup, Listener listener, std::vector<int>* now,
                std::uint64_t* id);
  void unfollow(std::uint64_t id);

  std::size_t followed() const { return follows_.size(); }

 private:
  struct Follow {
    std::string cgroup;
    std::vector<int> cpus;
    Listener listener;
  };
  Status arm(bool on);
  void on_timer();

  EventLoop& loop_;
  const Logger& log_;
  std::string root_;
  std::string mount_;
  std::chrono::milliseconds period_;
  UniqueFd timer_;
  bool armed_ = false;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Follow> follows_;
};

}  // namespace perfqos::daemon
