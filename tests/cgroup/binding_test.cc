// Cgroup-bound requests under attack (issue #13, findings 5 and 7), against a real perfqosd and
// real cgroups: BIND's quotas (per binder uid and in all), who may bind which cgroup, and an
// inotify queue overflow that must not leave a binding in force on a cgroup that emptied.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "perfqos/client.h"
#include "support/effective.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
#include "support/run_as.h"

namespace perfqos {
namespace {

using testing::ConfigFile;
using testing::DaemonProcess;
using testing::eventually;
using testing::run_as;
using testing::TestCgroup;
using testing::effective;
using testing::unique;
using testing::kNobody;
using testing::kLatencyNoConstraint;


// Active bindings on `device`, as `status` shows them; -1 when status fails.
int bound_holders(const std::string& socket, const char* device) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return -1;
  perfqos_holder_info* holders = nullptr;
  std::size_t n = 0;
  int count = -1;
  if (perfqos_status(c, device, &holders, &n) == 0) {
    count = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (holders[i].holder_kind == PERFQOS_HOLDER_CGROUP_BINDING) ++count;
    }
  }
  perfqos_free(holders);
  perfqos_close(c);
  return count;
}

// 1 when the client's last error names `text`.
int says(perfqos_client* c, const char* text) {
  return std::strstr(perfqos_last_error(c), text) != nullptr ? 1 : 0;
}

const char* kGrantNobody = R"(
[[grant]]
users = [65534]
device = "network_latency"
)";

