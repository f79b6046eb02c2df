// perfqosd's FUSE device tree end to end: a real perfqosd mounted in a temporary directory,
// real C programs (tests/fuse/*.c) doing open/ioctl/write/read/close on its nodes, and what
// perfqosd holds checked through the C client library at the programs' sync points (probe.h).
//
// Skipped, with the reason, where /dev/fuse is missing or mounting fails for lack of privilege.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>

#include "backends/sysfs_tree.h"
#include "perfqos/client.h"
#include "perfqos/perf_qos_ioctl.h"
#include "support/daemon_process.h"
#include "support/fuse_mount_dir.h"

namespace perfqos {
namespace {

using testing::DaemonProcess;
using testing::eventually;
using testing::FuseMountDir;
using testing::mounted;

constexpr std::int32_t kLatencyDefault = 2000000000;

bool is_perf(const char* device) {
  return std::strcmp(device, "gpu") == 0 || std::strcmp(device, "nic") == 0;
}

std::string probe_path(const char* name) {
  return std::string(FUSE_PROBE_DIR) + "/" + name;
}

// A test program speaking the sync-point protocol of probe.h over its stdin and stdout.
class Probe {
 public:
  explicit Probe(std::vector<std::string> argv) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
  }
  ~Probe() {
    if (to_ >= 0) ::close(to_);
    if (from_ >= 0) ::close(from_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

  // The next line the program prints must be `name` (within 30 s).
  ::testing::AssertionResult at(const std::string& name) {
    std::string line;
    for (;;) {
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, 30000) != 1) return ::testing::AssertionFailure() << "no " << name;
      char c;
      if (::read(from_, &c, 1) != 1) {
        return ::testing::AssertionFailure() << "the program ended before " << name;
      }
      if (c == '\n') break;
      line += c;
    }
    if (line == name) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "at \"" << line << "\", expected \"" << name << "\"";
  }
  void go() { (void)!::write(to_, "\n", 1); }

  // The exit status (as for WEXITSTATUS; 128 + signal if killed).
  int wait() {
    ::close(to_);
    to_ = -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
};

class FuseTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/dev/fuse", R_OK | W_OK) != 0) {
      GTEST_SKIP() << "/dev/fuse is missing or not accessible: no FUSE here";
    }
    mount_ = mount_dir_.path();
    start_daemon();
    if (!daemon_->ready()) {
      const std::string log = daemon_->log();
      if (log.find("cannot mount") != std::string::npos) {
        GTEST_SKIP() << "mounting FUSE failed (lack of privilege?): " << log;
      }
      FAIL() << log;
    }
    ASSERT_EQ(perfqos_connect(daemon_->socket().c_str(), 5000, &client_), 0);
  }

  void TearDown() override {
    perfqos_close(client_);
    daemon_.reset();  // mount_dir_ then detaches what is left and removes the directory
  }

  void start_daemon() {
    std::vector<std::string> args{"--mount",
                                  mount_,
                                  "--test-perf-device",
                                  "gpu:normal:100:900",
                                  "--test-perf-device",
                                  "nic:kbps:0:100000"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    daemon_ = std::make_unique<DaemonProcess>(std::move(args));
  }

  std::string node(const char* name) const { return mount_ + "/" + name; }

  std::vector<perfqos_holder_info> holders(const char* device) {
    perfqos_holder_info* h = nullptr;
    std::size_t n = 0;
    EXPECT_EQ(perfqos_status(client_, device, &h, &n), 0) << perfqos_last_error(client_);
    std::vector<perfqos_holder_info> out(h, h + n);
    perfqos_free(h);
    return out;
  }
  // Active requests on a device (status folds same-pid holders' entries; this does not).
  std::uint32_t active(const char* device) {
    perfqos_device_info info{};
    if (perfqos_describe(client_, device, &info) != 0) return UINT32_MAX;
    std::uint32_t n = 0;
    for (std::size_t i = 0; i < info.knob_count; ++i) n += info.knobs[i].active_requests;
    return n;
  }
  perfqos_effective effective(const char* device) {
    perfqos_effective e{};
    EXPECT_EQ(perfqos_read(client_, device, is_perf(device) ? "range" : nullptr, &e), 0)
        << perfqos_last_error(client_);
    return e;
  }

  std::vector<std::string> extra_args_;  // set before SetUp() by a derived fixture
  FuseMountDir mount_dir_;
  std::string mount_;
  std::unique_ptr<DaemonProcess> daemon_;
  perfqos_client* client_ = nullptr;
};

