// Service: the socket protocol's operations (docs/protocol.md) carried out on the Broker.
// It knows frames and the model, nothing of sockets: SocketServer feeds it decoded requests and
// sends what it returns.
//
// Authorization: root may do anything; any other uid may only read (list, describe, read,
// subscribe, status) until the policy grants more (DESIGN §8): writes get EACCES.
//
// Notifications: every knob of every registered device is watched; a change goes, as a
// Notification frame, to each client subscribed to that device (or to all devices).
//
// Thread safety: confined to the daemon's loop thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon/log.h"
#include "perfqos/broker.h"
#include "protocol/messages.h"

namespace perfqos::daemon {

class Service;

// One connection's state: its holder (its requests) and its subscriptions.
class Client {
 public:
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const HolderIdentity& identity() const { return holder_->identity(); }
  std::size_t requests() const { return holder_->size(); }

 private:
  friend class Service;
  Client(Service& service, std::unique_ptr<Holder> holder,
         std::function<void(const protocol::Frame&)> notify)
      : service_(service), holder_(std::move(holder)), notify_(std::move(notify)) {}

  Service& service_;
  std::unique_ptr<Holder> holder_;
  std::function<void(const protocol::Frame&)> notify_;
  bool subscribed_all_ = false;
  std::set<std::string> subscriptions_;
};

class Service {
 public:
  // Rediscovers devices for RESCAN: fills how many were added and removed.
  using Rescan = std::function<Status(std::uint32_t* added, std::uint32_t* removed)>;

  Service(Broker& broker, const Logger& log, Rescan rescan = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // `notify` sends one notification frame to the client; it must not call back into Service.
  std::unique_ptr<Client> connect(HolderIdentity identity,
                                  std::function<void(const protocol::Frame&)> notify);

  // The reply to one request frame (same tag). Never fails: errors are replies.
  protocol::Frame handle(Client& client, const protocol::Frame& request, Deadline now);

 private:
  friend class Client;
  void forget(Client& client);
  void watch_device(const std::shared_ptr<Device>& device);
  void unwatch_device(const Device& device);
  void notify(const Device& device, const Knob& knob, Range old_value, Range new_value);

  protocol::Message dispatch(Client& client, const protocol::Message& request, Deadline now);

  Broker& broker_;
  const Logger& log_;
  Rescan rescan_;
  std::uint64_t registry_listener_ = 0;
  std::set<Client*> clients_;
  std::map<const Device*, std::vector<std::pair<Knob*, SubscriptionId>>> watched_;
  std::set<Client*> subscribers_all_;
  std::map<std::string, std::set<Client*>, std::less<>> subscribers_;
};

}  // namespace perfqos::daemon
