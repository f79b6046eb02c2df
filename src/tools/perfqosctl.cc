// perfqosctl: the command-line client of perfqosd.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "perfqos/client.h"
#include "perfqos/knob.h"
#include "perfqos/value_text.h"
#include "tools/json_writer.h"
#include "tools/request_spec.h"
#include "tools/text_table.h"
#include "tools/value_input.h"

#ifndef PERFQOS_VERSION
#define PERFQOS_VERSION "unknown"  // cmake/PerfqosInstall.cmake defines it
#endif

namespace perfqos::tools {
namespace {

constexpr int kExitError = 1;

struct Options {
  std::string socket;  // "" = $PERFQOS_SOCKET or the default
  int timeout_ms = PERFQOS_DEFAULT_TIMEOUT_MS;
  bool json = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "perfqosctl: %s\n", message.c_str());
  return kExitError;
}

// Owns one connection.
class Connection {
 public:
  ~Connection() { perfqos_close(client_); }
  int open(const Options& options) {
    const int rc = perfqos_connect(options.socket.empty() ? nullptr : options.socket.c_str(),
                                   options.timeout_ms, &client_);
    if (rc < 0) {
      return fail(std::string("cannot reach perfqosd: ") + perfqos_last_error(nullptr));
    }
    return 0;
  }
  perfqos_client* get() const { return client_; }
  std::string error() const { return perfqos_last_error(client_); }