// --- class nodes ------------------------------------------------------------------------------

TEST_F(FuseTreeTest, ClassNodeBinaryWriteReadAndLastClose) {
  Probe p({probe_path("fuse_class_node_probe"), "binary", node("cpu_dma_latency")});
  ASSERT_TRUE(p.at("opened"));
  auto h = holders("cpu_dma_latency");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].holder_kind, PERFQOS_HOLDER_FUSE);
  EXPECT_EQ(h[0].value, kLatencyDefault);  // open adds a request at the default
  EXPECT_EQ(h[0].pid, p.pid());
  EXPECT_EQ(h[0].uid, 0u);
  EXPECT_STREQ(h[0].comm, "fuse_class_node");
  p.go();
  ASSERT_TRUE(p.at("set-100"));
  EXPECT_EQ(effective("cpu_dma_latency").value, 100);
  p.go();
  ASSERT_TRUE(p.at("closed"));
  EXPECT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
  EXPECT_EQ(effective("cpu_dma_latency").value, kLatencyDefault);
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(FuseTreeTest, ClassNodeTextIsHexadecimalAsTheKernels) {
  Probe p({probe_path("fuse_class_node_probe"), "text", node("cpu_dma_latency")});
  ASSERT_TRUE(p.at("text-done"));
  EXPECT_EQ(effective("cpu_dma_latency").value, 0x1234);
  EXPECT_EQ(active("cpu_dma_latency"), 1u);
  p.go();
  ASSERT_TRUE(p.at("closed"));
  EXPECT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

// cpu_wakeup_latency's node, with /dev/cpu_wakeup_latency's ABI (Linux 6.19); the daemon here
// has no such node under its sysfs root, so the class is model only and the FUSE node serves it.
TEST_F(FuseTreeTest, WakeupLatencyNodeHasTheKernelsAbi) {
  Probe p({probe_path("fuse_class_node_probe"), "wakeup", node("cpu_wakeup_latency")});
  ASSERT_TRUE(p.at("set-150"));
  auto h = holders("cpu_wakeup_latency");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].holder_kind, PERFQOS_HOLDER_FUSE);
  EXPECT_EQ(effective("cpu_wakeup_latency").value, 150);
  // MIN with a socket holder's request.
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_add(client_, "cpu_wakeup_latency", nullptr, 90, &id, nullptr), 0);
  EXPECT_EQ(effective("cpu_wakeup_latency").value, 90);
  ASSERT_EQ(perfqos_remove(client_, id, nullptr), 0);
  p.go();
  ASSERT_TRUE(p.at("text-200"));
  EXPECT_EQ(effective("cpu_wakeup_latency").value, 200);
  p.go();
  ASSERT_TRUE(p.at("closed"));
  EXPECT_TRUE(eventually([&] { return active("cpu_wakeup_latency") == 0; }));
  EXPECT_EQ(effective("cpu_wakeup_latency").value, INT32_MAX);
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(FuseTreeTest, EveryClassNodeIsThere) {
  for (const char* name : {"cpu_dma_latency", "network_latency", "network_throughput",
                           "memory_bandwidth", "cpu_wakeup_latency"}) {
    struct stat st {};
    ASSERT_EQ(::stat(node(name).c_str(), &st), 0) << name;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
  }
  struct stat st {};
  EXPECT_EQ(::stat(node("perf_qos/gpu").c_str(), &st), 0);
  EXPECT_EQ(::stat(node("perf_qos/nic").c_str(), &st), 0);
  EXPECT_NE(::stat(node("perf_qos/cpu_dma_latency").c_str(), &st), 0);
  EXPECT_NE(::stat(node("nothing").c_str(), &st), 0);
}

TEST_F(FuseTreeTest, ReadOnlyOpenAddsNoRequestAndReadsTheEffectiveValue) {
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_add(client_, "cpu_dma_latency", nullptr, 300, &id, nullptr), 0);
  Probe p({probe_path("fuse_class_node_probe"), "readonly", node("cpu_dma_latency"), "300"});
  ASSERT_TRUE(p.at("opened-ro"));
  auto h = holders("cpu_dma_latency");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].holder_kind, PERFQOS_HOLDER_CONNECTION);
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

