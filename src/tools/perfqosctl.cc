// perfqosctl: the command-line client of perfqosd. main() wires the subcommands (commands.h,
// one cmd_*.cc each) to CLI11: global options anywhere, exit codes, "did you mean" for an
// unknown subcommand.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/suggest.h"

#ifndef PERFQOS_VERSION
#define PERFQOS_VERSION "unknown"  // cmake/PerfqosInstall.cmake defines it
#endif

namespace perfqos::tools {
namespace {

// The first argument that is neither an option nor the value of --socket/--timeout: the word
// meant as the subcommand. "" when there is none.
std::string first_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--socket" || a == "--timeout") {
      ++i;
    } else if (a == "--") {
      break;
    } else if (!a.starts_with("-")) {
      return std::string(a);
    }
  }
  return "";
}

}  // namespace
}  // namespace perfqos::tools

int main(int argc, char** argv) {
  using namespace perfqos::tools;
  Options o;
  CLI::App app{
      "perfqosctl - talk to perfqosd, the perfqos QoS broker.\n\n"
      "SPEC is DEVICE=VALUE for a device's only knob (cpu_dma_latency=20) or DEVICE.KNOB=VALUE "
      "(cpu0.resume_latency=20, gpu.min=600, policy0.max=1.8GHz, eth0.flags=no_power_off). "
      "VALUE is a number in the knob's unit (see `perfqosctl get DEVICE`) or with a unit suffix "
      "converted to it when the result is whole: us, ms, s (latencies); Hz, kHz, MHz, GHz "
      "(frequencies); uW, mW, W (power); % (normal perf units, of 1024); kbit/s, Mbit/s, Gbit/s. "
      "'none', 'default' and 'any' mean no constraint (the knob's default; 'any' is INT32_MAX "
      "for resume_latency and latency_tolerance); flags knobs take flag names.\n\n"
      "Every request lives as long as the perfqosctl process that placed it.\n\n"
      "Global options (--json, --socket, --timeout) go before or after the subcommand.\n\n"
      "Environment: PERFQOS_SOCKET, the daemon's socket (default " PERFQOS_DEFAULT_SOCKET
      ").\n"
      "Exit status: 0 on success, 1 on an error, 2 on a usage error (an unknown subcommand or "
      "option, a missing argument); `run` exits with the command's status (128 + N when a "
      "signal N killed it, 127 when it could not be run).",
      "perfqosctl"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "perfqosctl " PERFQOS_VERSION, "Print the version and exit");
  app.add_option("--socket", o.socket,
                 "perfqosd's socket (default: $PERFQOS_SOCKET or " PERFQOS_DEFAULT_SOCKET ")")
      ->take_last();
  app.add_option("--timeout", o.timeout_ms, "Milliseconds to wait for the daemon's replies")
      ->check(CLI::Range(1, 600000))
      ->take_last()
      ->capture_default_str();
  app.add_flag("--json", o.json,
               "JSON output: list, get, status print one value, monitor one object per line; "
               "hold and run then say nothing on stderr");
  const std::string globals =
      "\nGlobal options, before or after the subcommand: --json, --socket PATH, --timeout MS "
      "(see perfqosctl --help).\n";

  auto* list = app.add_subcommand("list", "List the devices, their knobs and effective values");

  std::string device;
  auto* get = app.add_subcommand("get", "Describe one device: knobs, units, allowed values");
  get->add_option("DEVICE", device, "Device name")->required();

  std::vector<std::string> specs;
  std::string for_text;
  bool quiet = false;
  auto* hold = app.add_subcommand(
      "hold", "Place requests and hold them until SIGINT/SIGTERM/SIGHUP (or --for elapses)");
  hold->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE");
  hold->add_option("--for", for_text,
                   "Hold for DURATION (250ms, 1.5s, 1m30s, 2h, or seconds): timed requests");
  hold->add_flag("-q,--quiet", quiet, "Do not say what is held (errors are still printed)");
  const auto add_note_options = [&o](CLI::App* sub) {
    sub->add_option("--reason", o.note.reason,
                    "Why the requests are held (shown by status; at most 127 bytes of printable "
                    "UTF-8)");
    sub->add_option("--app-id", o.note.app_id,
                    "Which application holds them (e.g. org.example.Recorder; at most 63 bytes)");
  };
  add_note_options(hold);
  const auto add_profile_option = [&o](CLI::App* sub) {
    sub->add_option("--profile", o.profile,
                    "Also hold the profile NAME (power-saver, balanced, performance or the "
                    "config's [[profile]]s), through perfqosd's D-Bus API on the system bus "
                    "($DBUS_SYSTEM_BUS_ADDRESS when set); see docs/dbus.md");
  };
  add_profile_option(hold);
  const auto add_cpus_of_option = [&o](CLI::App* sub) {
    sub->add_option("--cpus-of", o.cpus_of,
                    "Place the cpus.KNOB=VALUE SPECs on each CPU of this cgroup (v2 path "
                    "relative to the cgroup2 mount: its cpuset.cpus.effective), following its "
                    "CPUs as they change; needs a perfqosd speaking protocol version 4");
  };
  add_cpus_of_option(hold);

  std::vector<std::string> command;
  auto* run = app.add_subcommand(
      "run", "Hold requests while CMD runs; forward signals to it; exit with its status");
  // CMD is taken from after "--" before parsing (below), so SPEC may be left out when only
  // clamps are asked for: CLI11 refuses an optional positional before another one.
  run->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE");
  run->footer("\nAfter the SPECs: -- CMD [ARGS...], the command to run (SPECs may be left out "
              "when --profile, --uclamp-min or --uclamp-max is given)." +
              globals);
  int uclamp_min = -1, uclamp_max = -1;
  CLI::Option* uclamp_min_opt = run->add_option(
      "--uclamp-min", uclamp_min,
      "Utilization floor of CMD and its children, 0..1024 (sched_setattr; needs a kernel with "
      "CONFIG_UCLAMP_TASK)");
  CLI::Option* uclamp_max_opt =
      run->add_option("--uclamp-max", uclamp_max, "Utilization cap of CMD and its children, 0..1024");
  run->add_flag("-q,--quiet", quiet, "Do not say what is held (errors are still printed)");
  add_note_options(run);
  add_profile_option(run);
  add_cpus_of_option(run);
  run->positionals_at_end();

  std::vector<std::string> devices;
  auto* monitor = app.add_subcommand("monitor", "Print every change of effective values");
  monitor->add_option("DEVICE", devices, "Devices to watch (default: all)");
  monitor->footer(
      "\nText: one line per change, 'HH:MM:SS.mmm DEVICE.KNOB OLD -> NEW (by HOLDER pid P "
      "(COMM), request N added|changed|removed, reason \"R\")' (values as in status; the "
      "part in parentheses when the daemon says which request caused it).\n--json: one object "
      "per change: time (RFC 3339 with milliseconds and the zone, "
      "2026-12-02T12:43:17.123+00:00), device, knob, old and new (ranges: old_min, "
      "old_max, new_min, new_max; integers in the knob's unit), unit, dropped (changes lost "
      "just before this one), cause (null, or {holder, pid, uid, comm, request_id, action: "
      "add, update or remove, app_id, reason}: the request that made the change)." +
      globals);

  auto* top = app.add_subcommand(
      "top", "A live view: one line per knob with its effective value, who sets it, the last "
             "change and who made it, and the last minute's history; q quits");
  top->add_option("DEVICE", devices, "Devices to show (default: all)");

  auto* status = app.add_subcommand(
      "status",
      "List every request with its holder, then the per-cgroup data (each device's counters, "
      "caps and floors for every cgroup whose members asked it for something)");
  status->add_option("DEVICE", device, "Only this device");
  status->footer(
      "\nColumns of the request table:\n"
      "  DEVICE    the device\n"
      "  KNOB      the knob; min or max for an end of a range\n"
      "  VALUE     the request, in the knob's unit (none = no constraint)\n"
      "  SETS      yes when this request currently sets the effective value\n"
      "  HOLDER    what keeps it: connection, fuse, cgroup (a binding), internal\n"
      "  PID       the holder's process\n"
      "  UID       the holder's user\n"
      "  COMM      the holder's command name\n"
      "  CGROUP    the holder's cgroup\n"
      "  EXPIRES   time left of a timed request (--for)\n"
      "  APP       the application id the holder gave (hold/run --app-id)\n"
      "  REASON    why it is held (hold --reason; run: the command line by default)\n"
      "Columns of the per-cgroup data: DEVICE, CGROUP, ADMITTED and REFUSED (the requests of "
      "its members the policy admitted and refused), CAPS AND FLOORS.\n"
      "Then the cgroup bindings, as `perfqosctl bindings` lists them, waiting ones too.\n\n"
      "--json prints one object {\"requests\": [...], \"cgroup_data\": [...], \"bindings\": "
      "[...]}. Each request: "
      "device, knob (\"range\" for either end), end (\"min\", \"max\" or \"\"), value (integer in "
      "the knob's unit, -1 = default), unit, request_id, binding (true when it sets the "
      "effective value: SETS), holder, pid, uid, gid, comm, cgroup, label, remaining_ms (0 = "
      "untimed), app_id, reason (\"\" when not given). Each cgroup_data entry: device, cgroup, "
      "limits ([{knob, floor, cap}], floor "
      "and cap only when set), admitted, refused. Each binding: as `perfqosctl bindings --json`: "
      "id, cgroup, device, knob, end, value, unit, state (\"active\" or \"waiting\"), uid, origin, "
      "app_id, reason." +
      globals);

  std::string cgroup;
  auto* bind = app.add_subcommand("bind", "Hold requests while a cgroup (v2) is populated");
  bind->add_option("CGROUP", cgroup, "cgroup path relative to the cgroup2 mount")->required();
  bind->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE")->required();
  bind->add_flag(
      "--transient", o.transient,
      "Remove the binding for good when the cgroup empties after having been populated, or is "
      "removed (a container's cgroup); needs a perfqosd speaking protocol version 3");
  bind->add_option("--reason", o.note.reason, "Why the requests are held");
  bind->add_option("--app-id", o.note.app_id, "Which application holds them");
  add_cpus_of_option(bind);
  std::uint32_t binding = 0;
  auto* bindings = app.add_subcommand(
      "bindings", "List the cgroup bindings, active or waiting for their cgroup to fill");
  bindings->footer(
      "\nColumns: ID (as `bind` printed it; `unbind ID`), CGROUP, REQUEST (DEVICE.KNOB=VALUE), "
      "STATE (active: its request is in force; waiting: its cgroup is empty), ORIGIN (the "
      "config's file:line, or the uid that bound it), APP, REASON.\n--json: an array of {id, "
      "cgroup, device, knob (\"range\" for either end), end, value, unit, state, uid, origin, "
      "app_id, reason}." +
      globals);
  auto* unbind = app.add_subcommand("unbind", "Remove a cgroup binding");
  unbind->add_option("ID", binding, "The id `bind` printed")->required();
  auto* rescan = app.add_subcommand("rescan", "Ask perfqosd to rediscover devices");

  std::string target, value;
  auto* explain = app.add_subcommand(
      "explain",
      "Say who sets a knob's effective value, what bounds your requests on it, and what a "
      "request of VALUE would do (judged by perfqosd, changing nothing)");
  explain->add_option("TARGET", target, "DEVICE or DEVICE.KNOB (a range: DEVICE.min, .max, .range)")
      ->required();
  explain->add_option("VALUE", value, "A request value to judge, as in a SPEC (20, 1ms, none)");
  explain->footer(
      "\nText: the effective value; 'set by' the requests that set it (holder kind, request id, "
      "pid, comm, uid, cgroup, reason, app id, time left); the bounds on your requests (valid "
      "values, your grants with their config file:line, your cgroup's caps and floors); with "
      "VALUE the verdict: 'would set it to V', 'would not change the effective value: V is set "
      "by pid P (COMM, reason \"R\")' or 'refused: your grant allows A..B, FILE:LINE'.\n"
      "--json: one object: device, knob, end, unit, effective (ranges: effective_min, "
      "effective_max), min_request, max_request, setters_total, setters [{end, value, "
      "request_id, holder, pid, uid, comm, cgroup, remaining_ms, app_id, reason}], caller {uid, "
      "cgroup, unrestricted, grants_total, grants [{device, knob, min, max, origin}], "
      "cgroup_limit {floor, cap, origin}}, and with VALUE verdict {value, admitted, then "
      "would_change and would_be (would_be_min, would_be_max) or errno and message}; integers "
      "in the knob's unit.\nExit status 0 when explained, whatever the verdict; 1 on an error "
      "(no such device or knob, a daemon older than protocol version 3)." +
      globals);

  // The global options are the app's; a subcommand passes what it does not know up to it.
  for (CLI::App* sub : {list, get, hold, run, monitor, top, status, bind, bindings, unbind, rescan, explain}) {
    sub->fallthrough();
    if (sub->get_footer().empty()) sub->footer(globals);
  }

  // `run SPEC... -- CMD...`: CLI11 gives everything after "--" to the last positional.
  std::vector<std::string> args(argv + 1, argv + argc);
  auto dashdash = std::find(args.begin(), args.end(), "--");
  if (dashdash != args.end() && std::find(args.begin(), dashdash, "run") != dashdash) {
    command.assign(dashdash + 1, args.end());
    args.erase(dashdash, args.end());
  }
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (app.get_subcommands().empty() && e.get_exit_code() != 0) {
      if (std::string word = first_word(argc, argv); !word.empty()) {
        std::vector<std::string> names;
        for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
        const std::string hint = did_you_mean(suggestions(word, names));
        fail("unknown subcommand '" + word + "'" + (hint.empty() ? "" : ": " + hint) + " (" +
             joined(names) + "; see perfqosctl --help)");
        return kExitUsage;
      }
    }
    const int rc = app.exit(e);  // prints help, the version, or the error
    return rc == 0 ? 0 : kExitUsage;
  }
  if (quiet) o.quiet = true;

  if (*list) return cmd_list(o);
  if (*get) return cmd_get(o, device);
  if (*hold) return cmd_hold(o, specs, for_text);
  if (*run) {
    if (uclamp_min_opt->count() > 0) o.uclamp_min = uclamp_min;
    if (uclamp_max_opt->count() > 0) o.uclamp_max = uclamp_max;
    return cmd_run(o, specs, command);
  }
  if (*monitor) return cmd_monitor(o, devices);
  if (*top) return cmd_top(o, devices);
  if (*status) return cmd_status(o, device);
  if (*bind) return cmd_bind(o, cgroup, specs);
  if (*unbind) return cmd_unbind(o, binding);
  if (*bindings) return cmd_bindings(o);
  if (*rescan) return cmd_rescan(o);
  if (*explain) return cmd_explain(o, target, value);
  return kExitUsage;
}