 private:
  perfqos_client* client_ = nullptr;
};

KnobId knob_id_of(const char* name) {
  KnobId id = KnobId::kLatency;
  RangeEnd end;
  if (std::string_view(name) == "range" || !parse_knob_name(name, &id, &end)) id = KnobId::kRange;
  return id;
}

std::string effective_text(const perfqos_knob_info& k) {
  const KnobId id = knob_id_of(k.name);
  if (k.effective.is_range) {
    return std::to_string(k.effective.min) + ".." + std::to_string(k.effective.max);
  }
  return format_value(id, k.effective.value);
}

std::string effective_text(const perfqos_effective& e, const char* knob) {
  if (e.is_range) return std::to_string(e.min) + ".." + std::to_string(e.max);
  return format_value(knob_id_of(knob), e.value);
}

std::string allowed_text(const perfqos_knob_info& k) {
  if (k.list_type == PERFQOS_LIST_RANGE) {
    return std::to_string(k.limit_min) + ".." + std::to_string(k.limit_max);
  }
  if (k.list_type == PERFQOS_LIST_FLAGS) return "no_power_off, none";
  return std::to_string(k.min_request) + ".." + std::to_string(k.max_request);
}

const char* list_type_name(perfqos_list_type t) {
  static constexpr const char* kNames[] = {"min", "max", "sum", "flags", "range"};
  return static_cast<unsigned>(t) < 5 ? kNames[t] : "?";
}

void json_knob(JsonWriter& j, const perfqos_knob_info& k) {
  j.begin_object()
      .field("name", k.name)
      .field("type", list_type_name(k.list_type))
      .field("unit", k.unit);
  if (k.effective.is_range) {
    j.field("effective_min", k.effective.min).field("effective_max", k.effective.max);
    j.field("limit_min", k.limit_min).field("limit_max", k.limit_max);
  } else {
    j.field("effective", k.effective.value)
        .field("default", k.default_value)
        .field("no_constraint", k.no_constraint_value)
        .field("min_request", k.min_request)
        .field("max_request", k.max_request);
  }
  j.field("requests", k.active_requests).end_object();
}

void json_device(JsonWriter& j, const perfqos_device_info& d) {
  j.begin_object().field("name", d.name).field("kind", d.kind).field("parent", d.parent);
  j.field("perf_unit", d.perf_unit).field("error_count", d.error_count);
  j.field("last_errno", d.last_errno).field("last_error", d.last_error);
  j.key("knobs").begin_array();
  for (std::size_t i = 0; i < d.knob_count; ++i) json_knob(j, d.knobs[i]);
  j.end_array().end_object();
}

int cmd_list(const Options& o) {
  Connection c;
  if (int rc = c.open(o)) return rc;
  perfqos_device_info* devices = nullptr;
  std::size_t n = 0;
  if (perfqos_list(c.get(), &devices, &n) < 0) return fail("list: " + c.error());
  if (o.json) {
    JsonWriter j;
    j.begin_array();
    for (std::size_t i = 0; i < n; ++i) json_device(j, devices[i]);
    j.end_array().print(stdout);
  } else {
    TextTable t({"DEVICE", "KIND", "KNOB", "EFFECTIVE", "UNIT", "REQUESTS", "ALLOWED"});
    for (std::size_t i = 0; i < n; ++i) {
      const perfqos_device_info& d = devices[i];
      for (std::size_t k = 0; k < d.knob_count; ++k) {
        const perfqos_knob_info& knob = d.knobs[k];
        t.add({k == 0 ? d.name : "", k == 0 ? d.kind : "", knob.name, effective_text(knob),
               knob.unit, std::to_string(knob.active_requests), allowed_text(knob)});
      }
    }
    t.print(stdout);
  }
  perfqos_free(devices);
  return 0;
}

int cmd_get(const Options& o, const std::string& device) {
  Connection c;
  if (int rc = c.open(o)) return rc;
  perfqos_device_info d;
  if (perfqos_describe(c.get(), device.c_str(), &d) < 0) return fail(c.error());
  if (o.json) {
    JsonWriter j;
    json_device(j, d);
    j.print(stdout);
    return 0;
  }
  std::printf("%s (%s)%s%s\n", d.name, d.kind, d.parent[0] ? ", parent " : "", d.parent);
  if (d.perf_unit[0]) std::printf("perf unit: %s\n", d.perf_unit);
  if (d.error_count > 0) {
    std::printf("backend errors: %u, last: %s (%s)\n", d.error_count, d.last_error,
                std::strerror(d.last_errno));
  }
  TextTable t({"KNOB", "TYPE", "EFFECTIVE", "UNIT", "DEFAULT", "ALLOWED", "REQUESTS"});
  for (std::size_t k = 0; k < d.knob_count; ++k) {
    const perfqos_knob_info& knob = d.knobs[k];
    const std::string def = knob.list_type == PERFQOS_LIST_RANGE
                                ? "no limit"
                                : format_value(knob_id_of(knob.name), knob.no_constraint_value);
    t.add({knob.name, list_type_name(knob.list_type), effective_text(knob), knob.unit, def,
           allowed_text(knob) + " or -1", std::to_string(knob.active_requests)});
  }
  t.print(stdout);
  return 0;
}

// A SPEC resolved against the daemon's description of its device.
struct ResolvedSpec {
  RequestSpec spec;
  std::string knob;  // the knob name to send ("" = the device's only knob)
  std::string unit;
  std::int32_t value = 0;
};

int resolve_specs(Connection& c, const std::vector<std::string>& texts,
                  std::vector<ResolvedSpec>* out) {
  for (const std::string& text : texts) {
    ResolvedSpec r;
    if (Status s = parse_request_spec(text, &r.spec); !s.ok()) return fail(s.message());
    perfqos_device_info d;
    if (perfqos_describe(c.get(), r.spec.device.c_str(), &d) < 0) {
      const std::size_t dot = r.spec.device.rfind('.');
      if (dot == std::string::npos) return fail(c.error());
      return fail(c.error() + " (nor is '" + r.spec.device.substr(dot + 1) +
                  "' a knob: knobs are latency, throughput, bandwidth, resume_latency, "
                  "latency_tolerance, flags, min, max)");
    }
    KnobId id = KnobId::kLatency;
    RangeEnd end = RangeEnd::kMin;
    if (r.spec.knob.empty()) {
      if (d.knob_count != 1 || d.knobs[0].list_type == PERFQOS_LIST_RANGE) {
        std::string names;
        for (std::size_t k = 0; k < d.knob_count; ++k) {
          const bool range = d.knobs[k].list_type == PERFQOS_LIST_RANGE;
          names += std::string(names.empty() ? "" : ", ") + (range ? "min, max" : d.knobs[k].name);
        }
        return fail("'" + text + "': name the knob as " + r.spec.device + ".KNOB=VALUE (" +
                    r.spec.device + " has " + names + ")");
      }
      id = knob_id_of(d.knobs[0].name);
      r.unit = d.knobs[0].unit;
    } else {
      parse_knob_name(r.spec.knob, &id, &end);
      r.knob = r.spec.knob;
      for (std::size_t k = 0; k < d.knob_count; ++k) {
        if (knob_id_of(d.knobs[k].name) == id) r.unit = d.knobs[k].unit;
      }
    }
    const std::string what = r.spec.device + "." + knob_request_name(id, end);
    if (Status s = parse_request_value(id, r.spec.value, what, &r.value); !s.ok()) {
      return fail(s.message());
    }
    out->push_back(std::move(r));
  }
  return 0;
}

// Adds every SPEC on `c`, timed when `duration` > 0; prints what it holds.
int add_specs(const Options& o, Connection& c, const std::vector<std::string>& texts,
              std::chrono::milliseconds duration) {
  std::vector<ResolvedSpec> specs;
  if (int rc = resolve_specs(c, texts, &specs)) return rc;
  for (const ResolvedSpec& r : specs) {
    std::uint32_t id = 0;
    perfqos_change change{};
    const int rc = perfqos_add_timed(c.get(), r.spec.device.c_str(), r.knob.c_str(), r.value,
                                     static_cast<std::uint32_t>(duration.count()), &id, &change);
    if (rc < 0) return fail(c.error());
    if (!o.json) {
      std::fprintf(stderr, "perfqosctl: holding %s=%s (request %u; effective now %s %s)\n",
                   (r.spec.device + (r.knob.empty() ? "" : "." + r.knob)).c_str(),
                   r.spec.value.c_str(), id,
                   effective_text(change.effective, r.knob.c_str()).c_str(), r.unit.c_str());
    }
  }
  return 0;
}

sigset_t forwarded_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD})
    sigaddset(&set, sig);
  return set;
}

