// Daemon: perfqosd's life cycle. Builds the model (the PM QoS classes), serves the socket on one
// epoll loop, expires timed requests with a timerfd, and stops cleanly on SIGTERM/SIGINT:
// stop accepting, drop every request, remove the socket, return.
//
// Readiness: the socket appears only once everything is ready, and READY=1 goes to systemd
// when NOTIFY_SOCKET is set.
#pragma once

#include <string>

#include "daemon/log.h"
#include "perfqos/status.h"

namespace perfqos::daemon {

struct DaemonOptions {
  std::string socket_path = "/run/perfqos/perfqosd.sock";
  LogLevel log_level = LogLevel::kInfo;
};

// Runs until SIGTERM or SIGINT. Returns the error that kept it from starting or running.
Status run_daemon(const DaemonOptions& options);

}  // namespace perfqos::daemon
