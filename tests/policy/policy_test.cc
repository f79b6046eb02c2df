// Policy end to end: a real perfqosd with a config file, real unprivileged clients (fork +
// setgid/setuid), real cgroups (mkdir under the cgroup2 mount, processes moved in by pid).
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>

#include "perfqos/client.h"
#include "perfqos/perf_qos_ioctl.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
#include "support/effective.h"
#include "support/fuse_mount_dir.h"
#include "support/run_as.h"

namespace perfqos {
namespace {

using testing::ConfigFile;
using testing::DaemonProcess;
using testing::effective;
using testing::eventually;
using testing::FuseMountDir;
using testing::run_as;
using testing::TestCgroup;

constexpr std::int32_t kLatencyDefault = 2000000000;
constexpr uid_t kNobody = 65534;

int add(const std::string& socket, const char* device, const char* knob, std::int32_t value) {
  perfqos_client* c = nullptr;
  int rc = perfqos_connect(socket.c_str(), 5000, &c);
  if (rc == 0) {
    std::uint32_t id = 0;
    rc = perfqos_add(c, device, knob, value, &id, nullptr);
  }
  perfqos_close(c);
  return rc;
}

TEST(PolicyDaemon, GrantsAllowExactlyTheirRangesOnTheSocket) {
  ConfigFile config(R"(
[[grant]]
users = [65534]
device = "cpu_dma_latency"
min = 20
max = 1000

[[grant]]
groups = [4242]
device = "network_*"
knob = "latency"
max = 500
)");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  std::vector<int> r = run_as(kNobody, kNobody, [&](std::vector<int>& out) {
    out.push_back(add(socket, "cpu_dma_latency", nullptr, 20));
    out.push_back(add(socket, "cpu_dma_latency", nullptr, 1000));
    out.push_back(add(socket, "cpu_dma_latency", nullptr, 19));
    out.push_back(add(socket, "cpu_dma_latency", nullptr, 1001));
    out.push_back(add(socket, "cpu_dma_latency", nullptr, -1));
    out.push_back(add(socket, "network_latency", nullptr, 100));
    // An update out of the range is refused too; the request stays at its value.
    perfqos_client* c = nullptr;
    std::uint32_t id = 0;
    out.push_back(perfqos_connect(socket.c_str(), 5000, &c));
    out.push_back(perfqos_add(c, "cpu_dma_latency", nullptr, 500, &id, nullptr));
    out.push_back(perfqos_update(c, id, 5, nullptr));
    out.push_back(std::strstr(perfqos_last_error(c), "[[grant]]") != nullptr);
    out.push_back(perfqos_update(c, id, 30, nullptr));
    perfqos_close(c);
  });
  EXPECT_EQ(r, (std::vector<int>{0, 0, -EACCES, -EACCES, 0, -EACCES, 0, 0, -EACCES, 1, 0}));

  // By group: 4242 may set network_latency up to 500, nothing else.
  r = run_as(4242, 4242, [&](std::vector<int>& out) {
    out.push_back(add(socket, "network_latency", nullptr, 500));
    out.push_back(add(socket, "network_latency", nullptr, 501));
    out.push_back(add(socket, "cpu_dma_latency", nullptr, 100));
  });
  EXPECT_EQ(r, (std::vector<int>{0, -EACCES, -EACCES}));
  // A supplementary group counts as the primary one.
  r = run_as(
      1234, 1234,
      [&](std::vector<int>& out) { out.push_back(add(socket, "network_latency", nullptr, 400)); },
      nullptr, {4242});
  EXPECT_EQ(r, (std::vector<int>{0}));
  // Root may do anything.
  EXPECT_EQ(add(socket, "cpu_dma_latency", nullptr, 1), 0);
  // Reads stay open to everyone.
  r = run_as(1234, 1234, [&](std::vector<int>& out) {
    out.push_back(effective(socket, "cpu_dma_latency") == kLatencyDefault);
  });
  EXPECT_EQ(r, (std::vector<int>{1}));
}

