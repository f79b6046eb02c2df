// BrokerObject's HoldCpusOf (broker_object.h): perfqosctl --cpus-of over the bus. Each SPEC is
// `cpus.KNOB=VALUE`, read as that knob of the first CPU perfqosd serves (so units and words are
// those of the socket's), then placed on every CPU of the cgroup by a CpusOfRequest that
// follows it; each CPU's request is judged by the admission path as `cpuN.KNOB=VALUE` from the
// caller would be.
#include <cerrno>

#include "admission/cpu_set_request.h"
#include "frontends/dbus/broker_object.h"
#include "frontends/dbus/bus_errors.h"
#include "protocol/limits.h"

namespace perfqos::dbus {

namespace {

// `cpus.KNOB=VALUE` as `cpuN.KNOB=VALUE` for the first CPU that has KNOB, so that the value is
// read as that knob's. EINVAL names the SPEC.
Status as_first_cpu(const Broker& broker, const std::string& spec, std::string* out) {
  const std::string prefix = std::string(admission::kCpusDevice) + ".";
  const std::size_t eq = spec.find('=');
  if (spec.rfind(prefix, 0) != 0 || eq == std::string::npos || eq <= prefix.size()) {
    return Status::Error(EINVAL, "'" + spec +
                                     "': HoldCpusOf takes cpus.KNOB=VALUE SPECs "
                                     "(cpus.resume_latency=0)");
  }
  const std::string knob = spec.substr(prefix.size(), eq - prefix.size());
  RequestTarget target;
  if (Status s = admission::cpu_set_knob(admission::kCpusDevice, knob, &target); !s.ok()) {
    return Status::Error(EINVAL, "'" + spec + "': " + s.message());
  }
  for (const auto& device : broker.registry().devices()) {
    if (device->kind() == "cpu" && device->knob(target.knob) != nullptr) {
      *out = device->name() + spec.substr(prefix.size() - 1);
      return Status::Ok();
    }
  }
  return Status::Error(ENODEV, "'" + spec + "': perfqosd serves no CPU with a " + knob + " knob");
}

}  // namespace

Status BrokerObject::hold_cpus_of(sd_bus_message* m, std::uint32_t* cookie) {
  const char* cgroup = nullptr;
  if (sd_bus_message_read(m, "s", &cgroup) < 0) {
    return Status::Error(EINVAL,
                         "arguments: expected (s cgroup, as specs, s reason, s application_id)");
  }
  if (Status s = check_text("cgroup", cgroup, protocol::kMaxCgroupPath); !s.ok()) return s;
  std::vector<std::string> specs;
  if (Status s = read_specs(m, &specs); !s.ok()) return s;
  const char* reason = nullptr;
  const char* app_id = nullptr;
  if (sd_bus_message_read(m, "ss", &reason, &app_id) < 0) {
    return Status::Error(EINVAL,
                         "arguments: expected (s cgroup, as specs, s reason, s application_id)");
  }
  if (Status s = check_text("reason", reason, protocol::kMaxReason); !s.ok()) return s;
  if (Status s = check_text("application_id", app_id, protocol::kMaxAppId); !s.ok()) return s;
  if (ctx_.cpusets == nullptr) {
    return Status::Error(EOPNOTSUPP,
                         "cgroup: requests on a cgroup's CPUs need cgroup2, which "
                         "this perfqosd does not have");
  }
  std::vector<std::string> on_first(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (Status s = as_first_cpu(ctx_.broker, specs[i], &on_first[i]); !s.ok()) return s;
  }
  std::vector<ResolvedSpec> resolved;
  if (Status s = admission::resolve_specs(ctx_.broker, ctx_.admission, on_first, kMaxSpecsPerHold,
                                          &resolved);
      !s.ok()) {
    return s;
  }
  for (std::size_t i = 0; i < resolved.size(); ++i) resolved[i].text = specs[i];
  const BusCaller* caller = nullptr;
  if (Status s = ctx_.callers.of(m, &caller); !s.ok()) return s;
  return place(*caller, resolved, false, std::move(specs), reason, app_id, cookie, cgroup);
}

Status BrokerObject::place_cpu_set(const BusCaller& caller, const ResolvedSpec& request,
                                   const std::string& cpus_of, const std::string& reason,
                                   const std::string& app_id, Hold& h) {
  Holder& holder = *h.holder;
  const admission::Requester who = caller.requester;
  admission::Admission& admission = ctx_.admission;
  auto place = [&admission, who, &holder, reason, app_id](const RequestTarget& target,
                                                          std::int32_t value, RequestOutcome* out) {
    Status s = admission.add(who, holder, target, value, std::nullopt, out);
    if (s.ok()) holder.annotate(out->id, reason, app_id);
    return s;
  };
  RequestTarget knob = request.target;
  knob.device = admission::kCpusDevice;
  std::unique_ptr<daemon::CpusOfRequest> made;
  RequestOutcome out;
  const std::string what = caller.name + " (uid " + std::to_string(caller.identity.uid) +
                           ") cpus of " + cpus_of + ": " + request.text;
  Status s = daemon::CpusOfRequest::start(
      *ctx_.cpusets, cpus_of,
      std::make_unique<admission::CpuSetRequest>(admission, holder, knob, request.value, place,
                                                 ctx_.log, what),
      &out, &made);
  if (!s.ok()) {
    // No such cgroup is a bad argument here: ENOENT is the bus' "no such hold".
    return Status::Error(s.code() == ENOENT ? EINVAL : s.code(),
                         "'" + request.text + "': " + s.message());
  }
  h.cpu_sets.push_back(std::move(made));
  return Status::Ok();
}

int BrokerObject::on_hold_cpus_of(sd_bus_message* m, void* self, sd_bus_error* error) {
  auto* o = static_cast<BrokerObject*>(self);
  std::uint32_t cookie = 0;
  if (Status s = o->hold_cpus_of(m, &cookie); !s.ok()) return reply_error(error, s);
  return sd_bus_reply_method_return(m, "u", cookie);
}

}  // namespace perfqos::dbus
