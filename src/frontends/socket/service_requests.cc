// Service's dispatch table (service.h): one handler per request of docs/protocol.md. Each
// decodes nothing and decides nothing about rights: the codec has checked the frame, and
// Admission judges every request that places, changes or binds.
#include <algorithm>
#include <cerrno>
#include <optional>
#include <variant>

#include "admission/explanation.h"
#include "admission/profiles.h"
#include "frontends/socket/service.h"
#include "frontends/socket/wire_types.h"
#include "model/value_text.h"
#include "protocol/field_rules.h"
#include "protocol/pagination.h"

namespace perfqos::daemon {

namespace p = protocol;
using wire::change_of;
using wire::range_end_of;
using wire::reply_status;

namespace {

// Ends `page`, which began at `offset`, into a reply's entries and next_offset.
template <class Entry>
void close_page(std::uint32_t offset, p::PageBuilder<Entry>&& page, std::uint32_t* next_offset,
                std::vector<Entry>* entries) {
  *next_offset = offset + static_cast<std::uint32_t>(page.size());
  *entries = std::move(page).take();
}

Status unavailable(std::string_view what) {
  return Status::Error(EOPNOTSUPP, std::string(what) +
                                       ": cgroup-bound requests are not available in this "
                                       "perfqosd");
}

// EINVAL naming the field and its limit when a reason or application id may not be kept.
Status check_notes(const std::string& reason, const std::string& app_id) {
  if (auto why = p::check_notes(reason, app_id)) return Status::Error(EINVAL, *why);
  return Status::Ok();
}

// `s` cut to `max` bytes at a character boundary (config text may be longer than a field).
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t at = max;
  while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xc0) == 0x80) --at;
  s.resize(at);
  return s;
}

}  // namespace

p::Frame Service::handle(Client& client, const p::Frame& request, Deadline now,
                         const HolderIdentity* sender) {
  // Who asks: the frame's sender; the client (the holder) only carries the requests.
  const Call call{client, sender != nullptr ? *sender : client.holder_->identity(),
                  sender != nullptr ? admission::Vouch::kFrameCred : admission::Vouch::kPeerCred,
                  now};
  client.version_ = request.version;
  p::Frame reply{request.tag,
                 std::visit(
                     [&](const auto& message) -> p::Message {
                       using Reply = decltype(answer(call, message));
                       if (!client.refused_.ok()) {
                         return p::failed_reply<Reply>(client.refused_.code(),
                                                       client.refused_.message());
                       }
                       return answer(call, message);
                     },
                     request.message),
                 request.version};
  if (const auto* hello = std::get_if<p::HelloReply>(&reply.message);
      hello != nullptr && hello->status.error == 0) {
    client.version_ = hello->version;
  }
  return reply;
}

Status Service::find_device(std::string_view what, const std::string& name,
                            std::shared_ptr<Device>* device) const {
  *device = broker_.registry().find(name);
  if (*device) return Status::Ok();
  return Status::Error(ENODEV,
                       (what.empty() ? "" : std::string(what) + ": ") + "no device '" + name + "'");
}

p::HelloReply Service::answer(const Call&, const p::HelloRequest& hello) {
  p::HelloReply reply;
  if (hello.max_version < p::kMinVersion) {
    reply.status = p::ReplyStatus::Error(
        EPROTONOSUPPORT, "max_version " + std::to_string(hello.max_version) +
                             " too old: this server speaks versions " +
                             std::to_string(p::kMinVersion) + ".." + std::to_string(p::kVersion));
  }
  reply.version = std::min(hello.max_version, p::kVersion);
  reply.server_name = "perfqosd";
  return reply;
}

p::ListDevicesReply Service::answer(const Call&, const p::ListDevicesRequest& list) {
  const auto devices = broker_.registry().devices();
  p::ListDevicesReply reply;
  reply.total = static_cast<std::uint32_t>(devices.size());
  p::PageBuilder<p::DeviceInfo> page(list.max_entries);
  for (std::size_t i = list.offset; i < devices.size() && page.open(); ++i) {
    page.add(wire::describe(*devices[i]));
  }
  close_page(list.offset, std::move(page), &reply.next_offset, &reply.devices);
  return reply;
}

