#include "frontends/socket/service.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include "model/value_text.h"
#include "protocol/codec.h"
#include "protocol/pagination.h"

namespace perfqos::daemon {

namespace p = protocol;

namespace {

p::Effective effective_of(const Knob& knob) {
  if (knob.is_range()) {
    const Range r = knob.effective_range();
    return p::Effective::Range(r.min, r.max);
  }
  return p::Effective::Single(knob.effective());
}

p::CgroupDataEntry cgroup_data_entry(const CgroupData& data) {
  const auto saturated = [](std::uint64_t n) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX));
  };
  p::CgroupDataEntry e;
  e.device = data.device;
  e.cgroup = data.cgroup.substr(0, p::kMaxCgroupPath);
  for (const CgroupLimit& l : data.limits) {
    if (e.limits.size() == p::kMaxCgroupKnobLimits) break;
    e.limits.push_back(p::CgroupKnobLimit{l.knob, l.floor.has_value(), l.floor.value_or(0),
                                          l.cap.has_value(), l.cap.value_or(0)});
  }
  e.admitted = saturated(data.counters.admitted);
  e.refused = saturated(data.counters.refused);
  return e;
}

p::Effective as_effective(const Knob& knob, Range r) {
  return knob.is_range() ? p::Effective::Range(r.min, r.max) : p::Effective::Single(r.min);
}

p::ListType list_type_of(const Knob& knob) {
  if (knob.is_range()) return p::ListType::kRange;
  switch (knob.spec().type) {
    case ListType::kMin:
      return p::ListType::kMin;
    case ListType::kMax:
      return p::ListType::kMax;
    case ListType::kSum:
      return p::ListType::kSum;
    case ListType::kFlags:
      return p::ListType::kFlags;
  }
  return p::ListType::kMin;
}

p::DeviceInfo describe(const Device& device) {
  p::DeviceInfo info;
  info.name = device.name();
  info.kind = device.kind();
  info.parent = device.parent() ? device.parent()->name() : "";
  info.perf_unit = to_string(device.perf_unit());
  info.last_errno = device.backend_errors().last_errno;
  info.last_error = device.backend_errors().last_message.substr(0, p::kMaxBackendMessage);
  info.error_count = static_cast<std::uint32_t>(device.backend_errors().count);
  for (const Knob* knob : device.knobs()) {
    p::KnobInfo k;
    k.name = knob_name(knob->id());
    k.list_type = list_type_of(*knob);
    k.unit = knob->unit();
    const ListSpec spec = knob->spec(RangeEnd::kMin);
    k.default_value = knob->is_range() ? knob->limits().min : spec.default_value;
    k.no_constraint_value = knob->is_range() ? knob->limits().min : spec.no_constraint_value;
    k.min_request = spec.min_request;
    k.max_request = spec.max_request;
    k.effective = effective_of(*knob);
    if (knob->is_range()) {
      k.limit_min = knob->limits().min;
      k.limit_max = knob->limits().max;
    }
    k.active_requests = static_cast<std::uint32_t>(knob->size());
    info.knobs.push_back(std::move(k));
  }
  return info;
}

p::End end_of(const HeldRequest& r) {
  if (r.knob() != KnobId::kRange) return p::End::kNone;
  return r.end() == RangeEnd::kMin ? p::End::kMin : p::End::kMax;
}

p::HolderEntry holder_entry(const HeldRequest& r, Deadline now) {
  const HolderIdentity& id = r.holder().identity();
  p::HolderEntry e;
  e.device = r.device() ? r.device()->name() : "";
  e.knob = knob_name(r.knob());
  e.end = end_of(r);
  e.value = r.value();
  e.request_id = r.id();
  e.holder_kind = static_cast<p::HolderKind>(id.kind);
  e.pid = id.pid;
  e.uid = id.uid;
  e.gid = id.gid;
  e.comm = id.comm.substr(0, p::kMaxComm);
  e.cgroup = id.cgroup.substr(0, p::kMaxCgroupPath);
  e.label = id.label();
  e.binding = r.binding();
  if (r.expiry()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*r.expiry() - now).count();
    e.remaining_ms = static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1));
  }
  return e;
}

