// Service: the socket protocol's operations (docs/protocol.md) carried out on the Broker.
// It knows frames and the model, nothing of sockets: SocketServer feeds it decoded requests and
// sends what it returns.
//
// Admission decides (admission/admission.h): every ADD, UPDATE, REMOVE and BIND, and the knob a
// READ names, go through the Admission the daemon wires (set_admission), with the caller as a
// Requester: the frame's sender when given (SCM_CREDENTIALS), else the connection's identity
// (SO_PEERCRED). The Service decides nothing itself: root may do anything, others only what a
// grant allows (EACCES names the grant needed), requests per connection over quota are EDQUOT,
// and every decision is counted in the caller's per-cgroup data, all in the Admission.
// Quotas the Service keeps itself: connections per uid through the ConnectionQuota it shares
// with the FUSE tree (a connection over the quota is kept open but every request on it gets
// EUSERS), subscribed connections per uid and in all (SUBSCRIBE gets EDQUOT;
// subscription_quota.h).
//
// PROFILE resolves a profile (the built-ins and the config's, set_profiles) to its requests on the
// devices registered now; it places nothing.
//
// Notifications: every knob of every registered device is watched; a change goes, as a
// Notification frame, to each client subscribed to that device (or to all devices).
//
// Thread safety: confined to the daemon's loop thread.
#pragma once

#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "cgroup/cgroup_bindings.h"
#include "cgroup/cgroup_data_tracker.h"
#include "cgroup/cpus_of_request.h"
#include "model/broker.h"
#include "policy/config.h"
#include "policy/connection_quota.h"
#include "policy/policy_store.h"
#include "policy/subscription_quota.h"
#include "protocol/messages.h"
#include "util/log.h"

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
  Status refused_;                    // not ok: over the connections-per-uid quota
  ConnectionQuota::Slot quota_slot_;  // admitted: counts against its uid while connected
  std::function<void(const protocol::Frame&)> notify_;
  bool subscribed_all_ = false;
  // The version notifications go in: that of the latest frame the client sent (HELLO's
  // negotiated version).
  std::uint8_t version_ = protocol::kMinVersion;
  std::set<std::string> subscriptions_;
  SubscriptionQuota::Slot subscription_slot_;  // admitted while any subscription is in force
  // Requests scoped to a cgroup's CPUs (ADD with cpus_of), by request id (kCpuSetIdBit set);
  // declared after holder_, so they go before it.
  std::map<std::uint32_t, std::unique_ptr<CpusOfRequest>> cpu_sets_;
  std::uint32_t last_cpu_set_ = 0;
};

// The bit that marks the request id of a CPU-set request (ADD with cpus_of): the holder's own
// ids count up from 1 and never reach it.
inline constexpr std::uint32_t kCpuSetIdBit = 0x80000000u;
// CPU-set requests one connection may hold at once (EDQUOT beyond): each costs a cgroup read a
// second besides the requests it places, which quotas.max_requests_per_holder bounds.
inline constexpr std::size_t kMaxCpuSetsPerConnection = 64;

class Service {
 public:
  // Rediscovers devices for RESCAN: fills how many were added and removed.
  using Rescan = std::function<Status(std::uint32_t* added, std::uint32_t* removed)>;