p::DescribeReply Service::answer(const Call&, const p::DescribeRequest& d) {
  p::DescribeReply reply;
  std::shared_ptr<Device> device;
  const Status s = find_device("", d.device, &device);
  reply.status = reply_status(s);
  if (s.ok()) reply.device = wire::describe(*device);
  return reply;
}

p::AddReply Service::answer(const Call& call, const p::AddRequest& add) {
  if (!add.cpus_of.empty()) return add_cpu_set(call, add);
  p::AddReply reply;
  RequestTarget target;
  RequestOutcome out;
  Status s = check_notes(add.reason, add.app_id);
  if (s.ok()) s = admission_->resolve(add.device, add.knob, range_end_of(add.end), &target);
  if (s.ok()) {
    std::optional<Deadline> expiry;
    if (add.duration_ms > 0) expiry = call.now + std::chrono::milliseconds(add.duration_ms);
    adding_ = &add;
    s = admission_->add(call.requester(), *call.client.holder_, target, add.value, expiry, &out);
    adding_ = nullptr;
  }
  reply.status = reply_status(s);
  if (s.ok()) {
    if (!add.reason.empty() || !add.app_id.empty()) {
      call.client.holder_->annotate(out.id, add.reason, add.app_id);
    }
    reply.request_id = out.id;
    reply.change = change_of(out);
    if (log_.enabled(LogLevel::kDebug)) {
      log_.debug("pid " + std::to_string(call.who.pid) + " (" + call.who.comm + ") " + add.device +
                 "." + knob_request_name(target.knob, target.end) + "=" +
                 std::to_string(add.value) +
                 (add.duration_ms ? " for " + std::to_string(add.duration_ms) + " ms" : "") +
                 (add.app_id.empty() ? "" : " app " + add.app_id) +
                 (add.reason.empty() ? "" : " reason \"" + add.reason + "\""));
    }
  }
  return reply;
}

p::UpdateReply Service::answer(const Call& call, const p::UpdateRequest& update) {
  if ((update.request_id & kCpuSetIdBit) != 0) return update_cpu_set(call, update);
  p::UpdateReply reply;
  RequestOutcome out;
  const Status s = admission_->update(call.requester(), *call.client.holder_, update.request_id,
                                      update.value, &out);
  reply.status = reply_status(s);
  if (s.ok()) reply.change = change_of(out);
  return reply;
}

p::RemoveReply Service::answer(const Call& call, const p::RemoveRequest& remove) {
  if ((remove.request_id & kCpuSetIdBit) != 0) return remove_cpu_set(call, remove);
  p::RemoveReply reply;
  RequestOutcome out;
  const Status s = admission_->remove(*call.client.holder_, remove.request_id, &out);
  reply.status = reply_status(s);
  if (s.ok()) reply.change = change_of(out);
  return reply;
}

p::ReadReply Service::answer(const Call&, const p::ReadRequest& read) {
  p::ReadReply reply;
  // Reading a range needs no end: "range", "min" and "max" all read both ends.
  const std::optional<RangeEnd> read_end =
      read.knob == "range" ? std::optional<RangeEnd>(RangeEnd::kMin) : std::nullopt;
  RequestTarget target;
  Status s = admission_->resolve(read.device, read.knob, read_end, &target);
  std::shared_ptr<Device> device;
  if (s.ok()) s = find_device("", read.device, &device);
  const Knob* knob = device ? device->knob(target.knob) : nullptr;
  if (s.ok() && knob == nullptr) s = Status::Error(ENODEV, "no device '" + read.device + "'");
  reply.status = reply_status(s);
  if (s.ok()) reply.effective = wire::effective_of(*knob);
  return reply;
}

