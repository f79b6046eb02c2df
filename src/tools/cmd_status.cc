// perfqosctl status: every request with its holder, then the per-cgroup data.
#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "tools/text_table.h"

#include "tools/commands.h"

namespace perfqos::tools {
namespace {

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

}  // namespace

int cmd_status(const Options& o, const std::string& device) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<perfqos_holder_note_info> holders;
  if (client::Status s = c.holders(device, &holders); !s.ok()) return fail_on(c, device, s);
  std::vector<perfqos_cgroup_info> groups;
  if (client::Status s = c.cgroup_data(device, &groups); !s.ok()) return fail(s.message());
  KnobUnits units;
  if (int rc = knob_units(c, &units)) return rc;
  // Bindings too, waiting ones included (their cgroup empty, so no request to show): from a
  // daemon older than protocol version 3 there are none to list.
  std::vector<perfqos_binding_info> bindings;
  if (client::Status s = c.bindings(&bindings); !s.ok() && s.code() != EPROTONOSUPPORT) {
    return fail(s.message());
  }
  if (!device.empty()) {
    std::erase_if(bindings, [&](const perfqos_binding_info& b) { return b.device != device; });
  }
  if (o.json) {
    Json j = json_status(holders, groups, units);
    j["bindings"] = json_bindings(bindings, units);
    print_json(j);
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
  if (!bindings.empty()) {
    std::printf("\ncgroup bindings (active: its request is above; waiting: its cgroup is empty):\n");
    print_bindings(bindings, units);
  }
  return 0;
}

}  // namespace perfqos::tools
