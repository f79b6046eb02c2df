// perfqos-oci-hook run as a runtime runs it, against a real perfqosd on a private socket: a
// real process in a real cgroup v2 cgroup, its state JSON on stdin. The requests live while the
// process does and go with it; bad input, a daemon that is down or silent, and containers
// without our annotations behave as perfqos-oci-hook(1) says.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "backends/sysfs_tree.h"
#include "oci_hook/container_cgroup.h"
#include "perfqos/client.h"
#include "support/cgroup_fixture.h"
#include "support/daemon_process.h"
#include "support/run_as.h"
#include "tools/cpu_set_spec.h"
#include "oci_hook/run_hook.h"

namespace perfqos {
namespace {

using testing::ConfigFile;
using testing::DaemonProcess;
using testing::eventually;
using testing::HookRun;
using testing::run_hook;
using testing::TestCgroup;

constexpr std::int32_t kLatencyDefault = 2000000000;

std::string unique(const std::string& prefix) {
  return prefix + std::to_string(::getpid());
}

std::int32_t effective(const std::string& socket, const std::string& device,
                       const char* knob = nullptr) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return -1;
  perfqos_effective e{};
  const int rc = perfqos_read(c, device.c_str(), knob, &e);
  perfqos_close(c);
  return rc == 0 ? e.value : rc;
}

std::vector<perfqos_holder_note_info> bindings(const std::string& socket) {
  std::vector<perfqos_holder_note_info> out;
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return out;
  perfqos_holder_note_info* holders = nullptr;
  std::size_t n = 0;
  if (perfqos_status_noted(c, nullptr, &holders, &n) == 0) {
    for (std::size_t i = 0; i < n; ++i) {
      if (holders[i].holder.holder_kind == PERFQOS_HOLDER_CGROUP_BINDING) out.push_back(holders[i]);
    }
  }
  perfqos_free(holders);
  perfqos_close(c);
  return out;
}

// The state a runtime writes for a hook at createRuntime, with `annotations` (a JSON object's
// members, "" for none).
std::string state(pid_t pid, const std::string& annotations, const std::string& id = "c1") {
  return R"({"ociVersion":"1.0.2","id":")" + id + R"(","status":"creating","pid":)" +
         std::to_string(pid) + R"(,"bundle":"/run/test/)" + id + R"(","annotations":{)" +
         annotations + "}}";
}

class OciHook : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!group_.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
    ASSERT_TRUE(daemon_.ready()) << daemon_.log();
    pid_ = group_.spawn_sleeper();
  }
  std::vector<std::string> args(std::vector<std::string> more = {}) const {
    std::vector<std::string> a{"--socket", daemon_.socket(), "--fail-closed"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  std::string socket() const { return daemon_.socket(); }

  TestCgroup group_{unique("/pq-test-ocihook-")};
  DaemonProcess daemon_;
  pid_t pid_ = 0;
};

TEST_F(OciHook, RequestLivesWhileTheContainerProcessDoesAndGoesWithIt) {
  const HookRun r =
      run_hook(args(), state(pid_, R"("perfqos.io/request.a":"cpu_dma_latency=25",)"
                                   R"("perfqos.io/request.b":"network_latency=1ms",)"
                                   R"("perfqos.io/reason":"low-latency audio",)"
                                   R"("io.kubernetes.pod.name":"p")"));
  ASSERT_EQ(r.status, 0) << r.err << daemon_.log();
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(effective(socket(), "cpu_dma_latency"), 25);
  EXPECT_EQ(effective(socket(), "network_latency"), 1000);
  const auto held = bindings(socket());
  ASSERT_EQ(held.size(), 2u);
  for (const auto& h : held) {
    EXPECT_EQ(h.holder.cgroup, group_.path());
    EXPECT_STREQ(h.reason, "low-latency audio");
    EXPECT_STREQ(h.app_id, "oci:c1");
  }
  group_.kill_all();  // the container exits
  EXPECT_TRUE(eventually([&] { return effective(socket(), "cpu_dma_latency") == kLatencyDefault; }))
      << daemon_.log();
  EXPECT_TRUE(eventually([&] { return bindings(socket()).empty(); }));
  EXPECT_EQ(effective(socket(), "network_latency"), kLatencyDefault);
}

TEST_F(OciHook, WithoutOurAnnotationsItExitsAtOnceWithoutConnecting) {
  const std::vector<std::string> nowhere{"--socket", "/nonexistent/perfqosd.sock", "--fail-closed"};
  for (const std::string& text :
       {state(pid_, ""), state(pid_, R"("io.kubernetes.pod.name":"p")"),
        std::string(R"({"ociVersion":"1.0.2","id":"c","status":"creating","pid":1})")}) {
    const HookRun r = run_hook(nowhere, text);
    EXPECT_EQ(r.status, 0) << text << ": " << r.err;
    EXPECT_EQ(r.err, "") << text;
  }
  // "enable" asks for nothing: nothing to bind, no daemon needed.
  const HookRun r = run_hook(nowhere, state(pid_, R"("cpu-c-states.crio.io":"enable")"));
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(OciHook, MalformedAnnotationsExitOneNamingThemAndBindNothing) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("perfqos.io/request.a":"cpu_dma_latency")", "annotation perfqos.io/request.a: "},
      {R"("perfqos.io/request.a":"cpu_dma_latency=fast")", "annotation perfqos.io/request.a: "},
      {R"("perfqos.io/request.a":"cpu_dma_latency=-5")", "allowed 0..2000000000"},
      {R"("perfqos.io/request.a":"network_latency=5","perfqos.io/request.z":"cpu_dma_latency=x")",
       "perfqos.io/request.z"},
      {R"("perfqos.io/profile":"Game Mode")", "a profile name is 1..32 of a-z, 0-9, _ and -"},
      {R"("perfqos.io/requst.a":"cpu_dma_latency=5")", "unknown perfqos annotation"},
      {R"("perfqos.io/reason":"a\nb","perfqos.io/request.a":"cpu_dma_latency=5")", "reason"},
      {R"("cpu-c-states.crio.io":"sometimes")", "cpu-c-states.crio.io"},
  };
  for (const auto& [annotations, message] : cases) {
    const HookRun r = run_hook(args(), state(pid_, annotations));
    EXPECT_EQ(r.status, 1) << annotations << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  }
  // Fail-open (the default): the same line, exit 0.
  const HookRun open = run_hook({"--socket", socket()},
                                state(pid_, R"("perfqos.io/request.a":"cpu_dma_latency")"));
  EXPECT_EQ(open.status, 0);
  EXPECT_NE(open.err.find("fail-open: the container starts without its requests"),
            std::string::npos)
      << open.err;
  EXPECT_TRUE(bindings(socket()).empty());
  EXPECT_EQ(effective(socket(), "network_latency"), kLatencyDefault);
}

