// run_perfqosctl(): the real perfqosctl (PERFQOSCTL_PATH, set by the test's CMakeLists) run as
// a user would, against the daemon on `socket` (PERFQOS_SOCKET), stdout and stderr together.
#pragma once

#include <string>

#include "support/run_command.h"

namespace perfqos::testing {

using CtlRun = CommandRun;

// REQUIRES: `args` and `prefix` are shell-safe (the tests pass literals). `prefix` runs before
// perfqosctl ("setpriv --reuid=65534 ..." to run it unprivileged).
inline CtlRun run_perfqosctl(const std::string& socket, const std::string& args,
                             const std::string& prefix = "") {
  return run_command("PERFQOS_SOCKET=" + socket + " " + prefix + " " + PERFQOSCTL_PATH + " " +
                     args);
}

}  // namespace perfqos::testing
