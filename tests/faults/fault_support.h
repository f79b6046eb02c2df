// Support for the fault suite: a C client that closes itself, child processes that are always
// killed and reaped, memory shared with forked children, and what /proc says about the daemon.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "perfqos/client.h"

namespace perfqos::testing {

inline constexpr std::int32_t kLatencyDefault = 2000000000;

// One connection of the test process itself; closed (its requests dropped) when destroyed.
class Client {
 public:
  explicit Client(const std::string& socket) { rc_ = perfqos_connect(socket.c_str(), 5000, &c_); }
  ~Client() { perfqos_close(c_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool ok() const { return rc_ == 0; }
  perfqos_client* get() const { return c_; }
  std::string error() const { return perfqos_last_error(c_); }

  // The effective value (a range's max with knob "max"), or the negative errno.
  std::int32_t effective(const char* device, const char* knob = nullptr) {
    perfqos_effective e{};
    const int rc = perfqos_read(c_, device, knob, &e);
    if (rc != 0) return rc;
    return knob != nullptr && std::strcmp(knob, "max") == 0 ? e.max : e.value;
  }
  // Requests on every knob of `device`; UINT32_MAX when it cannot be described.
  std::uint32_t active(const char* device) {
    perfqos_device_info info{};
    if (perfqos_describe(c_, device, &info) != 0) return UINT32_MAX;
    std::uint32_t n = 0;
    for (std::size_t i = 0; i < info.knob_count; ++i) n += info.knobs[i].active_requests;
    return n;
  }
  // Every request the daemon holds, on any device; SIZE_MAX on error.
  std::size_t holders() {
    perfqos_holder_info* h = nullptr;
    std::size_t n = 0;
    if (perfqos_status(c_, "", &h, &n) != 0) return SIZE_MAX;
    perfqos_free(h);
    return n;
  }

 private:
  perfqos_client* c_ = nullptr;
  int rc_ = -1;
};

// Forked children of a test. Each runs `body` and exits with what it returns; PDEATHSIG keeps
// a crashed test from leaving them behind, and the destructor kills and reaps whatever is left.
class Children {
 public:
  Children() = default;
  Children(const Children&) = delete;
  Children& operator=(const Children&) = delete;
  ~Children() {
    for (pid_t pid : pids_) ::kill(pid, SIGKILL);
    for (pid_t pid : pids_) ::waitpid(pid, nullptr, 0);
  }

  // REQUIRES: the test process has no other threads (a child of a threaded process may
  // inherit a held lock). `group`: 0 starts a new process group led by this child, a pgid joins
  // it, -1 stays in the test's group.
  pid_t spawn(const std::function<int()>& body, pid_t group = -1) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (group >= 0) ::setpgid(0, group);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::_exit(body());
    }
    if (pid > 0) {
      if (group >= 0) ::setpgid(pid, group == 0 ? pid : group);  // no race with the child's call
      pids_.push_back(pid);
    }
    return pid;
  }

  // Reaps every child; returns their exit codes (128 + signal when killed), in spawn order.
  std::vector<int> wait_all() {
    std::vector<int> codes;
    for (pid_t pid : pids_) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    pids_.clear();
    return codes;
  }

  const std::vector<pid_t>& pids() const { return pids_; }

 private:
  std::vector<pid_t> pids_;
};

// A T in anonymous shared memory, visible to children forked after it was made. T must be
// usable across processes without its constructor running again (atomics, plain data).
template <typename T>
class Shared {
 public:
  Shared() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    value_ = new (p) T();
  }
  ~Shared() {
    value_->~T();
    ::munmap(value_, sizeof(T));
  }
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;
  T* operator->() const { return value_; }
  T& operator*() const { return *value_; }

 private:
  T* value_;
};

// A pipe whose ends close when it is destroyed (or earlier, with close_read/close_write).
// Close-on-exec, so that a daemon started later does not keep an end open; forked children
// still share both.
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) fds_[0] = fds_[1] = -1;
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void close_read() { close_end(0); }
  void close_write() { close_end(1); }

 private:
  void close_end(int i) {
    if (fds_[i] >= 0) ::close(fds_[i]);
    fds_[i] = -1;
  }
  int fds_[2];
};

// A fresh directory under /tmp, removed with its contents when destroyed.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/perfqos-faults-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Open descriptors of a process (entries of /proc/PID/fd); -1 if it cannot be read.
inline int fd_count(pid_t pid) {
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

// VmRSS of a process in KiB; -1 if it cannot be read.
inline long rss_kib(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  }
  std::fclose(f);
  return kib;
}

// True when the error of a call says the daemon's end of the connection went away.
inline bool connection_lost(int rc) {
  return rc == -ECONNRESET || rc == -EPIPE || rc == -ENOTCONN;
}

}  // namespace perfqos::testing