// The range end a frame names, if any.
std::optional<RangeEnd> range_end_of(p::End end) {
  if (end == p::End::kNone) return std::nullopt;
  return end == p::End::kMin ? RangeEnd::kMin : RangeEnd::kMax;
}

p::ReplyStatus reply_status(const Status& s) {
  return s.ok() ? p::ReplyStatus{} : p::ReplyStatus::Error(s.code(), s.message());
}

p::Change change_of(const RequestOutcome& out) {
  const Range r = out.effective;
  return p::Change{out.changed, out.knob == KnobId::kRange ? p::Effective::Range(r.min, r.max)
                                                           : p::Effective::Single(r.min)};
}

// The reply of the type that answers `request`, reporting `s`.
template <class Req, class Rep>
bool refuse_as(const p::Message& request, const Status& s, p::Message* out) {
  if (!std::holds_alternative<Req>(request)) return false;
  *out = p::failed_reply<Rep>(s.code(), s.message());
  return true;
}

p::Message refusal(const p::Message& request, const Status& s) {
  p::Message out = p::ErrorReply{p::ReplyStatus::Error(s.code(), s.message())};
  (void)(refuse_as<p::HelloRequest, p::HelloReply>(request, s, &out) ||
         refuse_as<p::ListDevicesRequest, p::ListDevicesReply>(request, s, &out) ||
         refuse_as<p::DescribeRequest, p::DescribeReply>(request, s, &out) ||
         refuse_as<p::AddRequest, p::AddReply>(request, s, &out) ||
         refuse_as<p::UpdateRequest, p::UpdateReply>(request, s, &out) ||
         refuse_as<p::RemoveRequest, p::RemoveReply>(request, s, &out) ||
         refuse_as<p::ReadRequest, p::ReadReply>(request, s, &out) ||
         refuse_as<p::SubscribeRequest, p::SubscribeReply>(request, s, &out) ||
         refuse_as<p::UnsubscribeRequest, p::UnsubscribeReply>(request, s, &out) ||
         refuse_as<p::StatusRequest, p::StatusReply>(request, s, &out) ||
         refuse_as<p::BindRequest, p::BindReply>(request, s, &out) ||
         refuse_as<p::UnbindRequest, p::UnbindReply>(request, s, &out) ||
         refuse_as<p::RescanRequest, p::RescanReply>(request, s, &out) ||
         refuse_as<p::CgroupDataRequest, p::CgroupDataReply>(request, s, &out));
  return out;
}

}  // namespace

Client::~Client() {
  service_.forget(*this);
}

Service::Service(Broker& broker, const Logger& log, Rescan rescan)
    : broker_(broker),
      log_(log),
      rescan_(std::move(rescan)),
      own_admission_(std::make_unique<admission::Admission>(broker, default_policy_, log)),
      admission_(own_admission_.get()) {
  for (const auto& device : broker_.registry().devices()) watch_device(device);
  registry_listener_ = broker_.registry().subscribe(
      [this](RegistryEvent event, const std::shared_ptr<Device>& device) {
        if (event == RegistryEvent::kAdded) {
          watch_device(device);
        } else {
          unwatch_device(*device);
        }
      });
}

Service::~Service() {
  broker_.registry().unsubscribe(registry_listener_);
  for (auto& [device, knobs] : watched_) {
    for (auto& [knob, id] : knobs) knob->unsubscribe(id);
  }
}

void Service::set_policy(const PolicyStore* policy) {
  policy_ = policy != nullptr ? policy : &default_policy_;
  default_quota_.set_policy(policy);
  subscription_quota_.set_policy(policy);
  const bool own = admission_ == own_admission_.get();
  own_admission_ = std::make_unique<admission::Admission>(broker_, *policy_, log_);
  own_admission_->set_counter(cgroup_data_);
  if (own) admission_ = own_admission_.get();
}

void Service::watch_device(const std::shared_ptr<Device>& device) {
  auto& knobs = watched_[device.get()];
  for (const Knob* k : device->knobs()) {
    Knob* knob = device->knob(k->id());
    const Device* d = device.get();
    knobs.emplace_back(
        knob, knob->subscribe([this, d, knob](Range o, Range n) { notify(*d, *knob, o, n); }));
  }
}

void Service::unwatch_device(const Device& device) {
  auto it = watched_.find(&device);
  if (it == watched_.end()) return;
  for (auto& [knob, id] : it->second) knob->unsubscribe(id);
  watched_.erase(it);
}