// --- sharing an open file description ------------------------------------------------------------

TEST_F(FuseTreeTest, DupSharesTheRequestUntilTheLastClose) {
  Probe p({probe_path("fuse_class_node_probe"), "dup", node("cpu_dma_latency")});
  ASSERT_TRUE(p.at("original-closed"));
  EXPECT_EQ(active("cpu_dma_latency"), 1u);
  EXPECT_EQ(effective("cpu_dma_latency").value, 70);
  p.go();
  ASSERT_TRUE(p.at("set-71"));
  EXPECT_EQ(effective("cpu_dma_latency").value, 71);
  p.go();
  ASSERT_TRUE(p.at("closed"));
  EXPECT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(FuseTreeTest, ForkSharesTheRequestUntilTheLastClose) {
  Probe p({probe_path("fuse_class_node_probe"), "fork", node("cpu_dma_latency")});
  ASSERT_TRUE(p.at("parent-closed"));
  EXPECT_EQ(active("cpu_dma_latency"), 1u);
  EXPECT_EQ(effective("cpu_dma_latency").value, 80);
  p.go();
  ASSERT_TRUE(p.at("child-exited"));
  EXPECT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(FuseTreeTest, ScmRightsPassesTheRequest) {
  Probe p({probe_path("fuse_class_node_probe"), "scm_rights", node("cpu_dma_latency")});
  ASSERT_TRUE(p.at("passed"));
  EXPECT_EQ(active("cpu_dma_latency"), 1u);
  EXPECT_EQ(effective("cpu_dma_latency").value, 90);
  p.go();
  ASSERT_TRUE(p.at("receiver-exited"));
  EXPECT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(FuseTreeTest, AThousandConcurrentOpens) {
  Probe p({probe_path("fuse_many_opens"), node("cpu_dma_latency"), "1000", "8"});
  ASSERT_TRUE(p.at("all-open"));
  EXPECT_EQ(active("cpu_dma_latency"), 1000u);
  EXPECT_EQ(effective("cpu_dma_latency").value, 1000);
  p.go();
  ASSERT_TRUE(p.at("all-closed"));
  EXPECT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
  EXPECT_EQ(effective("cpu_dma_latency").value, kLatencyDefault);
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

// --- perf QoS nodes
// --------------------------------------------------------------------------------

TEST_F(FuseTreeTest, PerfNodeKeepsEveryRfcRule) {
  Probe p({probe_path("fuse_perf_qos_probe"), "rules", mount_});
  ASSERT_TRUE(p.at("min-300"));
  auto h = holders("gpu");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].holder_kind, PERFQOS_HOLDER_FUSE);
  EXPECT_EQ(h[0].end, PERFQOS_END_MIN);
  EXPECT_EQ(h[0].value, 300);
  p.go();
  ASSERT_TRUE(p.at("two-files"));
  EXPECT_EQ(active("gpu"), 3u);  // two mins and a max
  perfqos_effective e = effective("gpu");
  EXPECT_EQ(e.min, 500);
  EXPECT_EQ(e.max, 600);
  p.go();
  ASSERT_TRUE(p.at("other-closed"));
  EXPECT_TRUE(eventually([&] { return active("gpu") == 2; }));
  EXPECT_EQ(effective("gpu").min, 200);
  p.go();
  ASSERT_TRUE(p.at("closed"));
  EXPECT_TRUE(eventually([&] { return active("gpu") == 0; }));
  e = effective("gpu");
  EXPECT_EQ(e.min, 100);
  EXPECT_EQ(e.max, 900);
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(FuseTreeTest, PerfNodeEncodingsAndEnotty) {
  Probe p({probe_path("fuse_perf_qos_probe"), "encodings", mount_});
  ASSERT_TRUE(p.at("rfc-set"));
  perfqos_effective e = effective("gpu");
  EXPECT_EQ(e.min, 400);
  EXPECT_EQ(e.max, 800);
  p.go();
  ASSERT_TRUE(p.at("closed"));
  EXPECT_TRUE(eventually([&] { return active("gpu") == 0; }));
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(FuseTreeTest, DeviceThatVanishesAnswersEnodevToItsOpenFiles) {
  Probe p({probe_path("fuse_perf_qos_probe"), "vanish", mount_});
  ASSERT_TRUE(p.at("set"));
  EXPECT_EQ(active("gpu"), 1u);
  ::kill(daemon_->pid(), SIGUSR1);  // --test-perf-device devices go
  perfqos_device_info info{};
  EXPECT_TRUE(eventually([&] { return perfqos_describe(client_, "gpu", &info) == -ENODEV; }));
  p.go();
  ASSERT_TRUE(p.at("gone"));
  ::kill(daemon_->pid(), SIGUSR1);  // and come back
  EXPECT_TRUE(eventually([&] { return perfqos_describe(client_, "gpu", &info) == 0; }));
  p.go();
  ASSERT_TRUE(p.at("back"));
  auto h = holders("gpu");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].value, 250);
  p.go();
  ASSERT_TRUE(p.at("closed"));
  EXPECT_TRUE(eventually([&] { return active("gpu") == 0; }));
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

// --- named knobs and clamps
// ------------------------------------------------------------------------

// EPP, the platform profile and a slice's uclamp on a generated tree: each a perf node.
class FuseNamedKnobsTest : public FuseTreeTest {
 protected:
  void SetUp() override {
    const std::string policy = "/sys/devices/system/cpu/cpufreq/policy0";
    tree_.add_cpu_latency_node();
    tree_.add_cpufreq_policy(0, 400000, 3000000, {0});
    tree_.write_file(policy + "/energy_performance_available_preferences",
                     "default performance balance_performance balance_power power");
    tree_.write_file(kEpp, "balance_power");
    tree_.write_file("/sys/firmware/acpi/platform_profile", "balanced");
    tree_.write_file("/sys/firmware/acpi/platform_profile_choices",
                     "low-power balanced performance");
    tree_.write_file("/sys/fs/cgroup/batch.slice/cpu.uclamp.min", "0.00");
    tree_.write_file(kUclampMax, "max");
    extra_args_ = {"--sysfs-root", tree_.dir()};
    FuseTreeTest::SetUp();
  }
  // ioctl(fd, cmd, &arg) with arg.value = value: 0 or errno.
  static int ioctl_value(int fd, unsigned long cmd, int value, perf_qos_ioctl_arg* out = nullptr) {
    perf_qos_ioctl_arg arg{};
    arg.value = value;
    const int r = ::ioctl(fd, cmd, &arg);
    if (out != nullptr) *out = arg;
    return r == 0 ? 0 : errno;
  }
  perfqos_effective read(const char* device, const char* knob) {
    perfqos_effective e{};
    EXPECT_EQ(perfqos_read(client_, device, knob, &e), 0) << perfqos_last_error(client_);
    return e;
  }

  static constexpr char kEpp[] =
      "/sys/devices/system/cpu/cpufreq/policy0/energy_performance_preference";
  static constexpr char kUclampMax[] = "/sys/fs/cgroup/batch.slice/cpu.uclamp.max";
  testing::SysfsTree tree_;
};

TEST_F(FuseNamedKnobsTest, EppAndThePlatformProfileAreRangesOverTheirChoices) {
  for (const char* name : {"policy0", "policy0.epp", "platform_profile", "uclamp:batch.slice"}) {
    struct stat st;
    EXPECT_EQ(::stat(node((std::string("perf_qos/") + name).c_str()).c_str(), &st), 0) << name;
  }
  const int epp = ::open(node("perf_qos/policy0.epp").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(epp, 0) << std::strerror(errno);
  perf_qos_ioctl_arg arg{};
  ASSERT_EQ(ioctl_value(epp, PERF_QOS_IOC_GET_LIMITS, 0, &arg), 0);
  EXPECT_EQ(arg.limit_min, 0);                                   // power
  EXPECT_EQ(arg.limit_max, 3);                                   // performance
  EXPECT_EQ(ioctl_value(epp, PERF_QOS_IOC_SET_MIN, 4), EINVAL);  // past the last choice
  ASSERT_EQ(ioctl_value(epp, PERF_QOS_IOC_SET_MIN, 2), 0);       // at least balance_performance
  EXPECT_EQ(read("policy0", "epp.min").min, 2);
  EXPECT_EQ(tree_.read_file(kEpp), "balance_performance");
  EXPECT_EQ(read("policy0", "range").min, 400000);  // the frequency range is another node's
  ASSERT_EQ(ioctl_value(epp, PERF_QOS_IOC_GET_EFFECTIVE_MIN, 0, &arg), 0);
  EXPECT_EQ(arg.value, 2);

  const int profile = ::open(node("perf_qos/platform_profile").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(profile, 0) << std::strerror(errno);
  ASSERT_EQ(ioctl_value(profile, PERF_QOS_IOC_SET_MAX, 0), 0);  // at most low-power
  EXPECT_EQ(read("platform_profile", "profile.max").max, 0);
  EXPECT_EQ(tree_.read_file("/sys/firmware/acpi/platform_profile"), "low-power");
  ::close(profile);
  EXPECT_TRUE(eventually(
      [&] { return tree_.read_file("/sys/firmware/acpi/platform_profile") == "balanced"; }));
  ::close(epp);
  EXPECT_TRUE(eventually([&] { return tree_.read_file(kEpp) == "balance_power"; }));
}

TEST_F(FuseNamedKnobsTest, ASlicesUclampIsARangeInUnitNormal) {
  const int fd = ::open(node("perf_qos/uclamp:batch.slice").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  perf_qos_ioctl_arg arg{};
  ASSERT_EQ(ioctl_value(fd, PERF_QOS_IOC_GET_UNIT, 0, &arg), 0);
  EXPECT_EQ(arg.unit, PERF_QOS_UNIT_NORMAL);
  ASSERT_EQ(ioctl_value(fd, PERF_QOS_IOC_SET_MAX, 512), 0);
  EXPECT_EQ(read("uclamp:batch.slice", "range").max, 512);
  EXPECT_EQ(tree_.read_file(kUclampMax), "50.00");
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return tree_.read_file(kUclampMax) == "max"; }));
}

// --- permissions
// ----------------------------------------------------------------------------------

TEST_F(FuseTreeTest, UnprivilegedCallersReadButCannotWrite) {
  Probe p({probe_path("fuse_class_node_probe"), "unprivileged", node("cpu_dma_latency"),
           node("perf_qos/gpu")});
  ASSERT_TRUE(p.at("unprivileged-done"));
  auto h = holders("cpu_dma_latency");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].value, 40);  // what root placed before the drop, unchanged by uid 65534
  EXPECT_EQ(active("gpu"), 0u);
  EXPECT_NE(daemon_->log().find("not granted to uid 65534"),
            std::string::npos)
      << daemon_->log();  // a refusal is logged
  p.go();
  EXPECT_EQ(p.wait(), 0);
  EXPECT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
}

// --- the serving model: one thread, no wake-ups when idle, no caller can wedge it -------------

// The tasks of a process, and the context switches of each (voluntary + involuntary).
std::map<pid_t, long> context_switches(pid_t pid) {
  std::map<pid_t, long> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(dir)) {
    std::ifstream status(task.path() / "status");
    long total = 0;
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
          line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) {
        total += std::stol(line.substr(line.find(':') + 1));
      }
    }
    out[std::stoi(task.path().filename())] = total;
  }
  return out;
}

