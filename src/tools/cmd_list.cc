// perfqosctl list and get: the devices, their knobs and effective values.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/text_table.h"

#include "tools/commands.h"

namespace perfqos::tools {
namespace {

Json json_knob(const perfqos_knob_info& k, const std::vector<std::string>& choices) {
  Json j{{"name", k.name}, {"type", list_type_name(k.list_type)}, {"unit", k.unit}};
  if (!choices.empty()) j["choices"] = choices;  // value i is choices[i]
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

Json json_device(const perfqos_device_info& d, const ChoiceBook& book) {
  Json j{{"name", d.name},
         {"kind", d.kind},
         {"parent", d.parent},
         {"perf_unit", d.perf_unit},
         {"error_count", d.error_count},
         {"last_errno", d.last_errno},
         {"last_error", d.last_error},
         {"knobs", Json::array()}};
  for (std::size_t i = 0; i < d.knob_count; ++i) {
    j["knobs"].push_back(json_knob(d.knobs[i], book.words(d.name, d.knobs[i].name)));
  }
  return j;
}

}  // namespace

int cmd_list(const Options& o) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<perfqos_device_info> devices;
  if (client::Status s = c.list(&devices); !s.ok()) return fail("list: " + s.message());
  ChoiceBook book;
  if (client::Status s = book.load(c, devices); !s.ok()) return fail("list: " + s.message());
  if (o.json) {
    Json j = Json::array();
    for (const perfqos_device_info& d : devices) j.push_back(json_device(d, book));
    print_json(j);
    return 0;
  }
  TextTable t({"DEVICE", "KIND", "KNOB", "EFFECTIVE", "UNIT", "REQUESTS", "ALLOWED"});
  for (const perfqos_device_info& d : devices) {
    for (std::size_t k = 0; k < d.knob_count; ++k) {
      const perfqos_knob_info& knob = d.knobs[k];
      const KnobValues v = book.values(d.name, knob);
      t.add({k == 0 ? d.name : "", k == 0 ? d.kind : "", knob.name,
             show_effective(v, knob.effective, false), knob.unit,
             std::to_string(knob.active_requests), allowed_text(knob, v)});
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
  ChoiceBook book;
  if (client::Status s = book.load(c, d); !s.ok()) return fail(s.message());
  if (o.json) {
    print_json(json_device(d, book));
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
    const KnobValues v = book.values(d.name, knob);
    const std::string def =
        knob.list_type == PERFQOS_LIST_RANGE ? "none" : show_value(v, knob.no_constraint_value);
    const std::string units = accepted_units(v);
    t.add({knob.name, list_type_name(knob.list_type), show_effective(v, knob.effective, false),
           knob.unit, def,
           allowed_text(knob, v) + " or none" + (units.empty() ? "" : " (" + units + ")"),
           std::to_string(knob.active_requests)});
  }
  t.print(stdout);
  return 0;
}

}  // namespace perfqos::tools
