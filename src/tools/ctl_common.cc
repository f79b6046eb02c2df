// perfqosctl's shared pieces (ctl_common.h).
#include "tools/ctl_common.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "model/knob.h"
#include "model/value_text.h"
#include "tools/cpu_devices.h"
#include "tools/cpu_set_spec.h"
#include "tools/suggest.h"

namespace perfqos::tools {

int fail(const std::string& message) {
  std::fprintf(stderr, "perfqosctl: %s\n", message.c_str());
  return kExitError;
}

void print_json(const Json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
  std::fflush(stdout);
}

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

namespace {

std::vector<std::string> device_names(Client& c) {
  std::vector<perfqos_device_info> devices;
  std::vector<std::string> names;
  if (c.list(&devices).ok()) {
    for (const perfqos_device_info& d : devices) names.emplace_back(d.name);
  }
  return names;
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

}  // namespace

std::string no_device(Client& c, const std::string& name, const std::string& message) {
  const std::string hint = did_you_mean(suggestions(name, device_names(c)));
  return message + ": " + (hint.empty() ? "`perfqosctl list` shows the devices" : hint);
}

int fail_on(Client& c, const std::string& device, const client::Status& s) {
  if (s.code() == ENODEV && !device.empty()) return fail(no_device(c, device, s.message()));
  return fail(s.message());
}

std::string joined(const std::vector<std::string>& v) {
  std::string text;
  for (const std::string& s : v) text += (text.empty() ? "" : ", ") + s;
  return text;
}

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

std::string allowed_text(const perfqos_knob_info& k, const KnobValues& v) {
  if (k.list_type == PERFQOS_LIST_FLAGS) return "no_power_off, none";
  if (is_named_knob(v.id)) return v.choices.empty() ? "?" : join_choices(v.choices);
  return std::to_string(v.min_request) + ".." + std::to_string(v.max_request);
}

void KnobUnits::add(const perfqos_device_info& d, const ChoiceBook& book) {
  for (std::size_t k = 0; k < d.knob_count; ++k) {
    knobs_[std::string(d.name) + "." + d.knobs[k].name] = book.values(d.name, d.knobs[k]);
  }
}

KnobValues KnobUnits::of(const std::string& device, const char* knob) const {
  auto it = knobs_.find(device + "." + knob);
  if (it != knobs_.end()) return it->second;
  KnobValues v;
  RangeEnd end;
  if (!parse_knob_name(knob, &v.id, &end)) v.id = KnobId::kRange;
  return v;
}

int knob_units(Client& c, KnobUnits* units) {
  std::vector<perfqos_device_info> devices;
  if (client::Status s = c.list(&devices); !s.ok()) return fail("list: " + s.message());
  ChoiceBook book;
  if (client::Status s = book.load(c, devices); !s.ok()) return fail("list: " + s.message());
  for (const perfqos_device_info& d : devices) units->add(d, book);
  return 0;
}

const char* end_name(perfqos_end end) {
  return end == PERFQOS_END_MIN ? "min" : end == PERFQOS_END_MAX ? "max" : "";
}

int resolve_specs(Client& c, const std::vector<std::string>& written,
                  std::vector<ResolvedSpec>* out, const std::string& cpus_of) {
  std::vector<std::string> texts;  // cpus[LIST].KNOB=V is one SPEC per listed CPU
  if (Status s = expand_cpu_sets(written, kMaxRequestsPerCommand, &texts); !s.ok())
    return fail(s.message());
  bool on_cpus_of = false;
  for (const std::string& text : texts) {
    ResolvedSpec r;
    if (Status s = parse_request_spec(text, &r.spec); !s.ok()) return fail(s.message());
    perfqos_device_info d;
    if (r.spec.device == kCpusDevice) {
      // The CPUs of a cgroup: the value is read as the knob of the first CPU the daemon has.
      if (cpus_of.empty()) {
        return fail("'" + text +
                    "': 'cpus' stands for the CPUs of a cgroup: give --cpus-of CGROUP, or list "
                    "them as cpus[LIST]." +
                    r.spec.knob + "=" + r.spec.value);
      }
      if (r.spec.knob != "resume_latency" && r.spec.knob != "flags") {
        return fail("'" + text + "': on a cgroup's CPUs the knob is resume_latency or flags");
      }
      std::vector<perfqos_device_info> devices;
      if (client::Status s = c.list(&devices); !s.ok()) return fail("list: " + s.message());
      const perfqos_device_info* cpu = first_cpu_with_knob(devices, r.spec.knob);
      if (cpu == nullptr) {
        return fail("'" + text + "': perfqosd has no CPU with a " + r.spec.knob + " knob");
      }
      d = *cpu;
      on_cpus_of = true;
    } else if (client::Status s = c.describe(r.spec.device, &d); !s.ok()) {
      // DEVICE.NOTAKNOB=V reads as a device named "DEVICE.NOTAKNOB": try it as a knob typo.
      const std::size_t dot = r.spec.device.rfind('.');
      if (s.code() == ENODEV && dot != std::string::npos &&
          c.describe(r.spec.device.substr(0, dot), &d).ok()) {
        return fail("'" + text + "': " + no_knob(d, r.spec.device.substr(dot + 1)));
      }
      return fail_on(c, r.spec.device, s);
    }
    ChoiceBook book;
    if (client::Status s = book.load(c, d); !s.ok()) return fail(s.message());
    KnobId id = KnobId::kLatency;
    RangeEnd end = RangeEnd::kMin;
    const perfqos_knob_info* knob = nullptr;
    if (r.spec.knob.empty()) {
      if (d.knob_count != 1 || d.knobs[0].list_type == PERFQOS_LIST_RANGE) {
        std::string names;
        for (std::size_t k = 0; k < d.knob_count; ++k) {
          const std::string name = d.knobs[k].name;
          const bool range = d.knobs[k].list_type == PERFQOS_LIST_RANGE;
          names += std::string(names.empty() ? "" : ", ") + (!range ? name
                                                             : name == "range"
                                                                 ? "min, max"
                                                                 : name + ".min, " + name + ".max");
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
    r.values = book.values(d.name, *knob);
    const std::string what = r.spec.device + "." + knob_request_name(id, end);
    if (Status s = parse_knob_value(r.values, r.spec.value, what, &r.value); !s.ok()) {
      return fail(s.message());
    }
    out->push_back(std::move(r));
  }
  if (!cpus_of.empty() && !on_cpus_of) {
    return fail("--cpus-of " + cpus_of +
                ": give the requests for its CPUs as cpus.KNOB=VALUE (cpus.resume_latency=0)");
  }
  return 0;
}

}  // namespace perfqos::tools
