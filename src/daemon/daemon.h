// Daemon: perfqosd's life cycle. Restores the knobs a crashed run left changed (the journal),
// builds the model (the PM QoS classes and the devices discovered under the sysfs root), serves
// the socket on one epoll loop, expires timed requests with a timerfd, and stops cleanly on
// SIGTERM/SIGINT: stop accepting, drop every request, put every knob back, remove the socket.
//
// Readiness: the socket appears only once everything is ready, and READY=1 goes to systemd
// when NOTIFY_SOCKET is set.
#pragma once

#include <string>
#include <vector>

#include "daemon/log.h"
#include "perfqos/status.h"

namespace perfqos::daemon {

struct DaemonOptions {
  std::string socket_path = "/run/perfqos/perfqosd.sock";
  LogLevel log_level = LogLevel::kInfo;
  // Where sysfs and /dev are: every knob file is read and written under this prefix.
  std::string sysfs_root = "/";
  // The kernel CPU latency node, a path under sysfs_root.
  std::string cpu_latency_node = "/dev/cpu_dma_latency";
  // Holds the restore journal.
  std::string state_dir = "/run/perfqos";
  // The FUSE device tree (fuse_tree.h): where, and whether. A mount that fails is fatal only
  // when fuse_required (the path was given explicitly); otherwise perfqosd serves without it.
  std::string mount_path = "/run/perfqos/dev";
  bool fuse = true;
  bool fuse_required = false;
  // The config (config.h): this file plus conf.d/*.toml beside it. A missing file is an error
  // only when config_required (the path was given explicitly); SIGHUP reloads it.
  std::string config_path = "/etc/perfqos/perfqosd.toml";
  bool config_required = false;
  // FOR TESTS ONLY: perf devices "NAME:UNIT:MIN:MAX" (test_devices.h); SIGUSR1 toggles them.
  std::vector<std::string> test_perf_devices;
};

// Runs until SIGTERM or SIGINT. Returns the error that kept it from starting or running.
Status run_daemon(const DaemonOptions& options);

}  // namespace perfqos::daemon
