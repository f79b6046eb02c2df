#include "admission/admission.h"

#include <cerrno>
#include <utility>

namespace perfqos::admission {

const char* to_string(Vouch vouch) {
  switch (vouch) {
    case Vouch::kPeerCred:
      return "SO_PEERCRED";
    case Vouch::kFrameCred:
      return "SCM_CREDENTIALS";
    case Vouch::kFuseContext:
      return "FUSE context";
    case Vouch::kBus:
      return "bus credentials";
    case Vouch::kConfig:
      return "config";
  }
  return "?";
}

FrontEnd front_end_of(Vouch vouch) {
  switch (vouch) {
    case Vouch::kPeerCred:
    case Vouch::kFrameCred:
      return FrontEnd::kSocket;
    case Vouch::kFuseContext:
      return FrontEnd::kFuse;
    case Vouch::kBus:
      return FrontEnd::kDbus;
    case Vouch::kConfig:
      return FrontEnd::kConfig;
  }
  return FrontEnd::kSocket;
}

Requester Requester::of(const HolderIdentity& id, Vouch vouched_by) {
  return Requester{id.pid, id.uid, id.gid, id.groups, id.cgroup, id.comm, vouched_by};
}

Admission::Admission(Broker& broker, const daemon::PolicyStore& policy, const daemon::Logger& log)
    : broker_(broker), policy_(policy), log_(log) {}

Status Admission::resolve(std::string_view device_name, std::string_view knob,
                          std::optional<RangeEnd> end, RequestTarget* target) const {
  const std::shared_ptr<Device> device = broker_.registry().find(device_name);
  if (!device) return Status::Error(ENODEV, "no device '" + std::string(device_name) + "'");
  // Appended piece by piece: `"." + std::string(knob)` makes GCC 12 at -O3 report a bogus
  // -Wrestrict overlap (GCC PR105329; see protocol/field_path.h).
  std::string where(device_name);
  if (!knob.empty()) {
    where += '.';
    where += knob;
  }
  KnobId id{};
  RangeEnd named_end = RangeEnd::kMin;
  bool end_in_name = false;
  if (knob.empty()) {
    const auto knobs = device->knobs();
    if (knobs.size() != 1) {
      return Status::Error(EINVAL, where + ": name a knob: it has " + device->knob_names());
    }
    id = knobs[0]->id();
  } else if (knob == "range") {
    id = KnobId::kRange;
  } else if (!parse_knob_name(knob, &id, &named_end)) {
    return Status::Error(EINVAL, where + ": unknown knob: " + std::string(device_name) + " has " +
                                     device->knob_names());
  } else {
    end_in_name = knob_name_has_end(knob);  // "min", "epp.max", ...
  }
  // Whatever the spelling, the device must have the knob: "min" on a one-valued device too.
  if (device->knob(id) == nullptr) {
    return Status::Error(EINVAL, where + ": " + std::string(device_name) +
                                     " has no such knob: it has " + device->knob_names());
  }
  RequestTarget out{std::string(device_name), id, RangeEnd::kMin, false};
  if (is_range_knob(id)) {
    if (end_in_name) {
      if (end && *end != named_end) {
        return Status::Error(EINVAL, where + ": end contradicts the knob name");
      }
      out.end = named_end;
    } else if (!end) {
      return Status::Error(EINVAL, where + ": a range request needs end min or max");
    } else {
      out.end = *end;
    }
  } else if (end) {
    return Status::Error(EINVAL, where + ": end min/max applies to range knobs only");
  }
  *target = std::move(out);
  return Status::Ok();
}

Status Admission::authorize(const Requester& who, const Policy& policy, const std::string& device,
                            KnobId knob, RangeEnd end, std::optional<std::int32_t> value,
                            bool count) {
  const Caller caller = who.caller();
  const char* knob_name = knob_request_name(knob, end);
  Status s = value ? policy.authorize(caller, device, knob_name, *value)
                   : policy.authorize_any(caller, device, knob_name);
  if (count && counter_ != nullptr) counter_->record(device, who.cgroup, s.ok());
  if (!s.ok()) {
    log_.info("pid " + std::to_string(who.pid) + (who.comm.empty() ? "" : " (" + who.comm + ")") +
              " refused: " + s.message());
  }
  return s;
}

Status Admission::counted(FrontEnd front_end, Status s) {
  tally_.count(front_end, s.ok() ? 0 : s.code());
  return s;
}

Status Admission::add(const Requester& who, Holder& holder, const RequestTarget& target,
                      std::int32_t value, std::optional<Deadline> expiry, RequestOutcome* outcome) {
  const FrontEnd front_end = front_end_of(who.vouched_by);
  const std::shared_ptr<const Policy> policy = policy_.current();
  if (Status s = authorize(who, *policy, target.device, target.knob, target.end, value, true);
      !s.ok()) {
    return counted(front_end, std::move(s));
  }
  if (Status s = policy->admit_request(who.caller(), holder.size()); !s.ok()) {
    return counted(front_end, std::move(s));
  }
  return counted(front_end, broker_.add(holder, target, value, expiry, outcome));
}

Status Admission::update(const Requester& who, Holder& holder, RequestId id, std::int32_t value,
                         RequestOutcome* outcome) {
  const FrontEnd front_end = front_end_of(who.vouched_by);
  // A request on a device that is gone is left to the Broker, which answers ENODEV.
  if (const HeldRequest* r = holder.find(id); r != nullptr && r->device() != nullptr) {
    const std::shared_ptr<const Policy> policy = policy_.current();
    if (Status s = authorize(who, *policy, r->device()->name(), r->knob(), r->end(), value, true);
        !s.ok()) {
      return counted(front_end, std::move(s));
    }
  }
  return counted(front_end, broker_.update(holder, id, value, outcome));
}

Status Admission::remove(Holder& holder, RequestId id, RequestOutcome* outcome) {
  return broker_.remove(holder, id, outcome);
}

Status Admission::place_bound(Holder& holder, const RequestTarget& target, std::int32_t value,
                              RequestOutcome* outcome) {
  return counted(FrontEnd::kCgroupBinding,
                 broker_.add(holder, target, value, std::nullopt, outcome));
}

Status Admission::set_perf(const Requester& who, PerfQosHandle& handle, RangeEnd end,
                           std::int32_t value, bool* changed) {
  const FrontEnd front_end = front_end_of(who.vouched_by);
  const std::shared_ptr<const Policy> policy = policy_.current();
  if (Status s = authorize(who, *policy, handle.device(), handle.knob(), end, value, true);
      !s.ok()) {
    return counted(front_end, std::move(s));
  }
  return counted(front_end, handle.set(end, value, changed));
}

Status Admission::add_at_open(const Requester& who, const RequestTarget& target,
                              const std::function<Status(Holder**)>& reserve,
                              RequestOutcome* outcome) {
  const FrontEnd front_end = front_end_of(who.vouched_by);
  const std::shared_ptr<const Policy> policy = policy_.current();
  if (Status s =
          authorize(who, *policy, target.device, target.knob, target.end, std::nullopt, false);
      !s.ok()) {
    if (counter_ != nullptr) counter_->record(target.device, who.cgroup, false);
    return counted(front_end, std::move(s));
  }
  Holder* holder = nullptr;
  if (Status s = reserve(&holder); !s.ok()) return s;
  if (Status s = policy->admit_request(who.caller(), holder->size()); !s.ok()) {
    return counted(front_end, std::move(s));
  }
  Status s = broker_.add(*holder, target, kDefaultRequest, std::nullopt, outcome);
  if (s.ok() && counter_ != nullptr) counter_->record(target.device, who.cgroup, true);
  return counted(front_end, std::move(s));
}

Status Admission::may_hold(const Requester& who, std::string_view device, KnobId knob, RangeEnd end,
                           bool count) {
  const std::shared_ptr<const Policy> policy = policy_.current();
  Status s = authorize(who, *policy, std::string(device), knob, end, std::nullopt, count);
  return count ? counted(front_end_of(who.vouched_by), std::move(s)) : s;
}

Status Admission::admit_binding(const Requester& who, const RequestTarget& target,
                                std::int32_t value) {
  const std::shared_ptr<const Policy> policy = policy_.current();
  return counted(front_end_of(who.vouched_by),
                 authorize(who, *policy, target.device, target.knob, target.end, value, true));
}

Status Admission::admit_container_binding(const Requester& who, const RequestTarget& target,
                                          std::int32_t value) {
  const char* knob_name = knob_request_name(target.knob, target.end);
  Status s =
      who.uid == 0
          ? policy_.current()->authorize_container(target.device, knob_name, value)
          : Status::Error(EACCES, target.device + "." + knob_name + "=" + std::to_string(value) +
                                      ": container bindings are for root's runtime hook: "
                                      "uid " +
                                      std::to_string(who.uid) + " may not ask for one");
  if (counter_ != nullptr) counter_->record(target.device, who.cgroup, s.ok());
  if (!s.ok()) {
    log_.info("pid " + std::to_string(who.pid) + (who.comm.empty() ? "" : " (" + who.comm + ")") +
              " refused a container binding: " + s.message());
  }
  return counted(front_end_of(who.vouched_by), std::move(s));
}

Status Admission::judge(const Requester& who, std::size_t held, const RequestTarget& target,
                        std::optional<std::int32_t> value, Judgement* out) const {
  const std::shared_ptr<Device> device = broker_.registry().find(target.device);
  const Knob* knob = device ? device->knob(target.knob) : nullptr;
  if (knob == nullptr) return Status::Error(ENODEV, "no device '" + target.device + "'");
  Judgement j;
  const std::shared_ptr<const Policy> policy = policy_.current();
  const Caller caller = who.caller();
  const char* knob_name = knob_request_name(target.knob, target.end);
  j.unrestricted = caller.uid == 0;
  for (const Grant& g : policy->grants()) {
    if (g.matches_caller(caller) && g.matches_target(target.device, knob_name)) {
      j.grants.push_back(g);
    }
  }
  j.limit = policy->limits_for(caller.cgroup, target.device, knob_name);
  for (const HeldRequest* r : device->requests()) {
    if (r->knob() == target.knob && r->binding()) j.setters.push_back(r);
  }
  // add()'s order: the policy first, then the quota, then the Broker's range check.
  j.verdict = value ? policy->authorize(caller, target.device, knob_name, *value)
                    : policy->authorize_any(caller, target.device, knob_name);
  if (j.verdict.ok()) j.verdict = policy->admit_request(caller, held);
  if (j.verdict.ok() && value) j.verdict = broker_.check(target, *value);
  if (j.verdict.ok() && value) {
    j.would_be = knob->would_be(target.end, *value);
    j.would_change = j.would_be != knob->effective_range();
  }
  *out = std::move(j);
  return Status::Ok();
}

std::size_t Admission::refused_in_force() const {
  const std::shared_ptr<const Policy> policy = policy_.current();
  std::size_t refused = 0;
  for (const auto& device : broker_.registry().devices()) {
    for (const HeldRequest* r : device->requests()) {
      const HolderIdentity& id = r->holder().identity();
      if (id.kind == HolderKind::kCgroupBinding || id.kind == HolderKind::kInternal) continue;
      const Caller caller{id.uid, id.gid, id.cgroup, id.groups};
      if (!policy
               ->authorize(caller, device->name(), knob_request_name(r->knob(), r->end()),
                           r->value())
               .ok()) {
        ++refused;
      }
    }
  }
  return refused;
}

bool Admission::needs_groups(uid_t uid) const {
  return uid != 0 && policy_.current()->names_groups();
}

}  // namespace perfqos::admission
