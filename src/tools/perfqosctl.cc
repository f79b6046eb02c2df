// perfqosctl: the command-line client of perfqosd. One file (~830 lines) for now: each
// subcommand is one function of 20-80 lines over client.hpp, and main() wires them to CLI11;
// they move to one file per subcommand when explain and top join them (issue #20).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/knob.h"
#include "perfqos/client.hpp"
#include "tools/request_spec.h"
#include "tools/suggest.h"
#include "tools/text_table.h"
#include "tools/value_input.h"

#ifndef PERFQOS_VERSION
#define PERFQOS_VERSION "unknown"  // cmake/PerfqosInstall.cmake defines it
#endif

namespace perfqos::tools {
namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;  // CLI11's parse errors, a missing command after `run --`

using client::Client;
using Json = nlohmann::ordered_json;  // keys in the order written, as the output always had

struct Options {
  std::string socket;  // "" = $PERFQOS_SOCKET or the default
  int timeout_ms = PERFQOS_DEFAULT_TIMEOUT_MS;
  bool json = false;
  bool quiet = false;         // hold, run: nothing on stderr but errors
  bool transient = false;     // bind: ends when the cgroup empties after being populated
  client::Client::Note note;  // hold, run, bind --transient: --reason, --app-id
};

int fail(const std::string& message) {
  std::fprintf(stderr, "perfqosctl: %s\n", message.c_str());
  return kExitError;
}

// One JSON value per line; strings that are not UTF-8 (a comm) are repaired, not fatal.
void print_json(const Json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
  std::fflush(stdout);
}

// The socket perfqosctl tries: --socket, else $PERFQOS_SOCKET, else the default.
std::string socket_path(const Options& o) {
  if (!o.socket.empty()) return o.socket;
  const char* env = std::getenv(PERFQOS_SOCKET_ENV);
  return env != nullptr && env[0] != '\0' ? env : PERFQOS_DEFAULT_SOCKET;
}

int connect(const Options& o, Client* c) {
  const std::string path = socket_path(o);
  client::Status s = Client::connect(c, path.c_str(), o.timeout_ms);
  if (s.ok()) return 0;
  std::string message = "cannot reach perfqosd: " + s.message();
  if (s.code() == ENOENT || s.code() == ECONNREFUSED) {
    message +=
        "\nperfqosctl: is perfqosd running? Start it with `systemctl start perfqosd`, or "
        "run `perfqosd --socket " +
        path +
        "` (from a source tree: `./dev run`); or name "
        "the socket of a running one with --socket or $" PERFQOS_SOCKET_ENV;
  }
  return fail(message);
}

std::vector<std::string> device_names(Client& c) {
  std::vector<perfqos_device_info> devices;
  std::vector<std::string> names;
  if (c.list(&devices).ok()) {
    for (const perfqos_device_info& d : devices) names.emplace_back(d.name);
  }
  return names;
}

// The daemon's "no device 'NAME'" with the nearest device names, or how to list them.
std::string no_device(Client& c, const std::string& name, const std::string& message) {
  const std::string hint = did_you_mean(suggestions(name, device_names(c)));
  return message + ": " + (hint.empty() ? "`perfqosctl list` shows the devices" : hint);
}

// A failure about `device`: ENODEV gets the nearest device names.
int fail_on(Client& c, const std::string& device, const client::Status& s) {
  if (s.code() == ENODEV && !device.empty()) return fail(no_device(c, device, s.message()));
  return fail(s.message());
}

// The knob names of `d` as a SPEC writes them: "latency", "min, max" for a range.
std::vector<std::string> spec_knob_names(const perfqos_device_info& d) {
  std::vector<std::string> names;
  for (std::size_t k = 0; k < d.knob_count; ++k) {
    if (d.knobs[k].list_type == PERFQOS_LIST_RANGE) {
      names.insert(names.end(), {"min", "max"});
    } else {
      names.emplace_back(d.knobs[k].name);
    }
  }
  return names;
}

std::string joined(const std::vector<std::string>& v) {
  std::string text;
  for (const std::string& s : v) text += (text.empty() ? "" : ", ") + s;
  return text;
}

// "DEVICE has no knob 'KNOB': did you mean K? (DEVICE has K1, K2)".
std::string no_knob(const perfqos_device_info& d, const std::string& knob) {
  const std::vector<std::string> names = spec_knob_names(d);
  const std::string hint = did_you_mean(suggestions(knob, names));
  return std::string(d.name) + " has no knob '" + knob + "'" + (hint.empty() ? "" : ": " + hint) +
         " (" + d.name + " has " + joined(names) + ")";
}

const char* list_type_name(perfqos_list_type t) {
  static constexpr const char* kNames[] = {"min", "max", "sum", "flags", "range"};
  return static_cast<unsigned>(t) < 5 ? kNames[t] : "?";
}

// The valid requests of a knob in words, in its unit.
std::string allowed_text(const perfqos_knob_info& k) {
  if (k.list_type == PERFQOS_LIST_FLAGS) return "no_power_off, none";
  const KnobValues v = KnobValues::of(k);
  return std::to_string(v.min_request) + ".." + std::to_string(v.max_request);
}

// The units of the knobs of every device, to show values of status and monitor.
class KnobUnits {
 public:
  void add(const perfqos_device_info& d) {
    for (std::size_t k = 0; k < d.knob_count; ++k) {
      knobs_[std::string(d.name) + "." + d.knobs[k].name] = KnobValues::of(d.knobs[k]);
    }
  }
  // `knob` as the daemon names it ("range" for both ends). Unknown knobs: no unit.
  KnobValues of(const std::string& device, const char* knob) const {
    auto it = knobs_.find(device + "." + knob);
    if (it != knobs_.end()) return it->second;
    KnobValues v;
    RangeEnd end;
    if (!parse_knob_name(knob, &v.id, &end)) v.id = KnobId::kRange;
    return v;
  }

