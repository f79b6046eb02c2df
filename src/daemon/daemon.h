// Daemon: perfqosd's life cycle. Restores the knobs a crashed run left changed (the journal),
// builds the model (the PM QoS classes and the devices discovered under the sysfs root), serves
// the socket on one epoll loop, expires timed requests with a timerfd, and stops cleanly on
// SIGTERM/SIGINT: stop accepting, drop every request, put every knob back, remove the socket.
//
// Readiness: the socket appears only once everything is ready, and READY=1 goes to systemd
// when NOTIFY_SOCKET is set.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/inet_address.h"
#include "util/log.h"
#include "util/status.h"

namespace perfqos {
class Broker;
}

namespace perfqos::daemon {

class EventLoop;

// A part a special build of perfqosd runs beside its own: perfqosd-testbed's made-up perf
// devices (tests/support/test_devices.h). The installed perfqosd has none.
class DaemonPart {
 public:
  virtual ~DaemonPart() = default;
  // Called once on the loop thread after the config is loaded and before any other thread
  // exists; an error stops the daemon from starting.
  virtual Status start(Broker& broker, EventLoop& loop, const Logger& log) = 0;
  // Called on the loop thread when the daemon stops (only after a successful start), while the
  // broker and the loop still exist: the part lets go of both. The object itself may outlive
  // run_daemon (DaemonOptions owns it), so its destructor must not touch them.
  virtual void stop() = 0;
};

struct DaemonOptions {
  std::string socket_path = "/run/perfqos/perfqosd.sock";
  LogLevel log_level = LogLevel::kInfo;
  // Where sysfs and /dev are: every knob file is read and written under this prefix.
  std::string sysfs_root = "/";
  // The kernel CPU latency node, a path under sysfs_root.
  std::string cpu_latency_node = "/dev/cpu_dma_latency";
  // The kernel CPU system wakeup latency node (Linux 6.19), a path under sysfs_root. Where it
  // is absent, cpu_wakeup_latency is model only (kind "model-only", no backend).
  std::string cpu_wakeup_latency_node = "/dev/cpu_wakeup_latency";
  // Holds the restore journal.
  std::string state_dir = "/run/perfqos";
  // The FUSE device tree (fuse_tree.h): where, and whether. A mount that fails is fatal only
  // when fuse_required (the path was given explicitly); otherwise perfqosd serves without it.
  std::string mount_path = "/run/perfqos/dev";
  bool fuse = true;
  bool fuse_required = false;
  // The D-Bus front end (frontends/dbus/dbus_front_end.h, docs/dbus.md) on the system bus
  // ($DBUS_SYSTEM_BUS_ADDRESS when set). No reachable bus is fatal only when dbus_required;
  // otherwise it is logged and perfqosd serves without it.
  bool dbus = true;
  bool dbus_required = false;
  // The config (config.h): this file plus conf.d/*.toml beside it. A missing file is an error
  // only when config_required (the path was given explicitly); SIGHUP reloads it.
  std::string config_path = "/etc/perfqos/perfqosd.toml";
  bool config_required = false;
  // The Prometheus endpoint (frontends/metrics/metrics_server.h, docs/metrics.md): off unless
  // set. A port of 0 binds a free port, which the log names.
  std::optional<InetAddress> metrics;
  // perfqos_build_info{version}.
  std::string version = "unknown";
  // Started in this order after the config; stopped in the reverse order, after the front ends.
  std::vector<std::shared_ptr<DaemonPart>> parts;
};

// Runs until SIGTERM or SIGINT. Returns the error that kept it from starting or running.
Status run_daemon(const DaemonOptions& options);

}  // namespace perfqos::daemon
