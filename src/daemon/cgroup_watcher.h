// CgroupWatcher: follows whether cgroup v2 cgroups exist and are populated, with inotify on the
// event loop. A cgroup is watched through its `cgroup.events` file (the kernel signals a change
// of `populated` as a modification) and its parent directory (IN_DELETE on rmdir, IN_CREATE on
// mkdir), so a cgroup that is removed and comes back is noticed as long as its parent exists.
// Any event on a watch re-reads the state of the cgroups behind it; listeners hear only changes.
//
// Paths are cgroup v2 paths relative to the mount ("/games.slice/x.scope"); the mount comes
// from find_cgroup2_mount().
//
// Thread safety: confined to the loop thread. Listeners may watch and unwatch, including
// themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "daemon/event_loop.h"
#include "daemon/log.h"
#include "daemon/unique_fd.h"
#include "perfqos/status.h"

namespace perfqos::daemon {

enum class CgroupState : std::uint8_t { kMissing, kEmpty, kPopulated };
const char* to_string(CgroupState state);

class CgroupWatcher {
 public:
  using Listener = std::function<void(const std::string& cgroup, CgroupState state)>;

  // REQUIRES: `loop` and `log` outlive the watcher.
  CgroupWatcher(EventLoop& loop, const Logger& log, std::string mount);
  ~CgroupWatcher();
  CgroupWatcher(const CgroupWatcher&) = delete;
  CgroupWatcher& operator=(const CgroupWatcher&) = delete;

  // Creates the inotify instance and watches it on the loop.
  Status start();
  const std::string& mount() const { return mount_; }

  // Calls `listener` on every change of the state of `cgroup` from now on; returns an id for
  // unwatch() (never 0) and fills `*now` with the current state.
  std::uint64_t watch(const std::string& cgroup, Listener listener, CgroupState* now);
  void unwatch(std::uint64_t id);

  // The state now, read from the file system.
  CgroupState read_state(const std::string& cgroup) const;

 private:
  struct Entry {
    CgroupState state = CgroupState::kMissing;
    std::map<std::uint64_t, Listener> listeners;
    std::set<int> wds;
  };
  void on_readable();
  // Sets up the inotify watches that fit the cgroup's current existence.
  void arm(const std::string& cgroup, Entry& entry);
  void disarm(const std::string& cgroup, Entry& entry);
  void refresh(const std::string& cgroup);

  EventLoop& loop_;
  const Logger& log_;
  std::string mount_;
  UniqueFd inotify_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, Entry> entries_;
  std::map<std::uint64_t, std::string> ids_;
  std::map<int, std::set<std::string>> by_wd_;
};

}  // namespace perfqos::daemon
