// perfqosd and perfqosctl as a packager and systemd see them (issue #19): --version,
// --check-config listing every error and saying when the built-in default applies, and the
// journald log format when $JOURNAL_STREAM names stderr.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_process.h"
#include "util/log.h"

namespace perfqos::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory for one test, removed at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/perfqos-cli-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name, const std::string& text = "") const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

// How a child's stderr is set up: JOURNAL_STREAM naming it, naming another file, or unset.
enum class Journal { kUnset, kMatchesStderr, kOtherFile };

// Starts `args` with stdout and stderr in files of `dir` ("out", "err"), with `env`
// ("NAME=value") added to its environment.
pid_t spawn(const std::vector<std::string>& args, const TempDir& dir, Journal journal,
            const std::vector<std::string>& env = {}) {
  const std::string out = dir.path() + "/out";
  const std::string err = dir.path() + "/err";
  const std::string other = dir.file("other");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), STDOUT_FILENO);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), STDERR_FILENO);
    struct stat st {};
    if (journal == Journal::kMatchesStderr) ::fstat(STDERR_FILENO, &st);
    if (journal == Journal::kOtherFile) ::stat(other.c_str(), &st);
    ::unsetenv("JOURNAL_STREAM");
    for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
    if (journal != Journal::kUnset) {
      const std::string value = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
      ::setenv("JOURNAL_STREAM", value.c_str(), 1);
    }
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Runs `args` to completion; returns the exit status (-1 if it did not exit normally).
int run(const std::vector<std::string>& args, const TempDir& dir) {
  int status = 0;
  ::waitpid(spawn(args, dir, Journal::kUnset), &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Cli, VersionOfBoth) {
  TempDir dir;
  EXPECT_EQ(run({PERFQOS_DAEMON_PATH, "--version"}, dir), 0);
  EXPECT_THAT(slurp(dir.path() + "/out"), StartsWith("perfqosd " PERFQOS_VERSION "\n"));
  EXPECT_EQ(run({PERFQOS_CTL_PATH, "--version"}, dir), 0);
  EXPECT_THAT(slurp(dir.path() + "/out"), StartsWith("perfqosctl " PERFQOS_VERSION "\n"));
}

TEST(Cli, CheckConfigListsEveryErrorOfEveryFile) {
  TempDir dir;
  const std::string main = dir.file("perfqosd.toml",
                                    "[daemon]\n"
                                    "bogus = 1\n"
                                    "\n"
                                    "[[grant]]\n"
                                    "device = \"x\"\n"
                                    "\n"
                                    "[[grant]]\n"
                                    "users = [\"root\"]\n"
                                    "device = \"cpu*\"\n"
                                    "min = -5\n");
  std::filesystem::create_directory(dir.path() + "/conf.d");
  dir.file("conf.d/10-a.toml", "nope = 1\n");
  EXPECT_EQ(run({PERFQOS_DAEMON_PATH, "--check-config", "--config", main}, dir), 1);
  const std::string err = slurp(dir.path() + "/err");
  EXPECT_THAT(err, HasSubstr(main + ":2: daemon.bogus: unknown key"));
  EXPECT_THAT(err, HasSubstr(main + ":4: grant: names nobody"));
  EXPECT_THAT(err, HasSubstr(main + ":10: grant.min"));
  EXPECT_THAT(err, HasSubstr(dir.path() + "/conf.d/10-a.toml:1: nope: unknown key"));
  EXPECT_THAT(err, HasSubstr(main + ": 4 errors"));
}

TEST(Cli, CheckConfigSaysWhenTheBuiltInDefaultApplies) {
  TempDir dir;
  // Not given with --config (that makes the file required): the default path is this machine's
  // /etc/perfqos/perfqosd.toml, which a test may not count on, so the message is checked only
  // when it is missing there.
  if (std::filesystem::exists("/etc/perfqos/perfqosd.toml")) {
    GTEST_SKIP() << "/etc/perfqos/perfqosd.toml exists on this machine";
  }
  EXPECT_EQ(run({PERFQOS_DAEMON_PATH, "--check-config"}, dir), 0);
  EXPECT_THAT(slurp(dir.path() + "/out"),
              HasSubstr("/etc/perfqos/perfqosd.toml: no such file: the built-in default applies"));
}

TEST(Cli, CheckConfigOfTheShippedExampleIsGood) {
  TempDir dir;
  EXPECT_EQ(run({PERFQOS_DAEMON_PATH, "--check-config", "--config", PERFQOS_EXAMPLE_CONFIG}, dir),
            0)
      << slurp(dir.path() + "/err");
  EXPECT_THAT(slurp(dir.path() + "/out"), HasSubstr(": ok (1 files, 0 grants"));
}

// Starts a real perfqosd in `dir` (private socket, state, empty sysfs root and config, no FUSE).
pid_t spawn_daemon(const TempDir& dir, Journal journal, const std::vector<std::string>& env = {}) {
  std::filesystem::create_directories(dir.path() + "/root/dev");
  return spawn({PERFQOS_DAEMON_PATH, "--socket", dir.path() + "/perfqosd.sock", "--sysfs-root",
                dir.path() + "/root", "--state-dir", dir.path() + "/state", "--config",
                dir.file("perfqosd.toml"), "--no-fuse"},
               dir, journal, env);
}

// Starts a real perfqosd, waits until it logs that it serves, stops it, and returns its stderr.
std::string daemon_stderr(Journal journal) {
  TempDir dir;
  const pid_t pid = spawn_daemon(dir, journal);
  const bool serving = testing::eventually(
      [&] { return slurp(dir.path() + "/err").find("serving ") != std::string::npos; });
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(serving) << slurp(dir.path() + "/err");
  return slurp(dir.path() + "/err");
}

TEST(Cli, JournalFormatWhenJournalStreamIsStderr) {
  const std::string err = daemon_stderr(Journal::kMatchesStderr);
  EXPECT_THAT(err, HasSubstr("<6>serving "));
  EXPECT_THAT(err, HasSubstr("<6>stopped: "));
  EXPECT_THAT(err, Not(HasSubstr("perfqosd[")));  // the journal records the pid itself
}

TEST(Cli, PlainFormatWhenJournalStreamIsAnotherFile) {
  const std::string err = daemon_stderr(Journal::kOtherFile);
  EXPECT_THAT(err, HasSubstr("]: info: serving "));
  EXPECT_THAT(err, StartsWith("perfqosd["));
  EXPECT_THAT(err, Not(HasSubstr("<6>")));
}

// What a daemon sent to our NOTIFY_SOCKET, one datagram per entry.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() { ::close(fd_); }
  bool bound() const { return bound_; }
  // Reads what has arrived; true once some datagram contains `text`.
  bool received(const std::string& text) {
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd_, buf, sizeof buf, 0)) > 0) messages_.emplace_back(buf, n);
    for (const std::string& m : messages_) {
      if (m.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::size_t count(const std::string& text) const {
    std::size_t n = 0;
    for (const std::string& m : messages_) n += m == text;
    return n;
  }
  std::string all() const {
    std::string out;
    for (const std::string& m : messages_) out += "[" + m + "] ";
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> messages_;
};

TEST(Cli, TellsSystemdReadyStatusWatchdogAndStopping) {
  TempDir dir;
  NotifySocket notify(dir.path() + "/notify");
  ASSERT_TRUE(notify.bound());
  // A 200 ms watchdog: perfqosd pings every 100 ms from its loop. WATCHDOG_PID is left out, so
  // sd_watchdog_enabled() does not check that the pid is ours.
  const pid_t pid = spawn_daemon(
      dir, Journal::kUnset, {"NOTIFY_SOCKET=" + dir.path() + "/notify", "WATCHDOG_USEC=200000"});
  EXPECT_TRUE(testing::eventually([&] { return notify.received("READY=1\nSTATUS=serving "); }))
      << notify.all();
  // Pings keep coming while the loop runs (bounded wait, no timing assertion).
  EXPECT_TRUE(testing::eventually([&] {
    notify.received("WATCHDOG=1");
    return notify.count("WATCHDOG=1") >= 3;
  })) << notify.all();
  ::kill(pid, SIGHUP);
  EXPECT_TRUE(testing::eventually([&] { return notify.received("STATUS=reloading "); }))
      << notify.all();
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(notify.received("STOPPING=1\nSTATUS=stopping")) << notify.all();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir.path() + "/err");
}

TEST(Cli, NoWatchdogWithoutWatchdogUsec) {
  TempDir dir;
  NotifySocket notify(dir.path() + "/notify");
  ASSERT_TRUE(notify.bound());
  const pid_t pid = spawn_daemon(dir, Journal::kUnset, {"NOTIFY_SOCKET=" + dir.path() + "/notify"});
  EXPECT_TRUE(testing::eventually([&] { return notify.received("READY=1"); })) << notify.all();
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(notify.received("STOPPING=1"));
  EXPECT_EQ(notify.count("WATCHDOG=1"), 0u) << notify.all();
}

TEST(Log, FormatsBothWays) {
  EXPECT_EQ(format_log_line(LogLevel::kError, "bad", true, 42), "<3>bad\n");
  EXPECT_EQ(format_log_line(LogLevel::kWarning, "hm", true, 42), "<4>hm\n");
  EXPECT_EQ(format_log_line(LogLevel::kInfo, "ok", true, 42), "<6>ok\n");
  EXPECT_EQ(format_log_line(LogLevel::kDebug, "x", true, 42), "<7>x\n");
  EXPECT_EQ(format_log_line(LogLevel::kWarning, "hm", false, 42), "perfqosd[42]: warning: hm\n");
}

TEST(Log, JournalStreamMustNameTheFileExactly) {
  TempDir dir;
  const std::string path = dir.file("f");
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  const std::string dev = std::to_string(st.st_dev);
  const std::string ino = std::to_string(st.st_ino);
  EXPECT_TRUE(is_journal_stream((dev + ":" + ino).c_str(), fd));
  EXPECT_FALSE(is_journal_stream(nullptr, fd));
  EXPECT_FALSE(is_journal_stream("", fd));
  EXPECT_FALSE(is_journal_stream((dev + ":" + std::to_string(st.st_ino + 1)).c_str(), fd));
  EXPECT_FALSE(is_journal_stream((dev + ":").c_str(), fd));
  EXPECT_FALSE(is_journal_stream((":" + ino).c_str(), fd));
  EXPECT_FALSE(is_journal_stream((dev + ":" + ino + "x").c_str(), fd));
  EXPECT_FALSE(is_journal_stream((dev + ":" + ino).c_str(), -1));
  ::close(fd);
}

}  // namespace
}  // namespace perfqos::daemon
