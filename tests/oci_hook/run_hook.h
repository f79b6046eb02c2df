// run_hook(): the real perfqos-oci-hook (PERFQOS_OCI_HOOK_PATH) run as a runtime runs it: the
// state JSON written on its stdin (then closed, unless `keep_stdin_open`), its stdout and
// stderr captured together.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace perfqos::testing {

struct HookRun {
  int status = -1;   // exit code, 128 + signal when killed, -1 when it could not be run
  std::string err;   // its stderr and stdout
  std::chrono::milliseconds took{0};
};

inline HookRun run_hook(const std::vector<std::string>& args, const std::string& state,
                        bool keep_stdin_open = false) {
  HookRun r;
  int in[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return r;
  if (::pipe2(err, O_CLOEXEC) != 0) return r;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::dup2(err[1], STDOUT_FILENO);
    std::vector<std::string> all{PERFQOS_OCI_HOOK_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(err[1]);
  ::signal(SIGPIPE, SIG_IGN);  // a hook that exits before reading all of a large state
  for (std::size_t off = 0; off < state.size();) {
    const ssize_t n = ::write(in[1], state.data() + off, state.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  if (!keep_stdin_open) ::close(in[1]);
  char buf[4096];
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;) r.err.append(buf, n);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (keep_stdin_open) ::close(in[1]);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace perfqos::testing
