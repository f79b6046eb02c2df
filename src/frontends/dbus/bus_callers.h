// BusCallers: who sent a method call, as the bus daemon knows it: the sender's unique name is
// looked up with GetConnectionCredentials (uid, supplementary groups and pid as of when it
// connected), never read from the message; gid, comm and cgroup come from /proc/PID
// (admission/peer_identity.h: bus_peer_identity). A unique name is never reused, so its
// identity is looked up once and kept until the name goes (forget()).
//
// Errors: ESRCH when the sender is gone or the bus gives no uid or pid for it.
//
// Thread safety: confined to the loop thread.
#pragma once

#include <systemd/sd-bus.h>

#include <string>
#include <unordered_map>

#include "admission/admission.h"
#include "model/holder.h"
#include "util/status.h"

namespace perfqos::dbus {

struct BusCaller {
  std::string name;  // the unique name, ":1.42"
  HolderIdentity identity;
  admission::Requester requester;
};

class BusCallers {
 public:
  // The caller of `m`. `*out` stays valid until forget() of its name (unordered_map never
  // moves its values).
  Status of(sd_bus_message* m, const BusCaller** out);
  void forget(const std::string& name) { callers_.erase(name); }
  std::size_t size() const { return callers_.size(); }

 private:
  std::unordered_map<std::string, BusCaller> callers_;
};

}  // namespace perfqos::dbus
