// CgroupWatcher: follows whether cgroup v2 cgroups exist and are populated, with inotify on the
// event loop. A cgroup is watched through its `cgroup.events` file (the kernel signals a change
// of `populated` as a modification) and its parent directory (IN_DELETE on rmdir, IN_CREATE on
// mkdir), so a cgroup that is removed and comes back is noticed as long as its parent exists.
// Any event on a watch re-reads the state of the cgroups behind it and fits their watches to it
// again (a cgroup removed and made again between two reads gets its new cgroup.events watched);
// listeners hear only changes.
//
// Lost events: when the kernel's queue for the inotify instance overflows (IN_Q_OVERFLOW, at
// fs.inotify.max_queued_events), any event may be gone, IN_IGNORED included, so the state of
// every watched cgroup is re-read and every watch fitted again; this is logged once per episode
// (until a read without overflow). Events of watches already removed (their IN_IGNORED comes
// after inotify_rm_watch) are ignored; an IN_IGNORED of a watch in use (the kernel dropped it)
// makes its cgroups re-read and watched again.
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
#include "util/log.h"
#include "util/status.h"
#include "util/unique_fd.h"

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
  // Sets up the inotify watches that fit the cgroup's current existence and gives up those it
  // no longer needs. Watches still needed keep their descriptors (inotify_add_watch returns the
  // same one), so re-arming queues no events.
  void arm(const std::string& cgroup, Entry& entry);
  void disarm(const std::string& cgroup, Entry& entry);
  // `cgroup` no longer uses `wd`; the watch is removed when no cgroup does.
  void release(int wd, const std::string& cgroup);
  // Re-arms `cgroup`, re-reads its state and tells its listeners if it changed.
  void refresh(const std::string& cgroup);
  // After lost events: refresh() of every watched cgroup.
  void rescan();

  EventLoop& loop_;
  const Logger& log_;
  std::string mount_;
  UniqueFd inotify_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, Entry> entries_;
  std::map<std::uint64_t, std::string> ids_;
  std::map<int, std::set<std::string>> by_wd_;
  bool overflowed_ = false;  // in an overflow episode: logged already
};

}  // namespace perfqos::daemon
