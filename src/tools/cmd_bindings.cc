// perfqosctl bindings: every cgroup binding, active or waiting for its cgroup to fill (BINDINGS,
// protocol version 3); status shows the same table after its requests.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/text_table.h"

namespace perfqos::tools {
namespace {

// "gpu.max", "cpu_dma_latency.latency".
std::string binding_target(const perfqos_binding_info& b) {
  return std::string(b.device) + "." + (b.end != PERFQOS_END_NONE ? end_name(b.end) : b.knob);
}

// Who made it: the config's file:line, or the binder's uid.
std::string binding_origin(const perfqos_binding_info& b) {
  return b.origin[0] != '\0' ? std::string(b.origin) : "uid " + std::to_string(b.uid);
}

}  // namespace

Json json_bindings(const std::vector<perfqos_binding_info>& bindings, const KnobUnits& units) {
  Json out = Json::array();
  for (const perfqos_binding_info& b : bindings) {
    out.push_back(Json{{"id", b.binding_id},
                       {"cgroup", b.cgroup},
                       {"device", b.device},
                       {"knob", b.knob},
                       {"end", end_name(b.end)},
                       {"value", b.value},
                       {"unit", units.of(b.device, b.knob).unit},
                       {"state", b.active ? "active" : "waiting"},
                       {"uid", b.uid},
                       {"origin", b.origin},
                       {"app_id", b.app_id},
                       {"reason", b.reason}});
  }
  return out;
}

void print_bindings(const std::vector<perfqos_binding_info>& bindings, const KnobUnits& units) {
  TextTable t({"ID", "CGROUP", "REQUEST", "STATE", "ORIGIN", "APP", "REASON"});
  for (const perfqos_binding_info& b : bindings) {
    t.add({std::to_string(b.binding_id), b.cgroup,
           binding_target(b) + "=" + show_value_with_unit(units.of(b.device, b.knob), b.value),
           b.active ? "active" : "waiting", binding_origin(b), b.app_id, b.reason});
  }
  t.print(stdout);
}

int cmd_bindings(const Options& o) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<perfqos_binding_info> bindings;
  if (client::Status s = c.bindings(&bindings); !s.ok()) return fail(s.message());
  KnobUnits units;
  if (int rc = knob_units(c, &units)) return rc;
  if (o.json) {
    print_json(json_bindings(bindings, units));
    return 0;
  }
  if (bindings.empty()) {
    std::printf("no cgroup bindings (perfqosctl bind, or [[bind]] in the config)\n");
    return 0;
  }
  print_bindings(bindings, units);
  return 0;
}

}  // namespace perfqos::tools