TEST(PolicyDaemon, CgroupGlobGrantsFollowTheCallersCgroup) {
  TestCgroup allowed("/pq-test-allowed-" + std::to_string(::getpid()));
  TestCgroup other("/pq-test-other-" + std::to_string(::getpid()));
  if (!allowed.ok() || !other.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ConfigFile config(R"(
[[grant]]
cgroups = ["/pq-test-allowed-*"]
device = "cpu_dma_latency"
min = 10
max = 100

[[cgroup]]
path = "/pq-test-allowed-*"
device = "cpu_dma_latency"
floor = 50
)");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  const auto body = [&](std::vector<int>& out) {
    out.push_back(add(socket, "cpu_dma_latency", nullptr, 60));
    out.push_back(add(socket, "cpu_dma_latency", nullptr, 20));  // below the cgroup's floor
  };
  EXPECT_EQ(run_as(kNobody, kNobody, body, &allowed), (std::vector<int>{0, -EACCES}));
  EXPECT_EQ(run_as(kNobody, kNobody, body, &other), (std::vector<int>{-EACCES, -EACCES}));
}

// The per-cgroup data of (cgroup, device): nullopt when the daemon keeps none.
struct CgroupDataView {
  std::uint32_t admitted = 0, refused = 0;
  std::string limits;  // "knob floor..cap;" per limit
};
std::optional<CgroupDataView> cgroup_data(const std::string& socket, const std::string& device,
                                          const std::string& cgroup) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return std::nullopt;
  perfqos_cgroup_info* entries = nullptr;
  std::size_t n = 0;
  std::optional<CgroupDataView> found;
  if (perfqos_cgroup_data(c, device.c_str(), &entries, &n) == 0) {
    for (std::size_t i = 0; i < n; ++i) {
      if (entries[i].cgroup != cgroup || entries[i].device != device) continue;
      CgroupDataView v{entries[i].admitted, entries[i].refused, ""};
      for (std::size_t k = 0; k < entries[i].limit_count; ++k) {
        const perfqos_cgroup_limit& l = entries[i].limits[k];
        v.limits += std::string(l.knob) + " " + (l.has_floor ? std::to_string(l.floor) : "") +
                    ".." + (l.has_cap ? std::to_string(l.cap) : "") + ";";
      }
      found = v;
    }
  }
  perfqos_free(entries);
  perfqos_close(c);
  return found;
}

// reference/004's life cycle: created on a cgroup's first request to a device, holding the
// config's caps and floors and counters; recomputed on reload; released when the device goes;
// destroyed when the cgroup is removed.
TEST(PolicyDaemon, PerCgroupDataLivesFromFirstRequestToCgroupRemoval) {
  TestCgroup group("/pq-test-data-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  const std::string grant = "[[grant]]\ncgroups = [\"" + group.path() +
                            "\"]\ndevice = \"*\"\n\n[[device]]\nname = \"pqdata\"\n"
                            "unit = \"normal\"\nlimit_min = 0\nlimit_max = 1024\n\n";
  const auto limit = [&](const char* device, const char* knob, const char* what) {
    return "[[cgroup]]\npath = \"" + group.path() + "\"\ndevice = \"" + device + "\"\nknob = \"" +
           knob + "\"\n" + what + "\n\n";
  };
  ConfigFile config(grant + limit("cpu_dma_latency", "*", "floor = 50\ncap = 500") +
                    limit("pqdata", "max", "cap = 300"));
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  EXPECT_FALSE(cgroup_data(socket, "cpu_dma_latency", group.path()));  // no request yet

  const std::vector<int> r = run_as(
      kNobody, kNobody,
      [&](std::vector<int>& out) {
        out.push_back(add(socket, "cpu_dma_latency", nullptr, 60));
        out.push_back(add(socket, "cpu_dma_latency", nullptr, 20));   // under the floor
        out.push_back(add(socket, "cpu_dma_latency", nullptr, 600));  // over the cap
        out.push_back(add(socket, "pqdata", "max", 200));
        out.push_back(add(socket, "pqdata", "max", 400));  // over the cap
      },
      &group);
  EXPECT_EQ(r, (std::vector<int>{0, -EACCES, -EACCES, 0, -EACCES}));
  std::optional<CgroupDataView> v = cgroup_data(socket, "cpu_dma_latency", group.path());
  ASSERT_TRUE(v);
  EXPECT_EQ(v->admitted, 1u);
  EXPECT_EQ(v->refused, 2u);
  EXPECT_EQ(v->limits, "latency 50..500;");
  v = cgroup_data(socket, "pqdata", group.path());
  ASSERT_TRUE(v);
  EXPECT_EQ(v->limits, "max ..300;");
  EXPECT_EQ(v->admitted, 1u);
  EXPECT_EQ(v->refused, 1u);

  // Reload with a new cap: the limits follow, the counters stay.
  config.rewrite(grant + limit("cpu_dma_latency", "*", "cap = 700") +
                 limit("pqdata", "max", "cap = 300"));
  ::kill(d.pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] {
    v = cgroup_data(socket, "cpu_dma_latency", group.path());
    return v && v->limits == "latency ..700;";
  }));
  EXPECT_EQ(v->admitted, 1u);

  // The device leaves the config: its data is released; the other device's stays.
  config.rewrite(grant.substr(0, grant.find("[[device]]")) +
                 limit("cpu_dma_latency", "*", "cap = 700"));
  ::kill(d.pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] { return !cgroup_data(socket, "pqdata", group.path()); }));
  EXPECT_TRUE(cgroup_data(socket, "cpu_dma_latency", group.path()));

  // The cgroup is removed: its data is destroyed.
  group.kill_all();
  ASSERT_TRUE(group.remove());
  EXPECT_TRUE(eventually([&] { return !cgroup_data(socket, "cpu_dma_latency", group.path()); }));
  EXPECT_NE(d.log().find("per-cgroup data: cgroup " + group.path() + " removed"),
            std::string::npos);
}

