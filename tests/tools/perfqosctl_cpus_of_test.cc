// Requests scoped to a cgroup's CPUs (issue #17 point 3, `--cpus-of CGROUP`) against a real
// perfqosd: one request per CPU of the cgroup's cpuset.cpus.effective, moved as the set
// changes, dropped together; for hold/run (the connection holds them), bind (the cgroup
// does), the config's [[bind]] and the real per-CPU knobs of this machine.
//
// This kernel's cgroup2 has no cpuset controller, so the generated trees carry a
// cpuset.cpus.effective where the daemon reads it: under its --sysfs-root, at the cgroup2
// mount's path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "backends/sysfs_tree.h"
#include "cgroup/cgroup_mount.h"
#include "perfqos/client.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
#include "support/private_bus.h"
#include "support/run_command.h"
#include "tools/run_perfqosctl.h"

namespace perfqos {
namespace {

using testing::Background;
using testing::CtlRun;
using testing::DaemonProcess;
using testing::eventually;
using testing::run_perfqosctl;
using testing::TestCgroup;

std::string cpu_file(int n) {
  return "/sys/devices/system/cpu/cpu" + std::to_string(n) + "/power/pm_qos_resume_latency_us";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A generated tree of `cpus` CPUs (resume latency 0, "n/a" in the kernel's spelling when a
// request of 0 is written) with the cgroup2 mount's path in it, or skips.
class CpusOfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!daemon::find_cgroup2_mount(&mount_).ok()) GTEST_SKIP() << "no cgroup2 mount here";
    tree_.add_cpu_latency_node();
    for (int n = 0; n < 64; ++n) tree_.add_cpu(n, "0", std::nullopt);
    tree_.write_file("/sys/devices/system/cpu/online", "0-63\n");
  }
  // Writes the cgroup's cpuset.cpus.effective in the tree (the cgroup's directory with it).
  void set_cpus(const std::string& cgroup, const std::string& list) {
    tree_.write_file(mount_ + cgroup + "/cpuset.cpus.effective", list + "\n");
  }
  // The CPUs whose resume latency is `value` in the tree, as "1,2,3".
  std::string cpus_at(const std::string& value) {
    std::string out;
    for (int n = 0; n < 64; ++n) {
      if (tree_.read_file(cpu_file(n)) == value)
        out += (out.empty() ? "" : ",") + std::to_string(n);
    }
    return out;
  }

  int count_at(const std::string& value) {
    int count = 0;
    for (int n = 0; n < 64; ++n) count += tree_.read_file(cpu_file(n)) == value ? 1 : 0;
    return count;
  }

