// perfqosctl explain DEVICE[.KNOB] [VALUE]: who sets a knob's value, what bounds the caller's
// requests, and what a request of VALUE would do, as the daemon judges it (EXPLAIN, protocol
// version 3; perfqos_explain). The text is built here from the reply's fields; --json prints
// those fields with raw integers in the knob's unit.
#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "tools/commands.h"
#include "tools/suggest.h"

namespace perfqos::tools {
namespace {

// The knob `name` names on `d` ("" = its only knob; "min", "max", "range" = the range).
const perfqos_knob_info* find_knob(const perfqos_device_info& d, const std::string& name) {
  if (name.empty()) return d.knob_count == 1 ? &d.knobs[0] : nullptr;
  KnobId id{};
  RangeEnd end{};
  if (name == "range") {
    id = KnobId::kRange;
  } else if (!parse_knob_name(name, &id, &end)) {
    return nullptr;
  }
  for (std::size_t k = 0; k < d.knob_count; ++k) {
    if (KnobValues::of(d.knobs[k]).id == id) return &d.knobs[k];
  }
  return nullptr;
}

// DEVICE[.KNOB] resolved against the daemon: fills the device and the knob name as written.
int resolve_target(Client& c, const std::string& text, perfqos_device_info* d, std::string* knob,
                   const perfqos_knob_info** info) {
  RequestSpec spec;
  if (Status s = parse_request_spec(text + "=0", &spec); !s.ok()) {
    return fail("explain: '" + text + "': expected DEVICE or DEVICE.KNOB");
  }
  if (client::Status s = c.describe(spec.device, d); !s.ok()) {
    // DEVICE.NOTAKNOB reads as a device named "DEVICE.NOTAKNOB": try it as a knob typo.
    const std::size_t dot = spec.device.rfind('.');
    if (s.code() == ENODEV && dot != std::string::npos &&
        c.describe(spec.device.substr(0, dot), d).ok()) {
      return fail("explain: '" + text + "': " + no_knob(*d, spec.device.substr(dot + 1)));
    }
    return fail_on(c, spec.device, s);
  }
  *knob = spec.knob;
  *info = find_knob(*d, spec.knob);
  if (*info == nullptr && !spec.knob.empty()) {
    return fail("explain: '" + text + "': " + no_knob(*d, spec.knob));
  }
  if (*info == nullptr) {
    return fail("explain: '" + text + "': name the knob as " + spec.device + ".KNOB (" +
                spec.device + " has " + joined([&] {
                  std::vector<std::string> names;
                  for (std::size_t k = 0; k < d->knob_count; ++k) {
                    names.emplace_back(d->knobs[k].name);
                  }
                  return names;
                }()) +
                ")");
  }
  return 0;
}

std::string quoted(const char* s) {
  return std::string("\"") + s + "\"";
}

// "pid 4242 (arecord, reason "recording")": who a setter is, briefly.
std::string setter_brief(const perfqos_holder_note_info& n) {
  const perfqos_holder_info& h = n.holder;
  std::string text = "pid " + std::to_string(h.pid) + " (" + h.comm;
  if (n.reason[0] != '\0') text += std::string(", reason ") + quoted(n.reason);
  return text + ")";
}

// One setter in full, for the "set by" lines.
std::string setter_line(const perfqos_holder_note_info& n, const KnobValues& v) {
  const perfqos_holder_info& h = n.holder;
  std::string text = std::string(end_name(h.end)) + (h.end != PERFQOS_END_NONE ? " " : "") +
                     show_value_with_unit(v, h.value) + ": " + kHolderKinds[h.holder_kind & 3] +
                     " request " + std::to_string(h.request_id) + " of pid " +
                     std::to_string(h.pid) + " (" + h.comm + "), uid " + std::to_string(h.uid);
  if (h.cgroup[0] != '\0') text += std::string(", cgroup ") + h.cgroup;
  if (n.reason[0] != '\0') text += std::string(", reason ") + quoted(n.reason);
  if (n.app_id[0] != '\0') text += std::string(", app ") + n.app_id;
  if (h.remaining_ms != 0) text += ", expires in " + std::to_string(h.remaining_ms) + " ms";
  return text;
}

std::string range_text(const KnobValues& v, std::int32_t lo, std::int32_t hi) {
  return std::to_string(lo) + ".." + std::to_string(hi) + (v.unit.empty() ? "" : " " + v.unit);
}

// The grants as a refusal quotes them: "100..800, perfqosd.toml:10; ...".
std::string grants_text(const perfqos_explain_info& x) {
  std::string text;
  for (std::size_t i = 0; i < x.grant_count; ++i) {
    text += (text.empty() ? "" : "; ") + std::to_string(x.grants[i].min) + ".." +
            std::to_string(x.grants[i].max) + ", " + x.grants[i].origin;
  }
  return text;
}

// The verdict on VALUE, one line (refusals add the daemon's full message after it).
std::string verdict_text(const perfqos_explain_info& x, const KnobValues& v) {
  if (x.verdict_errno == 0) {
    if (x.would_change) return "would set it to " + show_effective(v, x.would_be, true);
    std::string text =
        "would not change the effective value: " + show_effective(v, x.effective, true);
    if (x.setter_count > 0) return text + " is set by " + setter_brief(x.setters[0]);
    return text + " (no request sets it)";
  }
  const bool outside_grants = x.verdict_errno == EACCES && x.grant_count > 0 &&
                              std::string(x.verdict).find("outside the grants") != std::string::npos;
  if (outside_grants) {
    return std::string("refused: your ") + (x.grant_count == 1 ? "grant allows " : "grants allow ") +
           grants_text(x);
  }
  if (x.verdict_errno == EACCES && x.grant_count == 0 && !x.unrestricted) {
    return "refused: uid " + std::to_string(x.caller_uid) + " has no grant on " + x.device + "." +
           x.limit.knob + " (it may only read)";
  }
  return std::string("refused: ") + x.verdict;
}

Json json_explain(const perfqos_explain_info& x) {
  Json j{{"device", x.device},
         {"knob", x.knob},
         {"end", end_name(x.end)},
         {"unit", x.unit}};
  if (x.effective.is_range) {
    j["effective_min"] = x.effective.min;
    j["effective_max"] = x.effective.max;
  } else {
    j["effective"] = x.effective.value;
  }
  j["min_request"] = x.min_request;
  j["max_request"] = x.max_request;
  Json setters = Json::array();
  for (std::size_t i = 0; i < x.setter_count; ++i) {
    const perfqos_holder_note_info& n = x.setters[i];
    const perfqos_holder_info& h = n.holder;
    setters.push_back(Json{{"end", end_name(h.end)},
                           {"value", h.value},
                           {"request_id", h.request_id},
                           {"holder", kHolderKinds[h.holder_kind & 3]},
                           {"pid", h.pid},
                           {"uid", h.uid},
                           {"comm", h.comm},
                           {"cgroup", h.cgroup},
                           {"remaining_ms", h.remaining_ms},
                           {"app_id", n.app_id},
                           {"reason", n.reason}});
  }
  j["setters_total"] = x.setters_total;
  j["setters"] = std::move(setters);
  Json grants = Json::array();
  for (std::size_t i = 0; i < x.grant_count; ++i) {
    const perfqos_grant_info& g = x.grants[i];
    grants.push_back(Json{{"device", g.device},
                          {"knob", g.knob},
                          {"min", g.min},
                          {"max", g.max},
                          {"origin", g.origin}});
  }
  Json limit = Json::object();
  if (x.limit.has_floor) limit["floor"] = x.limit.floor;
  if (x.limit.has_cap) limit["cap"] = x.limit.cap;
  if (x.limit_origin[0] != '\0') limit["origin"] = x.limit_origin;
  j["caller"] = Json{{"uid", x.caller_uid},
                     {"cgroup", x.caller_cgroup},
                     {"unrestricted", x.unrestricted != 0},
                     {"grants_total", x.grants_total},
                     {"grants", std::move(grants)},
                     {"cgroup_limit", std::move(limit)}};
  if (x.has_value) {
    Json verdict{{"value", x.value}, {"admitted", x.verdict_errno == 0}};
    if (x.verdict_errno == 0) {
      verdict["would_change"] = x.would_change != 0;
      if (x.would_be.is_range) {
        verdict["would_be_min"] = x.would_be.min;
        verdict["would_be_max"] = x.would_be.max;
      } else {
        verdict["would_be"] = x.would_be.value;
      }
    } else {
      verdict["errno"] = x.verdict_errno;
      verdict["message"] = x.verdict;
    }
    j["verdict"] = std::move(verdict);
  }
  return j;
}

void print_explain(const perfqos_explain_info& x, const KnobValues& v, const std::string& what) {
  std::printf("%s: effective %s\n", what.c_str(), show_effective(v, x.effective, true).c_str());
  if (x.setters_total == 0) {
    std::printf("set by: no request (the knob's no-constraint value)\n");
  } else {
    std::printf("set by:\n");
    for (std::size_t i = 0; i < x.setter_count; ++i) {
      std::printf("  %s\n", setter_line(x.setters[i], v).c_str());
    }
    if (x.setters_total > x.setter_count) {
      std::printf("  (and %zu more: perfqosctl status %s)\n", x.setters_total - x.setter_count,
                  x.device);
    }
  }
  std::printf("bounds on requests of uid %u%s%s:\n", x.caller_uid,
              x.caller_cgroup[0] ? ", cgroup " : "", x.caller_cgroup);
  std::printf("  valid requests: %s, or none\n",
              range_text(v, x.min_request, x.max_request).c_str());
  if (x.unrestricted) {
    std::printf("  policy: uid 0 may request any valid value\n");
  } else if (x.grant_count == 0) {
    std::printf("  policy: no grant for uid %u on %s.%s: it may only read\n", x.caller_uid,
                x.device, x.limit.knob);
  } else {
    for (std::size_t i = 0; i < x.grant_count; ++i) {
      const perfqos_grant_info& g = x.grants[i];
      std::printf("  your grant: %s (device %s, knob %s), %s\n",
                  range_text(v, g.min, g.max).c_str(), g.device, g.knob, g.origin);
    }
  }
  if (x.limit.has_floor || x.limit.has_cap) {
    std::string text;
    if (x.limit.has_floor) text += "floor " + show_value_with_unit(v, x.limit.floor);
    if (x.limit.has_cap) {
      text += std::string(x.limit.has_floor ? ", " : "") + "cap " +
              show_value_with_unit(v, x.limit.cap);
    }
    std::printf("  cgroup %s: %s, %s\n", x.caller_cgroup, text.c_str(), x.limit_origin);
  }
  if (x.has_value) {
    std::printf("a request of %s %s\n", show_value_with_unit(v, x.value).c_str(),
                verdict_text(x, v).c_str());
    if (x.verdict_errno != 0) std::printf("  (perfqosd: %s)\n", x.verdict);
  }
}

}  // namespace

int cmd_explain(const Options& o, const std::string& target, const std::string& value_text) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  perfqos_device_info d;
  std::string knob;
  const perfqos_knob_info* info = nullptr;
  if (int rc = resolve_target(c, target, &d, &knob, &info)) return rc;
  ChoiceBook book;
  if (client::Status s = book.load(c, d); !s.ok()) return fail(s.message());
  const KnobValues values = book.values(d.name, *info);
  std::int32_t value = 0;
  const bool has_value = !value_text.empty();
  if (has_value) {
    if (info->list_type == PERFQOS_LIST_RANGE && !knob_name_has_end(knob)) {
      // "policy0.min", or "policy0.epp.min" for a named knob.
      const std::string base = std::string(d.name) + "." +
                               (std::string_view(info->name) == "range" ? "" : std::string(info->name) + ".");
      return fail("explain: '" + target + "': name the end of the range to judge a value: " +
                  base + "min or " + base + "max");
    }
    const std::string what = std::string(d.name) + "." + (knob.empty() ? info->name : knob);
    if (Status s = parse_knob_value(values, value_text, what, &value); !s.ok()) {
      return fail(s.message());
    }
  }
  perfqos_explain_info x;
  if (client::Status s = c.explain(d.name, knob, has_value ? &value : nullptr, &x); !s.ok()) {
    return fail_on(c, d.name, s);
  }
  if (o.json) {
    print_json(json_explain(x));
    return 0;
  }
  const std::string what =
      std::string(x.device) + "." + (x.end != PERFQOS_END_NONE ? end_name(x.end) : x.knob);
  print_explain(x, values, what);
  return 0;
}

}  // namespace perfqos::tools