// perfqosd with `config` and its FUSE tree, with a perf device "gpu", at a fresh mount point
// that is detached and removed once the daemon has stopped.
struct FuseDaemon {
  explicit FuseDaemon(const ConfigFile& config)
      : daemon({"--config", config.path, "--mount", mount_dir.path(), "--test-perf-device",
                "gpu:normal:0:1024"}) {}
  // FUSE cannot be mounted on this machine: the test skips.
  bool mount_failed() const {
    return !daemon.ready() && daemon.log().find("cannot mount") != std::string::npos;
  }

  FuseMountDir mount_dir;  // first: destroyed after the daemon
  DaemonProcess daemon;
};

// 0 or the errno of a 4-byte write of `value` to a class node opened for writing.
int write_class_node(int fd, std::int32_t value) {
  return ::write(fd, &value, sizeof value) == sizeof value ? 0 : errno;
}
int perf_set(int fd, unsigned long cmd, int value) {
  perf_qos_ioctl_arg arg{};
  arg.value = value;
  return ::ioctl(fd, cmd, &arg) == 0 ? 0 : errno;
}

// The same grants hold on the FUSE nodes: writes and SETs inside the granted range pass, the
// rest get EACCES, and both count in the caller's per-cgroup data.
TEST(PolicyDaemon, GrantsAllowExactlyTheirRangesOnFuse) {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse here";
  TestCgroup group("/pq-test-fuse-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ConfigFile config(R"(
[[grant]]
users = [65534]
device = "cpu_dma_latency"
min = 20
max = 1000

[[grant]]
users = [65534]
device = "gpu"
knob = "max"
min = 100
max = 500

[[grant]]
groups = [4242]
device = "network_latency"
)");
  FuseDaemon fuse(config);
  const std::string& mount = fuse.mount_dir.path();
  {
    DaemonProcess& d = fuse.daemon;
    if (fuse.mount_failed()) GTEST_SKIP() << "mounting FUSE failed here: " << d.log();
    ASSERT_TRUE(d.ready()) << d.log();
    const std::string latency = mount + "/cpu_dma_latency", gpu = mount + "/perf_qos/gpu";
    const std::vector<int> r = run_as(
        kNobody, kNobody,
        [&](std::vector<int>& out) {
          const int fd = ::open(latency.c_str(), O_RDWR);
          out.push_back(fd >= 0);
          out.push_back(write_class_node(fd, 20));
          out.push_back(write_class_node(fd, 1000));
          out.push_back(write_class_node(fd, 19));
          out.push_back(write_class_node(fd, 1001));
          // Not granted at all: refused at open.
          out.push_back(::open((mount + "/network_latency").c_str(), O_WRONLY) < 0 ? errno : 0);
          const int g = ::open(gpu.c_str(), O_RDWR);
          out.push_back(g >= 0);
          out.push_back(perf_set(g, PERF_QOS_IOC_SET_MAX, 500));
          out.push_back(perf_set(g, PERF_QOS_IOC_SET_MAX, 501));
          out.push_back(perf_set(g, PERF_QOS_IOC_SET_MAX, 99));
          out.push_back(perf_set(g, PERF_QOS_IOC_SET_MIN, 200));  // no grant for "min"
          ::close(g);
          ::close(fd);
        },
        &group);
    EXPECT_EQ(r, (std::vector<int>{1, 0, 0, EACCES, EACCES, EACCES, 1, 0, EACCES, EACCES, EACCES}));
    // Counted in the cgroup's data: the write-open and 2 writes admitted, 2 refused; on gpu one
    // SET admitted, three refused.
    std::optional<CgroupDataView> v = cgroup_data(d.socket(), "cpu_dma_latency", group.path());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->admitted, 3u);
    EXPECT_EQ(v->refused, 2u);
    v = cgroup_data(d.socket(), "gpu", group.path());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->admitted, 1u);
    EXPECT_EQ(v->refused, 3u);
    EXPECT_TRUE(cgroup_data(d.socket(), "network_latency", group.path()));  // refused open
    // A supplementary group's grant holds on FUSE too.
    const std::string network = mount + "/network_latency";
    const std::vector<int> g = run_as(1234, 1234,
                                      [&](std::vector<int>& out) {
                                        const int fd = ::open(network.c_str(), O_WRONLY);
                                        out.push_back(fd >= 0 ? write_class_node(fd, 300) : errno);
                                        ::close(fd);
                                      },
                                      nullptr, {4242});
    EXPECT_EQ(g, (std::vector<int>{0}));
  }
}

