#include "frontends/dbus/bus_callers.h"

#include <cerrno>

#include "admission/peer_identity.h"

namespace perfqos::dbus {

Status BusCallers::of(sd_bus_message* m, const BusCaller** out) {
  const char* sender = sd_bus_message_get_sender(m);
  if (sender == nullptr) return Status::Error(ESRCH, "the call has no sender");
  if (auto it = callers_.find(sender); it != callers_.end()) {
    *out = &it->second;
    return Status::Ok();
  }
  // Without SD_BUS_CREDS_AUGMENT: only what the bus daemon recorded, nothing sd-bus would read
  // from /proc itself.
  sd_bus_creds* creds = nullptr;
  const std::uint64_t mask =
      SD_BUS_CREDS_PID | SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS;
  if (int r = sd_bus_get_name_creds(sd_bus_message_get_bus(m), sender, mask, &creds); r < 0) {
    return Status::Error(ESRCH, std::string("the bus does not know the caller ") + sender);
  }
  pid_t pid = 0;
  uid_t uid = 0;
  const gid_t* gids = nullptr;
  const bool have_pid = sd_bus_creds_get_pid(creds, &pid) >= 0;
  const bool have_uid =
      sd_bus_creds_get_euid(creds, &uid) >= 0 || sd_bus_creds_get_uid(creds, &uid) >= 0;
  const int ngids = sd_bus_creds_get_supplementary_gids(creds, &gids);
  std::vector<gid_t> groups;
  if (ngids > 0) groups.assign(gids, gids + ngids);
  sd_bus_creds_unref(creds);
  if (!have_pid || !have_uid) {
    return Status::Error(ESRCH, std::string("the bus gives no uid or pid for ") + sender);
  }
  BusCaller caller;
  caller.name = sender;
  caller.identity = daemon::bus_peer_identity(pid, uid, std::move(groups));
  caller.requester = admission::Requester::of(caller.identity, admission::Vouch::kBus);
  auto [it, inserted] = callers_.emplace(caller.name, std::move(caller));
  *out = &it->second;
  return Status::Ok();
}

}  // namespace perfqos::dbus
