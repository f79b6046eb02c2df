#include "cgroup/cgroup_watcher.h"

#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "util/errno_status.h"

namespace perfqos::daemon {

const char* to_string(CgroupState state) {
  switch (state) {
    case CgroupState::kMissing:
      return "missing";
    case CgroupState::kEmpty:
      return "empty";
    case CgroupState::kPopulated:
      return "populated";
  }
  return "?";
}

CgroupWatcher::CgroupWatcher(EventLoop& loop, const Logger& log, std::string mount)
    : loop_(loop), log_(log), mount_(std::move(mount)) {}

CgroupWatcher::~CgroupWatcher() {
  if (inotify_) loop_.unwatch(inotify_.get());
}

Status CgroupWatcher::start() {
  inotify_ = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_) return errno_status(errno, "inotify_init1");
  return loop_.watch(inotify_.get(), EPOLLIN, [this](std::uint32_t) { on_readable(); });
}

CgroupState CgroupWatcher::read_state(const std::string& cgroup) const {
  std::ifstream in(mount_ + cgroup + "/cgroup.events");
  if (!in) return CgroupState::kMissing;
  std::string key;
  int value = 0;
  while (in >> key >> value) {
    if (key == "populated") return value != 0 ? CgroupState::kPopulated : CgroupState::kEmpty;
  }
  return CgroupState::kEmpty;
}

void CgroupWatcher::arm(const std::string& cgroup, Entry& entry) {
  std::set<int> wds;
  if (inotify_) {
    const std::string dir = mount_ + cgroup;
    const auto add = [&](const std::string& path, std::uint32_t mask) {
      const int wd = ::inotify_add_watch(inotify_.get(), path.c_str(), mask | IN_MASK_ADD);
      if (wd < 0) return false;
      wds.insert(wd);
      by_wd_[wd].insert(cgroup);
      return true;
    };
    // The parent (the mount itself for a top-level cgroup) tells of rmdir and mkdir: kernfs
    // sends no IN_DELETE_SELF while a watch pins the inode, and a missing cgroup can only be
    // waited for there.
    const std::string parent = std::filesystem::path(dir).parent_path().string();
    const bool parent_watched =
        add(parent, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
    if (!add(dir + "/cgroup.events", IN_MODIFY) && !parent_watched) {
      log_.debug("cgroup " + cgroup +
                 ": neither it nor its parent exists; not watched until "
                 "the next reload");
    }
  }
  // A descriptor not returned again is of a watch this cgroup no longer needs, of a cgroup
  // removed since (made again, it has a new one), or of one the kernel dropped.
  for (int wd : entry.wds) {
    if (wds.count(wd) == 0) release(wd, cgroup);
  }
  entry.wds = std::move(wds);
}

void CgroupWatcher::release(int wd, const std::string& cgroup) {
  auto it = by_wd_.find(wd);
  if (it == by_wd_.end()) return;
  it->second.erase(cgroup);
  if (it->second.empty()) {
    // EINVAL for a watch the kernel dropped already: nothing to do then.
    ::inotify_rm_watch(inotify_.get(), wd);
    by_wd_.erase(it);
  }
}

void CgroupWatcher::disarm(const std::string& cgroup, Entry& entry) {
  for (int wd : entry.wds) release(wd, cgroup);
  entry.wds.clear();
}

std::uint64_t CgroupWatcher::watch(const std::string& cgroup, Listener listener, CgroupState* now) {
  const std::uint64_t id = next_id_++;
  auto [it, inserted] = entries_.try_emplace(cgroup);
  if (inserted) {
    arm(cgroup, it->second);
    it->second.state = read_state(cgroup);
  }
  it->second.listeners.emplace(id, std::move(listener));
  ids_.emplace(id, cgroup);
  if (now != nullptr) *now = it->second.state;
  return id;
}

void CgroupWatcher::unwatch(std::uint64_t id) {
  auto id_it = ids_.find(id);
  if (id_it == ids_.end()) return;
  auto it = entries_.find(id_it->second);
  ids_.erase(id_it);
  if (it == entries_.end()) return;
  it->second.listeners.erase(id);
  if (it->second.listeners.empty()) {
    disarm(it->first, it->second);
    entries_.erase(it);
  }
}

void CgroupWatcher::refresh(const std::string& cgroup) {
  auto it = entries_.find(cgroup);
  if (it == entries_.end()) return;
  const CgroupState before = it->second.state;
  // Watches first, then the state: a change after the read is an event on a watch in place.
  arm(cgroup, it->second);
  const CgroupState now = read_state(cgroup);
  it->second.state = now;
  if (now == before) return;
  // Listeners may unwatch (themselves or others) while being called.
  std::vector<std::uint64_t> ids;
  for (const auto& [id, listener] : it->second.listeners) ids.push_back(id);
  for (std::uint64_t id : ids) {
    auto e = entries_.find(cgroup);
    if (e == entries_.end()) return;
    auto l = e->second.listeners.find(id);
    if (l == e->second.listeners.end()) continue;
    Listener listener = l->second;
    listener(cgroup, now);
  }
}

void CgroupWatcher::rescan() {
  // Listeners may watch and unwatch meanwhile: refresh the cgroups watched now, by name.
  std::vector<std::string> cgroups;
  for (const auto& [cgroup, entry] : entries_) cgroups.push_back(cgroup);
  if (!overflowed_) {
    log_.warning(
        "cgroup watcher: inotify queue overflowed (fs.inotify.max_queued_events), "
        "events were lost: re-reading all " +
        std::to_string(cgroups.size()) + " watched cgroups");
  }
  overflowed_ = true;
  for (const std::string& cgroup : cgroups) refresh(cgroup);
}

void CgroupWatcher::on_readable() {
  alignas(inotify_event) char buf[16 * 1024];
  std::set<std::string> touched;
  bool overflow = false;
  for (;;) {
    const ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if ((ev->mask & IN_Q_OVERFLOW) != 0) {  // wd -1: of no watch, of all of them
        overflow = true;
        continue;
      }
      // Not found: a watch removed already (its IN_IGNORED, or an event queued before).
      auto it = by_wd_.find(ev->wd);
      if (it == by_wd_.end()) continue;
      touched.insert(it->second.begin(), it->second.end());
      if ((ev->mask & IN_IGNORED) != 0) {
        // The kernel dropped this watch (its inode is gone): forget it everywhere; refresh()
        // watches its cgroups again as they are now.
        for (const std::string& cgroup : it->second) {
          auto e = entries_.find(cgroup);
          if (e != entries_.end()) e->second.wds.erase(ev->wd);
        }
        by_wd_.erase(it);
      }
    }
  }
  if (overflow) {
    rescan();
    return;
  }
  overflowed_ = false;
  for (const std::string& cgroup : touched) refresh(cgroup);
}

}  // namespace perfqos::daemon
