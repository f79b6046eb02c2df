// Service's CPU-set requests (protocol version 4, docs/protocol.md "CPU-set requests"): an ADD
// with cpus_of places one request on each CPU of a cgroup, judged per CPU by the Admission as
// `cpuN.KNOB=VALUE` from the same caller would be, and follows the cgroup's CPUs; its id (bit
// 31 set) names them all for UPDATE and REMOVE.
#include <cerrno>

#include "frontends/socket/service.h"
#include "frontends/socket/wire_types.h"
#include "protocol/field_rules.h"

namespace perfqos::daemon {

namespace p = protocol;
using wire::change_of;
using wire::reply_status;

namespace {

Status no_cpusets() {
  return Status::Error(EOPNOTSUPP,
                       "cpus_of: requests on a cgroup's CPUs need cgroup2, which this perfqosd "
                       "does not have");
}

}  // namespace

p::AddReply Service::add_cpu_set(const Call& call, const p::AddRequest& add) {
  p::AddReply reply;
  RequestTarget knob;
  Status s =
      cpusets_ != nullptr ? admission::cpu_set_knob(add.device, add.knob, &knob) : no_cpusets();
  if (s.ok() && add.end != p::End::kNone) {
    s = Status::Error(EINVAL, "end: a per-CPU knob has no range end");
  }
  if (s.ok() && add.duration_ms != 0) {
    s = Status::Error(EINVAL, "duration_ms " + std::to_string(add.duration_ms) +
                                  ": a request on a cgroup's CPUs is untimed (0)");
  }
  if (s.ok()) {
    if (auto why = p::check_notes(add.reason, add.app_id)) s = Status::Error(EINVAL, *why);
  }
  Client& client = call.client;
  if (s.ok() && client.cpu_sets_.size() >= kMaxCpuSetsPerConnection) {
    // Each is a cgroup read every second: bounded apart from the requests it places.
    s = Status::Error(EDQUOT, "cpus_of: at most " + std::to_string(kMaxCpuSetsPerConnection) +
                                  " requests on cgroups' CPUs per connection");
  }
  if (s.ok() && client.last_cpu_set_ + 1 >= kCpuSetIdBit) {
    s = Status::Error(EDQUOT, "cpus_of: this connection made 2^31 CPU-set requests");
  }
  std::unique_ptr<CpusOfRequest> made;
  RequestOutcome out;
  if (s.ok()) {
    Holder& holder = *client.holder_;
    const admission::Requester who = call.requester();
    auto place = [this, who, &holder, reason = add.reason, app_id = add.app_id](
                     const RequestTarget& target, std::int32_t value, RequestOutcome* placed) {
      Status added = admission_->add(who, holder, target, value, std::nullopt, placed);
      if (added.ok() && (!reason.empty() || !app_id.empty())) {
        holder.annotate(placed->id, reason, app_id);
      }
      return added;
    };
    const std::string what = "pid " + std::to_string(call.who.pid) + " (" + call.who.comm +
                             ") cpus of " + add.cpus_of + ": " + add.knob;
    s = CpusOfRequest::start(*cpusets_, add.cpus_of,
                             std::make_unique<admission::CpuSetRequest>(
                                 *admission_, holder, knob, add.value, place, log_, what),
                             &out, &made);
  }
  reply.status = reply_status(s);
  if (s.ok()) {
    const std::uint32_t id = kCpuSetIdBit | ++client.last_cpu_set_;
    log_.debug("pid " + std::to_string(call.who.pid) + " (" + call.who.comm + ") cpus of " +
               add.cpus_of + ": " + add.knob + "=" + std::to_string(add.value) + " on " +
               std::to_string(made->request().placed().size()) + " CPUs, request " +
               std::to_string(id));
    client.cpu_sets_.emplace(id, std::move(made));
    reply.request_id = id;
    reply.change = change_of(out);
  }
  return reply;
}

p::UpdateReply Service::update_cpu_set(const Call& call, const p::UpdateRequest& update) {
  p::UpdateReply reply;
  Client& client = call.client;
  auto it = client.cpu_sets_.find(update.request_id);
  if (it == client.cpu_sets_.end()) {
    reply.status =
        reply_status(Status::Error(ENOENT, "no request " + std::to_string(update.request_id)));
    return reply;
  }
  Holder& holder = *client.holder_;
  const admission::Requester who = call.requester();
  RequestOutcome out;
  const Status s = it->second->request().update(
      update.value,
      [&](RequestId id, std::int32_t value, RequestOutcome* changed) {
        return admission_->update(who, holder, id, value, changed);
      },
      &out);
  reply.status = reply_status(s);
  if (s.ok()) reply.change = change_of(out);
  return reply;
}

p::RemoveReply Service::remove_cpu_set(const Call& call, const p::RemoveRequest& remove) {
  p::RemoveReply reply;
  Client& client = call.client;
  auto it = client.cpu_sets_.find(remove.request_id);
  if (it == client.cpu_sets_.end()) {
    reply.status =
        reply_status(Status::Error(ENOENT, "no request " + std::to_string(remove.request_id)));
    return reply;
  }
  RequestOutcome out;
  it->second->request().drop_all(&out);
  client.cpu_sets_.erase(it);
  reply.change = change_of(out);
  return reply;
}

Status Service::admit_cpu_set_binding(const Call& call, const p::BindRequest& bind,
                                      RequestTarget* knob) {
  if (cpusets_ == nullptr) return no_cpusets();
  if (Status s = admission::cpu_set_knob(bind.device, bind.knob, knob); !s.ok()) return s;
  if (bind.end != p::End::kNone)
    return Status::Error(EINVAL, "end: a per-CPU knob has no range end");
  if (Status s = check_cgroup_path(bind.cpus_of); !s.ok()) {
    return Status::Error(EINVAL, "cpus_of: " + s.message());
  }
  const std::vector<int> cpus = cpusets_->cpus_of(bind.cpus_of);
  if (cpus.empty()) {
    return Status::Error(cpusets_->exists(bind.cpus_of) ? EINVAL : ENOENT,
                         "cpus_of: cgroup " + bind.cpus_of + " has no CPUs (or does not exist)");
  }
  // As a binding is judged when it is bound: on each CPU its cgroup has now. CPUs that join
  // later are judged when they join (CgroupBindings).
  for (int cpu : cpus) {
    RequestTarget target = *knob;
    target.device = admission::cpu_device(cpu);
    const Status s = bind.container
                         ? admission_->admit_container_binding(call.requester(), target, bind.value)
                         : admission_->admit_binding(call.requester(), target, bind.value);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace perfqos::daemon