 private:
  std::map<std::string, KnobValues> knobs_;
};

Json json_knob(const perfqos_knob_info& k) {
  Json j{{"name", k.name}, {"type", list_type_name(k.list_type)}, {"unit", k.unit}};
  if (k.effective.is_range) {
    j["effective_min"] = k.effective.min;
    j["effective_max"] = k.effective.max;
    j["limit_min"] = k.limit_min;
    j["limit_max"] = k.limit_max;
  } else {
    j["effective"] = k.effective.value;
    j["default"] = k.default_value;
    j["no_constraint"] = k.no_constraint_value;
    j["min_request"] = k.min_request;
    j["max_request"] = k.max_request;
  }
  j["requests"] = k.active_requests;
  return j;
}

Json json_device(const perfqos_device_info& d) {
  Json j{{"name", d.name},
         {"kind", d.kind},
         {"parent", d.parent},
         {"perf_unit", d.perf_unit},
         {"error_count", d.error_count},
         {"last_errno", d.last_errno},
         {"last_error", d.last_error},
         {"knobs", Json::array()}};
  for (std::size_t i = 0; i < d.knob_count; ++i) j["knobs"].push_back(json_knob(d.knobs[i]));
  return j;
}

int cmd_list(const Options& o) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<perfqos_device_info> devices;
  if (client::Status s = c.list(&devices); !s.ok()) return fail("list: " + s.message());
  if (o.json) {
    Json j = Json::array();
    for (const perfqos_device_info& d : devices) j.push_back(json_device(d));
    print_json(j);
    return 0;
  }
  TextTable t({"DEVICE", "KIND", "KNOB", "EFFECTIVE", "UNIT", "REQUESTS", "ALLOWED"});
  for (const perfqos_device_info& d : devices) {
    for (std::size_t k = 0; k < d.knob_count; ++k) {
      const perfqos_knob_info& knob = d.knobs[k];
      t.add({k == 0 ? d.name : "", k == 0 ? d.kind : "", knob.name,
             show_effective(KnobValues::of(knob), knob.effective, false), knob.unit,
             std::to_string(knob.active_requests), allowed_text(knob)});
    }
  }
  t.print(stdout);
  return 0;
}

int cmd_get(const Options& o, const std::string& device) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  perfqos_device_info d;
  if (client::Status s = c.describe(device, &d); !s.ok()) return fail_on(c, device, s);
  if (o.json) {
    print_json(json_device(d));
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
    const KnobValues v = KnobValues::of(knob);
    const std::string def =
        knob.list_type == PERFQOS_LIST_RANGE ? "none" : show_value(v, knob.no_constraint_value);
    const std::string units = accepted_units(v);
    t.add({knob.name, list_type_name(knob.list_type), show_effective(v, knob.effective, false),
           knob.unit, def,
           allowed_text(knob) + " or none" + (units.empty() ? "" : " (" + units + ")"),
           std::to_string(knob.active_requests)});
  }
  t.print(stdout);
  return 0;
}