// FUSE is served from the daemon's event loop: no worker threads to hand requests to (every
// hand-off is a wake-up, ~35 µs when the threads sit on different CPUs).
TEST_F(FuseTreeTest, TheLoopThreadAloneServesFuse) {
  Probe p({probe_path("fuse_many_opens"), node("cpu_dma_latency"), "200", "8"});
  ASSERT_TRUE(p.at("all-open"));
  EXPECT_EQ(active("cpu_dma_latency"), 200u);
  const auto tasks = context_switches(daemon_->pid());
#if defined(__SANITIZE_THREAD__)
  EXPECT_LE(tasks.size(), 2u);  // TSan adds its own background thread
#else
  EXPECT_EQ(tasks.size(), 1u);
#endif
  EXPECT_TRUE(tasks.count(daemon_->pid()));
  p.go();
  ASSERT_TRUE(p.at("all-closed"));
  p.go();
  EXPECT_EQ(p.wait(), 0);
}

// With nothing asked of it (a client connected, the tree mounted, nodes opened and closed
// before) the daemon sleeps: no timer, no poll, no context switch.
TEST_F(FuseTreeTest, AnIdleDaemonMakesNoWakeups) {
  {
    Probe p({probe_path("fuse_class_node_probe"), "binary", node("cpu_dma_latency")});
    for (const char* point : {"opened", "set-100", "closed"}) {
      ASSERT_TRUE(p.at(point));
      p.go();
    }
    EXPECT_EQ(p.wait(), 0);
  }
  ASSERT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
  // Let the last reply's wake-up and any deferred work settle, then watch for two seconds.
  ::usleep(300 * 1000);
  const pid_t main_thread = daemon_->pid();
  const long before = context_switches(main_thread)[main_thread];
  ::sleep(2);
  const long after = context_switches(main_thread)[main_thread];
  EXPECT_EQ(after - before, 0) << "the idle daemon woke up " << after - before << " times in 2 s";
}

