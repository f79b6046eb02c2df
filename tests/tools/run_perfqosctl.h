// run_perfqosctl(): the real perfqosctl (PERFQOSCTL_PATH, set by the test's CMakeLists) run as
// a user would, against the daemon on `socket` (PERFQOS_SOCKET), stdout and stderr together.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace perfqos::testing {

struct CtlRun {
  int status;       // exit code, 128 + signal when killed, -1 when it could not be run
  std::string out;  // stdout and stderr, interleaved as written
};

// REQUIRES: `args` and `prefix` are shell-safe (the tests pass literals). `prefix` runs before
// perfqosctl ("setpriv --reuid=65534 ..." to run it unprivileged).
inline CtlRun run_perfqosctl(const std::string& socket, const std::string& args,
                             const std::string& prefix = "") {
  const std::string command =
      "PERFQOS_SOCKET=" + socket + " " + prefix + " " + PERFQOSCTL_PATH + " " + args + " 2>&1";
  CtlRun r{-1, {}};
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace perfqos::testing
