// run_command(): a shell command line run to its end, its stdout and stderr together and its
// exit status, for tests that drive real programs (perfqosctl, powerprofilesctl, python).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace perfqos::testing {

struct CommandRun {
  int status;       // exit code, 128 + signal when killed, -1 when it could not be run
  std::string out;  // stdout and stderr
};

// Runs a shell command line. REQUIRES: `command` is shell-safe (tests pass literals).
inline CommandRun run_command(const std::string& command) {
  CommandRun r{-1, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace perfqos::testing
