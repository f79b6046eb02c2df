#include "daemon/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "admission/admission.h"
#include "backends/journal/restore_journal.h"
#include "backends/journal/state_dir.h"
#include "backends/knobs/cpu_latency_backend.h"
#include "backends/sysfs.h"
#include "daemon/config_state.h"
#include "daemon/event_loop.h"
#include "daemon/instance_lock.h"
#include "daemon/knob_discovery.h"
#include "daemon/systemd_notifier.h"
#include "frontends/dbus/dbus_front_end.h"
#include "frontends/fuse/fuse_tree.h"
#include "frontends/metrics/metrics_render.h"
#include "frontends/metrics/metrics_server.h"
#include "frontends/socket/service.h"
#include "frontends/socket/socket_server.h"
#include "model/broker.h"
#include "model/device_specs.h"
#include "policy/connection_quota.h"
#include "util/errno_status.h"

namespace perfqos::daemon {

namespace {

// Arms `timer` for the broker's next deadline, or disarms it.
void arm(int timer, const std::optional<Deadline>& deadline) {
  itimerspec spec{};
  if (deadline) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count();
    // steady_clock is CLOCK_MONOTONIC; a zero it_value would disarm, so never pass 0.
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  ::timerfd_settime(timer, TFD_TIMER_ABSTIME, &spec, nullptr);
}

// The state directory is private (0700) unless the socket or the FUSE tree is inside it, as
// at the defaults (/run/perfqos holds both): clients must then traverse it (0755). Either way
// nobody else may write it, which is what trusting the journal needs (StateDir).
mode_t state_dir_mode(const DaemonOptions& options) {
  const std::filesystem::path dir = std::filesystem::path(options.state_dir).lexically_normal();
  auto inside = [&dir](const std::string& path) {
    const std::filesystem::path rel =
        std::filesystem::path(path).lexically_normal().lexically_relative(dir);
    return !rel.empty() && *rel.begin() != "..";
  };
  const bool shared = inside(options.socket_path) || (options.fuse && inside(options.mount_path));
  return shared ? 0755 : 0700;
}

}  // namespace

Status run_daemon(const DaemonOptions& options) {
  const auto start_time = std::chrono::system_clock::now();
  const auto start_steady = std::chrono::steady_clock::now();
  Logger log(options.log_level);
  // One daemon per state directory, decided before anything is restored or touched: a second
  // one would put the first one's knobs back and remove the journal it relies on (DESIGN §10).
  std::shared_ptr<const StateDir> state_dir;
  if (Status s = StateDir::open(options.state_dir, &state_dir, state_dir_mode(options)); !s.ok())
    return s;
  InstanceLock instance_lock;
  if (Status s = InstanceLock::acquire(*state_dir, &instance_lock); !s.ok()) return s;
  ::signal(SIGPIPE, SIG_IGN);
  // Every client is a file descriptor: allow as many as the hard limit does.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // reload the config
  if (::sigprocmask(SIG_BLOCK, &signals, nullptr) != 0) return errno_status(errno, "sigprocmask");
  UniqueFd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd) return errno_status(errno, "signalfd");
  UniqueFd timer_fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_fd) return errno_status(errno, "timerfd_create");

  EventLoop loop;
  if (Status s = loop.init(); !s.ok()) return s;

  // Knobs a crashed run left changed go back before anything else looks at them.
  auto root = std::make_shared<backends::DiskSysfs>(options.sysfs_root);
  std::shared_ptr<RestoreJournal> journal;
  // An untrusted journal (or state directory) stops the start with nothing restored: see
  // restore_journal.h for why perfqosd does not go on without it.
  if (Status s = RestoreJournal::open(
          root, state_dir, [&log](std::string_view m) { log.warning(m); }, &journal);
      !s.ok()) {
    return s;
  }
  if (Status s = journal->restore(); !s.ok()) log.warning("restoring knobs: " + s.message());

  Broker broker;
  for (PmQosClass c : kPmQosClasses) {
    DeviceSpec spec = pm_qos_class_spec(c);
    std::shared_ptr<DeviceBackend> backend;
    if (c == PmQosClass::kCpuDmaLatency) {
      backend = backends::make_cpu_latency_backend(root, options.cpu_latency_node);
    } else if (c == PmQosClass::kCpuWakeupLatency) {
      if (root->exists(options.cpu_wakeup_latency_node)) {
        backend = backends::make_cpu_wakeup_latency_backend(root, options.cpu_wakeup_latency_node);
      } else {
        spec.kind = kModelOnlyKind;
        log.info(spec.name + ": model only: no " + options.cpu_wakeup_latency_node +
                 " on this kernel (Linux 6.19, CONFIG_PM_QOS_CPU_SYSTEM_WAKEUP)");
      }
    }
    if (Status s = broker.register_device(std::move(spec), backend); !s.ok()) return s;
  }
  KnobDiscovery discovery(broker, root, journal, log);
  (void)discovery.rescan(nullptr, nullptr);
  // Connections per uid count socket connections and FUSE open files alike. Declared before
  // both front ends: their connections and files give their slots back when they go.
  ConnectionQuota connection_quota;
  Service service(broker, log, [&discovery](std::uint32_t* added, std::uint32_t* removed) {
    return discovery.rescan(added, removed);
  });
  SocketServer server(loop, service, log,
                      SocketServerOptions{options.socket_path, &connection_quota});
  // The config: policy, its perf devices and cgroup bindings, before anyone can connect.
  ConfigState config(broker, loop, log, options.config_path, options.config_required,
                     options.sysfs_root);
  // Admission: the one path of every front end's requests (DESIGN §2), over the config's policy.
  admission::Admission admission(broker, config.policy(), log);
  config.set_admission(&admission);
  if (Status s = config.start(); !s.ok()) return s;
  admission.set_counter(config.cgroup_data());
  service.set_admission(&admission);
  service.set_policy(&config.policy());
  service.set_connection_quota(&connection_quota);
  service.set_bindings(config.bindings());
  service.set_cpusets(config.cpusets());
  service.set_cgroup_data(config.cgroup_data());
  service.set_profiles([&config]() -> const auto& { return config.profiles(); });
  connection_quota.set_policy(&config.policy());
  // The FUSE device tree, before the socket appears (readiness): served by this thread, in this
  // loop.
  // Each started part is stopped, last first, while the loop and the broker still exist.
  std::vector<DaemonPart*> started;
  struct StopParts {
    std::vector<DaemonPart*>& parts;
    ~StopParts() {
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) (*it)->stop();
    }
  } stop_parts{started};
  for (const std::shared_ptr<DaemonPart>& part : options.parts) {
    if (Status s = part->start(broker, loop, log); !s.ok()) return s;
    started.push_back(part.get());
  }
  FuseTree fuse(broker, loop, log,
                FuseTreeOptions{options.mount_path, &admission, &connection_quota});
  if (Status s = options.fuse ? fuse.start() : Status::Ok(); !s.ok()) {
    if (options.fuse_required) return s;
    log.warning(s.message() + ": serving without the FUSE device tree");
  }

  // The metrics endpoint, before the socket appears (readiness): a scrape renders the model on
  // this thread, posted through the server's own executor.
  std::optional<metrics::MetricsServer> metrics_server;
  if (options.metrics) {
    metrics::MetricsServer::Render render = [&] {
      CgroupDataTracker* cgroups = config.cgroup_data();
      return metrics::render_metrics(
          metrics::MetricsSources{&broker, &admission.tally(),
                                  cgroups != nullptr ? &cgroups->table() : nullptr, options.version,
                                  start_time, start_steady},
          std::chrono::steady_clock::now());
    };
    metrics_server.emplace(loop, std::move(render), log,
                           metrics::MetricsServerOptions{*options.metrics});
    if (Status s = metrics_server->start(); !s.ok()) return s;
  }

  // The D-Bus front end, before the socket appears (readiness): its calls are answered on this
  // thread, in this loop.
  std::optional<dbus::DbusFrontEnd> bus;
  if (options.dbus) {
    bus.emplace(loop, broker, admission, &connection_quota, log,
                dbus::DbusFrontEndOptions{options.version,
                                          [&config]() -> const auto& { return config.profiles();
  }
  , config.cpusets()
});
if (Status s = bus->start(); !s.ok()) {
  bus.reset();
  if (options.dbus_required) return s;
  log.info(s.message() + ": serving without D-Bus");
}
}  // namespace perfqos::daemon
config.set_on_profiles([&bus] {
  if (bus) bus->profiles_changed();
});