// Eight processes hammer the nodes with garbage (random bytes of random sizes on class nodes,
// random ioctl numbers and sizes on a perf node, opens that are never closed before SIGKILL,
// one process stopped in the middle) while a socket client keeps updating: every update is
// answered, and once the flooders are dead nothing of theirs is held.
TEST_F(FuseTreeTest, FloodAndGarbageFromManyProcessesWedgeNothing) {
  const std::vector<std::string> nodes{node("cpu_dma_latency"), node("network_latency"),
                                       node("perf_qos/gpu"), node("cpu_wakeup_latency")};
  std::vector<pid_t> flooders;
  for (int i = 0; i < 8; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::mt19937 rng(static_cast<unsigned>(i) * 7919u + 1u);
      std::vector<int> open_fds;
      char buf[256];
      for (;;) {
        const std::string& path = nodes[rng() % nodes.size()];
        const int fd = ::open(path.c_str(), (rng() % 4 == 0) ? O_RDONLY : O_RDWR);
        if (fd < 0) continue;
        for (int k = 0; k < 4; ++k) {
          for (char& c : buf) c = static_cast<char>(rng());
          switch (rng() % 4) {
            case 0:
              (void)!::write(fd, buf, 1 + rng() % sizeof buf);
              break;
            case 1:
              (void)!::write(fd, buf, 4);
              break;
            case 2: {
              // Any command number, direction and size up to the buffer; the buffer is valid.
              const unsigned long cmd =
                  _IOC(rng() % 4, rng() % 2 ? 'P' : rng() % 256, rng() % 16, rng() % sizeof buf);
              (void)::ioctl(fd, cmd, buf);
              break;
            }
            default:
              (void)!::pread(fd, buf, sizeof buf, rng() % 64);
          }
        }
        if (rng() % 3 == 0 && open_fds.size() < 64) {
          open_fds.push_back(fd);  // left open: SIGKILL closes it
        } else {
          ::close(fd);
        }
      }
    }
    ASSERT_GT(pid, 0);
    flooders.push_back(pid);
  }
  ::kill(flooders[0], SIGSTOP);  // stopped mid-flood: must not hold anyone up

  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_add(client_, "network_latency", nullptr, 5000, &id, nullptr), 0)
      << perfqos_last_error(client_);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
    ASSERT_EQ(perfqos_update(client_, id, 1000 + i % 1000, nullptr), 0)
        << perfqos_last_error(client_);
  }
  std::uint32_t held = 0;  // the descriptors the flooders left open hold requests
  for (const char* device : {"cpu_dma_latency", "network_latency", "gpu", "cpu_wakeup_latency"}) {
    held += active(device);
  }
  EXPECT_GT(held, 1u);
  for (pid_t pid : flooders) ::kill(pid, SIGKILL);
  for (pid_t pid : flooders) ::waitpid(pid, nullptr, 0);
  ASSERT_EQ(perfqos_remove(client_, id, nullptr), 0) << perfqos_last_error(client_);

  for (const char* device : {"cpu_dma_latency", "network_latency", "gpu", "cpu_wakeup_latency"}) {
    EXPECT_TRUE(eventually([&] { return active(device) == 0; })) << device;
  }
  EXPECT_EQ(effective("cpu_dma_latency").value, kLatencyDefault);
  EXPECT_EQ(effective("network_latency").value, kLatencyDefault);
  // Still serving: a well-behaved program gets its request.
  Probe p({probe_path("fuse_class_node_probe"), "binary", node("cpu_dma_latency")});
  for (const char* point : {"opened", "set-100", "closed"}) {
    ASSERT_TRUE(p.at(point));
    p.go();
  }
  EXPECT_EQ(p.wait(), 0);
}

