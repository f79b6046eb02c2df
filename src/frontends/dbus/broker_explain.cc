// BrokerObject's Explain (broker_object.h): perfqosctl explain over the bus. The answer is
// admission::explain's, as the socket's EXPLAIN; this file only reads the call and writes the
// reply.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

#include "admission/explanation.h"
#include "frontends/dbus/broker_object.h"
#include "frontends/dbus/bus_errors.h"

namespace perfqos::dbus {

namespace {

// The knob as Explain names it back: "latency", "min", "epp.max", or "range"/"epp" for both ends.
const char* explained_knob(const admission::Explanation& x) {
  if (!x.knob->is_range() || x.both_ends) return knob_name(x.target.knob);
  return knob_request_name(x.target.knob, x.target.end);
}

Range valid_requests(const Knob& knob) {
  if (knob.is_range()) return knob.limits();
  const ListSpec spec = knob.spec();
  return Range{spec.min_request, spec.max_request};
}

// The remaining milliseconds of a timed request, rounded up; 0 for an untimed one.
std::uint32_t remaining_ms(const HeldRequest& r, Deadline now) {
  if (!r.expiry()) return 0;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*r.expiry() - now).count();
  return static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1));
}

int append_setters(sd_bus_message* reply, const admission::Explanation& x) {
  const Deadline now = std::chrono::steady_clock::now();
  int r = sd_bus_message_open_container(reply, 'a', "(sisuussssu)");
  std::size_t listed = 0;
  for (const HeldRequest* setter : x.judgement.setters) {
    if (r < 0 || listed++ == kMaxExplainSetters) break;
    const HolderIdentity& id = setter->holder().identity();
    const char* end = !x.knob->is_range() ? "" : setter->end() == RangeEnd::kMin ? "min" : "max";
    r = sd_bus_message_append(reply, "(sisuussssu)", end, setter->value(), to_string(id.kind),
                              static_cast<std::uint32_t>(id.pid), id.uid, id.comm.c_str(),
                              id.cgroup.c_str(), setter->reason().c_str(), setter->app_id().c_str(),
                              remaining_ms(*setter, now));
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  return r;
}

int append_grants(sd_bus_message* reply, const admission::Judgement& j) {
  int r = sd_bus_message_open_container(reply, 'a', "(ssiis)");
  for (const Grant& g : j.grants) {
    if (r < 0) break;
    r = sd_bus_message_append(reply, "(ssiis)", g.device.c_str(), g.knob.c_str(), g.min, g.max,
                              g.origin.c_str());
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  return r;
}

int append_explanation(sd_bus_message* reply, const admission::Explanation& x,
                       const BusCaller& caller, bool judged) {
  const Knob& knob = *x.knob;
  const admission::Judgement& j = x.judgement;
  const Range effective = knob.effective_range();
  const Range valid = valid_requests(knob);
  int r = sd_bus_message_append(reply, "ssiiiiu", explained_knob(x), knob.unit().c_str(),
                                effective.min, effective.max, valid.min, valid.max,
                                static_cast<std::uint32_t>(j.setters.size()));
  if (r >= 0) r = append_setters(reply, x);
  if (r >= 0) r = sd_bus_message_append(reply, "b", j.unrestricted);
  if (r >= 0) r = append_grants(reply, j);
  if (r >= 0) {
    r = sd_bus_message_append(reply, "(sbibis)", caller.requester.cgroup.c_str(),
                              j.limit.floor.has_value(), j.limit.floor.value_or(0),
                              j.limit.cap.has_value(), j.limit.cap.value_or(0),
                              j.limit.origin.c_str());
  }
  // Without a value there is no verdict: "", "", false and the effective value as it is.
  const bool refused = judged && !j.verdict.ok();
  const Range would_be = judged && !refused ? j.would_be : effective;
  if (r >= 0) {
    r = sd_bus_message_append(reply, "ssbii", refused ? error_name(j.verdict.code()) : "",
                              refused ? j.verdict.message().c_str() : "",
                              judged && !refused && j.would_change, would_be.min, would_be.max);
  }
  return r;
}

}  // namespace

int BrokerObject::on_explain(sd_bus_message* m, void* self, sd_bus_error* error) {
  auto* o = static_cast<BrokerObject*>(self);
  const char* device = nullptr;
  const char* knob = nullptr;
  const char* value_text = nullptr;
  if (sd_bus_message_read(m, "sss", &device, &knob, &value_text) < 0) {
    return reply_error(error,
                       Status::Error(EINVAL, "arguments: expected (s device, s knob, s value)"));
  }
  if (Status s = check_text("value", value_text, kMaxSpecBytes); !s.ok()) {
    return reply_error(error, s);
  }
  const bool judged = value_text[0] != '\0';
  std::optional<std::int32_t> value;
  if (judged) {
    // The value is read in the knob's units and words, as a SPEC's (spec_resolver.h).
    RequestTarget target;
    if (Status s = o->ctx_.admission.resolve(device, knob, std::nullopt, &target); !s.ok()) {
      return reply_error(error, s);
    }
    const std::shared_ptr<Device> d = o->ctx_.broker.registry().find(target.device);
    const std::string what = target.device + "." + knob_request_name(target.knob, target.end);
    std::int32_t v = 0;
    if (Status s = admission::resolve_value(*d->knob(target.knob), what, value_text, &v);
        !s.ok()) {
      return reply_error(error, s);
    }
    value = v;
  }
  const BusCaller* caller = nullptr;
  if (Status s = o->ctx_.callers.of(m, &caller); !s.ok()) return reply_error(error, s);
  // A hold is a new holder: it holds no request yet when its quota is judged.
  admission::Explanation x;
  if (Status s = admission::explain(o->ctx_.admission, o->ctx_.broker, caller->requester, 0, device,
                                    knob, std::nullopt, value, &x);
      !s.ok()) {
    return reply_error(error, s);
  }
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0) return r;
  r = append_explanation(reply, x, *caller, judged);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

}  // namespace perfqos::dbus