p::SubscribeReply Service::answer(const Call& call, const p::SubscribeRequest& sub) {
  p::SubscribeReply reply;
  Client& client = call.client;
  for (const std::string& name : sub.devices) {
    std::shared_ptr<Device> device;
    if (Status s = find_device("subscribe", name, &device); !s.ok()) {
      reply.status = reply_status(s);
      return reply;
    }
  }
  // The quota counts connections, not devices: only the first subscription takes a place.
  if (!client.subscription_slot_.admitted()) {
    if (Status s = subscription_quota_.admit(call.who.uid, &client.subscription_slot_); !s.ok()) {
      log_.info("pid " + std::to_string(call.who.pid) + " (" + call.who.comm +
                ") refused: " + s.message());
      reply.status = reply_status(s);
      return reply;
    }
  }
  if (sub.devices.empty()) {
    client.subscribed_all_ = true;
    subscribers_all_.insert(&client);
  }
  for (const std::string& name : sub.devices) {
    client.subscriptions_.insert(name);
    subscribers_[name].insert(&client);
  }
  return reply;
}

p::UnsubscribeReply Service::answer(const Call& call, const p::UnsubscribeRequest& unsub) {
  unsubscribe(call.client, unsub.devices);
  return p::UnsubscribeReply{};
}

p::StatusReply Service::answer(const Call& call, const p::StatusRequest& status) {
  p::StatusReply reply;
  std::vector<std::shared_ptr<Device>> devices;
  if (status.device.empty()) {
    devices = broker_.registry().devices();
  } else {
    std::shared_ptr<Device> device;
    if (Status s = find_device("", status.device, &device); !s.ok()) {
      reply.status = reply_status(s);
      return reply;
    }
    devices.push_back(std::move(device));
  }
  // Whole devices are skipped by their request counts and the page starts with a seek into
  // the first device it covers: a page costs O(devices + log n + page), not O(requests held)
  // (issue #13: a STATUS flood from any user starved root's UPDATEs).
  std::uint64_t total = 0;
  for (const auto& device : devices) total += device->request_count();
  p::PageBuilder<p::HolderEntry> page(status.max_entries);
  std::uint64_t start = 0;  // the listing position of this device's oldest request
  for (const auto& device : devices) {
    if (!page.open()) break;
    const std::uint64_t count = device->request_count();
    if (status.offset < start + count) {
      const std::uint64_t first = status.offset > start ? status.offset - start : 0;
      device->visit_requests(
          first, [&](const HeldRequest& r) { return page.add(wire::holder_entry(r, call.now)); });
    }
    start += count;
  }
  reply.total = static_cast<std::uint32_t>(std::min<std::uint64_t>(total, UINT32_MAX));
  close_page(status.offset, std::move(page), &reply.next_offset, &reply.entries);
  return reply;
}

p::BindReply Service::answer(const Call& call, const p::BindRequest& bind) {
  p::BindReply reply;
  RequestTarget target;
  Status s = bindings_ ? check_notes(bind.reason, bind.app_id) : unavailable("bind");
  if (s.ok() && !bind.cpus_of.empty()) {
    s = admit_cpu_set_binding(call, bind, &target);
  } else if (s.ok()) {
    s = admission_->resolve(bind.device, bind.knob, range_end_of(bind.end), &target);
    if (s.ok()) {
      s = bind.container
              ? admission_->admit_container_binding(call.requester(), target, bind.value)
              : admission_->admit_binding(call.requester(), target, bind.value);
    }
  }
  RequestOutcome out;
  if (s.ok()) {
    s = bindings_->bind(call.who, bind.cgroup, target, bind.value, &reply.binding_id, &out,
                        bind.reason, bind.app_id, bind.transient, bind.cpus_of, bind.container);
  }
  reply.status = reply_status(s);
  if (s.ok()) reply.change = change_of(out);
  return reply;
}

p::UnbindReply Service::answer(const Call& call, const p::UnbindRequest& unbind) {
  p::UnbindReply reply;
  RequestOutcome out;
  const Status s =
      bindings_ ? bindings_->unbind(unbind.binding_id, call.who.uid, &out) : unavailable("unbind");
  reply.status = reply_status(s);
  if (s.ok()) reply.change = change_of(out);
  return reply;
}