int cmd_hold(const Options& o, const std::vector<std::string>& specs, const std::string& for_text) {
  std::chrono::milliseconds duration{0};
  if (!for_text.empty()) {
    if (Status s = parse_duration(for_text, &duration); !s.ok()) return fail(s.message());
  }
  sigset_t signals = forwarded_signals();
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
  Connection c;
  if (int rc = c.open(o)) return rc;
  if (int rc = add_specs(o, c, specs, duration)) return rc;
  const auto until = std::chrono::steady_clock::now() + duration;
  for (;;) {
    int wait_ms = -1;
    if (duration.count() > 0) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return 0;  // the daemon has dropped the timed requests
      wait_ms = static_cast<int>(left.count());
    }
    pollfd fds[2] = {{sfd, POLLIN, 0}, {perfqos_fd(c.get()), POLLIN, 0}};
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
      return fail("poll: " + std::string(strerror(errno)));
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(sfd, &info, sizeof info) == sizeof info && info.ssi_signo != SIGCHLD) return 0;
    }
    if (fds[1].revents) {
      perfqos_event ev;
      const int rc = perfqos_next_event(c.get(), &ev, 0);
      if (rc < 0 && rc != -EAGAIN) return fail("lost perfqosd: " + c.error());
    }
  }
}

int cmd_run(const Options& o, const std::vector<std::string>& specs,
            const std::vector<std::string>& command) {
  if (command.empty()) return fail("run: give a command after --");
  sigset_t signals = forwarded_signals();
  sigset_t old_mask;
  sigprocmask(SIG_BLOCK, &signals, &old_mask);
  const int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
  Connection c;
  if (int rc = c.open(o)) return rc;
  if (int rc = add_specs(o, c, specs, std::chrono::milliseconds(0))) return rc;

  int exec_error[2];
  if (pipe2(exec_error, O_CLOEXEC) != 0) return fail("pipe: " + std::string(strerror(errno)));
  const pid_t child = fork();
  if (child < 0) return fail("fork: " + std::string(strerror(errno)));
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    std::vector<char*> argv;
    for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    const int err = errno;
    (void)!write(exec_error[1], &err, sizeof err);
    _exit(127);
  }
  close(exec_error[1]);
  int err = 0;
  if (read(exec_error[0], &err, sizeof err) == sizeof err) {
    waitpid(child, nullptr, 0);
    fail("cannot run '" + command[0] + "': " + strerror(err));
    return 127;
  }
  for (;;) {
    signalfd_siginfo info;
    if (read(sfd, &info, sizeof info) != sizeof info) continue;
    if (info.ssi_signo != SIGCHLD) {
      kill(child, static_cast<int>(info.ssi_signo));
      continue;
    }
    int status = 0;
    const pid_t done = waitpid(child, &status, WNOHANG);
    if (done != child) continue;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  }
}

