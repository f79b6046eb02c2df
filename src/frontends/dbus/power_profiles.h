// PowerProfiles: power-profiles-daemon's D-Bus API, served from perfqos' profiles
// (admission/profiles.h), so that GNOME and KDE quick settings, powerprofilesctl and GameMode
// work unmodified.
//
// The same object under both of PPD's names: net.hadess.PowerProfiles at
// /net/hadess/PowerProfiles (PPD <= 0.20, Debian 12's powerprofilesctl) and
// org.freedesktop.UPower.PowerProfiles at /org/freedesktop/UPower/PowerProfiles.
//
//   ActiveProfile (s, read-write)   the profile in force: a power-saver hold beats a
//                                   performance hold, and without holds it is the one last
//                                   set (balanced at start). Setting it releases every hold
//                                   (ProfileReleased goes to each holder).
//   Profiles (aa{sv})               the offered ones of power-saver, balanced, performance:
//                                   Profile, Driver ("perfqos"), CpuDriver, PlatformDriver
//   Actions (as), PerformanceDegraded (s), PerformanceInhibited (s, the old API): empty
//   ActiveProfileHolds (aa{sv})     ApplicationId, Profile, Reason of every hold
//   Version (s)
//   HoldProfile(s profile, s reason, s application_id) -> u cookie: performance or power-saver,
//       held while the caller's unique name lives; ReleaseProfile(u cookie)
//   signal ProfileReleased(u cookie)  to the holder, when setting ActiveProfile released it
// PropertiesChanged goes out on both objects for every change.
//
// The requests of the profile in force are placed as one internal holder; a caller may hold or
// select a profile when the profile is open to anyone (the built-ins, holders = "anyone"), the
// caller is root, or the policy admits every request of the profile for the caller (the
// admission path's judgement, with its grants and cgroup caps).
//
// Thread safety: confined to the loop thread.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admission/profiles.h"
#include "frontends/dbus/bus_context.h"

namespace perfqos::dbus {

// The daemon's profiles and SPECs (admission/profiles.h), which this front end serves.
using admission::Profile;
using admission::ResolvedSpec;

inline constexpr char kPpdName[] = "net.hadess.PowerProfiles";
inline constexpr char kPpdPath[] = "/net/hadess/PowerProfiles";
inline constexpr char kUpowerPpdName[] = "org.freedesktop.UPower.PowerProfiles";
inline constexpr char kUpowerPpdPath[] = "/org/freedesktop/UPower/PowerProfiles";

class PowerProfiles {
 public:
  using ProfileSource = std::function<std::vector<Profile>()>;

  // REQUIRES: ctx outlives the object. `profiles` gives the profiles in force at each use.
  PowerProfiles(BusContext& ctx, ProfileSource profiles, std::string version);
  ~PowerProfiles();  // drops the profile's requests (knobs go back) and every hold
  PowerProfiles(const PowerProfiles&) = delete;
  PowerProfiles& operator=(const PowerProfiles&) = delete;

  // Adds both objects to ctx.bus and applies the starting profile (balanced).
  Status start();
  void owner_gone(const std::string& name);
  // The profiles' definitions changed (a reload): the one in force is placed again.
  void refresh();
  const std::string& active() const { return applied_; }
  std::size_t holds() const { return holds_.size(); }

 private:
  struct Hold {
    std::string owner;
    std::string profile;
    std::string reason;
    std::string app_id;
    daemon::ConnectionQuota::Slot slot;
  };

  static const sd_bus_vtable kVtable[];
  static int on_hold_profile(sd_bus_message* m, void* self, sd_bus_error* error);
  static int on_release_profile(sd_bus_message* m, void* self, sd_bus_error* error);
  static int get_property(sd_bus* bus, const char* path, const char* interface,
                          const char* property, sd_bus_message* reply, void* self,
                          sd_bus_error* error);
  static int set_active_profile(sd_bus* bus, const char* path, const char* interface,
                                const char* property, sd_bus_message* value, void* self,
                                sd_bus_error* error);

  // The offered profile named `name`, or nullopt.
  std::optional<Profile> offered(const std::string& name) const;
  Status hold(sd_bus_message* m, std::uint32_t* cookie);
  Status set_active(sd_bus_message* m, const std::string& name);
  // The profile the holds and the last set one make; placed if it is not in force yet (or
  // `force`). Emits the changes.
  void apply(bool force = false);
  void emit(const char* property);

  BusContext& ctx_;
  ProfileSource profiles_;
  std::string version_;
  sd_bus_slot* slots_[2] = {nullptr, nullptr};
  std::string base_ = "balanced";
  std::string applied_;
  std::unique_ptr<Holder> applied_holder_;
  std::uint32_t next_cookie_ = 1;
  std::map<std::uint32_t, Hold> holds_;
};

}  // namespace perfqos::dbus