// Finding 5: a granted uid limited to 4 requests per holder and 4 connections made 20,000
// bindings on one connection; they outlived it. Now BIND counts per binder uid: the fifth gets
// EDQUOT naming the key, closing the connection gives nothing back, UNBIND does.
TEST(CgroupBindingDaemon, UnprivilegedBindingsStopAtThePerUidQuota) {
  TestCgroup group(unique("/pq-test-bindquota-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ASSERT_EQ(::chown(group.dir().c_str(), kNobody, kNobody), 0) << std::strerror(errno);
  group.spawn_sleeper();  // populated: every binding is an active holder that status shows
  ConfigFile config(std::string(kGrantNobody) +
                    "\n[quotas]\nmax_requests_per_holder = 4\nmax_connections_per_uid = 4\n"
                    "max_bindings_per_uid = 4\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  const std::string cgroup = group.path();

  std::vector<int> r = run_as(kNobody, kNobody, [&](std::vector<int>& out) {
    perfqos_client* c = nullptr;
    out.push_back(perfqos_connect(socket.c_str(), 5000, &c));
    std::vector<std::uint32_t> ids;
    for (int i = 0; i < 20; ++i) {
      std::uint32_t id = 0;
      const int rc =
          perfqos_bind(c, cgroup.c_str(), "network_latency", nullptr, 100 + i, &id, nullptr);
      if (rc == 0) ids.push_back(id);
      if (rc != 0 && i == 4) out.push_back(says(c, "quotas.max_bindings_per_uid = 4"));
      out.push_back(rc);
    }
    perfqos_close(c);
    // The bindings outlived the connection, and so does their count.
    out.push_back(perfqos_connect(socket.c_str(), 5000, &c));
    std::uint32_t id = 0;
    out.push_back(perfqos_bind(c, cgroup.c_str(), "network_latency", nullptr, 200, &id, nullptr));
    // UNBIND gives the slot back: one more fits, and then no more.
    out.push_back(perfqos_unbind(c, ids.empty() ? 0 : ids[0], nullptr));
    out.push_back(perfqos_bind(c, cgroup.c_str(), "network_latency", nullptr, 201, &id, nullptr));
    out.push_back(perfqos_bind(c, cgroup.c_str(), "network_latency", nullptr, 202, &id, nullptr));
    perfqos_close(c);
  });
  std::vector<int> expected{0, 0, 0, 0, 0, 1};
  expected.insert(expected.end(), 16, -EDQUOT);
  expected.insert(expected.end(), {0, -EDQUOT, 0, 0, -EDQUOT});
  EXPECT_EQ(r, expected) << d.log();
  EXPECT_EQ(bound_holders(socket, "network_latency"), 4) << d.log();
  EXPECT_EQ(effective(socket, "network_latency"), 101);  // the lowest of 101..103 and 201

  // Root is exempt (apply_to_root is false).
  perfqos_client* root = nullptr;
  ASSERT_EQ(perfqos_connect(socket.c_str(), 5000, &root), 0);
  for (int i = 0; i < 3; ++i) {
    std::uint32_t id = 0;
    EXPECT_EQ(perfqos_bind(root, cgroup.c_str(), "network_latency", nullptr, 300, &id, nullptr), 0)
        << perfqos_last_error(root);
  }
  perfqos_close(root);
  EXPECT_EQ(bound_holders(socket, "network_latency"), 7);
}

// The global bound counts every client's bindings, root's too, but refuses only those not
// exempt; the config's [[bind]]s count against nothing.
TEST(CgroupBindingDaemon, AllClientBindingsTogetherStopAtTheGlobalQuota) {
  TestCgroup group(unique("/pq-test-bindall-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ASSERT_EQ(::chown(group.dir().c_str(), kNobody, kNobody), 0) << std::strerror(errno);
  ConfigFile config(std::string(kGrantNobody) + "\n[[bind]]\ncgroup = \"" + group.path() +
                    "\"\ndevice = \"network_latency\"\nvalue = 500\n"
                    "\n[[bind]]\ncgroup = \"" +
                    group.path() +
                    "\"\ndevice = \"cpu_dma_latency\"\nvalue = 500\n"
                    "\n[quotas]\nmax_bindings = 3\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  const std::string cgroup = group.path();

  perfqos_client* root = nullptr;
  ASSERT_EQ(perfqos_connect(socket.c_str(), 5000, &root), 0);
  std::uint32_t ids[3] = {};
  ASSERT_EQ(perfqos_bind(root, cgroup.c_str(), "network_latency", nullptr, 10, &ids[0], nullptr),
            0);
  ASSERT_EQ(perfqos_bind(root, cgroup.c_str(), "network_latency", nullptr, 11, &ids[1], nullptr),
            0);
  const auto nobody_binds = [&](std::vector<int>& out) {
    perfqos_client* c = nullptr;
    std::uint32_t mine = 0;
    out.push_back(perfqos_connect(socket.c_str(), 5000, &c));
    out.push_back(perfqos_bind(c, cgroup.c_str(), "network_latency", nullptr, 20, &mine, nullptr));
    out.push_back(perfqos_bind(c, cgroup.c_str(), "network_latency", nullptr, 21, &mine, nullptr));
    out.push_back(says(c, "quotas.max_bindings = 3"));
    perfqos_close(c);
  };
  EXPECT_EQ(run_as(kNobody, kNobody, nobody_binds), (std::vector<int>{0, 0, -EDQUOT, 1}))
      << d.log();
  // Root is not refused, though it counts: 4 client bindings now, over the bound.
  EXPECT_EQ(perfqos_bind(root, cgroup.c_str(), "network_latency", nullptr, 12, &ids[2], nullptr),
            0);
  EXPECT_EQ(run_as(kNobody, kNobody, nobody_binds), (std::vector<int>{0, -EDQUOT, -EDQUOT, 1}));
  // Two of root's UNBINDs give back two slots: one is under the bound again.
  ASSERT_EQ(perfqos_unbind(root, ids[1], nullptr), 0);
  ASSERT_EQ(perfqos_unbind(root, ids[2], nullptr), 0);
  EXPECT_EQ(run_as(kNobody, kNobody, nobody_binds), (std::vector<int>{0, 0, -EDQUOT, 1}));
  perfqos_close(root);
}

// Who may bind which cgroup: an unprivileged binder only a cgroup delegated to it (its directory
// owned by the binder's uid) or the cgroup it is in and those below; root any cgroup.
TEST(CgroupBindingDaemon, UnprivilegedBindsOnlyCgroupsDelegatedToItOrItsOwn) {
  TestCgroup others(unique("/pq-test-bindothers-"));
  TestCgroup owned(unique("/pq-test-bindowned-"));
  TestCgroup member(unique("/pq-test-bindmember-"));
  TestCgroup below(member.path() + "/below");
  if (!others.ok() || !owned.ok() || !member.ok() || !below.ok()) {
    GTEST_SKIP() << "cgroup2 is not writable here";
  }
  ASSERT_EQ(::chown(owned.dir().c_str(), kNobody, kNobody), 0) << std::strerror(errno);
  ConfigFile config(kGrantNobody);
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();

  const auto bind_each = [&](std::vector<int>& out) {
    perfqos_client* c = nullptr;
    std::uint32_t id = 0;
    out.push_back(perfqos_connect(socket.c_str(), 5000, &c));
    for (const TestCgroup* g : {&others, &owned, &member, &below}) {
      out.push_back(
          perfqos_bind(c, g->path().c_str(), "network_latency", nullptr, 50, &id, nullptr));
      if (g == &others) out.push_back(says(c, "owned by uid 0"));
    }
    perfqos_close(c);
  };
  // In the root cgroup (or wherever the test runs, none of these): only the owned one.
  EXPECT_EQ(run_as(kNobody, kNobody, bind_each),
            (std::vector<int>{0, -EACCES, 1, 0, -EACCES, -EACCES}))
      << d.log();
  // A member of `member`: that one and the one below it too, never `others`.
  EXPECT_EQ(run_as(kNobody, kNobody, bind_each, &member),
            (std::vector<int>{0, -EACCES, 1, 0, 0, 0}))
      << d.log();
  // A member of `below` may not bind its parent.
  EXPECT_EQ(run_as(kNobody, kNobody, bind_each, &below),
            (std::vector<int>{0, -EACCES, 1, 0, -EACCES, 0}))
      << d.log();
  // Root may bind any cgroup.
  perfqos_client* root = nullptr;
  ASSERT_EQ(perfqos_connect(socket.c_str(), 5000, &root), 0);
  std::uint32_t id = 0;
  EXPECT_EQ(perfqos_bind(root, others.path().c_str(), "network_latency", nullptr, 50, &id, nullptr),
            0);
  perfqos_close(root);
}

// Sets /proc/sys/fs/inotify/max_queued_events for as long as it lives (or until restore()).
class QueuedEventsLimit {
 public:
  explicit QueuedEventsLimit(int limit) {
    std::ifstream(kPath) >> saved_;
    std::ofstream out(kPath);
    out << limit << std::flush;
    ok_ = saved_ > 0 && out.good();
  }
  ~QueuedEventsLimit() { restore(); }
  bool ok() const { return ok_; }
  void restore() {
    if (saved_ > 0) std::ofstream(kPath) << saved_ << std::flush;
    saved_ = 0;
  }

 private:
  static constexpr const char* kPath = "/proc/sys/fs/inotify/max_queued_events";
  int saved_ = 0;
  bool ok_ = false;
};

// Finding 7: IN_Q_OVERFLOW was dropped without a rescan, so a binding stayed in force on a
// cgroup that emptied while the daemon's inotify queue was full. The daemon's queue is made
// small (the kernel reads the limit when the instance is created, at start), the daemon is
// stopped while a burst of mkdir/rmdir under another watched cgroup fills it and the bound
// cgroup empties, then resumed: the binding must go.
TEST(CgroupBindingDaemon, InotifyOverflowRereadsEveryWatchedCgroup) {
  TestCgroup bound_parent(unique("/pq-test-ovf-bound-"));
  TestCgroup bound(bound_parent.path() + "/x");
  TestCgroup noisy_parent(unique("/pq-test-ovf-noisy-"));
  TestCgroup noisy(noisy_parent.path() + "/y");
  if (!bound.ok() || !noisy.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ConfigFile config("[[bind]]\ncgroup = \"" + bound.path() +
                    "\"\ndevice = \"cpu_dma_latency\"\nvalue = 50\n"
                    "[[bind]]\ncgroup = \"" +
                    noisy.path() + "\"\ndevice = \"network_latency\"\nvalue = 60\n");
  QueuedEventsLimit limit(16);
  if (!limit.ok()) GTEST_SKIP() << "cannot set fs.inotify.max_queued_events";
  DaemonProcess d({"--config", config.path});
  limit.restore();  // the daemon's instance has its small queue; nobody else's should
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  bound.spawn_sleeper();
  ASSERT_TRUE(eventually([&] { return effective(socket, "cpu_dma_latency") == 50; })) << d.log();

  // Our own inotify watch on the bound cgroup's events tells when the kernel has sent its
  // "emptied" notification (kernfs sends it from a work item, maybe deferred).
  const int ours = ::inotify_init1(IN_CLOEXEC);
  ASSERT_GE(ours, 0);
  ASSERT_GE(::inotify_add_watch(ours, (bound.dir() + "/cgroup.events").c_str(), IN_MODIFY), 0);

  ASSERT_EQ(::kill(d.pid(), SIGSTOP), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(d.pid(), &status, WUNTRACED), d.pid());
  ASSERT_TRUE(WIFSTOPPED(status));
  for (int i = 0; i < 40; ++i) {  // 80 events on the noisy parent: far past 16
    const std::string dir = noisy_parent.dir() + "/burst" + std::to_string(i);
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << std::strerror(errno);
    ASSERT_EQ(::rmdir(dir.c_str()), 0) << std::strerror(errno);
  }
  bound.kill_all();
  pollfd p{ours, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 10000), 1) << "no notification of the emptied cgroup";
  ::close(ours);
  ASSERT_EQ(::kill(d.pid(), SIGCONT), 0);

  EXPECT_TRUE(eventually([&] { return effective(socket, "cpu_dma_latency") == kLatencyNoConstraint; }))
      << d.log();
  EXPECT_EQ(effective(socket, "network_latency"), kLatencyNoConstraint);  // noisy is empty throughout
  const std::string log = d.log();
  EXPECT_NE(log.find("inotify queue overflowed"), std::string::npos) << log;
  // The watches still work after the rescan.
  bound.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return effective(socket, "cpu_dma_latency") == 50; })) << d.log();
  bound.kill_all();
  EXPECT_TRUE(eventually([&] { return effective(socket, "cpu_dma_latency") == kLatencyNoConstraint; }))
      << d.log();
}

// A cgroup removed and made again while the daemon did not read (here: stopped) has a new
// cgroup.events; the watch on the old one would never fire again. The daemon must watch the new
// one, so the binding is placed when the new cgroup fills.
TEST(CgroupBindingDaemon, CgroupRemovedAndMadeAgainBetweenReadsIsWatchedAgain) {
  TestCgroup parent(unique("/pq-test-remade-"));
  TestCgroup bound(parent.path() + "/x");
  TestCgroup marker(parent.path() + "/z");
  if (!bound.ok() || !marker.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ASSERT_TRUE(marker.remove());
  ConfigFile config("[[bind]]\ncgroup = \"" + bound.path() +
                    "\"\ndevice = \"cpu_dma_latency\"\nvalue = 50\n"
                    "[[bind]]\ncgroup = \"" +
                    marker.path() + "\"\ndevice = \"network_latency\"\nvalue = 60\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();

  ASSERT_EQ(::kill(d.pid(), SIGSTOP), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(d.pid(), &status, WUNTRACED), d.pid());
  ASSERT_TRUE(bound.remove());
  ASSERT_TRUE(bound.create());
  // The marker comes and fills after: once the daemon shows its binding, it has read the
  // removal and the making again of `bound` too.
  ASSERT_TRUE(marker.create());
  marker.spawn_sleeper();
  ASSERT_EQ(::kill(d.pid(), SIGCONT), 0);
  ASSERT_TRUE(eventually([&] { return effective(socket, "network_latency") == 60; })) << d.log();

  bound.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return effective(socket, "cpu_dma_latency") == 50; })) << d.log();
  bound.kill_all();
  marker.kill_all();
}

}  // namespace
}  // namespace perfqos