std::string now_text() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm;
  localtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return std::string(buf) + "." + std::to_string(1000 + ms.count()).substr(1);
}

int cmd_monitor(const Options& o, const std::vector<std::string>& devices) {
  Connection c;
  if (int rc = c.open(o)) return rc;
  std::vector<const char*> names;
  for (const std::string& d : devices) names.push_back(d.c_str());
  if (perfqos_subscribe(c.get(), names.data(), names.size()) < 0) return fail(c.error());
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  for (;;) {
    perfqos_event ev;
    const int rc = perfqos_next_event(c.get(), &ev, -1);
    if (rc < 0) return fail("lost perfqosd: " + c.error());
    if (o.json) {
      JsonWriter j;
      j.begin_object().field("time", now_text()).field("device", ev.device).field("knob", ev.knob);
      if (ev.new_value.is_range) {
        j.field("old_min", ev.old_value.min).field("old_max", ev.old_value.max);
        j.field("new_min", ev.new_value.min).field("new_max", ev.new_value.max);
      } else {
        j.field("old", ev.old_value.value).field("new", ev.new_value.value);
      }
      j.field("dropped", ev.dropped).end_object().print(stdout);
    } else {
      if (ev.dropped) std::printf("(%u events dropped)\n", ev.dropped);
      std::printf("%s %s.%s %s -> %s\n", now_text().c_str(), ev.device, ev.knob,
                  effective_text(ev.old_value, ev.knob).c_str(),
                  effective_text(ev.new_value, ev.knob).c_str());
    }
  }
}

// "floor 100, cap 300" for the limits of one knob; "" when it has none.
std::string limits_text(const perfqos_cgroup_info& d) {
  std::string text;
  for (std::size_t i = 0; i < d.limit_count; ++i) {
    const perfqos_cgroup_limit& l = d.limits[i];
    const KnobId id = knob_id_of(l.knob);
    std::string one = std::string(l.knob) + ":";
    if (l.has_floor) one += " floor " + format_value(id, l.floor);
    if (l.has_cap) one += std::string(l.has_floor ? "," : "") + " cap " + format_value(id, l.cap);
    text += (text.empty() ? "" : "; ") + one;
  }
  return text;
}

