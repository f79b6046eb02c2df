// TestCgroup: a real cgroup v2 cgroup for tests, made under the cgroup2 mount (found from
// /proc/self/mountinfo) and removed at destruction after killing whatever was moved into it.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "cgroup/cgroup_mount.h"

namespace perfqos::testing {

class TestCgroup {
 public:
  // `name` relative to the mount, e.g. "/pq-test-123". ok() false when cgroup2 is not writable.
  explicit TestCgroup(std::string name) : path_(std::move(name)) {
    if (!daemon::find_cgroup2_mount(&mount_).ok()) return;
    ok_ = create();
  }
  ~TestCgroup() {
    kill_all();
    remove();
  }
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  std::string dir() const { return mount_ + path_; }

  bool create() { return ::mkdir(dir().c_str(), 0755) == 0; }
  bool remove() { return ::rmdir(dir().c_str()) == 0; }
  // Moves `pid` in (by writing cgroup.procs).
  bool add(pid_t pid) {
    std::ofstream out(dir() + "/cgroup.procs");
    out << pid << std::flush;
    return out.good();
  }
  // Forks a child that sleeps inside the cgroup; returns its pid.
  pid_t spawn_sleeper() {
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (;;) ::pause();
    }
    add(pid);
    children_.push_back(pid);
    return pid;
  }
  void kill_all() {
    for (pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    children_.clear();
  }

 private:
  std::string mount_, path_;
  bool ok_ = false;
  std::vector<pid_t> children_;
};

}  // namespace perfqos::testing
