#include "admission/spec_resolver.h"

#include <cerrno>

#include "tools/cpu_set_spec.h"
#include "tools/request_spec.h"
#include "tools/value_input.h"

namespace perfqos::admission {

namespace {

// What perfqosctl learns from LIST, taken from the model.
tools::KnobValues values_of(const Knob& knob) {
  tools::KnobValues v;
  v.id = knob.id();
  v.unit = knob.unit();
  v.choices = knob.choices();
  if (knob.is_range()) {
    v.no_constraint = knob.limits().min;
    v.min_request = knob.limits().min;
    v.max_request = knob.limits().max;
  } else {
    const ListSpec spec = knob.spec();
    v.no_constraint = spec.no_constraint_value;
    v.min_request = spec.min_request;
    v.max_request = spec.max_request;
  }
  return v;
}

Status resolve_one(const Broker& broker, const Admission& admission, const std::string& text,
                   ResolvedSpec* out) {
  tools::RequestSpec spec;
  if (Status s = tools::parse_request_spec(text, &spec); !s.ok()) return s;
  RequestTarget target;
  Status s = admission.resolve(spec.device, spec.knob, std::nullopt, &target);
  if (s.code() == ENODEV && spec.knob.empty()) {
    // DEVICE.NOTAKNOB=V reads as a device named "DEVICE.NOTAKNOB": say it as a knob typo.
    const std::size_t dot = spec.device.rfind('.');
    if (dot != std::string::npos && broker.registry().find(spec.device.substr(0, dot))) {
      s = admission.resolve(spec.device.substr(0, dot), spec.device.substr(dot + 1), std::nullopt,
                            &target);
    }
  }
  if (!s.ok()) return Status::Error(s.code(), "'" + text + "': " + s.message());
  const std::shared_ptr<Device> device = broker.registry().find(target.device);
  const Knob* knob = device ? device->knob(target.knob) : nullptr;
  if (knob == nullptr)
    return Status::Error(ENODEV, "'" + text + "': no device '" + target.device + "'");
  const std::string what = target.device + "." + knob_request_name(target.knob, target.end);
  std::int32_t value = 0;
  if (Status v = resolve_value(*knob, what, spec.value, &value); !v.ok()) return v;
  *out = ResolvedSpec{text, std::move(target), value};
  return Status::Ok();
}

}  // namespace

Status resolve_value(const Knob& knob, const std::string& what, const std::string& text,
                     std::int32_t* value) {
  return tools::parse_knob_value(values_of(knob), text, what, value);
}

Status resolve_specs(const Broker& broker, const Admission& admission,
                     const std::vector<std::string>& texts, std::size_t max_requests,
                     std::vector<ResolvedSpec>* out) {
  std::vector<std::string> expanded;
  if (Status s = tools::expand_cpu_sets(texts, max_requests, &expanded); !s.ok()) return s;
  std::vector<ResolvedSpec> resolved(expanded.size());
  for (std::size_t i = 0; i < expanded.size(); ++i) {
    if (Status s = resolve_one(broker, admission, expanded[i], &resolved[i]); !s.ok()) return s;
  }
  out->insert(out->end(), std::make_move_iterator(resolved.begin()),
              std::make_move_iterator(resolved.end()));
  return Status::Ok();
}

}  // namespace perfqos::admission