// max_connections_per_uid counts socket connections and FUSE open files that may hold
// requests together: a uid cannot get around its quota by switching front ends. Read-only
// opens of class nodes hold nothing and do not count; root is exempt.
TEST(PolicyDaemon, ConnectionQuotaSpansSocketAndFuse) {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse here";
  ConfigFile config(R"(
[quotas]
max_connections_per_uid = 2

[[grant]]
users = [65534]
device = "*"
)");
  FuseDaemon fuse(config);
  const std::string& mount = fuse.mount_dir.path();
  {
    DaemonProcess& d = fuse.daemon;
    if (fuse.mount_failed()) GTEST_SKIP() << "mounting FUSE failed here: " << d.log();
    ASSERT_TRUE(d.ready()) << d.log();
    const std::string socket = d.socket(), latency = mount + "/cpu_dma_latency",
                      network = mount + "/network_latency", gpu = mount + "/perf_qos/gpu";
    const std::vector<int> r = run_as(kNobody, kNobody, [&](std::vector<int>& out) {
      const auto open_errno = [](const std::string& path, int flags, int* fd) {
        *fd = ::open(path.c_str(), flags);
        return *fd >= 0 ? 0 : errno;
      };
      int held = -1, reader = -1, extra = -1, perf = -1;
      out.push_back(open_errno(latency, O_WRONLY, &held));  // connection 1
      out.push_back(write_class_node(held, 50));
      perfqos_client* a = nullptr;
      std::uint32_t id = 0;
      out.push_back(perfqos_connect(socket.c_str(), 5000, &a));  // connection 2
      out.push_back(perfqos_add(a, "network_latency", nullptr, 100, &id, nullptr));
      out.push_back(open_errno(network, O_WRONLY, &extra));   // a third: refused
      out.push_back(open_errno(gpu, O_RDWR, &perf));          // a perf node counts too
      out.push_back(open_errno(latency, O_RDONLY, &reader));  // a reader does not
      perfqos_client* b = nullptr;
      const int third = perfqos_connect(socket.c_str(), 5000, &b);
      out.push_back(third == 0 ? perfqos_add(b, "memory_bandwidth", nullptr, 1, &id, nullptr)
                               : third);
      perfqos_close(b);
      ::close(held);  // gives its slot back
      out.push_back(open_errno(gpu, O_RDWR, &perf));
      out.push_back(perf >= 0 ? perf_set(perf, PERF_QOS_IOC_SET_MIN, 300) : -1);
      ::close(perf);
      ::close(reader);
      perfqos_close(a);
    });
    EXPECT_EQ(r, (std::vector<int>{0, 0, 0, 0, EUSERS, EUSERS, 0, -EUSERS, 0, 0}));
    EXPECT_NE(d.log().find("refused an open of network_latency: quota: uid 65534"),
              std::string::npos)
        << d.log();
    // Every slot was given back with its file or connection: nobody may hold 2 again, root
    // any number.
    const std::vector<int> again = run_as(kNobody, kNobody, [&](std::vector<int>& out) {
      const int x = ::open(latency.c_str(), O_WRONLY), y = ::open(network.c_str(), O_WRONLY);
      out.push_back(x >= 0 && y >= 0);
      ::close(x);
      ::close(y);
    });
    EXPECT_EQ(again, (std::vector<int>{1}));
    std::vector<int> root_fds;
    for (int i = 0; i < 4; ++i) root_fds.push_back(::open(latency.c_str(), O_WRONLY));
    for (int fd : root_fds) {
      EXPECT_GE(fd, 0);
      ::close(fd);
    }
  }
}

