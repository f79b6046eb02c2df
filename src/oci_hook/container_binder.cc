#include "oci_hook/container_binder.h"

#include <cerrno>

#include "model/knob.h"
#include "tools/cpu_devices.h"
#include "tools/value_input.h"

namespace perfqos::oci {

bool is_unreachable(int code) {
  switch (code) {
    case ENOENT:        // no socket
    case ECONNREFUSED:  // no daemon listening
    case ETIMEDOUT:
    case ECONNRESET:
    case EPIPE:
    case EAGAIN:
      return true;
    default:
      return false;
  }
}

std::optional<HookError> ContainerBinder::arm_timeout() {
  const int left = deadline_.remaining_ms();
  if (left <= 0) {
    return HookError{Failure::kUnreachable, "perfqosd did not answer within the timeout of " +
                                                std::to_string(deadline_.budget_ms()) + " ms"};
  }
  if (client::Status s = client_.set_timeout(left); !s.ok()) return daemon_error("timeout", s);
  return std::nullopt;
}

HookError ContainerBinder::daemon_error(const std::string& what, const client::Status& s) const {
  if (s.code() == ETIMEDOUT) {
    return HookError{Failure::kUnreachable, what +
                                                ": perfqosd did not answer within the timeout of " +
                                                std::to_string(deadline_.budget_ms()) + " ms"};
  }
  return HookError{is_unreachable(s.code()) ? Failure::kUnreachable : Failure::kRefused,
                   what + ": " + s.message()};
}

std::optional<HookError> ContainerBinder::profile_requests(const std::string& name,
                                                           std::vector<PlannedRequest>* out,
                                                           std::size_t* absent) {
  const std::string what = std::string("annotation ") + kProfileKey + ": \"" + name + "\"";
  if (auto e = arm_timeout()) return e;
  std::vector<perfqos_profile_request> requests;
  if (client::Status s = client_.profile(name, &requests, absent); !s.ok()) {
    // ENOENT is no missing socket here: perfqosd answered that it has no such profile.
    if (s.code() == ENOENT) return HookError{Failure::kRefused, what + ": " + s.message()};
    return daemon_error(what, s);
  }
  for (const perfqos_profile_request& r : requests) {
    PlannedRequest p;
    p.spec.device = r.device;
    p.spec.knob = r.knob;
    p.spec.value = std::to_string(r.value);
    p.value = r.value;
    p.source = std::string(kProfileKey) + " (" + name + ": " + p.spec.device + "." + p.spec.knob +
               "=" + p.spec.value + ")";
    out->push_back(std::move(p));
  }
  return std::nullopt;
}

std::optional<HookError> ContainerBinder::resolve(const PlannedRequest& r, Resolved* out) {
  const std::string what = "annotation " + r.source;
  if (auto e = arm_timeout()) return e;
  perfqos_device_info d{};
  if (r.spec.device == tools::kCpusDevice) {
    // The container's CPUs: the value is read as the knob of the first CPU the daemon serves.
    std::vector<perfqos_device_info> devices;
    if (client::Status s = client_.list(&devices); !s.ok()) return daemon_error(what, s);
    const perfqos_device_info* cpu = tools::first_cpu_with_knob(devices, r.spec.knob);
    if (cpu == nullptr) {
      return HookError{Failure::kRefused, what + ": perfqosd serves no CPU " + r.spec.knob};
    }
    d = *cpu;
  } else if (client::Status s = client_.describe(r.spec.device, &d); !s.ok()) {
    return daemon_error(what, s);
  }
  const perfqos_knob_info* knob = nullptr;
  KnobId id = KnobId::kLatency;
  RangeEnd end = RangeEnd::kMin;
  if (r.spec.knob.empty()) {
    if (d.knob_count != 1 || d.knobs[0].list_type == PERFQOS_LIST_RANGE) {
      return HookError{Failure::kBadInput, what + ": " + r.spec.device +
                                               " has several knobs: name one as " + r.spec.device +
                                               ".KNOB=VALUE"};
    }
    knob = &d.knobs[0];
    id = tools::KnobValues::of(*knob).id;
  } else {
    parse_knob_name(r.spec.knob, &id, &end);
    for (std::size_t k = 0; k < d.knob_count; ++k) {
      if (tools::KnobValues::of(d.knobs[k]).id == id) knob = &d.knobs[k];
    }
    if (knob == nullptr) {
      return HookError{Failure::kBadInput,
                       what + ": " + r.spec.device + " has no knob '" + r.spec.knob + "'"};
    }
  }
  const std::string target = r.spec.device + "." + knob_request_name(id, end);
  if (Status s =
          tools::parse_knob_value(tools::KnobValues::of(*knob), r.spec.value, target, &out->value);
      !s.ok()) {
    return HookError{Failure::kBadInput, what + ": " + s.message()};
  }
  out->knob = r.spec.knob;
  return std::nullopt;
}

std::optional<HookError> ContainerBinder::bind_all(const std::vector<PlannedRequest>& requests,
                                                   const std::string& cgroup,
                                                   const client::Client::Note& note,
                                                   std::vector<std::uint32_t>* ids) {
  std::vector<Resolved> resolved(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].value) {
      resolved[i] = Resolved{requests[i].spec.knob, *requests[i].value};
    } else if (auto e = resolve(requests[i], &resolved[i])) {
      return e;
    }
  }
  std::vector<std::uint32_t> bound;
  std::optional<HookError> failed;
  for (std::size_t i = 0; i < requests.size() && !failed; ++i) {
    failed = arm_timeout();
    if (failed) break;
    std::uint32_t id = 0;
    const client::Status s =
        requests[i].spec.device == tools::kCpusDevice
            ? client_.bind_cpus_of(cgroup, cgroup, resolved[i].knob, resolved[i].value, note,
                                   PERFQOS_BIND_TRANSIENT | PERFQOS_BIND_CONTAINER, &id)
            : client_.bind_container(cgroup, requests[i].spec.device, resolved[i].knob,
                                     resolved[i].value, note, &id);
    if (s.ok()) {
      bound.push_back(id);
    } else {
      failed = daemon_error("annotation " + requests[i].source, s);
    }
  }
  if (!failed) {
    *ids = std::move(bound);
    return std::nullopt;
  }
  // All or nothing: give back what was bound, within what is left of the time (a daemon that
  // stopped answering cannot be helped; its transient bindings still end with the cgroup).
  for (std::uint32_t id : bound) {
    if (arm_timeout()) break;
    (void)client_.unbind(id);
  }
  return failed;
}

}  // namespace perfqos::oci