// --- life cycle
// -----------------------------------------------------------------------------------

TEST_F(FuseTreeTest, SigtermUnmounts) {
  ASSERT_TRUE(mounted(mount_));
  const int status = daemon_->stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(mounted(mount_));
}

TEST_F(FuseTreeTest, StaleMountOfAKilledInstanceIsReplaced) {
  daemon_->stop(SIGKILL);
  struct stat st {};
  EXPECT_NE(::stat(node("cpu_dma_latency").c_str(), &st), 0);
  EXPECT_EQ(::stat(mount_.c_str(), &st) == 0 ? 0 : errno, ENOTCONN);
  perfqos_close(client_);
  client_ = nullptr;
  start_daemon();
  ASSERT_TRUE(daemon_->ready()) << daemon_->log();
  ASSERT_EQ(perfqos_connect(daemon_->socket().c_str(), 5000, &client_), 0);
  EXPECT_NE(daemon_->log().find("stale mount"), std::string::npos) << daemon_->log();
  Probe p({probe_path("fuse_class_node_probe"), "binary", node("cpu_dma_latency")});
  for (const char* point : {"opened", "set-100", "closed"}) {
    ASSERT_TRUE(p.at(point));
    p.go();
  }
  EXPECT_EQ(p.wait(), 0);
  daemon_->stop(SIGTERM);
  EXPECT_FALSE(mounted(mount_));  // nothing stacked: the stale mount went too
}

