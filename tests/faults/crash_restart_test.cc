// perfqosd SIGKILLed while clients move real knobs of a generated sysfs tree, then restarted on
// the same --state-dir and --sysfs-root (DESIGN §7, §10): the restore journal puts every knob
// back before the new socket appears; the clients see their connection drop, reconnect, add
// their requests again and the knobs follow them; when they are gone the knobs are original.
//
// Clients reach the daemon through a fixed path, a symbolic link to the running daemon's
// socket (each DaemonProcess serves in its own directory), as they would /run/perfqos.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>

#include "backends/sysfs_tree.h"
#include "faults/fault_support.h"
#include "support/daemon_process.h"

namespace perfqos {
namespace {

using testing::Children;
using testing::Client;
using testing::DaemonProcess;
using testing::eventually;
using testing::Pipe;
using testing::Shared;
using testing::SysfsTree;
using testing::TempDir;

constexpr int kClients = 6;
constexpr int kUpdatesBeforeKill = 300;
constexpr int kMaxUpdates = 100000;  // per client: bounds the storm if the kill never comes
constexpr char kResume[] = "/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us";
constexpr char kPolicyMin[] = "/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq";
constexpr char kPolicyMax[] = "/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq";
// The originals: no resume latency constraint, the policy at its full cpuinfo range.
constexpr char kResumeOriginal[] = "0";
constexpr char kMinOriginal[] = "400000";
constexpr char kMaxOriginal[] = "3000000";

enum Stage : int { kStarting, kHolding, kLost, kReadded };

struct ClientState {
  std::atomic<int> stage{kStarting};
  std::atomic<int> lost_rc{0};   // what the library answered when the daemon died
  std::atomic<int> readd_rc{1};  // adding the requests again on the new daemon
};

struct Crash {
  std::atomic<int> updates{0};
  ClientState clients[kClients];
};

// What client i holds once the storm is over.
std::int32_t final_resume(int i) {
  return 100 + 10 * i;
}
std::int32_t final_max(int i) {
  return 1000000 + 100000 * i;
}

int add_finals(perfqos_client* c, int i) {
  std::uint32_t id;
  int rc = perfqos_add(c, "cpu0", "resume_latency", final_resume(i), &id, nullptr);
  if (rc == 0) rc = perfqos_add(c, "policy0", "max", final_max(i), &id, nullptr);
  return rc;
}

// A client: holds its requests and moves them until the daemon dies under it, then connects
// again through `link` (retrying until the new daemon is there), adds them again, and keeps
// them until `release` closes.
int storm_client(const std::string& link, int i, Crash& crash, int release) {
  ClientState& me = crash.clients[i];
  perfqos_client* c = nullptr;
  if (perfqos_connect(link.c_str(), 5000, &c) != 0) return 10;
  std::uint32_t resume = 0, max = 0;
  if (perfqos_add(c, "cpu0", "resume_latency", final_resume(i), &resume, nullptr) != 0 ||
      perfqos_add(c, "policy0", "max", final_max(i), &max, nullptr) != 0) {
    return 11;
  }
  me.stage = kHolding;
  int rc = 0;
  for (int k = 0; rc == 0 && k < kMaxUpdates; ++k) {
    rc = perfqos_update(c, resume, 20 + i + k % 50, nullptr);
    if (rc == 0) rc = perfqos_update(c, max, 1200000 + (k % 10) * 10000 + i * 1000, nullptr);
    if (rc == 0) crash.updates.fetch_add(1);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (rc == 0 && std::chrono::steady_clock::now() < deadline) {
    perfqos_effective e;
    rc = perfqos_read(c, "cpu0", "resume_latency", &e);
    ::usleep(1000);
  }
  me.lost_rc = rc;
  perfqos_close(c);
  me.stage = kLost;
  if (!testing::connection_lost(rc)) return 12;

  // Connecting again can reach the dying daemon's listener before the kernel closed it (the
  // connection is then reset) or its leftover socket file (refused): retry until the new one.
  for (;;) {
    c = nullptr;
    while (perfqos_connect(link.c_str(), 1000, &c) != 0) {
      if (std::chrono::steady_clock::now() > deadline) return 13;
      ::usleep(2000);
    }
    rc = add_finals(c, i);
    if (!testing::connection_lost(rc) || std::chrono::steady_clock::now() > deadline) break;
    perfqos_close(c);
  }
  me.readd_rc = rc;
  me.stage = kReadded;
  char byte;
  while (::read(release, &byte, 1) > 0) {
  }
  perfqos_close(c);
  return me.readd_rc == 0 ? 0 : 14;
}

// Points the fixed path at `socket`, atomically.
void point(const std::string& link, const std::string& socket) {
  const std::string next = link + ".next";
  std::filesystem::remove(next);
  std::filesystem::create_symlink(socket, next);
  std::filesystem::rename(next, link);
}

TEST(CrashRestart, SigkillMidStormRestoresKnobsBeforeServingAndClientsComeBack) {
  SysfsTree tree;
  tree.add_cpu(0, kResumeOriginal, "auto");
  tree.add_cpufreq_policy(0, 400000, 3000000, {0});
  tree.add_cpu_latency_node();
  TempDir state, run;
  ASSERT_FALSE(state.path().empty() || run.path().empty());
  const std::vector<std::string> args{"--sysfs-root", tree.dir(), "--state-dir", state.path()};
  const std::string journal = state.path() + "/restore.journal";
  const std::string link = run.path() + "/perfqosd.sock";

  auto first = std::make_unique<DaemonProcess>(args);
  ASSERT_TRUE(first->ready()) << first->log();
  point(link, first->socket());

  Shared<Crash> crash;
  Pipe release;
  Children clients;
  for (int i = 0; i < kClients; ++i) {
    clients.spawn([&, i] {
      ::close(release.write_end());
      return storm_client(link, i, *crash, release.read_end());
    });
  }
  release.close_read();
  ASSERT_TRUE(eventually([&] { return crash->updates.load() >= kUpdatesBeforeKill; },
                         std::chrono::seconds(30)))
      << crash->updates.load() << " updates\n"
      << first->log();
  for (const ClientState& c : crash->clients) EXPECT_EQ(c.stage.load(), kHolding);

  const int status = first->stop(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  // The crash left the knobs where the storm had them, and the journal behind.
  EXPECT_NE(tree.read_file(kResume), kResumeOriginal);
  EXPECT_NE(tree.read_file(kPolicyMax), kMaxOriginal);
  EXPECT_TRUE(std::filesystem::exists(journal));

  ASSERT_TRUE(eventually([&] {
    for (const ClientState& c : crash->clients) {
      if (c.stage.load() < kLost) return false;
    }
    return true;
  }));
  for (const ClientState& c : crash->clients) {
    EXPECT_TRUE(testing::connection_lost(c.lost_rc.load()))
        << "a call on a connection to the dead daemon returned " << c.lost_rc.load();
  }

  DaemonProcess second(args);
  ASSERT_TRUE(second.ready()) << second.log();
  // Its socket is there, and no client can have reached it yet (the fixed path still names
  // the dead daemon's socket): the knobs were restored before it served.
  EXPECT_EQ(tree.read_file(kResume), kResumeOriginal);
  EXPECT_EQ(tree.read_file(kPolicyMin), kMinOriginal);
  EXPECT_EQ(tree.read_file(kPolicyMax), kMaxOriginal);
  EXPECT_NE(second.log().find("left by an earlier run"), std::string::npos) << second.log();

  point(link, second.socket());
  EXPECT_TRUE(eventually(
      [&] {
        for (const ClientState& c : crash->clients) {
          if (c.stage.load() != kReadded) return false;
        }
        return true;
      },
      std::chrono::seconds(30)));
  for (const ClientState& c : crash->clients) EXPECT_EQ(c.readd_rc.load(), 0) << second.log();
  Client observer(second.socket());
  ASSERT_TRUE(observer.ok());
  EXPECT_EQ(observer.active("cpu0"), static_cast<std::uint32_t>(kClients));
  EXPECT_EQ(observer.active("policy0"), static_cast<std::uint32_t>(kClients));
  // MIN of the resume latencies and of the range maxima: client 0's.
  EXPECT_EQ(tree.read_file(kResume), std::to_string(final_resume(0)));
  EXPECT_EQ(tree.read_file(kPolicyMax), std::to_string(final_max(0)));
  EXPECT_EQ(tree.read_file(kPolicyMin), kMinOriginal);

  release.close_write();
  for (int code : clients.wait_all()) EXPECT_EQ(code, 0);
  EXPECT_TRUE(eventually([&] { return observer.active("cpu0") == 0; }));
  EXPECT_TRUE(eventually([&] { return observer.active("policy0") == 0; }));
  EXPECT_EQ(tree.read_file(kResume), kResumeOriginal);
  EXPECT_EQ(tree.read_file(kPolicyMin), kMinOriginal);
  EXPECT_EQ(tree.read_file(kPolicyMax), kMaxOriginal);

  const int exit_status = second.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << exit_status;
  EXPECT_FALSE(std::filesystem::exists(journal));
  EXPECT_EQ(tree.read_file(kResume), kResumeOriginal);
  EXPECT_EQ(tree.read_file(kPolicyMax), kMaxOriginal);
}

}  // namespace
}  // namespace perfqos
