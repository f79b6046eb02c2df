#include "frontends/socket/service.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include "frontends/socket/wire_types.h"
#include "model/value_text.h"

namespace perfqos::daemon {

namespace p = protocol;

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
  p::Notification n{device.name(), knob_name(knob.id()), wire::as_effective(knob, old_value),
                    wire::as_effective(knob, new_value)};
  // The change happens inside the Broker call that makes it: it knows which request.
  if (const HeldRequest* r = broker_.cause().request; r != nullptr) {
    const HolderIdentity& id = r->holder().identity();
    n.has_cause = true;
    n.cause_kind = static_cast<p::HolderKind>(id.kind);
    n.cause_pid = id.pid;
    n.cause_uid = id.uid;
    n.cause_comm = id.comm.substr(0, p::kMaxComm);
    n.cause_request_id = r->id();
    n.cause_action = static_cast<p::CauseAction>(broker_.cause().action);
    // An ADD's notes are kept on its request once it is placed, after this notification.
    const bool adding = adding_ != nullptr && broker_.cause().action == ChangeAction::kAdd;
    n.cause_reason = adding && r->reason().empty() ? adding_->reason : r->reason();
    n.cause_app_id = adding && r->app_id().empty() ? adding_->app_id : r->app_id();
  }
  p::Frame frame{0, std::move(n)};
  const auto send = [&frame](Client* c) {
    frame.version = c->version_;
    c->notify_(frame);
  };
  for (Client* c : subscribers_all_) send(c);
  if (named != subscribers_.end()) {
    for (Client* c : named->second) {
      if (!c->subscribed_all_) send(c);
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

void Service::unsubscribe(Client& client, const std::vector<std::string>& devices) {
  std::vector<std::string> names(devices);
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
}

void Service::forget(Client& client) {
  unsubscribe(client, {});
  clients_.erase(&client);
  client.cpu_sets_.clear();
  client.holder_.reset();  // drops its requests now, while the service is whole
}

}  // namespace perfqos::daemon
