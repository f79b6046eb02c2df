// Real runc and crun run perfqos-oci-hook from a bundle's config.json (hooks.createRuntime),
// with a busybox root file system: the container's annotated request is in force while it runs
// and gone after it exits; a container without annotations runs exactly as before.
//
// On a host with the hybrid cgroup layout (cgroup2 not at /sys/fs/cgroup) crun refuses to run
// at all ("cgroups in hybrid mode not supported"); there the test runs crun with
// --cgroup-manager=disabled from inside a cgroup v2 cgroup the test made, in a mount namespace
// where the cgroup2 mount is hidden from crun: the container lives in that cgroup, as it would
// in a cgroup a systemd scope made for it. runc makes the container's cgroup itself in both
// layouts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/cgroup_mount.h"
#include "perfqos/client.h"
#include "support/effective.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"

namespace perfqos {
namespace {

namespace fs = std::filesystem;
using testing::DaemonProcess;
using testing::eventually;
using testing::TestCgroup;
using testing::effective;
using testing::kLatencyNoConstraint;


std::optional<std::string> find_program(const std::vector<std::string>& candidates) {
  for (const std::string& p : candidates) {
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

int bindings(const std::string& socket) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return -1;
  perfqos_holder_info* holders = nullptr;
  std::size_t n = 0;
  int count = -1;
  if (perfqos_status(c, nullptr, &holders, &n) == 0) {
    count = 0;
    for (std::size_t i = 0; i < n; ++i) count += holders[i].holder_kind == PERFQOS_HOLDER_CGROUP_BINDING;
  }
  perfqos_free(holders);
  perfqos_close(c);
  return count;
}

// Runs `argv` to its end with stdin from /dev/null; its stdout and stderr in *out.
int run(const std::vector<std::string>& argv, std::string* out = nullptr) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(::open("/dev/null", O_RDONLY), STDIN_FILENO);
    ::dup2(pipefd[1], STDOUT_FILENO);
    ::dup2(pipefd[1], STDERR_FILENO);
    ::close(pipefd[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A bundle: busybox as rootfs/bin/{busybox,sh,sleep}, config.json from `RUNTIME spec`, then
// the process, the hook and the annotations set.
class Bundle {
 public:
  Bundle(const std::string& runtime, const std::vector<std::string>& args,
         const std::vector<std::string>& hook_args, const nlohmann::json& annotations) {
    char tmpl[] = "/tmp/perfqos-bundle-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    fs::create_directories(dir_ + "/rootfs/bin");
    fs::create_directories(dir_ + "/state");
    fs::copy_file("/bin/busybox", dir_ + "/rootfs/bin/busybox");
    for (const char* tool : {"sh", "sleep", "echo"}) fs::create_symlink("busybox", dir_ + "/rootfs/bin/" + tool);
    std::string out;
    ok_ = run({"/bin/sh", "-c", "cd " + dir_ + " && " + runtime + " spec"}, &out) == 0;
    if (!ok_) return;
    std::ifstream in(dir_ + "/config.json");
    nlohmann::json config = nlohmann::json::parse(in);
    config["process"]["args"] = args;
    config["process"]["terminal"] = false;
    config["root"]["readonly"] = true;
    config["hooks"]["createRuntime"] = nlohmann::json::array(
        {{{"path", PERFQOS_OCI_HOOK_PATH}, {"args", hook_args}, {"timeout", 5}}});
    config["annotations"] = annotations;
    std::ofstream(dir_ + "/config.json") << config.dump(2);
  }
  ~Bundle() { fs::remove_all(dir_); }
  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }
  std::string state() const { return dir_ + "/state"; }

 private:
  std::string dir_;
  bool ok_ = false;
};

struct Runtime {
  const char* name;
  std::vector<std::string> paths;
};
void PrintTo(const Runtime& r, std::ostream* os) {
  *os << r.name;
}

class OciRuntime : public ::testing::TestWithParam<Runtime> {
 protected:
  void SetUp() override {
    auto path = find_program(GetParam().paths);
    if (!path) GTEST_SKIP() << GetParam().name << " is not installed (Debian: apt-get install "
                            << GetParam().name << ")";
    if (::access("/bin/busybox", X_OK) != 0) {
      GTEST_SKIP() << "no /bin/busybox (Debian: apt-get install busybox-static)";
    }
    if (!daemon::find_cgroup2_mount(&mount_).ok()) GTEST_SKIP() << "no cgroup2 mount";
    if (!launcher_.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
    runtime_ = *path;
    hybrid_ = mount_ != "/sys/fs/cgroup";
  }

  // `RUNTIME run` of the bundle as container `id`, in the background; returns its pid.
  pid_t start(const Bundle& b, const std::string& id) {
    std::vector<std::string> argv{runtime_, "--root", b.state(), "run", "-b", b.dir(), id};
    const bool crun_hybrid = hybrid_ && std::string(GetParam().name) == "crun";
    if (crun_hybrid) {
      argv = {"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
              "mount -t tmpfs none " + mount_ + " && exec " + runtime_ + " --cgroup-manager=disabled"
              " --root " + b.state() + " run -b " + b.dir() + " " + id};
    }
    const std::string log = b.dir() + "/run.log";
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (crun_hybrid) launcher_.add(::getpid());
      ::dup2(::open("/dev/null", O_RDONLY), STDIN_FILENO);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return pid;
  }
  int wait(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // Kills the container and waits for `RUNTIME run` (`pid`) to end. A kill that comes while
  // the runtime still runs the hooks finds no container yet: it is repeated until the runtime
  // has gone, for at most 5 s (then the runtime itself is killed).
  int stop(const Bundle& b, const std::string& id, pid_t pid) {
    int status = 0;
    for (int i = 0; i < 50; ++i) {
      run({runtime_, "--root", b.state(), "kill", id, "KILL"});
      if (eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; },
                     std::chrono::milliseconds(100))) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    ::kill(pid, SIGKILL);
    return wait(pid);
  }
  static std::string log(const Bundle& b) {
    std::ifstream in(b.dir() + "/run.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string id(const char* what) const {
    return std::string("pq-") + GetParam().name + "-" + what + "-" + std::to_string(::getpid());
  }

  std::string runtime_, mount_;
  bool hybrid_ = false;
  TestCgroup launcher_{"/pq-test-runtime-" + std::to_string(::getpid())};
};

TEST_P(OciRuntime, AnnotatedContainerHoldsItsRequestWhileItRuns) {
  DaemonProcess d;
  ASSERT_TRUE(d.ready()) << d.log();
  Bundle b(runtime_, {"sleep", "20"}, {"perfqos-oci-hook", "--socket", d.socket(), "--fail-closed"},
           {{"perfqos.io/request.a", "cpu_dma_latency=25"}});
  ASSERT_TRUE(b.ok());
  const std::string name = id("annotated");
  const pid_t pid = start(b, name);
  EXPECT_TRUE(eventually([&] { return effective(d.socket(), "cpu_dma_latency") == 25; },
                         std::chrono::seconds(5)))
      << log(b) << d.log();
  EXPECT_EQ(bindings(d.socket()), 1);
  EXPECT_NE(stop(b, name, pid), 127) << log(b);
  EXPECT_TRUE(eventually([&] { return effective(d.socket(), "cpu_dma_latency") == kLatencyNoConstraint; },
                         std::chrono::seconds(5)))
      << d.log();
  EXPECT_TRUE(eventually([&] { return bindings(d.socket()) == 0; }, std::chrono::seconds(5)));
}

// The hook is configured for every container (as hooks.d would not do, to be sure): without
// our annotations it exits at once, without the daemon (its socket does not exist and it is
// fail-closed), and the container runs as before.
TEST_P(OciRuntime, ContainerWithoutAnnotationsRunsAsBefore) {
  Bundle b(runtime_, {"sh", "-c", "echo hello from busybox; exit 3"},
           {"perfqos-oci-hook", "--socket", "/nonexistent/perfqosd.sock", "--fail-closed"},
           {{"org.example.other", "x"}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(wait(start(b, id("plain"))), 3) << log(b);
  EXPECT_NE(log(b).find("hello from busybox"), std::string::npos) << log(b);
}

// A malformed annotation with the hook fail-closed: the runtime fails the container start (the
// hook's exit status 1), and says why; fail-open would have started it.
TEST_P(OciRuntime, FailClosedHookStopsAContainerWithAMalformedAnnotation) {
  DaemonProcess d;
  ASSERT_TRUE(d.ready()) << d.log();
  // crun keeps a hook's stderr only where run.oci.hooks.stderr says (runc passes it through).
  char tmpl[] = "/tmp/perfqos-hookerr-XXXXXX";
  const std::string hook_err = std::string(::mkdtemp(tmpl)) + "/hook.err";
  Bundle b(runtime_, {"sh", "-c", "echo started"},
           {"perfqos-oci-hook", "--socket", d.socket(), "--fail-closed"},
           {{"perfqos.io/request.a", "cpu_dma_latency"}, {"run.oci.hooks.stderr", hook_err}});
  ASSERT_TRUE(b.ok());
  EXPECT_NE(wait(start(b, id("malformed"))), 0) << log(b);
  EXPECT_EQ(log(b).find("started"), std::string::npos) << log(b);
  std::ifstream in(hook_err);
  const std::string said = log(b) + std::string(std::istreambuf_iterator<char>(in), {});
  EXPECT_NE(said.find("perfqos-oci-hook: annotation perfqos.io/request.a: "), std::string::npos)
      << said;
  fs::remove_all(fs::path(hook_err).parent_path());
  EXPECT_EQ(bindings(d.socket()), 0);
}

// The kernel's own /dev/cpu_dma_latency, through a perfqosd on the real sysfs root: 25 µs while
// the container runs, what it was after it exits. Skipped when something on this machine holds
// 25 µs or less already (the kernel's value would not show ours).
std::optional<std::int32_t> kernel_cpu_latency() {
  const int fd = ::open("/dev/cpu_dma_latency", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::int32_t v = 0;
  const bool ok = ::read(fd, &v, sizeof v) == sizeof v;
  ::close(fd);
  return ok ? std::optional<std::int32_t>(v) : std::nullopt;
}

TEST_P(OciRuntime, AnnotatedContainerSetsTheRealCpuDmaLatency) {
  const std::optional<std::int32_t> before = kernel_cpu_latency();
  if (!before) GTEST_SKIP() << "/dev/cpu_dma_latency is not readable here";
  if (*before <= 25) GTEST_SKIP() << "something on this machine holds " << *before << " us already";
  DaemonProcess d({"--sysfs-root", "/"});
  ASSERT_TRUE(d.ready()) << d.log();
  Bundle b(runtime_, {"sleep", "20"}, {"perfqos-oci-hook", "--socket", d.socket(), "--fail-closed"},
           {{"perfqos.io/request.a", "cpu_dma_latency=25"}});
  ASSERT_TRUE(b.ok());
  const std::string name = id("real");
  const pid_t pid = start(b, name);
  // A failed read is no pass: the value must be read, and be ours.
  std::optional<std::int32_t> during;
  EXPECT_TRUE(eventually(
      [&] {
        during = kernel_cpu_latency();
        return during == 25;
      },
      std::chrono::seconds(5)))
      << "read " << (during ? std::to_string(*during) : std::string("nothing")) << "\n"
      << log(b) << d.log();
  (void)stop(b, name, pid);
  EXPECT_TRUE(eventually([&] { return effective(d.socket(), "cpu_dma_latency") == kLatencyNoConstraint; },
                         std::chrono::seconds(5)))
      << d.log();
  EXPECT_TRUE(eventually([&] { return kernel_cpu_latency() == before; }, std::chrono::seconds(5)))
      << "now " << kernel_cpu_latency().value_or(-1) << ", before " << *before;
}

INSTANTIATE_TEST_SUITE_P(Runtimes, OciRuntime,
                         ::testing::Values(Runtime{"runc", {"/usr/sbin/runc", "/usr/bin/runc"}},
                                           Runtime{"crun", {"/usr/bin/crun", "/usr/sbin/crun"}}),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace perfqos