// sd_notify(3): STATUS= lines, and WATCHDOG=1 from this loop when the unit asks for it.
SystemdNotifier notifier;
const auto serving = [&] {
  return "serving " + options.socket_path + " with " + std::to_string(broker.registry().size()) +
         " devices";
};
if (Status s = notifier.start_watchdog(loop); !s.ok()) return s;
(void)loop.watch(signal_fd.get(), EPOLLIN, [&](std::uint32_t) {
  signalfd_siginfo info{};
  while (::read(signal_fd.get(), &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGHUP) {
      log.info("received SIGHUP: reloading " + options.config_path);
      notifier.status("reloading " + options.config_path);
      notifier.status(config.reload().ok() ? serving() : serving() + "; reload failed, see log");
      continue;
    }
    log.info(std::string("received ") + ::strsignal(static_cast<int>(info.ssi_signo)) +
             ": stopping");
    loop.stop();
  }
});
(void)loop.watch(timer_fd.get(), EPOLLIN, [&](std::uint32_t) {
  std::uint64_t expirations;
  (void)!::read(timer_fd.get(), &expirations, sizeof expirations);
  const std::size_t n = broker.expire(std::chrono::steady_clock::now());
  if (n > 0) log.debug(std::to_string(n) + " timed requests expired");
});

if (Status s = server.start(); !s.ok()) return s;
log.info(serving());
notifier.ready(serving());

std::optional<Deadline> armed;
Status result = loop.run([&] {
  server.reap();
  // Dropped holders' memory, a few thousand requests a round (about a millisecond), so that
  // the clients' rounds in between are not held up (issue #15).
  if (broker.reclaim(8192)) loop.poll_again();
  if (bus) bus->prepare();
  const std::optional<Deadline> next = broker.next_expiry();
  if (next != armed) {
    arm(timer_fd.get(), next);
    armed = next;
  }
});
notifier.stopping("stopping: dropping every request, restoring knobs");
// No scrape reads the model from here on.
if (metrics_server) metrics_server->stop();
config.set_on_profiles({});
bus.reset();    // D-Bus holds and the power profile in force go
fuse.stop();    // its open files' holders go first, on this thread
config.stop();  // bound requests go too
server.stop();  // the last holders go: backends write the no-constraint values
if (Status s = journal->restore(); !s.ok()) log.warning("restoring knobs: " + s.message());
log.info("stopped: every request dropped, knobs restored, socket removed");
return result;
}

}  // namespace perfqos::daemon