// An unmodified program written for the kernel's /dev/cpu_dma_latency, run with our node
// bind-mounted over it in a private mount namespace.
// A program written for Linux 6.19's /dev/cpu_wakeup_latency, on a kernel without it: in a
// private mount namespace a tmpfs over /dev gives the path a file to bind perfqosd's node over.
TEST_F(FuseTreeTest, ProgramForDevCpuWakeupLatencyWorksOverABindMount) {
  if (std::system("unshare -m true >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "unshare -m fails here (needs CAP_SYS_ADMIN and util-linux)";
  }
  const std::string script =
      "{ [ -e /dev/cpu_wakeup_latency ] || { mount -t tmpfs perfqos-test /dev && "
      ": > /dev/cpu_wakeup_latency; }; } && mount --bind '" +
      node("cpu_wakeup_latency") + "' /dev/cpu_wakeup_latency && exec '" +
      probe_path("fuse_latency_tool") + "' 42 /dev/cpu_wakeup_latency";
  Probe p({"unshare", "-m", "--propagation", "private", "sh", "-c", script});
  ASSERT_TRUE(p.at("holding 42"));
  auto h = holders("cpu_wakeup_latency");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].holder_kind, PERFQOS_HOLDER_FUSE);
  EXPECT_EQ(h[0].value, 42);
  EXPECT_EQ(effective("cpu_wakeup_latency").value, 42);
  p.go();
  EXPECT_EQ(p.wait(), 0);
  EXPECT_TRUE(eventually([&] { return active("cpu_wakeup_latency") == 0; }));
  EXPECT_EQ(effective("cpu_wakeup_latency").value, INT32_MAX);
}

TEST_F(FuseTreeTest, ProgramForDevCpuDmaLatencyWorksOverABindMount) {
  struct stat st {};
  if (::stat("/dev/cpu_dma_latency", &st) != 0) {
    GTEST_SKIP() << "no /dev/cpu_dma_latency to bind over";
  }
  if (std::system("unshare -m true >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "unshare -m fails here (needs CAP_SYS_ADMIN and util-linux)";
  }
  const std::string script = "mount --bind '" + node("cpu_dma_latency") +
                             "' /dev/cpu_dma_latency && exec '" + probe_path("fuse_latency_tool") +
                             "' 42";
  Probe p({"unshare", "-m", "--propagation", "private", "sh", "-c", script});
  ASSERT_TRUE(p.at("holding 42"));
  auto h = holders("cpu_dma_latency");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].holder_kind, PERFQOS_HOLDER_FUSE);
  EXPECT_EQ(h[0].value, 42);
  EXPECT_EQ(h[0].pid, p.pid());  // unshare and sh exec'd into the tool
  EXPECT_STREQ(h[0].comm, "fuse_latency_to");
  EXPECT_EQ(effective("cpu_dma_latency").value, 42);
  p.go();
  EXPECT_EQ(p.wait(), 0);
  EXPECT_TRUE(eventually([&] { return active("cpu_dma_latency") == 0; }));
  EXPECT_EQ(effective("cpu_dma_latency").value, kLatencyDefault);
}

}  // namespace
}  // namespace perfqos