TEST(PolicyDaemon, QuotasGiveClearErrors) {
  ConfigFile config(R"(
[quotas]
max_requests_per_holder = 2
max_connections_per_uid = 2

[[grant]]
users = [65534]
device = "*"
)");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  std::vector<int> r = run_as(kNobody, kNobody, [&](std::vector<int>& out) {
    perfqos_client* a = nullptr;
    perfqos_client* b = nullptr;
    perfqos_client* c = nullptr;
    std::uint32_t id = 0;
    out.push_back(perfqos_connect(socket.c_str(), 5000, &a));
    out.push_back(perfqos_add(a, "cpu_dma_latency", nullptr, 100, &id, nullptr));
    out.push_back(perfqos_add(a, "network_latency", nullptr, 100, &id, nullptr));
    out.push_back(perfqos_add(a, "cpu_dma_latency", nullptr, 90, &id, nullptr));
    out.push_back(perfqos_connect(socket.c_str(), 5000, &b));
    const int third = perfqos_connect(socket.c_str(), 5000, &c);
    std::uint32_t id3 = 0;
    // Whether connect or the first request reports it, the third connection gets EUSERS.
    out.push_back(third == 0 ? perfqos_add(c, "cpu_dma_latency", nullptr, 100, &id3, nullptr)
                             : third);
    perfqos_close(c);
    perfqos_close(b);
    perfqos_close(a);
  });
  EXPECT_EQ(r, (std::vector<int>{0, 0, 0, -EDQUOT, 0, -EUSERS}));
  // The daemon is alive, and drops the closed connections' requests (it sees a close after the
  // closing process has gone on: wait for it).
  EXPECT_TRUE(eventually([&] { return effective(socket, "cpu_dma_latency") == kLatencyDefault; }));
}

TEST(PolicyDaemon, CheckConfigNamesFileLineAndKey) {
  ConfigFile bad("[[grant]]\nusers = [65534]\ndevice = \"cpu_dma_latency\"\nmin = 10\nmax = 5\n");
  const std::string command =
      std::string(PERFQOS_DAEMON_PATH) + " --check-config --config " + bad.path + " 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[1024] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  const int status = ::pclose(p);
  const std::string text(buf, n);
  EXPECT_EQ(WEXITSTATUS(status), 1) << text;
  EXPECT_NE(text.find(bad.path + ":5: grant.max"), std::string::npos) << text;
  EXPECT_NE(text.find("allowed min <= max"), std::string::npos) << text;

  ConfigFile good("[[grant]]\nusers = [65534]\ndevice = \"cpu_dma_latency\"\n");
  const std::string ok_command =
      std::string(PERFQOS_DAEMON_PATH) + " --check-config --config " + good.path + " 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(ok_command.c_str())), 0);
  // A daemon refuses to start with a bad config.
  DaemonProcess d({"--config", bad.path});
  EXPECT_FALSE(d.ready());
}

