// BenchDaemon: a perfqosd (PERFQOS_DAEMON_PATH, set by bench/CMakeLists.txt) that a benchmark
// starts for itself, touching nothing of this machine. It runs in a fresh directory DIR =
// /tmp/perfqos-NAME-XXXXXX with
//
//   --socket DIR/perfqosd.sock
//   --sysfs-root DIR/root      empty, but for a regular file at dev/cpu_dma_latency (where the
//                              class's backend writes)
//   --state-dir DIR/state
//   --config DIR/perfqosd.toml BenchDaemonOptions::config, by default empty: the built-in
//                              policy, no quotas; never /etc/perfqos
//   --mount DIR/dev            if BenchDaemonOptions::mount, else --no-fuse (never the default
//                              /run/perfqos/dev)
//
// then the caller's extra arguments (--log-level, --test-perf-device, ...). Its stderr goes to
// DIR/perfqosd.log; stdin, stdout and resource limits (RLIMIT_NOFILE: raise it before) are the
// bench's. PR_SET_PDEATHSIG ends it if the thread that started it dies first.
//
// The constructor returns once the socket exists, or on failure: ready() is then false and
// error() says why (perfqosd exited first, no socket after 10 s, mkdtemp or fork failed). The
// destructor sends SIGTERM and waits, SIGKILL after 5 s; detaches DIR/dev if still mounted;
// removes DIR, except after a failed start, when DIR and its perfqosd.log are left to read.
//
// Also rss_kib() and load_average(), read from /proc, which the benches print.
//
// Thread safety: none; construct and destroy it on the thread that runs the bench (main).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace perfqos::bench {

struct BenchDaemonOptions {
  // Names the directory: /tmp/perfqos-NAME-XXXXXX.
  std::string name = "bench";
  // Mount the FUSE device tree at mount() (DIR/dev); otherwise --no-fuse.
  bool mount = false;
  // Appended to the command line. REQUIRES: none of the options set above (--socket,
  // --sysfs-root, --state-dir, --config, --mount, --no-fuse).
  std::vector<std::string> extra_args{};
  // The text of DIR/perfqosd.toml (empty: the built-in policy).
  std::string config{};
};

class BenchDaemon {
 public:
  explicit BenchDaemon(BenchDaemonOptions options) : mount_requested_(options.mount) {
    std::string tmpl = "/tmp/perfqos-" + options.name + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      error_ = "mkdtemp " + tmpl + ": " + std::strerror(errno);
      return;
    }
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/root/dev");
    std::ofstream(dir_ + "/root/dev/cpu_dma_latency");
    std::ofstream(dir_ + "/perfqosd.toml") << options.config;

    std::vector<std::string> args{PERFQOS_DAEMON_PATH};
    args.insert(args.end(), {"--socket", socket()});
    args.insert(args.end(), {"--sysfs-root", dir_ + "/root"});
    args.insert(args.end(), {"--state-dir", dir_ + "/state"});
    args.insert(args.end(), {"--config", dir_ + "/perfqosd.toml"});
    if (mount_requested_) {
      args.insert(args.end(), {"--mount", mount()});
    } else {
      args.push_back("--no-fuse");
    }
    args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
    // Everything the child needs is made here: between fork and exec it only calls syscalls.
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0) {
      error_ = "open " + log_path() + ": " + std::strerror(errno);
      return;
    }
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);       // not left behind if the bench dies
      if (::getppid() != parent) ::_exit(127);  // ... even before the line above
      if (::dup2(log, STDERR_FILENO) < 0) ::_exit(127);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(log);
    if (pid_ < 0) {
      error_ = std::string("fork: ") + std::strerror(fork_errno);
      return;
    }
    wait_until_ready();
  }

  ~BenchDaemon() {
    stop();
    if (mount_requested_ && !dir_.empty()) {
      ::umount2(mount().c_str(), MNT_DETACH);  // only if perfqosd could not
    }
    if (ready_) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  BenchDaemon(const BenchDaemon&) = delete;
  BenchDaemon& operator=(const BenchDaemon&) = delete;

  // True once the socket exists; false after a failed start, with error() saying why.
  bool ready() const { return ready_; }
  const std::string& error() const { return error_; }

  const std::string& dir() const { return dir_; }
  std::string socket() const { return dir_ + "/perfqosd.sock"; }
  // Where the FUSE tree is mounted. REQUIRES: BenchDaemonOptions::mount.
  std::string mount() const { return dir_ + "/dev"; }
  std::string log_path() const { return dir_ + "/perfqosd.log"; }
  // perfqosd's pid; -1 once it has been reaped (it exited during the start).
  pid_t pid() const { return pid_; }

 private:
  // Polls every millisecond, for up to 10 s, until the socket appears or perfqosd exits.
  void wait_until_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      if (std::filesystem::exists(socket())) {
        ready_ = true;
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "perfqosd did not start: it " + describe_exit(status) + "; see " + log_path();
        return;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        error_ = "perfqosd did not start: no socket after 10 s; see " + log_path();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, nullptr, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    pid_ = -1;
  }

  static std::string describe_exit(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("was killed by ") + ::strsignal(WTERMSIG(status));
    return "stopped";
  }

  std::string dir_;
  std::string error_;
  pid_t pid_ = -1;
  bool mount_requested_ = false;
  bool ready_ = false;
};

// The resident set size of `pid` (VmRSS in /proc/PID/status) in KiB; -1 if it cannot be read.
inline long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(4096, '\n');
  }
  return -1;
}

// The 1, 5 and 15 minute load averages from /proc/loadavg, as "0.52 0.40 0.33".
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

}  // namespace perfqos::bench
