#include "frontends/fuse/caller_cache.h"

#include "admission/peer_identity.h"

namespace perfqos::daemon {

const CallerCache::Caller& CallerCache::get(pid_t tid, Clock::time_point now) {
  return fresh(tid, now);
}

const CallerCache::Caller& CallerCache::get_with_groups(pid_t tid, Clock::time_point now,
                                                        const ReadGroups& read_groups) {
  Caller& caller = fresh(tid, now);
  if (!caller.groups) caller.groups = read_groups();
  return caller;
}

CallerCache::Caller& CallerCache::fresh(pid_t tid, Clock::time_point now) {
  auto it = callers_.find(tid);
  if (it != callers_.end() && now - it->second.read_at < kTtl) return it->second.caller;
  if (it == callers_.end()) {
    make_room(now);
    it = callers_.emplace(tid, Entry{}).first;
  }
  Entry& e = it->second;
  e.caller.comm = process_comm(tid);
  e.caller.cgroup = process_cgroup(tid);
  e.caller.groups.reset();
  e.read_at = now;
  ++reads_;
  return e.caller;
}

void CallerCache::make_room(Clock::time_point now) {
  if (callers_.size() < kMaxEntries) return;
  std::erase_if(callers_, [now](const auto& kv) { return now - kv.second.read_at >= kTtl; });
  if (callers_.size() >= kMaxEntries) callers_.clear();
}

}  // namespace perfqos::daemon