  Service(Broker& broker, const Logger& log, Rescan rescan = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Optional collaborators, wired by the daemon. REQUIRES: they outlive the service.
  // The admission every request goes through; without one, the service keeps its own over the
  // policy below (and the cgroup data's counter). Null: back to its own.
  void set_admission(admission::Admission* admission) {
    admission_ = admission != nullptr ? admission : own_admission_.get();
  }
  // The policy of the quotas kept here (and of the service's own admission, when none is
  // wired). Without a policy: root writes, others read.
  void set_policy(const PolicyStore* policy);
  // Without bindings, BIND and UNBIND answer EOPNOTSUPP.
  // The quota shared with other front ends; without one, the service keeps its own with the
  // policy above. REQUIRES: it outlives the service.
  void set_connection_quota(ConnectionQuota* quota) { quota_ = quota; }
  void set_bindings(CgroupBindings* bindings) { bindings_ = bindings; }
  // Without it, ADD and BIND with cpus_of answer EOPNOTSUPP.
  void set_cpusets(CpusetFollower* cpusets) { cpusets_ = cpusets; }
  // The config's [[profile]]s, which PROFILE resolves with the built-in ones
  // (admission/profiles.h); without a source, the built-ins alone. It is called on each PROFILE.
  using ProfileSource = std::function<const std::vector<ProfileConfig>&()>;
  void set_profiles(ProfileSource profiles) { profiles_ = std::move(profiles); }
  // Without it, CGROUP_DATA answers an empty list (and the service's own admission, when it is
  // the one in use, counts nothing).
  void set_cgroup_data(CgroupDataTracker* cgroup_data) {
    cgroup_data_ = cgroup_data;
    own_admission_->set_counter(cgroup_data);
  }

  // `notify` sends one notification frame to the client; it must not call back into Service.
  std::unique_ptr<Client> connect(HolderIdentity identity,
                                  std::function<void(const protocol::Frame&)> notify);

  // The reply to one request frame (same tag). Never fails: errors are replies.
  // `sender`: the process that sent this frame when it is not the client's own (a connection
  // passed to another process): its uid, gid, groups and cgroup authorize the frame (as the
  // FUSE tree does per call); the client stays the holder. Null: the client's identity.
  protocol::Frame handle(Client& client, const protocol::Frame& request, Deadline now,
                         const HolderIdentity* sender = nullptr);

 private:
  friend class Client;
  void forget(Client& client);
  void watch_device(const std::shared_ptr<Device>& device);
  void unwatch_device(const Device& device);
  void notify(const Device& device, const Knob& knob, Range old_value, Range new_value);

  // Drops `client`'s subscriptions to `devices` (empty: all of them, "all devices" too); the
  // subscription quota's place goes with the last one. UNSUBSCRIBE and disconnect.
  void unsubscribe(Client& client, const std::vector<std::string>& devices);

  // One request being answered: who asks and how the daemon knows (service_requests.cc).
  struct Call {
    Client& client;
    const HolderIdentity& who;  // the frame's sender, or the connection's identity
    admission::Vouch vouched_by;
    Deadline now;
    admission::Requester requester() const { return admission::Requester::of(who, vouched_by); }
  };
  // The dispatch table: one handler per request type, each returning that request's reply
  // type, which is also what a refused connection's request is answered with.
  protocol::HelloReply answer(const Call& call, const protocol::HelloRequest& r);
  protocol::ListDevicesReply answer(const Call& call, const protocol::ListDevicesRequest& r);
  protocol::DescribeReply answer(const Call& call, const protocol::DescribeRequest& r);
  protocol::AddReply answer(const Call& call, const protocol::AddRequest& r);
  protocol::UpdateReply answer(const Call& call, const protocol::UpdateRequest& r);
  protocol::RemoveReply answer(const Call& call, const protocol::RemoveRequest& r);
  protocol::ReadReply answer(const Call& call, const protocol::ReadRequest& r);
  protocol::SubscribeReply answer(const Call& call, const protocol::SubscribeRequest& r);
  protocol::UnsubscribeReply answer(const Call& call, const protocol::UnsubscribeRequest& r);
  protocol::StatusReply answer(const Call& call, const protocol::StatusRequest& r);
  protocol::BindReply answer(const Call& call, const protocol::BindRequest& r);
  protocol::UnbindReply answer(const Call& call, const protocol::UnbindRequest& r);
  protocol::CgroupDataReply answer(const Call& call, const protocol::CgroupDataRequest& r);
  protocol::RescanReply answer(const Call& call, const protocol::RescanRequest& r);
  protocol::ExplainReply answer(const Call& call, const protocol::ExplainRequest& r);
  protocol::BindingsReply answer(const Call& call, const protocol::BindingsRequest& r);
  protocol::ProfileReply answer(const Call& call, const protocol::ProfileRequest& r);
  // Replies and notifications are not requests: decode() lets none through, so this answers
  // only a caller's bug.
  template <class M>
  protocol::ErrorReply answer(const Call&, const M&) {
    return protocol::failed_reply<protocol::ErrorReply>(EBADMSG, "not a request");
  }
  // ADD with cpus_of, and UPDATE and REMOVE of its id (service_cpu_sets.cc).
  protocol::AddReply add_cpu_set(const Call& call, const protocol::AddRequest& r);
  protocol::UpdateReply update_cpu_set(const Call& call, const protocol::UpdateRequest& r);
  protocol::RemoveReply remove_cpu_set(const Call& call, const protocol::RemoveRequest& r);
  // The policy check of a BIND with cpus_of: admit_binding on each CPU the cgroup has now.
  Status admit_cpu_set_binding(const Call& call, const protocol::BindRequest& r,
                               RequestTarget* knob);
  // The device `name`, or ENODEV "WHAT: no device 'NAME'".
  Status find_device(std::string_view what, const std::string& name,
                     std::shared_ptr<Device>* device) const;

  Broker& broker_;
  const Logger& log_;
  Rescan rescan_;
  PolicyStore default_policy_;
  const PolicyStore* policy_ = &default_policy_;
  ConnectionQuota default_quota_{&default_policy_};
  ConnectionQuota* quota_ = &default_quota_;
  SubscriptionQuota subscription_quota_{&default_policy_};
  CgroupBindings* bindings_ = nullptr;
  CpusetFollower* cpusets_ = nullptr;
  CgroupDataTracker* cgroup_data_ = nullptr;
  ProfileSource profiles_;
  std::unique_ptr<admission::Admission> own_admission_;  // over *policy_, with cgroup_data_
  admission::Admission* admission_ = nullptr;            // own_admission_ unless wired
  std::uint64_t registry_listener_ = 0;
  // The ADD being answered, for the notes of the notifications it causes; null otherwise.
  const protocol::AddRequest* adding_ = nullptr;
  std::set<Client*> clients_;
  std::map<const Device*, std::vector<std::pair<Knob*, SubscriptionId>>> watched_;
  std::set<Client*> subscribers_all_;
  std::map<std::string, std::set<Client*>, std::less<>> subscribers_;
};

}  // namespace perfqos::daemon