  std::string mount_;
  testing::SysfsTree tree_;
};

TEST_F(CpusOfTest, HoldFollowsTheCgroupsCpusAndDropsThemTogether) {
  set_cpus("/pq-cpus-of", "8-11");
  DaemonProcess daemon({"--sysfs-root", tree_.dir()});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  Background hold(std::string(PERFQOSCTL_PATH) + " --socket " + daemon.socket() +
                  " hold --cpus-of /pq-cpus-of --reason pinned cpus.resume_latency=20us");
  const std::string said = hold.line();
  EXPECT_TRUE(contains(said, "holding cpus.resume_latency=20us on the CPUs of /pq-cpus-of"))
      << said;
  EXPECT_TRUE(eventually([&] { return cpus_at("20") == "8,9,10,11"; })) << cpus_at("20");
  // One request per CPU in status, each with the reason.
  CtlRun r = run_perfqosctl(daemon.socket(), "status --json");
  EXPECT_EQ(r.status, 0) << r.out;
  for (const char* cpu : {"\"cpu8\"", "\"cpu11\""}) EXPECT_TRUE(contains(r.out, cpu)) << r.out;

  // The set changes (a CPU manager, a resize): CPUs that join get it, those that leave lose it.
  set_cpus("/pq-cpus-of", "10-13,60");
  EXPECT_TRUE(eventually([&] { return cpus_at("20") == "10,11,12,13,60"; })) << cpus_at("20");
  EXPECT_TRUE(eventually([&] { return tree_.read_file(cpu_file(8)) == "0"; }));

  // It aggregates with everyone else's requests on the same CPUs (MIN), not over them.
  CtlRun other = run_perfqosctl(daemon.socket(),
                                "run -q cpu12.resume_latency=5 -- sh -c 'for f in " +
                                    tree_.host(cpu_file(12)) + " " + tree_.host(cpu_file(13)) +
                                    "; do read v < $f; echo $v; done'");
  EXPECT_EQ(other.out, "5\n20\n");
  EXPECT_TRUE(eventually([&] { return tree_.read_file(cpu_file(12)) == "20"; }));

  hold.kill(SIGKILL);  // the holder dies: every CPU's request goes, the knobs go back
  // (A generated file is rewritten in place, so wait for every one to read back 0.)
  EXPECT_TRUE(eventually([&] { return count_at("0") == 64; })) << cpus_at("20");
}

TEST_F(CpusOfTest, BadRequestsAreRefusedNamingTheFieldAndChangeNothing) {
  set_cpus("/pq-cpus-of-bad", "1-2");
  tree_.write_file(mount_ + "/pq-cpus-of-empty/cpuset.cpus.effective", "\n");
  DaemonProcess daemon({"--sysfs-root", tree_.dir()});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  const auto refused = [&](const std::string& args, const std::string& said) {
    CtlRun r = run_perfqosctl(daemon.socket(), args);
    EXPECT_NE(r.status, 0) << args << ": " << r.out;
    EXPECT_TRUE(contains(r.out, said)) << args << ": " << r.out;
  };
  refused("hold cpus.resume_latency=0", "give --cpus-of CGROUP, or list them as cpus[LIST]");
  refused("hold --cpus-of /pq-cpus-of-bad cpu_dma_latency=20",
          "--cpus-of /pq-cpus-of-bad: give the requests for its CPUs as cpus.KNOB=VALUE");
  refused("hold --cpus-of /pq-cpus-of-bad cpus.latency=20",
          "on a cgroup's CPUs the knob is resume_latency or flags");
  refused("hold --cpus-of /pq-cpus-of-bad --for 1s cpus.resume_latency=20", "are untimed");
  refused("hold --cpus-of /no-such-cgroup cpus.resume_latency=20",
          "cpus_of: no cgroup /no-such-cgroup under " + mount_);
  refused("hold --cpus-of relative cpus.resume_latency=20", "must be an absolute cgroup v2 path");
  refused("hold --cpus-of /pq-cpus-of-empty cpus.resume_latency=20", "has no CPUs");
  refused("hold --cpus-of /pq-cpus-of-bad cpus.resume_latency=-5", "resume_latency");
  EXPECT_EQ(count_at("0"), 64);  // nothing was ever written

  // The daemon itself refuses what the CLI would not send.
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(daemon.socket().c_str(), 5000, &c), 0);
  std::uint32_t id = 0;
  EXPECT_EQ(perfqos_add_cpus_of(c, "/pq-cpus-of-bad", "range", 5, nullptr, nullptr, &id, nullptr),
            -EINVAL);
  EXPECT_TRUE(contains(perfqos_last_error(c), "resume_latency or flags")) << perfqos_last_error(c);
  EXPECT_EQ(perfqos_bind_cpus_of(c, "/x", "/pq-cpus-of-bad", "resume_latency", 5, nullptr, nullptr,
                                 0x4, &id, nullptr),
            -EINVAL);
  EXPECT_EQ(perfqos_update(c, 0x80000001u, 5, nullptr), -ENOENT);
  // A flood of them on one connection stops at 64 (each is a cgroup read every second).
  int rc = 0;
  int made = 0;
  while (made < 100 && (rc = perfqos_add_cpus_of(c, "/pq-cpus-of-bad", "resume_latency", 9,
                                                 nullptr, nullptr, &id, nullptr)) == 0) {
    ++made;
  }
  EXPECT_EQ(made, 64);
  EXPECT_EQ(rc, -EDQUOT);
  EXPECT_TRUE(contains(perfqos_last_error(c), "at most 64")) << perfqos_last_error(c);
  EXPECT_EQ(cpus_at("9"), "1,2");
  EXPECT_EQ(perfqos_remove(c, id, nullptr), 0);  // the last one made
  perfqos_close(c);
  EXPECT_TRUE(eventually([&] { return count_at("0") == 64; })) << cpus_at("9");
  EXPECT_EQ(count_at("0"), 64);
}