// A SPEC resolved against the daemon's description of its device.
struct ResolvedSpec {
  RequestSpec spec;
  std::string knob;  // the knob name to send ("" = the device's only knob)
  KnobValues values;
  std::int32_t value = 0;
  std::string target() const { return spec.device + (knob.empty() ? "" : "." + knob); }
};

int resolve_specs(Client& c, const std::vector<std::string>& texts,
                  std::vector<ResolvedSpec>* out) {
  for (const std::string& text : texts) {
    ResolvedSpec r;
    if (Status s = parse_request_spec(text, &r.spec); !s.ok()) return fail(s.message());
    perfqos_device_info d;
    if (client::Status s = c.describe(r.spec.device, &d); !s.ok()) {
      // DEVICE.NOTAKNOB=V reads as a device named "DEVICE.NOTAKNOB": try it as a knob typo.
      const std::size_t dot = r.spec.device.rfind('.');
      if (s.code() == ENODEV && dot != std::string::npos &&
          c.describe(r.spec.device.substr(0, dot), &d).ok()) {
        return fail("'" + text + "': " + no_knob(d, r.spec.device.substr(dot + 1)));
      }
      return fail_on(c, r.spec.device, s);
    }
    KnobId id = KnobId::kLatency;
    RangeEnd end = RangeEnd::kMin;
    const perfqos_knob_info* knob = nullptr;
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
      knob = &d.knobs[0];
      id = KnobValues::of(*knob).id;
    } else {
      parse_knob_name(r.spec.knob, &id, &end);
      r.knob = r.spec.knob;
      for (std::size_t k = 0; k < d.knob_count; ++k) {
        if (KnobValues::of(d.knobs[k]).id == id) knob = &d.knobs[k];
      }
      if (knob == nullptr) return fail("'" + text + "': " + no_knob(d, r.spec.knob));
    }
    r.values = KnobValues::of(*knob);
    const std::string what = r.spec.device + "." + knob_request_name(id, end);
    if (Status s = parse_knob_value(r.values, r.spec.value, what, &r.value); !s.ok()) {
      return fail(s.message());
    }
    out->push_back(std::move(r));
  }
  return 0;
}

// Adds every SPEC on `c`, timed when `duration` > 0, into `held`; says what it holds.
int add_specs(const Options& o, Client& c, const std::vector<std::string>& texts,
              std::chrono::milliseconds duration, std::vector<client::HeldRequest>* held) {
  std::vector<ResolvedSpec> specs;
  if (int rc = resolve_specs(c, texts, &specs)) return rc;
  for (const ResolvedSpec& r : specs) {
    perfqos_change change{};
    client::HeldRequest request;
    client::Status s = c.add(r.spec.device, r.knob, r.value, o.note, &request, &change,
                             static_cast<std::uint32_t>(duration.count()));
    if (!s.ok()) return fail(s.message());
    if (!o.json && !o.quiet) {
      std::fprintf(stderr, "perfqosctl: holding %s=%s (request %u; effective now %s)\n",
                   r.target().c_str(), r.spec.value.c_str(), request.id(),
                   show_effective(r.values, change.effective, true).c_str());
    }
    held->push_back(std::move(request));
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
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<client::HeldRequest> held;
  if (int rc = add_specs(o, c, specs, duration, &held)) return rc;
  const auto until = std::chrono::steady_clock::now() + duration;
  for (;;) {
    int wait_ms = -1;
    if (duration.count() > 0) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) {  // the daemon has dropped the timed requests
        for (client::HeldRequest& r : held) r.release();
        return 0;
      }
      wait_ms = static_cast<int>(left.count());
    }
    pollfd fds[2] = {{sfd, POLLIN, 0}, {c.fd(), POLLIN, 0}};
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
      return fail("poll: " + std::string(strerror(errno)));
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(sfd, &info, sizeof info) == sizeof info && info.ssi_signo != SIGCHLD) return 0;
    }
    if (fds[1].revents) {
      perfqos_event ev;
      client::Status s = c.next_event(&ev, 0);
      if (!s.ok() && s.code() != EAGAIN) return fail("lost perfqosd: " + s.message());
    }
  }
}

