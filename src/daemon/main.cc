// perfqosd: the perfqos broker daemon.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "daemon/daemon.h"

int main(int argc, char** argv) {
  using perfqos::daemon::DaemonOptions;
  DaemonOptions options;
  std::string log_level = "info";

  CLI::App app{
      "perfqosd - the perfqos performance and power QoS broker.\n\n"
      "Runs in the foreground. Clients place constraints on devices through the socket "
      "(perfqosctl, libperfqos); perfqosd aggregates them with the Linux PM QoS rules and drops "
      "each one the moment its holder (the connection) goes away. SIGTERM or SIGINT stops it "
      "cleanly: every request is dropped and the socket removed.\n\n"
      "Devices: the PM QoS classes cpu_dma_latency (applied through the kernel's "
      "/dev/cpu_dma_latency), network_latency, network_throughput and memory_bandwidth, plus what "
      "is discovered under the sysfs root: CPUs (resume latency, runtime PM), cpufreq policies, "
      "devfreq devices, thermal cooling devices and RAPL power caps (`perfqosctl list` shows "
      "them; docs/devices.md names them). Every knob is written only when its effective value "
      "changes, and its original value is journaled first.\n\n"
      "Only root may place requests; other users may read (list, get, status, monitor).",
      "perfqosd"};
  app.get_formatter()->column_width(34);
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
  app.add_option("--state-dir", options.state_dir,
                 "Directory of the restore journal: the original value of every knob perfqosd "
                 "changed, put back at exit or, after a crash, at the next start")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "Least severe messages to log to stderr")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  perfqos::daemon::parse_log_level(log_level, &options.log_level);

  perfqos::Status s = perfqos::daemon::run_daemon(options);
  if (!s.ok()) {
    std::fprintf(stderr, "perfqosd: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
