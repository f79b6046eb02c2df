// Test helpers for a real perfqosd with a config file and real unprivileged clients: a config
// file in its own directory, and run_as(), which runs a body in a forked child with its uid and
// gid dropped (optionally moved into a test cgroup first).
#pragma once

#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "support/cgroup_fixture.h"

namespace perfqos::testing {

// A config file in its own directory, made before the daemon starts; removed with it.
struct ConfigFile {
  explicit ConfigFile(const std::string& text) {
    char tmpl[] = "/tmp/perfqos-config-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/perfqosd.toml";
    rewrite(text);
  }
  ~ConfigFile() { std::filesystem::remove_all(dir); }
  void rewrite(const std::string& text) const { std::ofstream(path) << text; }
  std::string dir, path;
};

// Runs `body` in a child with uid/gid dropped, keeping only the supplementary `groups` (and,
// first, moved into `cgroup` if given); the ints it pushes come back through a pipe. A child
// that does not exit 0 (it could not drop its credentials: 3; not join the cgroup: 2; a crash)
// adds -1000 - its wait status at the end, so that no result list a test expects matches.
inline std::vector<int> run_as(uid_t uid, gid_t gid,
                               const std::function<void(std::vector<int>&)>& body,
                               TestCgroup* cgroup = nullptr,
                               const std::vector<gid_t>& groups = {}) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (cgroup != nullptr && !cgroup->add(::getpid())) ::_exit(2);
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 ||
        ::setuid(uid) != 0) {
      ::_exit(3);
    }
    std::vector<int> results;
    body(results);
    (void)!::write(fds[1], results.data(), results.size() * sizeof(int));
    ::_exit(0);
  }
  ::close(fds[1]);
  std::vector<int> results;
  int v;
  while (::read(fds[0], &v, sizeof v) == sizeof v) results.push_back(v);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) results.push_back(-1000 - status);
  return results;
}

}  // namespace perfqos::testing