// `run`'s default reason: the command line, cut at a character boundary to the limit (with
// "..." when cut), control characters shown as spaces.
std::string command_reason(const std::vector<std::string>& command) {
  std::string line;
  for (const std::string& a : command) {
    if (!line.empty()) line += ' ';
    for (unsigned char ch : a) line += (ch < 0x20 || ch == 0x7f) ? ' ' : static_cast<char>(ch);
  }
  if (line.size() <= PERFQOS_MAX_REASON) return line;
  std::size_t cut = PERFQOS_MAX_REASON - 3;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xc0) == 0x80) --cut;
  return line.substr(0, cut) + "...";
}

int cmd_run(Options o, const std::vector<std::string>& specs,
            const std::vector<std::string>& command) {
  if (command.empty()) {
    fail("run: give a command after --");
    return kExitUsage;
  }
  if (o.note.reason.empty()) o.note.reason = command_reason(command);
  sigset_t signals = forwarded_signals();
  sigset_t old_mask;
  sigprocmask(SIG_BLOCK, &signals, &old_mask);
  const int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<client::HeldRequest> held;
  if (int rc = add_specs(o, c, specs, std::chrono::milliseconds(0), &held)) return rc;

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

// Now in local time, and its milliseconds as three digits ("042").
std::string local_now(std::tm* tm) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  localtime_r(&t, tm);
  return std::to_string(1000 + ms.count()).substr(1);
}

