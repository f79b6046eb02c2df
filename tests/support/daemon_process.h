// DaemonProcess: a real perfqosd started on a socket in a fresh temporary directory, for
// integration tests; stopped (SIGTERM, then SIGKILL if it hangs) when destroyed.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace perfqos::testing {

// Polls `condition` every millisecond until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return condition();
}

class DaemonProcess {
 public:
  explicit DaemonProcess(std::vector<std::string> extra_args = {},
                         std::vector<std::string> env = {}) {
    char tmpl[] = "/tmp/perfqos-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ::chmod(dir_.c_str(), 0755);  // unprivileged test clients must reach the socket
    socket_ = dir_ + "/run/perfqosd.sock";
    log_ = dir_ + "/perfqosd.log";
    std::vector<std::string> args{PERFQOS_DAEMON_PATH, "--socket", socket_};
    // Keep the machine's real knobs out of tests that do not ask for them: an empty sysfs root
    // (with a regular file standing for /dev/cpu_dma_latency) and a private state directory.
    const auto given = [&](const char* option) {
      return std::find(extra_args.begin(), extra_args.end(), option) != extra_args.end();
    };
    // Debug unless the test asks otherwise (a storm would log a line per connection).
    if (!given("--log-level")) args.insert(args.end(), {"--log-level", "debug"});
    if (!given("--sysfs-root")) {
      std::filesystem::create_directories(dir_ + "/root/dev");
      std::fclose(std::fopen((dir_ + "/root/dev/cpu_dma_latency").c_str(), "w"));
      args.insert(args.end(), {"--sysfs-root", dir_ + "/root"});
    }
    if (!given("--state-dir")) args.insert(args.end(), {"--state-dir", dir_ + "/state"});
    // Never the machine's /etc/perfqos config: an empty one (root writes, others read).
    if (!given("--config")) {
      std::fclose(std::fopen((dir_ + "/perfqosd.toml").c_str(), "w"));
      args.insert(args.end(), {"--config", dir_ + "/perfqosd.toml"});
    }
    // No FUSE mount unless the test asks for one (--mount DIR): never the machine's default.
    if (!given("--mount")) args.push_back("--no-fuse");
    // No system bus unless the test asks for one (--dbus, with DBUS_SYSTEM_BUS_ADDRESS in `env`).
    if (!given("--dbus")) args.push_back("--no-dbus");
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::freopen(log_.c_str(), "w", stderr);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    // A daemon that exits (a bad option or config) will never be ready: stop waiting then.
    ready_ = eventually([this] {
               if (std::filesystem::exists(socket_)) return true;
               if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                 pid_ = -1;
                 return true;
               }
               return false;
             }) &&
             pid_ > 0;
  }

  ~DaemonProcess() {
    stop(SIGTERM);
    std::filesystem::remove_all(dir_);
  }

  bool ready() const { return ready_; }
  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }
  std::string log() const {
    std::string text;
    if (FILE* f = std::fopen(log_.c_str(), "r")) {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
      std::fclose(f);
    }
    return text;
  }

  // Sends `sig` and waits for the exit; returns the wait status (-1 if already reaped).
  int stop(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    const bool exited = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; });
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return status;
  }

 private:
  std::string dir_, socket_, log_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace perfqos::testing