p::CgroupDataReply Service::answer(const Call&, const p::CgroupDataRequest& data) {
  p::CgroupDataReply reply;
  if (!data.device.empty()) {
    std::shared_ptr<Device> device;
    if (Status s = find_device("", data.device, &device); !s.ok()) {
      reply.status = reply_status(s);
      return reply;
    }
  }
  // Seeks to the offset by the devices' sizes and stops when the page is full (issue #13).
  p::PageBuilder<p::CgroupDataEntry> page(data.max_entries);
  if (cgroup_data_ != nullptr) {
    reply.total = static_cast<std::uint32_t>(cgroup_data_->table().count(data.device));
    if (page.open()) {
      cgroup_data_->table().visit_from(data.device, data.offset, [&](const CgroupData& e) {
        return page.add(wire::cgroup_data_entry(e));
      });
    }
  }
  close_page(data.offset, std::move(page), &reply.next_offset, &reply.entries);
  return reply;
}

p::RescanReply Service::answer(const Call& call, const p::RescanRequest&) {
  p::RescanReply reply;
  Status s = call.who.uid == 0
                 ? Status::Ok()
                 : Status::Error(EACCES, "rescan: uid " + std::to_string(call.who.uid) +
                                             " may not rescan: root only");
  if (s.ok() && !rescan_) s = Status::Error(EOPNOTSUPP, "rescan: no discovery configured");
  if (s.ok()) s = rescan_(&reply.devices_added, &reply.devices_removed);
  reply.status = reply_status(s);
  return reply;
}

}  // namespace perfqos::daemon

namespace perfqos::daemon {

p::ExplainReply Service::answer(const Call& call, const p::ExplainRequest& x) {
  p::ExplainReply reply;
  admission::Explanation e;
  const Status s = admission::explain(
      *admission_, broker_, call.requester(), call.client.holder_->size(), x.device, x.knob,
      range_end_of(x.end), x.has_value ? std::optional<std::int32_t>(x.value) : std::nullopt, &e);
  reply.status = reply_status(s);
  if (!s.ok()) return reply;

  const RequestTarget& target = e.target;
  const Knob* knob = e.knob;
  const admission::Judgement& j = e.judgement;
  const bool both_ends = e.both_ends;
  const bool range = knob->is_range();
  reply.device = target.device;
  reply.knob = knob_name(target.knob);
  reply.end = !range || both_ends ? p::End::kNone
              : target.end == RangeEnd::kMin ? p::End::kMin
                                              : p::End::kMax;
  reply.unit = cut(knob->unit(), p::kMaxUnit);
  reply.effective = wire::effective_of(*knob);
  if (range) {
    reply.min_request = knob->limits().min;
    reply.max_request = knob->limits().max;
  } else {
    reply.min_request = knob->spec().min_request;
    reply.max_request = knob->spec().max_request;
  }
  reply.caller_uid = call.who.uid;
  reply.caller_cgroup = cut(call.who.cgroup, p::kMaxCgroupPath);
  reply.unrestricted = j.unrestricted;
  reply.grants_total = static_cast<std::uint32_t>(j.grants.size());
  for (const Grant& g : j.grants) {
    if (reply.grants.size() == p::kMaxExplainGrants) break;
    reply.grants.push_back(p::ExplainGrant{cut(g.device, p::kMaxDeviceName),
                                           cut(g.knob, p::kMaxKnobName), g.min, g.max,
                                           cut(g.origin, p::kMaxOrigin)});
  }
  reply.limit.knob = knob_request_name(target.knob, target.end);
  reply.limit.has_floor = j.limit.floor.has_value();
  reply.limit.floor = j.limit.floor.value_or(0);
  reply.limit.has_cap = j.limit.cap.has_value();
  reply.limit.cap = j.limit.cap.value_or(0);
  reply.limit_origin = cut(j.limit.origin, p::kMaxOrigin);
  reply.setters_total = static_cast<std::uint32_t>(j.setters.size());
  for (const HeldRequest* r : j.setters) {
    if (reply.setters.size() == p::kMaxExplainSetters) break;
    reply.setters.push_back(wire::holder_entry(*r, call.now));
  }
  reply.has_value = x.has_value;
  if (x.has_value) {
    reply.value = x.value;
    reply.verdict_errno = j.verdict.ok() ? 0 : j.verdict.code();
    reply.verdict = cut(j.verdict.message(), p::kMaxReplyMessage);
    reply.would_change = j.would_change;
    reply.would_be = wire::as_effective(*knob, j.would_be);
  }
  return reply;
}

}  // namespace perfqos::daemon

