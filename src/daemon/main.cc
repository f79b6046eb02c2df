// perfqosd: the perfqos broker daemon.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "daemon/daemon.h"
#include "policy/config.h"
#ifdef PERFQOS_TESTBED
#include "support/test_devices.h"
#endif

#ifndef PERFQOS_VERSION
#define PERFQOS_VERSION "unknown"  // cmake/PerfqosInstall.cmake defines it
#endif

int main(int argc, char** argv) {
  using perfqos::daemon::DaemonOptions;
  DaemonOptions options;
  std::string log_level = "info";

  CLI::App app{
      "perfqosd - the perfqos performance and power QoS broker.\n\n"
      "Runs in the foreground. Clients place constraints on devices through the socket "
      "(perfqosctl, libperfqos), the FUSE device tree or the system bus (org.perfqos.Broker1 and "
      "power-profiles-daemon's API, for desktops); perfqosd aggregates them with the Linux PM QoS "
      "rules and drops "
      "each one the moment its holder (the connection) goes away. SIGTERM or SIGINT stops it "
      "cleanly: every request is dropped and the socket removed.\n\n"
      "Devices: the PM QoS classes cpu_dma_latency (applied through the kernel's "
      "/dev/cpu_dma_latency), network_latency, network_throughput, memory_bandwidth and "
      "cpu_wakeup_latency (through /dev/cpu_wakeup_latency, Linux 6.19; model only, kind "
      "model-only, on kernels without it), plus what "
      "is discovered under the sysfs root: CPUs (resume latency, runtime PM), cpufreq policies, "
      "devfreq devices, thermal cooling devices and RAPL power caps (`perfqosctl list` shows "
      "them; docs/devices.md names them). Every knob is written only when its effective value "
      "changes, and its original value is journaled first.\n\n"
      "Root may place any request; other users may read (list, get, status, monitor) and place "
      "what the config grants them.",
      "perfqosd"};
  app.get_formatter()->column_width(34);
  app.set_version_flag("--version", "perfqosd " PERFQOS_VERSION, "Print the version and exit");
  app.add_option("--socket", options.socket_path,
                 "Path of the SOCK_SEQPACKET socket to serve (directory made 0755 if missing, "
                 "socket 0666)")
      ->capture_default_str();
  app.add_option("--sysfs-root", options.sysfs_root,
                 "Prefix under which sysfs and /dev are read and written (tests point it at a "
                 "generated tree)")
      ->capture_default_str();
  app.add_option("--cpu-latency-node", options.cpu_latency_node,
                 "The kernel CPU latency node, under --sysfs-root")
      ->capture_default_str();
  app.add_option("--cpu-wakeup-latency-node", options.cpu_wakeup_latency_node,
                 "The kernel CPU system wakeup latency node (Linux 6.19), under --sysfs-root; "
                 "where it is absent, cpu_wakeup_latency is model only")
      ->capture_default_str();
  app.add_option("--state-dir", options.state_dir,
                 "Directory of the restore journal: the original value of every knob perfqosd "
                 "changed, put back at exit or, after a crash, at the next start. One perfqosd "
                 "per directory (perfqosd.lock: a second start exits 1 naming the holder's pid). "
                 "Made 0700 if missing (0755 when the socket or FUSE tree is inside it); refused "
                 "unless owned by perfqosd's uid and not writable by group or others, and so is "
                 "a journal that is not such a regular file")
      ->capture_default_str();
  app.add_option("--mount", options.mount_path,
                 "Where to mount the FUSE device tree: the PM QoS class nodes (cpu_dma_latency, "
                 "network_latency, network_throughput, memory_bandwidth, cpu_wakeup_latency) "
                 "with the kernel's /dev/cpu_dma_latency ABI, and perf_qos/DEVICE with the perf "
                 "QoS ioctl ABI "
                 "(perfqos/perf_qos_ioctl.h). Mounted allow_other; a stale mount left by a "
                 "crashed perfqosd is replaced. Given explicitly, failing to mount is fatal; "
                 "at the default, perfqosd logs it and serves the socket only")
      ->capture_default_str()
      ->each([&options](const std::string&) { options.fuse_required = true; });
  app.add_flag_callback(
      "--no-fuse", [&options] { options.fuse = false; },
      "Do not mount the FUSE device tree (the socket stays the only way in)");
  CLI::Option* dbus_flag = app.add_flag_callback(
      "--dbus", [&options] { options.dbus_required = true; },
      "Require the system bus ($DBUS_SYSTEM_BUS_ADDRESS when set): without it, or without the "
      "name org.perfqos.Broker1, perfqosd does not start. At the default it connects when it "
      "can and logs why not; it serves org.perfqos.Broker1 and, unless power-profiles-daemon "
      "or tuned-ppd owns them, power-profiles-daemon's net.hadess.PowerProfiles and "
      "org.freedesktop.UPower.PowerProfiles (docs/dbus.md)");
  app.add_flag_callback(
         "--no-dbus", [&options] { options.dbus = false; },
         "Do not connect to the system bus (no D-Bus API, no power profiles)")
      ->excludes(dbus_flag);
#ifdef PERFQOS_TESTBED
  // perfqosd-testbed only (tests/support/CMakeLists.txt).
  std::vector<std::string> test_perf_devices;
  app.add_option("--test-perf-device", test_perf_devices,
                 "Register a perf QoS device NAME:UNIT:MIN:MAX (UNIT normal or kbps; no "
                 "backend). Repeatable. SIGUSR1 unregisters these devices, the next SIGUSR1 "
                 "registers them again")
      ->group("Testing");
#endif
  bool check_config = false;
  app.add_option("--config", options.config_path,
                 "The TOML config (grants, quotas, perf devices, per-cgroup caps and floors, "
                 "cgroup bindings; docs/config.md), plus conf.d/*.toml beside it in name order. "
                 "Given explicitly it must exist; at the default, a missing file means the "
                 "built-in default (root writes, others read). SIGHUP reloads it")
      ->capture_default_str()
      ->each([&options](const std::string&) { options.config_required = true; });
  app.add_flag("--check-config", check_config,
               "Validate the config (every error with file:line, key and allowed values) and exit: "
               "0 if it is good, 1 if not");
  std::string metrics;
  app.add_option("--metrics", metrics,
                 "Serve Prometheus metrics (GET /metrics, text format 0.0.4; docs/metrics.md) "
                 "on ADDR:PORT: a numeric IPv4 address or a bracketed IPv6 one, and a port "
                 "(0: a free one, logged), e.g. 127.0.0.1:9464 or [::1]:9464. Off by default; "
                 "anyone who can connect may read the metrics, so keep it on loopback unless "
                 "the network is trusted");
  app.add_option("--log-level", log_level, "Least severe messages to log to stderr")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  {
    perfqos::daemon::Config config;
    std::vector<std::string> errors;
    perfqos::Status s = perfqos::daemon::load_config(options.config_path, options.config_required,
                                                     &config, check_config ? &errors : nullptr);
    if (check_config) {
      std::error_code ec;
      if (!options.config_required && !std::filesystem::exists(options.config_path, ec)) {
        std::printf(
            "%s: no such file: the built-in default applies (root may place any "
            "request, everyone else may only read, containers may ask for latency)\n",
            options.config_path.c_str());
      }
      if (!s.ok()) {
        for (const std::string& e : errors) std::fprintf(stderr, "perfqosd: %s\n", e.c_str());
        std::fprintf(stderr, "perfqosd: %s: %zu error%s\n", options.config_path.c_str(),
                     errors.size(), errors.size() == 1 ? "" : "s");
        return 1;
      }
      // Says which container rules apply: the config's, or the built-in ones when it has none.
      const std::size_t containers =
          config.containers ? config.containers->size() : perfqos::default_container_rules().size();
      std::printf(
          "%s: ok (%zu files, %zu grants, %zu container rules%s, %zu devices, %zu "
          "bindings)\n",
          options.config_path.c_str(), config.files.size(), config.grants.size(), containers,
          config.containers ? "" : " (built-in default)", config.devices.size(),
          config.bindings.size());
      return 0;
    }
    // [daemon] settings apply where the command line says nothing; a bad config is reported
    // by run_daemon.
    const perfqos::daemon::DaemonSettings& d = config.daemon;
    if (d.socket && app.count("--socket") == 0) options.socket_path = *d.socket;
    if (d.state_dir && app.count("--state-dir") == 0) options.state_dir = *d.state_dir;
    if (d.mount && app.count("--mount") == 0) options.mount_path = *d.mount;
    if (d.log_level && app.count("--log-level") == 0) log_level = *d.log_level;
    if (d.metrics && app.count("--metrics") == 0) metrics = *d.metrics;
  }
  if (!metrics.empty()) {
    perfqos::InetAddress address;
    if (perfqos::Status s = perfqos::parse_inet_address(metrics, "--metrics", &address); !s.ok()) {
      std::fprintf(stderr, "perfqosd: %s\n", s.message().c_str());
      return 1;
    }
    options.metrics = address;
  }
  options.version = PERFQOS_VERSION;
  perfqos::daemon::parse_log_level(log_level, &options.log_level);
#ifdef PERFQOS_TESTBED
  options.parts.push_back(
      std::make_shared<perfqos::daemon::TestPerfDevices>(std::move(test_perf_devices)));
#endif

  perfqos::Status s = perfqos::daemon::run_daemon(options);
  if (!s.ok()) {
    std::fprintf(stderr, "perfqosd: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