TEST(PolicyDaemon, SighupReloadsWithoutDroppingRequests) {
  ConfigFile config("");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  const auto try_add = [&] {
    return run_as(kNobody, kNobody, [&](std::vector<int>& out) {
      out.push_back(add(socket, "cpu_dma_latency", nullptr, 100));
    })[0];
  };
  EXPECT_EQ(try_add(), -EACCES);
  perfqos_client* root = nullptr;
  ASSERT_EQ(perfqos_connect(socket.c_str(), 5000, &root), 0);
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_add(root, "cpu_dma_latency", nullptr, 300, &id, nullptr), 0);

  config.rewrite("[[grant]]\nusers = [65534]\ndevice = \"cpu_dma_latency\"\n");
  ::kill(d.pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] { return try_add() == 0; }));
  EXPECT_EQ(effective(socket, "cpu_dma_latency"), 300);  // the held request survived

  // A bad config changes nothing.
  config.rewrite("[[grant]]\nusers = [65534]\ndevice = \"cpu_dma_latency\"\nknob = \"nope\"\n");
  ::kill(d.pid(), SIGHUP);
  EXPECT_TRUE(
      eventually([&] { return d.log().find("keeping the previous config") != std::string::npos; }));
  EXPECT_EQ(try_add(), 0);
  EXPECT_NE(d.log().find(":4: grant.knob"), std::string::npos);
  perfqos_close(root);
}

TEST(PolicyDaemon, BoundRequestsFollowPopulation) {
  const std::string name = "/pq-test-bind-" + std::to_string(::getpid());
  TestCgroup cg(name);
  if (!cg.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  ConfigFile config("[[bind]]\ncgroup = \"" + name +
                    "\"\ndevice = \"cpu_dma_latency\"\nvalue = 50\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const std::string socket = d.socket();
  const auto latency = [&] { return effective(socket, "cpu_dma_latency"); };

  EXPECT_EQ(latency(), kLatencyDefault);  // empty: not in force
  cg.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return latency() == 50; })) << d.log();
  cg.kill_all();
  EXPECT_TRUE(eventually([&] { return latency() == kLatencyDefault; })) << d.log();
  cg.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return latency() == 50; })) << d.log();
  cg.kill_all();
  ASSERT_TRUE(cg.remove());
  EXPECT_TRUE(eventually([&] { return latency() == kLatencyDefault; })) << d.log();
  // Created and filled again: in force again.
  ASSERT_TRUE(cg.create());
  cg.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return latency() == 50; })) << d.log();

  // A client's binding (perfqosctl bind): outlives the connection, until unbind.
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(socket.c_str(), 5000, &c), 0);
  std::uint32_t binding = 0;
  ASSERT_EQ(perfqos_bind(c, name.c_str(), "network_latency", nullptr, 70, &binding, nullptr), 0)
      << perfqos_last_error(c);
  perfqos_close(c);
  EXPECT_EQ(effective(socket, "network_latency"), 70);
  // Shown by status as a cgroup binding.
  ASSERT_EQ(perfqos_connect(socket.c_str(), 5000, &c), 0);
  perfqos_holder_info* holders = nullptr;
  std::size_t n = 0;
  ASSERT_EQ(perfqos_status(c, "network_latency", &holders, &n), 0);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(holders[0].holder_kind, PERFQOS_HOLDER_CGROUP_BINDING);
  perfqos_free(holders);
  // Nobody else may remove it; nobody without a grant may bind.
  std::vector<int> r = run_as(kNobody, kNobody, [&](std::vector<int>& out) {
    perfqos_client* u = nullptr;
    std::uint32_t other = 0;
    out.push_back(perfqos_connect(socket.c_str(), 5000, &u));
    out.push_back(perfqos_unbind(u, binding, nullptr));
    out.push_back(perfqos_bind(u, name.c_str(), "network_latency", nullptr, 10, &other, nullptr));
    perfqos_close(u);
  });
  EXPECT_EQ(r, (std::vector<int>{0, -EPERM, -EACCES}));
  std::uint32_t junk = 0;
  EXPECT_EQ(perfqos_bind(c, "/pq-no-such-cgroup", "network_latency", nullptr, 70, &junk, nullptr),
            -ENOENT);
  EXPECT_EQ(perfqos_bind(c, "../etc", "network_latency", nullptr, 70, &junk, nullptr), -EINVAL);
  ASSERT_EQ(perfqos_unbind(c, binding, nullptr), 0);
  EXPECT_EQ(effective(socket, "network_latency"), kLatencyDefault);
  perfqos_close(c);
  cg.kill_all();
}

}  // namespace
}  // namespace perfqos
