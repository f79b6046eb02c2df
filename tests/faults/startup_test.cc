// perfqosd's start against what issue #13 found an attacker or an accident can leave behind:
// another perfqosd on the same state directory (finding 3), a stale FUSE mount whose root the
// kernel still has cached (finding 4), and a state directory or journal it must not trust, with
// entries leading out of the sysfs root or a link at the temp path (finding 8). Every test runs
// real perfqosd processes on a generated sysfs tree; the unit tests of the same checks are in
// tests/backends/journal_test.cc.
//
// A start that must fail is run to its exit (StartAttempt), with a bounded wait: a start that
// hangs (a FIFO journal) or serves when it should not is killed and reported as such.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "backends/sysfs_tree.h"
#include "faults/fault_support.h"
#include "support/daemon_process.h"
#include "support/fuse_mount_dir.h"

namespace perfqos {
namespace {

using testing::Client;
using testing::DaemonProcess;
using testing::eventually;
using testing::FuseMountDir;
using testing::mounted;
using testing::SysfsTree;
using testing::TempDir;

constexpr char kResume[] = "/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists_no_follow(const std::string& path) {
  return std::filesystem::exists(std::filesystem::symlink_status(path));
}

// Starts perfqosd with `args` (after the binary's path), stderr to `log`.
pid_t spawn_perfqosd(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv_text{PERFQOS_DAEMON_PATH};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stderr);
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// One perfqosd run to its exit, on its own socket and empty config in a fresh directory, plus
// `args`. exited is false when it was still running after the wait (it is then killed).
class StartAttempt {
 public:
  explicit StartAttempt(const std::vector<std::string>& args) {
    socket_ = dir_.path() + "/perfqosd.sock";
    const std::string log = dir_.path() + "/perfqosd.log";
    const std::string config = dir_.path() + "/perfqosd.toml";
    std::fclose(std::fopen(config.c_str(), "w"));
    std::vector<std::string> all{"--socket",    socket_, "--config", config,
                                 "--log-level", "debug", "--no-fuse"};
    all.insert(all.end(), args.begin(), args.end());
    const pid_t pid = spawn_perfqosd(all, log);
    int status = 0;
    exited_ = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
    if (!exited_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    log_ = slurp(log);
  }

  bool exited() const { return exited_; }
  int code() const { return code_; }
  const std::string& log() const { return log_; }
  bool served() const { return std::filesystem::exists(socket_); }

 private:
  TempDir dir_;
  std::string socket_;
  bool exited_ = false;
  int code_ = -1;
  std::string log_;
};

class StartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "planting files of another uid needs root";
    tree.add_cpu(0, "0", "auto");
    tree.add_cpu_latency_node();
    ASSERT_FALSE(state.path().empty());
  }
  std::vector<std::string> args() const {
    return {"--sysfs-root", tree.dir(), "--state-dir", state.path()};
  }
  std::string journal() const { return state.path() + "/restore.journal"; }
  // A journal as a crashed run leaves it: the resume latency's original was 0. The knob is
  // then somewhere else, as the crashed run left it.
  std::string genuine_journal() const {
    return "perfqos-restore-journal 1\nvalue " + std::string(kResume) + " 0\n";
  }

  SysfsTree tree;
  TempDir state, outside;  // outside: files no journal may write
};

// Finding 3: the second start must not restore the live daemon's knob nor touch its journal.
TEST_F(StartupTest, ASecondInstanceOnTheSameStateDirChangesNothingAndNamesTheHolder) {
  auto first = std::make_unique<DaemonProcess>(args());
  ASSERT_TRUE(first->ready()) << first->log();
  Client client(first->socket());
  ASSERT_TRUE(client.ok());
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_add(client.get(), "cpu0", "resume_latency", 50, &id, nullptr), 0)
      << client.error();
  ASSERT_EQ(tree.read_file(kResume), "50");
  const std::string journal_text = slurp(journal());
  ASSERT_NE(journal_text.find(std::string(kResume) + " 0\n"), std::string::npos) << journal_text;

  StartAttempt second(args());
  EXPECT_TRUE(second.exited()) << "the second perfqosd kept running:\n" << second.log();
  EXPECT_EQ(second.code(), 1) << second.log();
  EXPECT_NE(second.log().find("another perfqosd (pid " + std::to_string(first->pid()) + ")"),
            std::string::npos)
      << second.log();
  EXPECT_FALSE(second.served());
  EXPECT_EQ(tree.read_file(kResume), "50");   // the live daemon's value, not restored
  EXPECT_EQ(slurp(journal()), journal_text);  // the live daemon's record, untouched
  EXPECT_EQ(client.effective("cpu0", "resume_latency"), 50);  // and it still serves

  // The record still holds the original: after the live daemon's crash the next start puts it
  // back.
  const int status = first->stop(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(tree.read_file(kResume), "50");
  DaemonProcess third(args());
  ASSERT_TRUE(third.ready()) << third.log();
  EXPECT_EQ(tree.read_file(kResume), "0") << third.log();
}

