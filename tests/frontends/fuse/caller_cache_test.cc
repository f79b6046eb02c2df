// CallerCache: what /proc says of a FUSE caller, read once per thread id for kTtl, bounded.
// Real processes: this one and forked children, whose comm is set with prctl(PR_SET_NAME).
#include "frontends/fuse/caller_cache.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admission/peer_identity.h"

namespace perfqos::daemon {
namespace {

using Clock = CallerCache::Clock;

// A child that renames itself `name` and waits until killed.
class NamedChild {
 public:
  explicit NamedChild(const char* name) {
    int ready[2];
    if (::pipe(ready) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_NAME, name);
      (void)!::write(ready[1], "x", 1);
      for (;;) ::pause();
    }
    char c;
    (void)!::read(ready[0], &c, 1);
    ::close(ready[0]);
    ::close(ready[1]);
  }
  ~NamedChild() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST(CallerCache, ReadsProcOncePerCallerWithinTheTtl) {
  CallerCache cache;
  NamedChild child("cache-child");
  const Clock::time_point t0 = Clock::now();
  const CallerCache::Caller& first = cache.get(child.pid(), t0);
  EXPECT_EQ(first.comm, "cache-child");
  EXPECT_EQ(first.cgroup, process_cgroup(child.pid()));
  EXPECT_FALSE(first.cgroup.empty());
  for (int i = 0; i < 100; ++i) (void)cache.get(child.pid(), t0 + CallerCache::kTtl / 2);
  EXPECT_EQ(cache.reads(), 1u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(CallerCache, ReadsAgainOnceTheTtlHasPassed) {
  char saved[16] = {};
  ::prctl(PR_GET_NAME, saved);
  CallerCache cache;
  const Clock::time_point t0 = Clock::now();
  ::prctl(PR_SET_NAME, "before");
  EXPECT_EQ(cache.get(::getpid(), t0).comm, "before");
  ::prctl(PR_SET_NAME, "after");
  EXPECT_EQ(cache.get(::getpid(), t0 + CallerCache::kTtl / 2).comm, "before");  // kept
  EXPECT_EQ(cache.get(::getpid(), t0 + CallerCache::kTtl).comm, "after");       // read again
  EXPECT_EQ(cache.reads(), 2u);
  ::prctl(PR_SET_NAME, saved);
}

TEST(CallerCache, GroupsAreReadOnlyWhenAskedAndThenKept) {
  CallerCache cache;
  const Clock::time_point t0 = Clock::now();
  int group_reads = 0;
  const auto read_groups = [&group_reads] {
    ++group_reads;
    return std::vector<gid_t>{4, 27};
  };
  EXPECT_FALSE(cache.get(::getpid(), t0).groups.has_value());
  const CallerCache::Caller& with = cache.get_with_groups(::getpid(), t0, read_groups);
  ASSERT_TRUE(with.groups.has_value());
  EXPECT_EQ(*with.groups, (std::vector<gid_t>{4, 27}));
  (void)cache.get_with_groups(::getpid(), t0, read_groups);
  EXPECT_EQ(group_reads, 1);
  // Expired: comm, cgroup and groups are all read again.
  (void)cache.get_with_groups(::getpid(), t0 + CallerCache::kTtl, read_groups);
  EXPECT_EQ(group_reads, 2);
  EXPECT_EQ(cache.reads(), 2u);
}

TEST(CallerCache, AnUnreadableCallerReadsAsEmpty) {
  CallerCache cache;
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  const CallerCache::Caller& c = cache.get(gone, Clock::now());
  EXPECT_TRUE(c.comm.empty());
  EXPECT_TRUE(c.cgroup.empty());
}

TEST(CallerCache, StaysBoundedUnderAFloodOfCallers) {
  CallerCache cache;
  const Clock::time_point t0 = Clock::now();
  // Thread ids that name nobody: the reads fail fast and the entries still count.
  for (pid_t tid = 1; tid <= static_cast<pid_t>(3 * CallerCache::kMaxEntries); ++tid) {
    (void)cache.get(4000000 + tid, t0);
    ASSERT_LE(cache.size(), CallerCache::kMaxEntries);
  }
  // Expired entries are the first to go: one fresh caller among old ones survives a refill.
  CallerCache aging;
  for (pid_t tid = 1; tid < static_cast<pid_t>(CallerCache::kMaxEntries); ++tid)
    (void)aging.get(4000000 + tid, t0);
  (void)aging.get(::getpid(), t0 + CallerCache::kTtl);
  (void)aging.get(4100000, t0 + CallerCache::kTtl);  // full: forgets the expired ones
  EXPECT_EQ(aging.size(), 2u);
  const std::size_t reads = aging.reads();
  (void)aging.get(::getpid(), t0 + CallerCache::kTtl);
  EXPECT_EQ(aging.reads(), reads);
}

}  // namespace
}  // namespace perfqos::daemon
