// CallerCache: what /proc says of a FUSE caller (its comm, cgroup and, when asked, supplementary
// groups), read once per thread id and kept for kTtl, so that a process that opens, writes and
// closes in a loop costs the single FUSE thread no /proc reads on most calls (issue #15: those
// reads ran serially and capped 64 such processes at a fraction of the floor).
//
// Why a short time-to-live is enough to be safe: the key is the caller's thread id as the FUSE
// request carries it, uid and gid come from the request itself every time, and a thread id can
// only name another thread after the kernel has handed out every other id (allocation is cyclic;
// choosing one needs CAP_SYS_ADMIN): at pid_max 32768 that takes seconds of forking, far longer
// than kTtl. A process moved to another cgroup is seen there within kTtl.
//
// Bounded: at most kMaxEntries callers; a full cache first forgets expired entries, then all.
//
// Thread safety: none; the FUSE tree uses it on the loop thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace perfqos::daemon {

class CallerCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kTtl = std::chrono::milliseconds(100);
  static constexpr std::size_t kMaxEntries = 4096;

  struct Caller {
    std::string comm;
    std::string cgroup;
    std::optional<std::vector<gid_t>> groups;  // read the first time they are asked for
  };

  // How groups are read (libfuse's fuse_req_getgroups for a live request).
  using ReadGroups = std::function<std::vector<gid_t>()>;

  // The caller `tid`, read from /proc when not known or older than kTtl. The reference stays
  // valid until the next call.
  const Caller& get(pid_t tid, Clock::time_point now);
  // As get(), and its supplementary groups, read with `read_groups` when not yet known.
  const Caller& get_with_groups(pid_t tid, Clock::time_point now, const ReadGroups& read_groups);

  std::size_t size() const { return callers_.size(); }
  // /proc reads made so far (comm and cgroup count as one), for the tests.
  std::size_t reads() const { return reads_; }

 private:
  struct Entry {
    Caller caller;
    Clock::time_point read_at;
  };
  // The entry of `tid`, read again from /proc (groups forgotten) when missing or expired.
  Caller& fresh(pid_t tid, Clock::time_point now);
  void make_room(Clock::time_point now);

  std::unordered_map<pid_t, Entry> callers_;
  std::size_t reads_ = 0;
};

}  // namespace perfqos::daemon