std::string now_text() {
  std::tm tm;
  const std::string ms = local_now(&tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return std::string(buf) + "." + ms;
}

// Now as RFC 3339 with milliseconds and the local zone: 2026-12-02T12:43:17.123+00:00.
std::string rfc3339_now() {
  std::tm tm;
  const std::string ms = local_now(&tm);
  char date[40];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  const long offset_min = tm.tm_gmtoff / 60;
  const long abs_min = offset_min < 0 ? -offset_min : offset_min;
  char zone[40];
  std::snprintf(zone, sizeof zone, "%c%02ld:%02ld", offset_min < 0 ? '-' : '+', abs_min / 60,
                abs_min % 60);
  return std::string(date) + "." + ms + zone;
}

// The units of every device's knobs (one LIST), for status and monitor.
int knob_units(Client& c, KnobUnits* units) {
  std::vector<perfqos_device_info> devices;
  if (client::Status s = c.list(&devices); !s.ok()) return fail("list: " + s.message());
  for (const perfqos_device_info& d : devices) units->add(d);
  return 0;
}

int cmd_monitor(const Options& o, const std::vector<std::string>& devices) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  KnobUnits units;
  if (int rc = knob_units(c, &units)) return rc;
  if (client::Status s = c.subscribe(devices); !s.ok()) {
    for (const std::string& d : devices) {  // which one the daemon does not know
      perfqos_device_info info;
      if (c.describe(d, &info).code() == ENODEV) return fail(no_device(c, d, s.message()));
    }
    return fail(s.message());
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  for (;;) {
    perfqos_event ev;
    if (client::Status s = c.next_event(&ev, -1); !s.ok()) {
      return fail("lost perfqosd: " + s.message());
    }
    const KnobValues knob = units.of(ev.device, ev.knob);
    if (o.json) {
      Json j{{"time", rfc3339_now()}, {"device", ev.device}, {"knob", ev.knob}};
      if (ev.new_value.is_range) {
        j["old_min"] = ev.old_value.min;
        j["old_max"] = ev.old_value.max;
        j["new_min"] = ev.new_value.min;
        j["new_max"] = ev.new_value.max;
      } else {
        j["old"] = ev.old_value.value;
        j["new"] = ev.new_value.value;
      }
      j["unit"] = knob.unit;
      j["dropped"] = ev.dropped;
      print_json(j);
    } else {
      if (ev.dropped) std::printf("(%u events dropped)\n", ev.dropped);
      std::printf("%s %s.%s %s -> %s\n", now_text().c_str(), ev.device, ev.knob,
                  show_effective(knob, ev.old_value, true).c_str(),
                  show_effective(knob, ev.new_value, true).c_str());
    }
  }
}

// "min: floor 100, cap 300 normal" for the limits of one cgroup; "" when it has none.
std::string limits_text(const perfqos_cgroup_info& d, const KnobUnits& units) {
  std::string text;
  for (std::size_t i = 0; i < d.limit_count; ++i) {
    const perfqos_cgroup_limit& l = d.limits[i];
    const bool end = std::string_view(l.knob) == "min" || std::string_view(l.knob) == "max";
    const KnobValues knob = units.of(d.device, end ? "range" : l.knob);
    std::string one = std::string(l.knob) + ":";
    if (l.has_floor) one += " floor " + show_value_with_unit(knob, l.floor);
    if (l.has_cap) {
      one += std::string(l.has_floor ? "," : "") + " cap " + show_value_with_unit(knob, l.cap);
    }
    text += (text.empty() ? "" : "; ") + one;
  }
  return text;
}

constexpr const char* kHolderKinds[] = {"connection", "fuse", "cgroup", "internal"};

const char* end_name(perfqos_end end) {
  return end == PERFQOS_END_MIN ? "min" : end == PERFQOS_END_MAX ? "max" : "";
}

Json json_status(const std::vector<perfqos_holder_note_info>& holders,
                 const std::vector<perfqos_cgroup_info>& groups, const KnobUnits& units) {
  Json requests = Json::array();
  for (const perfqos_holder_note_info& n : holders) {
    const perfqos_holder_info& h = n.holder;
    requests.push_back(Json{{"device", h.device},
                            {"knob", h.knob},
                            {"end", end_name(h.end)},
                            {"value", h.value},
                            {"unit", units.of(h.device, h.knob).unit},
                            {"request_id", h.request_id},
                            {"binding", h.binding != 0},
                            {"holder", kHolderKinds[h.holder_kind & 3]},
                            {"pid", h.pid},
                            {"uid", h.uid},
                            {"gid", h.gid},
                            {"comm", h.comm},
                            {"cgroup", h.cgroup},
                            {"label", h.label},
                            {"remaining_ms", h.remaining_ms},
                            {"app_id", n.app_id},
                            {"reason", n.reason}});
  }
  Json data = Json::array();
  for (const perfqos_cgroup_info& d : groups) {
    Json limits = Json::array();
    for (std::size_t k = 0; k < d.limit_count; ++k) {
      const perfqos_cgroup_limit& l = d.limits[k];
      Json one{{"knob", l.knob}};
      if (l.has_floor) one["floor"] = l.floor;
      if (l.has_cap) one["cap"] = l.cap;
      limits.push_back(std::move(one));
    }
    data.push_back(Json{{"device", d.device},
                        {"cgroup", d.cgroup},
                        {"limits", std::move(limits)},
                        {"admitted", d.admitted},
                        {"refused", d.refused}});
  }
  return Json{{"requests", std::move(requests)}, {"cgroup_data", std::move(data)}};
}

int cmd_status(const Options& o, const std::string& device) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<perfqos_holder_note_info> holders;
  if (client::Status s = c.holders(device, &holders); !s.ok()) return fail_on(c, device, s);
  std::vector<perfqos_cgroup_info> groups;
  if (client::Status s = c.cgroup_data(device, &groups); !s.ok()) return fail(s.message());
  KnobUnits units;
  if (int rc = knob_units(c, &units)) return rc;
  if (o.json) {
    print_json(json_status(holders, groups, units));
    return 0;
  }
  TextTable t({"DEVICE", "KNOB", "VALUE", "SETS", "HOLDER", "PID", "UID", "COMM", "CGROUP",
               "EXPIRES", "APP", "REASON"});
  for (const perfqos_holder_note_info& n : holders) {
    const perfqos_holder_info& h = n.holder;
    const char* knob = h.end != PERFQOS_END_NONE ? end_name(h.end) : h.knob;
    t.add({h.device, knob, show_value_with_unit(units.of(h.device, h.knob), h.value),
           h.binding ? "yes" : "", kHolderKinds[h.holder_kind & 3], std::to_string(h.pid),
           std::to_string(h.uid), h.comm, h.cgroup,
           h.remaining_ms ? std::to_string(h.remaining_ms) + " ms" : "", n.app_id, n.reason});
  }
  t.print(stdout);
  if (!groups.empty()) {
    std::printf("\nper-cgroup data:\n");
    TextTable d({"DEVICE", "CGROUP", "ADMITTED", "REFUSED", "CAPS AND FLOORS"});
    for (const perfqos_cgroup_info& g : groups) {
      d.add({g.device, g.cgroup, std::to_string(g.admitted), std::to_string(g.refused),
             limits_text(g, units)});
    }
    d.print(stdout);
  }
  return 0;
}