int cmd_status(const Options& o, const std::string& device) {
  Connection c;
  if (int rc = c.open(o)) return rc;
  perfqos_holder_info* holders = nullptr;
  std::size_t n = 0;
  if (perfqos_status(c.get(), device.c_str(), &holders, &n) < 0) return fail(c.error());
  perfqos_cgroup_info* groups = nullptr;
  std::size_t g = 0;
  if (perfqos_cgroup_data(c.get(), device.c_str(), &groups, &g) < 0) {
    perfqos_free(holders);
    return fail(c.error());
  }
  static constexpr const char* kKinds[] = {"connection", "fuse", "cgroup", "internal"};
  if (o.json) {
    JsonWriter j;
    j.begin_object().key("requests").begin_array();
    for (std::size_t i = 0; i < n; ++i) {
      const perfqos_holder_info& h = holders[i];
      j.begin_object().field("device", h.device).field("knob", h.knob);
      j.field("end", h.end == PERFQOS_END_MIN ? "min" : h.end == PERFQOS_END_MAX ? "max" : "");
      j.field("value", h.value).field("request_id", h.request_id).field("binding", h.binding != 0);
      j.field("holder", kKinds[h.holder_kind & 3]).field("pid", h.pid).field("uid", h.uid);
      j.field("gid", h.gid).field("comm", h.comm).field("cgroup", h.cgroup).field("label", h.label);
      j.field("remaining_ms", h.remaining_ms).end_object();
    }
    j.end_array().key("cgroup_data").begin_array();
    for (std::size_t i = 0; i < g; ++i) {
      const perfqos_cgroup_info& d = groups[i];
      j.begin_object().field("device", d.device).field("cgroup", d.cgroup);
      j.key("limits").begin_array();
      for (std::size_t k = 0; k < d.limit_count; ++k) {
        const perfqos_cgroup_limit& l = d.limits[k];
        j.begin_object().field("knob", l.knob);
        if (l.has_floor) j.field("floor", l.floor);
        if (l.has_cap) j.field("cap", l.cap);
        j.end_object();
      }
      j.end_array().field("admitted", d.admitted).field("refused", d.refused).end_object();
    }
    j.end_array().end_object().print(stdout);
  } else {
    TextTable t({"DEVICE", "KNOB", "VALUE", "BINDING", "HOLDER", "PID", "UID", "COMM", "CGROUP",
                 "EXPIRES"});
    for (std::size_t i = 0; i < n; ++i) {
      const perfqos_holder_info& h = holders[i];
      const char* knob = h.end == PERFQOS_END_MIN   ? "min"
                         : h.end == PERFQOS_END_MAX ? "max"
                                                    : h.knob;
      t.add({h.device, knob, format_value(knob_id_of(h.knob), h.value), h.binding ? "yes" : "",
             kKinds[h.holder_kind & 3], std::to_string(h.pid), std::to_string(h.uid), h.comm,
             h.cgroup, h.remaining_ms ? std::to_string(h.remaining_ms) + " ms" : ""});
    }
    t.print(stdout);
    if (g > 0) {
      std::printf("\nper-cgroup data:\n");
      TextTable d({"DEVICE", "CGROUP", "ADMITTED", "REFUSED", "CAPS AND FLOORS"});
      for (std::size_t i = 0; i < g; ++i) {
        d.add({groups[i].device, groups[i].cgroup, std::to_string(groups[i].admitted),
               std::to_string(groups[i].refused), limits_text(groups[i])});
      }
      d.print(stdout);
    }
  }
  perfqos_free(holders);
  perfqos_free(groups);
  return 0;
}

int cmd_bind(const Options& o, const std::string& cgroup, const std::vector<std::string>& texts) {
  Connection c;
  if (int rc = c.open(o)) return rc;
  std::vector<ResolvedSpec> specs;
  if (int rc = resolve_specs(c, texts, &specs)) return rc;
  for (const ResolvedSpec& r : specs) {
    std::uint32_t id = 0;
    if (perfqos_bind(c.get(), cgroup.c_str(), r.spec.device.c_str(), r.knob.c_str(), r.value, &id,
                     nullptr) < 0) {
      return fail(c.error());
    }
    std::printf("%u\n", id);
  }
  return 0;
}

int cmd_unbind(const Options& o, std::uint32_t id) {
  Connection c;
  if (int rc = c.open(o)) return rc;
  if (perfqos_unbind(c.get(), id, nullptr) < 0) return fail(c.error());
  return 0;
}

int cmd_rescan(const Options& o) {
  Connection c;
  if (int rc = c.open(o)) return rc;
  std::uint32_t added = 0, removed = 0;
  if (perfqos_rescan(c.get(), &added, &removed) < 0) return fail(c.error());
  std::printf("%u devices added, %u removed\n", added, removed);
  return 0;
}

}  // namespace
}  // namespace perfqos::tools