TEST_F(OciHook, GarbageStateExitsOne) {
  for (const std::string& text :
       {std::string("{"), std::string("not json"), std::string("[1,2]"),
        std::string(R"({"pid":"x","annotations":{"perfqos.io/request.a":"cpu_dma_latency=5"}})"),
        std::string(R"({"annotations":{"perfqos.io/request.a":"cpu_dma_latency=5"}})"),
        std::string(2 * 1024 * 1024, '{')}) {
    const HookRun r = run_hook(args(), text);
    EXPECT_EQ(r.status, 1) << text.substr(0, 80) << ": " << r.err;
    EXPECT_NE(r.err.find("state"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(bindings(socket()).empty());
}

// One refused request: those bound before it are unbound (all or nothing), exit 3.
TEST_F(OciHook, ARefusedRequestUnbindsTheOthers) {
  const HookRun r = run_hook(args(), state(pid_, R"("perfqos.io/request.a":"cpu_dma_latency=25",)"
                                                 R"("perfqos.io/request.b":"nosuchdevice=5")"));
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("perfqos.io/request.b"), std::string::npos) << r.err;
  EXPECT_TRUE(bindings(socket()).empty());
  EXPECT_EQ(effective(socket(), "cpu_dma_latency"), kLatencyDefault);
}

// The daemon's [[container]] policy judges what the hook relays, though the hook is root: an
// annotation outside it is refused (exit 3), and nothing of the container's stays bound.
TEST(OciHookPolicy, AnAnnotationOutsideTheContainerPolicyIsRefusedAndBindsNothing) {
  TestCgroup group(unique("/pq-test-ocihookpolicy-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  const ConfigFile config(
      "[[container]]\ndevice = \"cpu_dma_latency\"\nknob = \"latency\"\nmin = 20\nmax = 100\n"
      "[[container]]\ndevice = \"network_latency\"\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const pid_t pid = group.spawn_sleeper();
  const HookRun r = run_hook({"--socket", d.socket(), "--fail-closed"},
                             state(pid, R"("perfqos.io/request.a":"network_latency=1ms",)"
                                        R"("perfqos.io/request.b":"cpu_dma_latency=5")"));
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("annotation perfqos.io/request.b: cpu_dma_latency.latency=5: outside "
                       "what containers may ask"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("[[container]]"), std::string::npos) << r.err;
  EXPECT_TRUE(bindings(d.socket()).empty());
  EXPECT_EQ(effective(d.socket(), "network_latency"), kLatencyDefault);
  // Inside it: bound.
  const HookRun ok = run_hook({"--socket", d.socket(), "--fail-closed"},
                              state(pid, R"("perfqos.io/request.b":"cpu_dma_latency=20")"));
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(effective(d.socket(), "cpu_dma_latency"), 20);
}

// perfqos.io/profile: perfqosd resolves the profile (PROFILE) and the hook binds its requests
// like request annotations, judged by the [[container]] policy (here the built-in one), all or
// nothing with them; an unknown profile is refused naming those there are.
TEST(OciHookProfile, AProfileBindsItsRequestsWhileTheContainerLives) {
  TestCgroup group(unique("/pq-test-ocihookprofile-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  const ConfigFile config(
      "[[profile]]\nname = \"lowlat\"\nrequests = [\"cpu_dma_latency=30\", "
      "\"network_latency=2ms\"]\n"
      "[[profile]]\nname = \"greedy\"\nrequests = [\"network_throughput=100\"]\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const pid_t pid = group.spawn_sleeper();
  HookRun r = run_hook({"--socket", d.socket(), "--fail-closed", "-v"},
                       state(pid, R"("perfqos.io/profile":"lowlat",)"
                                  R"("perfqos.io/request.a":"cpu_dma_latency=40")"));
  ASSERT_EQ(r.status, 0) << r.err << d.log();
  EXPECT_NE(r.err.find("3 requests bound"), std::string::npos) << r.err;
  EXPECT_EQ(effective(d.socket(), "cpu_dma_latency"), 30);
  EXPECT_EQ(effective(d.socket(), "network_latency"), 2000);
  EXPECT_EQ(bindings(d.socket()).size(), 3u);

  // The built-in container policy does not cover network_throughput: nothing of it is bound.
  TestCgroup second(group.path() + "/second");
  ASSERT_TRUE(second.ok());
  r = run_hook({"--socket", d.socket(), "--fail-closed"},
               state(second.spawn_sleeper(), R"("perfqos.io/profile":"greedy")", "c2"));
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("network_throughput.throughput=100: containers may not ask for it"),
            std::string::npos)
      << r.err;
  r = run_hook({"--socket", d.socket(), "--fail-closed"},
               state(second.spawn_sleeper(), R"("perfqos.io/profile":"nosuch")", "c3"));
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("no profile 'nosuch': profiles are power-saver, balanced, performance, "
                       "lowlat, greedy"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(bindings(d.socket()).size(), 3u);
  EXPECT_EQ(effective(d.socket(), "network_throughput"), 0);
  second.kill_all();
  second.remove();

  group.kill_all();  // the container exits: its profile goes with it
  EXPECT_TRUE(eventually([&] {
    return effective(d.socket(), "cpu_dma_latency") == kLatencyDefault;
  })) << d.log();
  EXPECT_TRUE(eventually([&] { return bindings(d.socket()).empty(); }));
}

TEST_F(OciHook, AProcessThatIsGoneExitsFour) {
  const pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  const HookRun r = run_hook(args(), state(gone, R"("perfqos.io/request.a":"cpu_dma_latency=25")"));
  EXPECT_EQ(r.status, 4) << r.err;
  EXPECT_NE(r.err.find("is gone"), std::string::npos) << r.err;
}

TEST(OciHookDaemon, DownIsFailOpenByDefaultAndTwoWhenClosed) {
  TestCgroup group(unique("/pq-test-ocihookdown-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  const pid_t pid = group.spawn_sleeper();
  const std::string text = state(pid, R"("perfqos.io/request.a":"cpu_dma_latency=25")");
  HookRun r = run_hook({"--socket", "/nonexistent/perfqosd.sock"}, text);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("cannot reach perfqosd at /nonexistent/perfqosd.sock"), std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = run_hook({"--socket", "/nonexistent/perfqosd.sock", "--fail-closed"}, text);
  EXPECT_EQ(r.status, 2) << r.err;
}

// A daemon that accepts and never answers, and a runtime that never closes stdin: the hook
// gives up within its --timeout, never hangs the container start.
TEST(OciHookDaemon, SilentDaemonOrOpenStdinEndWithinTheTimeout) {
  TestCgroup group(unique("/pq-test-ocihooksilent-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  const pid_t pid = group.spawn_sleeper();
  char tmpl[] = "/tmp/perfqos-silent-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string path = dir + "/silent.sock";
  const int listener = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 8), 0);  // connections queue; nobody reads them

  const std::string text = state(pid, R"("perfqos.io/request.a":"cpu_dma_latency=25")");
  HookRun r = run_hook({"--socket", path, "--timeout", "300", "--fail-closed"}, text);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("300 ms"), std::string::npos) << r.err;
  EXPECT_LT(r.took.count(), 2000);

  r = run_hook({"--socket", path, "--timeout", "300", "--fail-closed"}, text,
               /*keep_stdin_open=*/true);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("did not close stdin"), std::string::npos) << r.err;
  EXPECT_LT(r.took.count(), 2000);
  ::close(listener);
  std::filesystem::remove_all(dir);
}

TEST(OciHookCommandLine, HelpAndBadOptions) {
  HookRun r = run_hook({"--help"}, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.err.find("Exit status"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("perfqos.io/request.NAME"), std::string::npos) << r.err;
  r = run_hook({"--timeout", "0"}, "");
  EXPECT_EQ(r.status, 64) << r.err;
  r = run_hook({"--no-such-option"}, "");
  EXPECT_EQ(r.status, 64) << r.err;
}

// cpu-c-states.crio.io on a daemon serving every online CPU (a generated sysfs tree): one
// resume_latency request per CPU of the container (its cpuset.cpus.effective, generated in the
// tree where the daemon reads it: this kernel's cgroup2 has no cpuset), aggregated with others,
// following the cpuset as it changes, gone with the container.
TEST(OciHookCStates, DisableAndMaxLatencyRequestResumeLatencyOnTheContainersCpus) {
  TestCgroup group(unique("/pq-test-ocihookcstates-"));
  if (!group.ok()) GTEST_SKIP() << "cgroup2 is not writable here";
  std::string online_text;
  std::vector<int> online;
  {
    std::ifstream in("/sys/devices/system/cpu/online");
    std::getline(in, online_text);
    ASSERT_TRUE(tools::parse_cpu_list(online_text, &online).ok()) << online_text;
  }
  std::string mount;
  ASSERT_TRUE(daemon::find_cgroup2_mount(&mount).ok());
  testing::SysfsTree tree;
  for (int cpu : online) tree.add_cpu(cpu);
  tree.add_cpu_latency_node();
  tree.write_file("/sys/devices/system/cpu/online", online_text + "\n");
  // The container starts on the first CPU only.
  const std::string cpuset = mount + group.path() + "/cpuset.cpus.effective";
  tree.write_file(cpuset, std::to_string(online[0]) + "\n");
  std::vector<int> expected{online[0]};
  DaemonProcess d({"--sysfs-root", tree.dir()});
  ASSERT_TRUE(d.ready()) << d.log();
  const pid_t first = group.spawn_sleeper();

  HookRun r = run_hook({"--socket", d.socket(), "--fail-closed"},
                       state(first, R"("cpu-c-states.crio.io":"max_latency:10")", "c1"));
  ASSERT_EQ(r.status, 0) << r.err << d.log();
  for (int cpu : expected) {
    EXPECT_EQ(effective(d.socket(), "cpu" + std::to_string(cpu), "resume_latency"), 10) << cpu;
  }
  // Its cpuset grows: perfqosd follows it, no hook runs again.
  tree.write_file(cpuset, online_text + "\n");
  expected = online;
  for (int cpu : expected) {
    EXPECT_TRUE(eventually([&] {
      return effective(d.socket(), "cpu" + std::to_string(cpu), "resume_latency") == 10;
    })) << cpu;
  }
  // A second container in the same cgroup tree asks for less: the smallest wins, per CPU.
  TestCgroup second(group.path() + "/second");
  ASSERT_TRUE(second.ok());
  r = run_hook({"--socket", d.socket(), "--fail-closed"},
               state(second.spawn_sleeper(), R"("cpu-c-states.crio.io":"disable")", "c2"));
  ASSERT_EQ(r.status, 0) << r.err;
  for (int cpu : expected) {
    EXPECT_EQ(effective(d.socket(), "cpu" + std::to_string(cpu), "resume_latency"), 0) << cpu;
  }
  second.kill_all();
  for (int cpu : expected) {
    EXPECT_TRUE(eventually([&] {
      return effective(d.socket(), "cpu" + std::to_string(cpu), "resume_latency") == 10;
    })) << cpu;
  }
  second.remove();
  group.kill_all();
  EXPECT_TRUE(eventually([&] { return bindings(d.socket()).empty(); })) << d.log();
}

}  // namespace
}  // namespace perfqos
