#include "frontends/dbus/power_profiles.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "protocol/limits.h"

namespace perfqos::dbus {

namespace {

// PPD's own profile names, from the most power saving: the only ones its clients know.
constexpr const char* kPpdProfiles[] = {"power-saver", "balanced", "performance"};

constexpr const char* kInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
constexpr const char* kAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";

// PPD takes any reason and application id; ours are kept within the protocol's bounds, cut at
// a UTF-8 character boundary, control characters made spaces.
std::string bounded(const char* text, std::size_t max) {
  std::string s(text);
  if (s.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
    s.resize(cut);
  }
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return s;
}

int fail(sd_bus_error* error, const char* name, const std::string& message) {
  return sd_bus_error_set(error, name, message.c_str());
}

}  // namespace

const sd_bus_vtable PowerProfiles::kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_WRITABLE_PROPERTY("ActiveProfile", "s", &PowerProfiles::get_property,
                             &PowerProfiles::set_active_profile, 0,
                             SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("PerformanceInhibited", "s", &PowerProfiles::get_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("PerformanceDegraded", "s", &PowerProfiles::get_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Profiles", "aa{sv}", &PowerProfiles::get_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Actions", "as", &PowerProfiles::get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("ActiveProfileHolds", "aa{sv}", &PowerProfiles::get_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Version", "s", &PowerProfiles::get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_ARGS(
        "HoldProfile", SD_BUS_ARGS("s", profile, "s", reason, "s", application_id),
        SD_BUS_RESULT("u", cookie), &PowerProfiles::on_hold_profile, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ReleaseProfile", SD_BUS_ARGS("u", cookie), SD_BUS_NO_RESULT,
                            &PowerProfiles::on_release_profile, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_ARGS("ProfileReleased", SD_BUS_ARGS("u", cookie), 0),
    SD_BUS_VTABLE_END};

PowerProfiles::PowerProfiles(BusContext& ctx, ProfileSource profiles, std::string version)
    : ctx_(ctx), profiles_(std::move(profiles)), version_(std::move(version)) {}

PowerProfiles::~PowerProfiles() {
  holds_.clear();
  applied_holder_.reset();
  for (sd_bus_slot* slot : slots_) sd_bus_slot_unref(slot);
}

Status PowerProfiles::start() {
  const char* objects[2][2] = {{kPpdPath, kPpdName}, {kUpowerPpdPath, kUpowerPpdName}};
  for (int i = 0; i < 2; ++i) {
    if (int r = sd_bus_add_object_vtable(ctx_.bus, &slots_[i], objects[i][0], objects[i][1],
                                         kVtable, this);
        r < 0) {
      return Status::Error(-r, std::string("adding ") + objects[i][0] + " to the bus");
    }
  }
  apply(true);
  return Status::Ok();
}

std::optional<Profile> PowerProfiles::offered(const std::string& name) const {
  if (std::find_if(std::begin(kPpdProfiles), std::end(kPpdProfiles),
                   [&](const char* p) { return name == p; }) == std::end(kPpdProfiles)) {
    return std::nullopt;
  }
  for (Profile& p : profiles_()) {
    if (p.name == name && admission::profile_offered(ctx_.broker, ctx_.admission, p))
      return std::move(p);
  }
  return std::nullopt;
}

void PowerProfiles::apply(bool force) {
  std::string want = base_;
  for (const auto& [cookie, h] : holds_) {
    if (h.profile == "power-saver") {
      want = h.profile;
      break;
    }
    if (h.profile == "performance") want = h.profile;
  }
  if (want == applied_ && !force) return;
  std::optional<Profile> profile = offered(want);
  if (!profile) {  // the profile's knobs went away: nothing of it can be placed
    profile = Profile{want, {}, false, ""};
  }
  HolderIdentity id;
  id.kind = HolderKind::kInternal;
  id.pid = ::getpid();
  id.comm = "profile";
  auto holder = ctx_.broker.make_holder(id);
  std::vector<ResolvedSpec> requests;
  if (Status s = admission::resolve_profile(ctx_.broker, ctx_.admission, *profile, &requests);
      !s.ok()) {
    ctx_.log.warning(s.message());
  }
  for (const ResolvedSpec& r : requests) {
    RequestOutcome outcome;
    if (Status s = ctx_.admission.place_bound(*holder, r.target, r.value, &outcome); !s.ok()) {
      ctx_.log.warning("profile " + want + ": '" + r.text + "': " + s.message());
      continue;
    }
    holder->annotate(outcome.id, "profile " + want, "");
  }
  // The new profile's requests are in before the old ones go: no knob passes through its
  // unconstrained value between two profiles.
  applied_holder_ = std::move(holder);
  const bool changed = applied_ != want;
  applied_ = want;
  if (changed) {
    ctx_.log.info("power profile " + want + " in force (" + std::to_string(requests.size()) +
                  " requests)");
    emit("ActiveProfile");
  }
}

void PowerProfiles::refresh() {
  apply(true);
  emit("Profiles");
}

void PowerProfiles::emit(const char* property) {
  (void)sd_bus_emit_properties_changed(ctx_.bus, kPpdPath, kPpdName, property, nullptr);
  (void)sd_bus_emit_properties_changed(ctx_.bus, kUpowerPpdPath, kUpowerPpdName, property, nullptr);
}

Status PowerProfiles::hold(sd_bus_message* m, std::uint32_t* cookie) {
  const char* name = nullptr;
  const char* reason = nullptr;
  const char* app_id = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &reason, &app_id) < 0) {
    return Status::Error(EINVAL, "arguments: expected (s profile, s reason, s application_id)");
  }
  if (std::strcmp(name, "performance") != 0 && std::strcmp(name, "power-saver") != 0) {
    return Status::Error(EINVAL, "Only profiles 'performance' and 'power-saver' can be a hold");
  }
  const std::optional<Profile> profile = offered(name);
  if (!profile) {
    return Status::Error(EINVAL,
                         std::string("Cannot hold profile '") + name + "' as it is not available");
  }
  const BusCaller* caller = nullptr;
  if (Status s = ctx_.callers.of(m, &caller); !s.ok()) return s;
  std::size_t mine = 0;
  for (const auto& [c, h] : holds_) mine += h.owner == caller->name;
  if (mine >= kMaxHoldsPerName) {
    return Status::Error(
        EDQUOT, "holds: at most " + std::to_string(kMaxHoldsPerName) + " per bus connection");
  }
  if (Status s =
          admission::may_use_profile(ctx_.broker, ctx_.admission, caller->requester, *profile);
      !s.ok()) {
    return s;
  }
  Hold h{caller->name,
         name,
         bounded(reason, protocol::kMaxReason),
         bounded(app_id, protocol::kMaxAppId),
         {}};
  if (ctx_.quota != nullptr) {
    if (Status s = ctx_.quota->admit(caller->identity.uid, &h.slot); !s.ok()) return s;
  }
  while (next_cookie_ == 0 || holds_.count(next_cookie_) != 0) ++next_cookie_;
  *cookie = next_cookie_++;
  ctx_.log.info("power profile hold " + std::to_string(*cookie) + ": " + name + " for " +
                (h.app_id.empty() ? caller->name : h.app_id) +
                (h.reason.empty() ? "" : " (" + h.reason + ")"));
  holds_.emplace(*cookie, std::move(h));
  apply();
  emit("ActiveProfileHolds");
  return Status::Ok();
}

int PowerProfiles::on_hold_profile(sd_bus_message* m, void* self, sd_bus_error* error) {
  auto* o = static_cast<PowerProfiles*>(self);
  std::uint32_t cookie = 0;
  if (Status s = o->hold(m, &cookie); !s.ok()) {
    const bool denied = s.code() == EACCES || s.code() == EPERM;
    return fail(error, denied ? kAccessDenied : kInvalidArgs, s.message());
  }
  return sd_bus_reply_method_return(m, "u", cookie);
}

int PowerProfiles::on_release_profile(sd_bus_message* m, void* self, sd_bus_error* error) {
  auto* o = static_cast<PowerProfiles*>(self);
  std::uint32_t cookie = 0;
  if (sd_bus_message_read(m, "u", &cookie) < 0) {
    return fail(error, kInvalidArgs, "arguments: expected (u cookie)");
  }
  const char* sender = sd_bus_message_get_sender(m);
  auto it = o->holds_.find(cookie);
  if (it == o->holds_.end() || sender == nullptr || it->second.owner != sender) {
    return fail(error, kInvalidArgs, "No hold with cookie " + std::to_string(cookie));
  }
  o->holds_.erase(it);
  o->apply();
  o->emit("ActiveProfileHolds");
  return sd_bus_reply_method_return(m, "");
}

void PowerProfiles::owner_gone(const std::string& name) {
  if (std::erase_if(holds_, [&](const auto& e) { return e.second.owner == name; }) == 0) return;
  apply();
  emit("ActiveProfileHolds");
}

Status PowerProfiles::set_active(sd_bus_message* m, const std::string& name) {
  const std::optional<Profile> profile = offered(name);
  if (!profile) {
    return Status::Error(EINVAL, "Invalid profile name '" + name + "'");
  }
  const BusCaller* caller = nullptr;
  if (Status s = ctx_.callers.of(m, &caller); !s.ok()) return s;
  if (Status s =
          admission::may_use_profile(ctx_.broker, ctx_.admission, caller->requester, *profile);
      !s.ok()) {
    return s;
  }
  // Choosing a profile by hand ends every hold, as in PPD; each holder is told.
  for (const auto& [cookie, h] : holds_) {
    for (const auto& [path, interface] :
         {std::pair{kPpdPath, kPpdName}, std::pair{kUpowerPpdPath, kUpowerPpdName}}) {
      sd_bus_message* signal = nullptr;
      if (sd_bus_message_new_signal(ctx_.bus, &signal, path, interface, "ProfileReleased") >= 0 &&
          sd_bus_message_set_destination(signal, h.owner.c_str()) >= 0 &&
          sd_bus_message_append(signal, "u", cookie) >= 0) {
        (void)sd_bus_send(ctx_.bus, signal, nullptr);
      }
      sd_bus_message_unref(signal);
    }
  }
  const bool had_holds = !holds_.empty();
  holds_.clear();
  base_ = name;
  ctx_.log.info("power profile " + name + " chosen by " + caller->name +
                (caller->identity.comm.empty() ? "" : " (" + caller->identity.comm + ")"));
  apply();
  if (had_holds) emit("ActiveProfileHolds");
  return Status::Ok();
}

int PowerProfiles::set_active_profile(sd_bus* bus, const char*, const char*, const char*,
                                      sd_bus_message* value, void* self, sd_bus_error* error) {
  auto* o = static_cast<PowerProfiles*>(self);
  const char* name = nullptr;
  if (sd_bus_message_read(value, "s", &name) < 0) {
    return fail(error, kInvalidArgs, "ActiveProfile: must be a string");
  }
  if (Status s = o->set_active(sd_bus_get_current_message(bus), name); !s.ok()) {
    const bool denied = s.code() == EACCES || s.code() == EPERM;
    return fail(error, denied ? kAccessDenied : kInvalidArgs, s.message());
  }
  return 0;
}

int PowerProfiles::get_property(sd_bus*, const char*, const char*, const char* property,
                                sd_bus_message* reply, void* self, sd_bus_error*) {
  auto* o = static_cast<PowerProfiles*>(self);
  const std::string p = property;
  if (p == "ActiveProfile") return sd_bus_message_append(reply, "s", o->applied_.c_str());
  if (p == "PerformanceInhibited" || p == "PerformanceDegraded") {
    return sd_bus_message_append(reply, "s", "");
  }
  if (p == "Version") return sd_bus_message_append(reply, "s", o->version_.c_str());
  if (p == "Actions") return sd_bus_message_append(reply, "as", 0);
  int r = sd_bus_message_open_container(reply, 'a', "a{sv}");
  if (p == "Profiles") {
    for (const char* name : kPpdProfiles) {
      if (r < 0 || !o->offered(name)) continue;
      r = sd_bus_message_append(reply, "a{sv}", 4, "Profile", "s", name, "Driver", "s", "perfqos",
                                "CpuDriver", "s", "perfqos", "PlatformDriver", "s", "perfqos");
    }
  } else {  // ActiveProfileHolds
    for (const auto& [cookie, h] : o->holds_) {
      if (r < 0) break;
      r = sd_bus_message_append(reply, "a{sv}", 3, "ApplicationId", "s", h.app_id.c_str(),
                                "Profile", "s", h.profile.c_str(), "Reason", "s", h.reason.c_str());
    }
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  return r;
}

}  // namespace perfqos::dbus