void Service::notify(const Device& device, const Knob& knob, Range old_value, Range new_value) {
  auto named = subscribers_.find(device.name());
  if (subscribers_all_.empty() && named == subscribers_.end()) return;
  p::Frame frame{0, p::Notification{device.name(), knob_name(knob.id()),
                                    as_effective(knob, old_value), as_effective(knob, new_value)}};
  for (Client* c : subscribers_all_) c->notify_(frame);
  if (named != subscribers_.end()) {
    for (Client* c : named->second) {
      if (!c->subscribed_all_) c->notify_(frame);
    }
  }
}

std::unique_ptr<Client> Service::connect(HolderIdentity identity,
                                         std::function<void(const p::Frame&)> notify) {
  ConnectionQuota::Slot slot;
  Status admitted = quota_->admit(identity.uid, &slot);
  if (!admitted.ok())
    log_.warning("pid " + std::to_string(identity.pid) + ": " + admitted.message());
  std::unique_ptr<Client> client(
      new Client(*this, broker_.make_holder(std::move(identity)), std::move(notify)));
  client->refused_ = std::move(admitted);
  client->quota_slot_ = std::move(slot);
  clients_.insert(client.get());
  return client;
}

void Service::forget(Client& client) {
  subscribers_all_.erase(&client);
  for (const std::string& name : client.subscriptions_) {
    auto it = subscribers_.find(name);
    if (it == subscribers_.end()) continue;
    it->second.erase(&client);
    if (it->second.empty()) subscribers_.erase(it);
  }
  client.subscription_slot_.release();
  clients_.erase(&client);
  client.holder_.reset();  // drops its requests now, while the service is whole
}

p::Frame Service::handle(Client& client, const p::Frame& request, Deadline now,
                         const HolderIdentity* sender) {
  return p::Frame{request.tag, dispatch(client, request.message, now, sender)};
}