int cmd_bind(const Options& o, const std::string& cgroup, const std::vector<std::string>& texts) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<ResolvedSpec> specs;
  if (int rc = resolve_specs(c, texts, &specs)) return rc;
  for (const ResolvedSpec& r : specs) {
    std::uint32_t id = 0;
    const client::Status s =
        o.transient ? c.bind_transient(cgroup, r.spec.device, r.knob, r.value, o.note, &id)
                    : c.bind(cgroup, r.spec.device, r.knob, r.value, &id);
    if (!s.ok()) return fail(s.message());
    std::printf("%u\n", id);
  }
  return 0;
}

int cmd_unbind(const Options& o, std::uint32_t id) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  if (client::Status s = c.unbind(id); !s.ok()) return fail(s.message());
  return 0;
}

int cmd_rescan(const Options& o) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::uint32_t added = 0, removed = 0;
  if (client::Status s = c.rescan(&added, &removed); !s.ok()) return fail(s.message());
  std::printf("%u devices added, %u removed\n", added, removed);
  return 0;
}

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
  hold->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE")->required();
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

  std::vector<std::string> command;
  auto* run = app.add_subcommand(
      "run", "Hold requests while CMD runs; forward signals to it; exit with its status");
  run->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE")->required();
  run->add_option("CMD", command, "The command and its arguments, after --");
  run->add_flag("-q,--quiet", quiet, "Do not say what is held (errors are still printed)");
  add_note_options(run);
  run->positionals_at_end();

  std::vector<std::string> devices;
  auto* monitor = app.add_subcommand("monitor", "Print every change of effective values");
  monitor->add_option("DEVICE", devices, "Devices to watch (default: all)");
  monitor->footer(
      "\nText: one line per change, 'HH:MM:SS.mmm DEVICE.KNOB OLD -> NEW' (values as in "
      "status).\n--json: one object per change: time (RFC 3339 with milliseconds and the zone, "
      "2026-12-02T12:43:17.123+00:00), device, knob, old and new (ranges: old_min, "
      "old_max, new_min, new_max; integers in the knob's unit), unit, dropped (changes lost "
      "just before this one)." +
      globals);

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
      "its members the policy admitted and refused), CAPS AND FLOORS.\n\n"
      "--json prints one object {\"requests\": [...], \"cgroup_data\": [...]}. Each request: "
      "device, knob (\"range\" for either end), end (\"min\", \"max\" or \"\"), value (integer in "
      "the knob's unit, -1 = default), unit, request_id, binding (true when it sets the "
      "effective value: SETS), holder, pid, uid, gid, comm, cgroup, label, remaining_ms (0 = "
      "untimed), app_id, reason (\"\" when not given). Each cgroup_data entry: device, cgroup, "
      "limits ([{knob, floor, cap}], floor "
      "and cap only when set), admitted, refused." +
      globals);

  std::string cgroup;
  auto* bind = app.add_subcommand("bind", "Hold requests while a cgroup (v2) is populated");
  bind->add_option("CGROUP", cgroup, "cgroup path relative to the cgroup2 mount")->required();
  bind->add_option("SPEC", specs, "DEVICE=VALUE or DEVICE.KNOB=VALUE")->required();
  auto* transient = bind->add_flag(
      "--transient", o.transient,
      "Remove the binding for good when the cgroup empties after having been populated, or is "
      "removed (a container's cgroup); needs a perfqosd speaking protocol version 3");
  bind->add_option("--reason", o.note.reason, "With --transient: why the requests are held")
      ->needs(transient);
  bind->add_option("--app-id", o.note.app_id, "With --transient: which application holds them")
      ->needs(transient);
  std::uint32_t binding = 0;
  auto* unbind = app.add_subcommand("unbind", "Remove a cgroup binding");
  unbind->add_option("ID", binding, "The id `bind` printed")->required();
  auto* rescan = app.add_subcommand("rescan", "Ask perfqosd to rediscover devices");

  // The global options are the app's; a subcommand passes what it does not know up to it.
  for (CLI::App* sub : {list, get, hold, run, monitor, status, bind, unbind, rescan}) {
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
  if (*run) return cmd_run(o, specs, command);
  if (*monitor) return cmd_monitor(o, devices);
  if (*status) return cmd_status(o, device);
  if (*bind) return cmd_bind(o, cgroup, specs);
  if (*unbind) return cmd_unbind(o, binding);
  if (*rescan) return cmd_rescan(o);
  return kExitUsage;
}