int main(int argc, char** argv) {
  using namespace perfqos::tools;
  Options o;
  CLI::App app{
      "perfqosctl - talk to perfqosd, the perfqos QoS broker.\n\n"
      "SPEC is DEVICE=VALUE for a device's only knob (cpu_dma_latency=20) or DEVICE.KNOB=VALUE "
      "(cpu0.resume_latency=20, gpu.min=600, policy0.max=1800000, eth0.flags=no_power_off). "
      "VALUE is a number in the knob's unit (see `perfqosctl get DEVICE`), 'default' (-1), "
      "'any' for latency knobs, or flag names.\n\n"
      "Every request lives as long as the perfqosctl process that placed it.\n\n"
      "Environment: PERFQOS_SOCKET, the daemon's socket (default " PERFQOS_DEFAULT_SOCKET
      ").\n"
      "Exit status: 0 on success, 1 on an error, the command's status for `run`.",
      "perfqosctl"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "perfqosctl " PERFQOS_VERSION, "Print the version and exit");
  app.add_option("--socket", o.socket,
                 "perfqosd's socket (default: $PERFQOS_SOCKET or " PERFQOS_DEFAULT_SOCKET ")");
  app.add_option("--timeout", o.timeout_ms, "Milliseconds to wait for the daemon's replies")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();

  auto* list = app.add_subcommand("list", "List the devices, their knobs and effective values");
  list->add_flag("--json", o.json, "One JSON array");

  std::string device;
  auto* get = app.add_subcommand("get", "Describe one device: knobs, units, allowed values");
  get->add_option("DEVICE", device, "Device name")->required();
  get->add_flag("--json", o.json, "One JSON object");

  std::vector<std::string> specs;
  std::string for_text;
  auto* hold = app.add_subcommand(
      "hold", "Place requests and hold them until SIGINT/SIGTERM/SIGHUP (or --for elapses)");
  hold->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE")->required();
  hold->add_option("--for", for_text, "Hold for DURATION (250ms, 10s, 5m, 1h): timed requests");

  std::vector<std::string> command;
  auto* run = app.add_subcommand(
      "run", "Hold requests while CMD runs; forward signals to it; exit with its status");
  run->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE")->required();
  run->add_option("CMD", command, "The command and its arguments, after --");
  run->positionals_at_end();

  std::vector<std::string> devices;
  auto* monitor = app.add_subcommand("monitor", "Print every change of effective values");
  monitor->add_option("DEVICE", devices, "Devices to watch (default: all)");
  monitor->add_flag("--json", o.json, "One JSON object per line");

  auto* status = app.add_subcommand(
      "status",
      "List every request with its holder, then the per-cgroup data (each device's counters, "
      "caps and floors for every cgroup whose members asked it for something); --json prints "
      "{\"requests\": [...], \"cgroup_data\": [...]}");
  status->add_option("DEVICE", device, "Only this device");
  status->add_flag("--json", o.json, "One JSON array");

  std::string cgroup;
  auto* bind = app.add_subcommand("bind", "Hold requests while a cgroup (v2) is populated");
  bind->add_option("CGROUP", cgroup, "cgroup path relative to the cgroup2 mount")->required();
  bind->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE")->required();
  std::uint32_t binding = 0;
  auto* unbind = app.add_subcommand("unbind", "Remove a cgroup binding");
  unbind->add_option("ID", binding, "The id `bind` printed")->required();
  auto* rescan = app.add_subcommand("rescan", "Ask perfqosd to rediscover devices");

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
    return app.exit(e);
  }

  if (*list) return cmd_list(o);
  if (*get) return cmd_get(o, device);
  if (*hold) return cmd_hold(o, specs, for_text);
  if (*run) return cmd_run(o, specs, command);
  if (*monitor) return cmd_monitor(o, devices);
  if (*status) return cmd_status(o, device);
  if (*bind) return cmd_bind(o, cgroup, specs);
  if (*unbind) return cmd_unbind(o, binding);
  if (*rescan) return cmd_rescan(o);
  return 2;
}
