// BrokerObject: perfqos' native D-Bus API, interface org.perfqos.Broker1 at /org/perfqos/Broker1
// (docs/dbus.md, org.perfqos.Broker1.xml).
//
//   Hold(as specs, s reason, s application_id) -> u cookie
//       perfqosctl SPECs, all placed or none, as one holder owned by the caller's unique name:
//       when the name goes (exit, crash, kill -9, a closed connection) the hold goes.
//   HoldProfile(s profile, s reason, s application_id) -> u cookie
//       the requests of any profile (admission/profiles.h) as one hold of the caller, as Hold
//       places SPECs; an open profile needs no grant (may_use_profile). perfqosctl --profile
//       uses it.
//   HoldCpusOf(s cgroup, as specs, s reason, s application_id) -> u cookie
//       `cpus.KNOB=VALUE` SPECs on each CPU of the cgroup (its cpuset.cpus.effective, followed
//       as it changes: perfqosctl --cpus-of), as one hold of the caller (broker_cpus_of.cc)
//   Release(u cookie)       only the name that got the cookie may release it (NoSuchHold)
//   GetEffective(s device, s knob) -> (i min, i max)   knob "" for a device's only knob
//   ListDevices() -> a(ssa(ssiiiias))  (name, kind, [(knob, unit, effective min, effective max,
//       allowed min, allowed max, words of a named knob)])
//   Explain(s device, s knob, s value) -> (s explained, s unit, ii effective, ii valid,
//       u setters_total, a(sisuussssu) setters, b unrestricted, a(ssiis) grants,
//       (sbibis) cgroup_limit, s verdict_error, s verdict_message, b would_change, ii would_be)
//       perfqosctl explain for the caller (broker_explain.cc): who sets device.knob, what bounds
//       the caller's requests and, value "" aside, what a Hold of VALUE would answer and do.
//       Built by admission::explain, as the socket's EXPLAIN.
//   property Holds a(uasssuu)   (cookie, specs, reason, application id, uid, pid), emits change;
//                               a profile hold shows the profile's requests placed
//   signal EffectiveChanged(s device, s knob, i min, i max)   once per effective change
//
// Every request goes through the admission path with the bus' identity of the caller, so the
// config's grants, quotas and cgroup data apply as to the socket. Errors: bus_errors.h.
//
// Thread safety: confined to the loop thread.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "admission/profiles.h"
#include "admission/spec_resolver.h"
#include "cgroup/cpus_of_request.h"
#include "frontends/dbus/bus_context.h"
#include "model/broker.h"

namespace perfqos::dbus {

// The daemon's profiles and SPECs (admission/profiles.h), which this front end serves.
using admission::Profile;
using admission::ResolvedSpec;

inline constexpr char kBrokerPath[] = "/org/perfqos/Broker1";
inline constexpr char kBrokerInterface[] = "org.perfqos.Broker1";
// SPECs per Hold, and bytes per SPEC.
inline constexpr std::size_t kMaxSpecsPerHold = 256;
inline constexpr std::size_t kMaxSpecBytes = 256;
// Setters listed by Explain; setters_total counts them all.
inline constexpr std::size_t kMaxExplainSetters = 64;

class BrokerObject {
 public:
  using ProfileSource = std::function<std::vector<Profile>()>;

  // REQUIRES: ctx outlives the object. `profiles` gives the profiles in force at each use.
  BrokerObject(BusContext& ctx, ProfileSource profiles);
  ~BrokerObject();  // drops every hold (their knobs go back) and stops emitting
  BrokerObject(const BrokerObject&) = delete;
  BrokerObject& operator=(const BrokerObject&) = delete;

  // Adds the object to ctx.bus and starts emitting EffectiveChanged.
  Status start();
  // The unique name `name` left the bus: its holds go.
  void owner_gone(const std::string& name);
  std::size_t holds() const { return holds_.size(); }

 private:
  struct Hold {
    std::string owner;
    std::vector<std::string> specs;
    std::string reason;
    std::string app_id;
    uid_t uid = 0;
    pid_t pid = 0;
    std::unique_ptr<Holder> holder;
    std::vector<std::unique_ptr<daemon::CpusOfRequest>> cpu_sets;  // in `holder`; go first
    daemon::ConnectionQuota::Slot slot;
  };

  static const sd_bus_vtable kVtable[];
  static int on_hold(sd_bus_message* m, void* self, sd_bus_error* error);
  static int on_hold_profile(sd_bus_message* m, void* self, sd_bus_error* error);
  static int on_hold_cpus_of(sd_bus_message* m, void* self, sd_bus_error* error);
  static int on_release(sd_bus_message* m, void* self, sd_bus_error* error);
  static int on_get_effective(sd_bus_message* m, void* self, sd_bus_error* error);
  static int on_list_devices(sd_bus_message* m, void* self, sd_bus_error* error);
  static int on_explain(sd_bus_message* m, void* self, sd_bus_error* error);
  static int get_holds(sd_bus* bus, const char* path, const char* interface, const char* property,
                       sd_bus_message* reply, void* self, sd_bus_error* error);

  Status hold(sd_bus_message* m, std::uint32_t* cookie);
  Status hold_profile(sd_bus_message* m, std::uint32_t* cookie);
  Status hold_cpus_of(sd_bus_message* m, std::uint32_t* cookie);
  // Reads the `as specs` argument: 1..kMaxSpecsPerHold SPECs of at most kMaxSpecBytes.
  static Status read_specs(sd_bus_message* m, std::vector<std::string>* specs);
  // Places `requests` as one new hold of `caller`, all or nothing: through the admission path,
  // or (`open`: an open profile) with the Broker's own checks only. EDQUOT past
  // kMaxHoldsPerName holds of the caller's name. `cpus_of` not empty: each request is a
  // CPU-set template (cpu_set_knob) placed on every CPU of that cgroup and following it.
  Status place(const BusCaller& caller, const std::vector<ResolvedSpec>& requests, bool open,
               std::vector<std::string> specs, const std::string& reason, const std::string& app_id,
               std::uint32_t* cookie, const std::string& cpus_of = {});
  // One CPU-set template of HoldCpusOf into `h` (broker_cpus_of.cc).
  Status place_cpu_set(const BusCaller& caller, const ResolvedSpec& request,
                       const std::string& cpus_of, const std::string& reason,
                       const std::string& app_id, Hold& h);
  void holds_changed();
  void watch_device(const std::shared_ptr<Device>& device);
  void unwatch_device(const Device& device);
  void emit_effective(const Device& device, const Knob& knob, Range value);

  BusContext& ctx_;
  ProfileSource profiles_;
  sd_bus_slot* slot_ = nullptr;
  std::uint32_t next_cookie_ = 1;
  std::map<std::uint32_t, Hold> holds_;
  std::unordered_map<std::string, std::size_t> per_owner_;
  std::uint64_t registry_listener_ = 0;
  std::map<const Device*, std::vector<std::pair<Knob*, std::uint64_t>>> watched_;
};

}  // namespace perfqos::dbus