namespace perfqos::daemon {

// Anyone may list the bindings, as STATUS: they are requests in force or waiting to be.
p::BindingsReply Service::answer(const Call&, const p::BindingsRequest& list) {
  p::BindingsReply reply;
  p::PageBuilder<p::BindingEntry> page(list.max_entries);
  if (bindings_ != nullptr) {
    const std::vector<const CgroupBindings::Binding*> all = bindings_->bindings();
    reply.total = static_cast<std::uint32_t>(all.size());
    for (std::size_t i = list.offset; i < all.size() && page.open(); ++i) {
      const CgroupBindings::Binding& b = *all[i];
      p::BindingEntry e;
      e.binding_id = b.id;
      e.cgroup = cut(b.cgroup, p::kMaxCgroupPath);
      e.device = b.target.device;
      e.knob = knob_name(b.target.knob);
      e.end = b.target.knob != KnobId::kRange ? p::End::kNone
              : b.target.end == RangeEnd::kMin ? p::End::kMin
                                                : p::End::kMax;
      e.value = b.value;
      e.active = b.active();
      e.uid = b.uid;
      e.origin = cut(b.origin, p::kMaxOrigin);
      e.reason = cut(b.reason, p::kMaxReason);
      e.app_id = cut(b.app_id, p::kMaxAppId);
      page.add(std::move(e));
    }
  }
  close_page(list.offset, std::move(page), &reply.next_offset, &reply.entries);
  return reply;
}

p::ProfileReply Service::answer(const Call&, const p::ProfileRequest& r) {
  p::ProfileReply reply;
  static const std::vector<ProfileConfig> none;
  const std::vector<admission::Profile> profiles =
      admission::profiles_in_force(broker_, profiles_ ? profiles_() : none);
  const auto profile = std::find_if(profiles.begin(), profiles.end(),
                                    [&](const admission::Profile& p) { return p.name == r.name; });
  if (profile == profiles.end()) {
    std::string names;
    for (const admission::Profile& p : profiles) names += (names.empty() ? "" : ", ") + p.name;
    reply.status =
        reply_status(Status::Error(ENOENT, "no profile '" + r.name + "': profiles are " + names));
    return reply;
  }
  std::vector<admission::ResolvedSpec> resolved;
  std::size_t absent = 0;
  Status s = admission::resolve_profile(broker_, *admission_, *profile, &resolved, &absent);
  if (s.ok() && resolved.size() > p::kMaxProfileRequests) {
    s = Status::Error(E2BIG, "profile " + r.name + ": " + std::to_string(resolved.size()) +
                                 " requests, more than the " +
                                 std::to_string(p::kMaxProfileRequests) +
                                 " a PROFILE reply carries");
  }
  reply.status = reply_status(s);
  if (!s.ok()) return reply;
  for (const admission::ResolvedSpec& spec : resolved) {
    const RequestTarget& t = spec.target;
    const p::End end = !is_range_knob(t.knob)    ? p::End::kNone
                       : t.end == RangeEnd::kMin ? p::End::kMin
                                                 : p::End::kMax;
    reply.requests.push_back(
        p::ProfileEntry{t.device, knob_request_name(t.knob, t.end), end, spec.value});
  }
  reply.absent = static_cast<std::uint32_t>(absent);
  return reply;
}

}  // namespace perfqos::daemon