p::Message Service::dispatch(Client& client, const p::Message& message, Deadline now,
                             const HolderIdentity* sender) {
  // Who asks: the frame's sender; the client (the holder) only carries the requests.
  const HolderIdentity& who = sender != nullptr ? *sender : client.holder_->identity();
  if (!client.refused_.ok()) return refusal(message, client.refused_);
  // Built only for the requests admission judges.
  const auto requester = [&] {
    return admission::Requester::of(
        who, sender != nullptr ? admission::Vouch::kFrameCred : admission::Vouch::kPeerCred);
  };

  if (const auto* hello = std::get_if<p::HelloRequest>(&message)) {
    p::HelloReply reply;
    if (hello->max_version < p::kVersion) {
      reply.status = p::ReplyStatus::Error(EPROTONOSUPPORT,
                                           "max_version " + std::to_string(hello->max_version) +
                                               " too old: this server speaks version " +
                                               std::to_string(p::kVersion));
    }
    reply.server_name = "perfqosd";
    return reply;
  }
  if (const auto* list = std::get_if<p::ListDevicesRequest>(&message)) {
    const auto devices = broker_.registry().devices();
    p::ListDevicesReply reply;
    reply.total = static_cast<std::uint32_t>(devices.size());
    p::PageBuilder<p::DeviceInfo> page(list->max_entries);
    for (std::size_t i = list->offset; i < devices.size() && page.open(); ++i) {
      page.add(describe(*devices[i]));
    }
    reply.next_offset = list->offset + static_cast<std::uint32_t>(page.size());
    reply.devices = std::move(page).take();
    return reply;
  }
  if (const auto* d = std::get_if<p::DescribeRequest>(&message)) {
    p::DescribeReply reply;
    if (auto device = broker_.registry().find(d->device)) {
      reply.device = describe(*device);
    } else {
      reply.status = p::ReplyStatus::Error(ENODEV, "no device '" + d->device + "'");
    }
    return reply;
  }
  if (const auto* add = std::get_if<p::AddRequest>(&message)) {
    p::AddReply reply;
    RequestTarget target;
    RequestOutcome out;
    Status s = admission_->resolve(add->device, add->knob, range_end_of(add->end), &target);
    if (s.ok()) {
      std::optional<Deadline> expiry;
      if (add->duration_ms > 0) expiry = now + std::chrono::milliseconds(add->duration_ms);
      s = admission_->add(requester(), *client.holder_, target, add->value, expiry, &out);
    }
    reply.status = reply_status(s);
    if (s.ok()) {
      reply.request_id = out.id;
      reply.change = change_of(out);
      if (log_.enabled(LogLevel::kDebug)) {
        log_.debug("pid " + std::to_string(who.pid) + " (" + who.comm + ") " + add->device + "." +
                   knob_request_name(target.knob, target.end) + "=" + std::to_string(add->value) +
                   (add->duration_ms ? " for " + std::to_string(add->duration_ms) + " ms" : ""));
      }
    }
    return reply;
  }
  if (const auto* update = std::get_if<p::UpdateRequest>(&message)) {
    p::UpdateReply reply;
    RequestOutcome out;
    Status s =
        admission_->update(requester(), *client.holder_, update->request_id, update->value, &out);
    reply.status = reply_status(s);
    if (s.ok()) reply.change = change_of(out);
    return reply;
  }
  if (const auto* remove = std::get_if<p::RemoveRequest>(&message)) {
    p::RemoveReply reply;
    RequestOutcome out;
    Status s = admission_->remove(*client.holder_, remove->request_id, &out);
    reply.status = reply_status(s);
    if (s.ok()) reply.change = change_of(out);
    return reply;
  }
  if (const auto* read = std::get_if<p::ReadRequest>(&message)) {
    p::ReadReply reply;
    // Reading a range needs no end: "range", "min" and "max" all read both ends.
    const std::optional<RangeEnd> read_end =
        read->knob == "range" ? std::optional<RangeEnd>(RangeEnd::kMin) : std::nullopt;
    RequestTarget target;
    Status s = admission_->resolve(read->device, read->knob, read_end, &target);
    std::shared_ptr<Device> device;
    if (s.ok()) device = broker_.registry().find(read->device);
    const Knob* knob = device ? device->knob(target.knob) : nullptr;
    if (s.ok() && knob == nullptr) s = Status::Error(ENODEV, "no device '" + read->device + "'");
    reply.status = reply_status(s);
    if (s.ok()) reply.effective = effective_of(*knob);
    return reply;
  }
  if (const auto* sub = std::get_if<p::SubscribeRequest>(&message)) {
    p::SubscribeReply reply;
    for (const std::string& name : sub->devices) {
      if (!broker_.registry().find(name)) {
        reply.status = p::ReplyStatus::Error(ENODEV, "subscribe: no device '" + name + "'");
        return reply;
      }
    }
    // The quota counts connections, not devices: only the first subscription takes a place.
    if (!client.subscription_slot_.admitted()) {
      if (Status s = subscription_quota_.admit(who.uid, &client.subscription_slot_); !s.ok()) {
        log_.info("pid " + std::to_string(who.pid) + " (" + who.comm + ") refused: " + s.message());
        reply.status = reply_status(s);
        return reply;
      }
    }
    if (sub->devices.empty()) {
      client.subscribed_all_ = true;
      subscribers_all_.insert(&client);
    }
    for (const std::string& name : sub->devices) {
      client.subscriptions_.insert(name);
      subscribers_[name].insert(&client);
    }
    return reply;
  }
  if (const auto* unsub = std::get_if<p::UnsubscribeRequest>(&message)) {
    std::vector<std::string> names(unsub->devices);
    if (names.empty()) {
      client.subscribed_all_ = false;
      subscribers_all_.erase(&client);
      names.assign(client.subscriptions_.begin(), client.subscriptions_.end());
    }
    for (const std::string& name : names) {
      client.subscriptions_.erase(name);
      auto it = subscribers_.find(name);
      if (it == subscribers_.end()) continue;
      it->second.erase(&client);
      if (it->second.empty()) subscribers_.erase(it);
    }
    if (!client.subscribed_all_ && client.subscriptions_.empty()) {
      client.subscription_slot_.release();
    }
    return p::UnsubscribeReply{};
  }
  if (const auto* status = std::get_if<p::StatusRequest>(&message)) {
    p::StatusReply reply;
    std::vector<std::shared_ptr<Device>> devices;
    if (status->device.empty()) {
      devices = broker_.registry().devices();
    } else if (auto device = broker_.registry().find(status->device)) {
      devices.push_back(device);
    } else {
      reply.status = p::ReplyStatus::Error(ENODEV, "no device '" + status->device + "'");
      return reply;
    }
    // Whole devices are skipped by their request counts and the page starts with a seek into
    // the first device it covers: a page costs O(devices + log n + page), not O(requests held)
    // (issue #13: a STATUS flood from any user starved root's UPDATEs).
    std::uint64_t total = 0;
    for (const auto& device : devices) total += device->request_count();
    p::PageBuilder<p::HolderEntry> page(status->max_entries);
    std::uint64_t start = 0;  // the listing position of this device's oldest request
    for (const auto& device : devices) {
      if (!page.open()) break;
      const std::uint64_t count = device->request_count();
      if (status->offset < start + count) {
        const std::uint64_t first = status->offset > start ? status->offset - start : 0;
        device->visit_requests(
            first, [&](const HeldRequest& r) { return page.add(holder_entry(r, now)); });
      }
      start += count;
    }
    reply.total = static_cast<std::uint32_t>(std::min<std::uint64_t>(total, UINT32_MAX));
    reply.next_offset = status->offset + static_cast<std::uint32_t>(page.size());
    reply.entries = std::move(page).take();
    return reply;
  }
  if (const auto* bind = std::get_if<p::BindRequest>(&message)) {
    p::BindReply reply;
    RequestTarget target;
    Status s = bindings_ ? Status::Ok()
                         : Status::Error(EOPNOTSUPP,
                                         "bind: cgroup-bound requests are not "
                                         "available in this perfqosd");
    if (s.ok()) s = admission_->resolve(bind->device, bind->knob, range_end_of(bind->end), &target);
    if (s.ok()) s = admission_->admit_binding(requester(), target, bind->value);
    RequestOutcome out;
    if (s.ok())
      s = bindings_->bind(who, bind->cgroup, target, bind->value, &reply.binding_id, &out);
    reply.status = reply_status(s);
    if (s.ok()) reply.change = change_of(out);
    return reply;
  }
  if (const auto* unbind = std::get_if<p::UnbindRequest>(&message)) {
    p::UnbindReply reply;
    RequestOutcome out;
    Status s = bindings_ ? bindings_->unbind(unbind->binding_id, who.uid, &out)
                         : Status::Error(EOPNOTSUPP,
                                         "unbind: cgroup-bound requests are not "
                                         "available in this perfqosd");
    reply.status = reply_status(s);
    if (s.ok()) reply.change = change_of(out);
    return reply;
  }
  if (const auto* data = std::get_if<p::CgroupDataRequest>(&message)) {
    p::CgroupDataReply reply;
    if (!data->device.empty() && !broker_.registry().find(data->device)) {
      reply.status = p::ReplyStatus::Error(ENODEV, "no device '" + data->device + "'");
      return reply;
    }
    // Seeks to the offset by the devices' sizes and stops when the page is full (issue #13).
    p::PageBuilder<p::CgroupDataEntry> page(data->max_entries);
    if (cgroup_data_ != nullptr) {
      reply.total = static_cast<std::uint32_t>(cgroup_data_->table().count(data->device));
      if (page.open()) {
        cgroup_data_->table().visit_from(data->device, data->offset, [&](const CgroupData& e) {
          return page.add(cgroup_data_entry(e));
        });
      }
    }
    reply.next_offset = data->offset + static_cast<std::uint32_t>(page.size());
    reply.entries = std::move(page).take();
    return reply;
  }
  if (std::holds_alternative<p::RescanRequest>(message)) {
    p::RescanReply reply;
    Status s = who.uid == 0 ? Status::Ok()
                            : Status::Error(EACCES, "rescan: uid " + std::to_string(who.uid) +
                                                        " may not rescan: root only");
    if (s.ok() && !rescan_) s = Status::Error(EOPNOTSUPP, "rescan: no discovery configured");
    if (s.ok()) s = rescan_(&reply.devices_added, &reply.devices_removed);
    reply.status = reply_status(s);
    return reply;
  }
  // decode() lets only requests through; anything else is a bug of the caller.
  return p::ErrorReply{p::ReplyStatus::Error(EBADMSG, "not a request")};
}

}  // namespace perfqos::daemon