// Finding 4: stat() of the root right before the SIGKILL kept its attributes cached, and the
// restart took the dead mount for a live one.
TEST_F(StartupTest, RestartRightAfterSigkillWithTheRootStattedServesTheTreeAgain) {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    GTEST_SKIP() << "/dev/fuse is missing or not accessible: no FUSE here";
  }
  FuseMountDir mount;
  ASSERT_FALSE(mount.path().empty());
  std::vector<std::string> with_mount = args();
  with_mount.insert(with_mount.end(), {"--mount", mount.path()});
  auto first = std::make_unique<DaemonProcess>(with_mount);
  if (!first->ready() && first->log().find("cannot mount") != std::string::npos) {
    GTEST_SKIP() << "mounting FUSE failed (lack of privilege?): " << first->log();
  }
  ASSERT_TRUE(first->ready()) << first->log();
  struct stat st {};
  ASSERT_EQ(::stat(mount.path().c_str(), &st), 0);
  ASSERT_EQ(::stat((mount.path() + "/cpu_dma_latency").c_str(), &st), 0);
  const int status = first->stop(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  ASSERT_TRUE(mounted(mount.path()));  // the dead daemon's mount stays behind

  DaemonProcess second(with_mount);
  ASSERT_TRUE(second.ready()) << second.log();
  EXPECT_NE(second.log().find("is a stale mount"), std::string::npos) << second.log();
  EXPECT_EQ(::stat(mount.path().c_str(), &st), 0) << std::strerror(errno);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  const int fd = ::open((mount.path() + "/cpu_dma_latency").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << std::strerror(errno) << "\n" << second.log();
  if (fd >= 0) ::close(fd);
  const int exit_status = second.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << second.log();
}

// Finding 8: entries that lead out of the sysfs root are not written; the genuine one is.
TEST_F(StartupTest, AJournalEntryLeadingOutOfTheSysfsRootIsNotWritten) {
  const std::string dotdot_victim = outside.path() + "/dotdot";
  const std::string link_victim = outside.path() + "/linked";
  for (const std::string& v : {dotdot_victim, link_victim}) std::ofstream(v) << "precious\n";
  // tree.dir()/sys/../.. is the directory both temp dirs are in.
  const std::string dotdot =
      "/sys/../../" + std::filesystem::path(outside.path()).filename().string() + "/dotdot";
  tree.make_dir("/sys/devices/virtual");
  std::filesystem::create_symlink(link_victim, tree.host("/sys/devices/virtual/evil"));
  tree.write_file(kResume, "77");
  {
    std::ofstream out(journal());
    out << "perfqos-restore-journal 1\n"
        << "value " << dotdot << " pwned\n"
        << "value /sys/devices/virtual/evil pwned\n"
        << "value " << kResume << " 0\n";
  }
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  EXPECT_EQ(slurp(dotdot_victim), "precious\n") << daemon.log();
  EXPECT_EQ(slurp(link_victim), "precious\n") << daemon.log();
  EXPECT_EQ(tree.read_file(kResume), "0") << daemon.log();  // the journal was read
  EXPECT_NE(daemon.log().find("bad path"), std::string::npos) << daemon.log();
  EXPECT_NE(daemon.log().find("/sys/devices/virtual/evil = pwned: refused"), std::string::npos)
      << daemon.log();
}

// Finding 8: a journal perfqosd cannot trust stops the start, quickly, with nothing restored.
TEST_F(StartupTest, AnUntrustedJournalIsRefusedWithoutHangingOrRestoring) {
  struct Case {
    const char* what;
    const char* reason;
    std::function<void()> plant;
  };
  const std::string elsewhere = outside.path() + "/journal";
  const Case cases[] = {
      {"a FIFO", "is not a regular file", [&] { ASSERT_EQ(::mkfifo(journal().c_str(), 0600), 0); }},
      {"a symbolic link", "is a symbolic link",
       [&] {
         std::ofstream(elsewhere) << genuine_journal();
         std::filesystem::create_symlink(elsewhere, journal());
       }},
      {"group-writable", "is writable by group or others",
       [&] {
         std::ofstream(journal()) << genuine_journal();
         ::chmod(journal().c_str(), 0660);
       }},
      {"owned by another uid", "is owned by uid 65534",
       [&] {
         std::ofstream(journal()) << genuine_journal();
         ASSERT_EQ(::chown(journal().c_str(), 65534, 65534), 0);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::filesystem::remove(journal());
    c.plant();
    tree.write_file(kResume, "77");
    StartAttempt start(args());
    EXPECT_TRUE(start.exited()) << "perfqosd did not exit:\n" << start.log();
    EXPECT_EQ(start.code(), 1) << start.log();
    EXPECT_NE(start.log().find("restore journal " + journal() + " " + c.reason), std::string::npos)
        << start.log();
    EXPECT_FALSE(start.served());
    EXPECT_EQ(tree.read_file(kResume), "77");  // nothing restored
    EXPECT_TRUE(exists_no_follow(journal()));  // and the file left for an administrator
  }
}

// Finding 8: anyone who can write the state directory could plant a journal.
TEST_F(StartupTest, AStateDirWritableByOthersIsRefused) {
  std::ofstream(journal()) << genuine_journal();
  tree.write_file(kResume, "77");
  ASSERT_EQ(::chmod(state.path().c_str(), 0777), 0);
  StartAttempt start(args());
  EXPECT_TRUE(start.exited()) << start.log();
  EXPECT_EQ(start.code(), 1) << start.log();
  EXPECT_NE(start.log().find("state directory " + state.path() + " has mode 0777"),
            std::string::npos)
      << start.log();
  EXPECT_FALSE(start.served());
  EXPECT_EQ(tree.read_file(kResume), "77");
  EXPECT_EQ(slurp(journal()), genuine_journal());
  EXPECT_FALSE(exists_no_follow(state.path() + "/perfqosd.lock"));  // nothing written there
}

// Finding 8: the first knob write journals through the temp path; a link there is replaced,
// not followed.
TEST_F(StartupTest, ALinkPlantedAtTheJournalTempPathIsNotFollowed) {
  const std::string victim = outside.path() + "/victim";
  std::ofstream(victim) << "precious\n";
  std::filesystem::create_symlink(victim, journal() + ".tmp");
  DaemonProcess daemon(args());
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  Client client(daemon.socket());
  ASSERT_TRUE(client.ok());
  std::uint32_t id = 0;
  ASSERT_EQ(perfqos_add(client.get(), "cpu0", "resume_latency", 50, &id, nullptr), 0)
      << client.error() << "\n"
      << daemon.log();
  EXPECT_EQ(tree.read_file(kResume), "50");
  EXPECT_EQ(slurp(victim), "precious\n");
  EXPECT_NE(slurp(journal()).find(std::string(kResume) + " 0\n"), std::string::npos);
  EXPECT_FALSE(exists_no_follow(journal() + ".tmp"));
}

// The defaults keep the socket (and the FUSE tree) inside the state directory (/run/perfqos):
// the directory perfqosd creates must then still let unprivileged clients through, and stay
// closed to their writes.
TEST_F(StartupTest, AStateDirHoldingTheSocketLetsUnprivilegedClientsConnect) {
  ASSERT_EQ(::chmod(outside.path().c_str(), 0755), 0);
  const std::string run = outside.path() + "/run/perfqos";  // made by perfqosd
  const std::string socket = run + "/perfqosd.sock";
  const std::string config = outside.path() + "/perfqosd.toml";
  std::fclose(std::fopen(config.c_str(), "w"));
  const pid_t daemon = spawn_perfqosd({"--socket", socket, "--state-dir", run, "--sysfs-root",
                                       tree.dir(), "--config", config, "--no-fuse"},
                                      outside.path() + "/perfqosd.log");
  ASSERT_GT(daemon, 0);
  const bool ready = eventually([&] { return std::filesystem::exists(socket); });
  int reached = -1;
  if (ready) {
    testing::Children clients;
    clients.spawn([&] {
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) return 2;
      Client client(socket);
      return client.ok() && client.effective("cpu0", "resume_latency") >= 0 ? 0 : 1;
    });
    reached = clients.wait_all().at(0);
  }
  struct stat st {};
  const bool stat_ok = ::stat(run.c_str(), &st) == 0;
  ::kill(daemon, SIGTERM);
  int status = 0;
  ::waitpid(daemon, &status, 0);
  ASSERT_TRUE(ready) << slurp(outside.path() + "/perfqosd.log");
  EXPECT_EQ(reached, 0) << slurp(outside.path() + "/perfqosd.log");
  ASSERT_TRUE(stat_ok);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace perfqos