// A binding on a real cgroup whose requests go on the CPUs of another (or the same) cgroup.
TEST_F(CpusOfTest, BindPlacesOnTheCpusWhileTheCgroupIsPopulated) {
  TestCgroup group("/pq-cpus-of-bind-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  set_cpus(group.path(), "3,5");
  DaemonProcess daemon({"--sysfs-root", tree_.dir()});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  CtlRun r = run_perfqosctl(daemon.socket(), "bind --transient --cpus-of " + group.path() + " " +
                                                 group.path() + " cpus.resume_latency=7");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(cpus_at("7").empty());  // waiting: the cgroup is empty
  group.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return cpus_at("7") == "3,5"; })) << cpus_at("7");
  r = run_perfqosctl(daemon.socket(), "bindings");
  EXPECT_TRUE(contains(r.out, "active")) << r.out;
  set_cpus(group.path(), "5-6");
  EXPECT_TRUE(eventually([&] { return cpus_at("7") == "5,6"; })) << cpus_at("7");
  group.kill_all();  // transient: it ends with its cgroup's life
  EXPECT_TRUE(eventually([&] { return cpus_at("7").empty(); })) << cpus_at("7");
  r = run_perfqosctl(daemon.socket(), "bindings --json");
  EXPECT_EQ(r.out, "[]\n");
}

TEST_F(CpusOfTest, ConfigBindingTakesCpusOf) {
  TestCgroup group("/pq-cpus-of-config-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  set_cpus(group.path(), "40-41");
  const std::string config = tree_.dir() + "/perfqosd.toml";
  {
    std::ofstream out(config);
    out << "[[bind]]\ncgroup = \"" << group.path() << "\"\ndevice = \"cpus\"\n"
        << "knob = \"resume_latency\"\nvalue = 11\ncpus_of = \"" << group.path() << "\"\n";
  }
  DaemonProcess daemon({"--sysfs-root", tree_.dir(), "--config", config});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  group.spawn_sleeper();
  EXPECT_TRUE(eventually([&] { return cpus_at("11") == "40,41"; })) << cpus_at("11");
  group.kill_all();
  EXPECT_TRUE(eventually([&] { return cpus_at("11").empty(); })) << cpus_at("11");

  // device "cpus" without cpus_of, and cpus_of on another device, are config errors.
  {
    std::ofstream out(config);
    out << "[[bind]]\ncgroup = \"/a\"\ndevice = \"cpus\"\nknob = \"resume_latency\"\n"
        << "value = 1\n";
  }
  CtlRun r = testing::run_command(std::string(PERFQOS_DAEMON_PATH) + " --check-config --config " +
                                  config + " 2>&1");
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(contains(r.out, "bind.device: \"cpus\" (a cgroup's CPUs) needs cpus_of")) << r.out;
}

// The real per-CPU knobs: this machine's cgroup2 has no cpuset controller, so a cgroup runs on
// every online CPU (cpu0 and cpu1).
TEST(PerfqosctlCpusOfReal, ACgroupWithoutCpusetHoldsEveryOnlineCpu) {
  const std::string cpu0 = cpu_file(0), cpu1 = cpu_file(1);
  if (::access(cpu0.c_str(), W_OK) != 0 || ::access(cpu1.c_str(), W_OK) != 0) {
    GTEST_SKIP() << "needs writable " << cpu0 << " and " << cpu1 << " (root, two CPUs)";
  }
  TestCgroup group("/pq-cpus-of-real-" + std::to_string(::getpid()));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  const auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::string v;
    in >> v;
    return v;
  };
  const std::string before0 = read(cpu0), before1 = read(cpu1);
  DaemonProcess daemon({"--sysfs-root", "/"});
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  CtlRun r =
      run_perfqosctl(daemon.socket(), "run -q --cpus-of " + group.path() +
                                          " cpus.resume_latency=41 -- cat " + cpu0 + " " + cpu1);
  EXPECT_EQ(r.status, 0) << r.out;
  std::ifstream online("/sys/devices/system/cpu/online");
  std::string list;
  online >> list;
  if (list == "0-1") {
    EXPECT_EQ(r.out, "41\n41\n");
  } else {
    EXPECT_TRUE(contains(r.out, "41")) << r.out;
  }
  EXPECT_TRUE(eventually([&] { return read(cpu0) == before0 && read(cpu1) == before1; }))
      << read(cpu0) << " " << read(cpu1);
}

}  // namespace
}  // namespace perfqos
