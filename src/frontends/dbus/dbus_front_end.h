// DbusFrontEnd: perfqosd on the system bus (docs/dbus.md). It owns the bus connection (driven
// by the daemon's loop, bus_connection.h), the native API (org.perfqos.Broker1,
// broker_object.h) and power-profiles-daemon's API (power_profiles.h), and ends the holds of
// every unique name that leaves the bus (NameOwnerChanged from the bus daemon itself).
//
// Names: org.perfqos.Broker1 always; net.hadess.PowerProfiles and
// org.freedesktop.UPower.PowerProfiles unless another daemon (power-profiles-daemon, tuned-ppd)
// owns them or the bus policy keeps perfqosd from them: then that is logged and only the native
// API is served. Names are never taken over from, or given up to, another owner.
//
// Thread safety: confined to the loop thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "daemon/event_loop.h"
#include "frontends/dbus/bus_connection.h"
#include "frontends/dbus/bus_context.h"
#include "model/broker.h"
#include "policy/config.h"
#include "policy/connection_quota.h"
#include "util/log.h"

namespace perfqos::dbus {

inline constexpr char kBrokerName[] = "org.perfqos.Broker1";

class BrokerObject;
class PowerProfiles;

struct DbusFrontEndOptions {
  std::string version = "unknown";  // PPD's Version property
  // The config's [[profile]]s in force (ConfigState::profiles); null for none.
  std::function<const std::vector<daemon::ProfileConfig>&()> configured_profiles;
  // Where HoldCpusOf reads and follows cgroups' CPUs; null: HoldCpusOf answers NotSupported.
  daemon::CpusetFollower* cpusets = nullptr;
};

class DbusFrontEnd {
 public:
  // REQUIRES: everything given outlives the front end.
  DbusFrontEnd(daemon::EventLoop& loop, Broker& broker, admission::Admission& admission,
               daemon::ConnectionQuota* quota, const daemon::Logger& log,
               DbusFrontEndOptions options);
  ~DbusFrontEnd();  // stop()
  DbusFrontEnd(const DbusFrontEnd&) = delete;
  DbusFrontEnd& operator=(const DbusFrontEnd&) = delete;

  // Connects and serves. An error (no bus, org.perfqos.Broker1 not ours) leaves nothing behind.
  Status start();
  // Drops every hold and the profile in force (their knobs go back), and leaves the bus.
  void stop();
  // After every loop round: sends what this round queued (bus_connection.h).
  void prepare();
  // The config's profiles changed (SIGHUP): the profile in force is placed again.
  void profiles_changed();

  bool serving_power_profiles() const { return power_profiles_ != nullptr; }

 private:
  static int on_name_owner_changed(sd_bus_message* m, void* self, sd_bus_error* error);
  // Asks for `name` without taking it from anyone; logs why not. True when it is ours.
  bool request_name(const char* name, bool required, Status* error);
  void drop_objects();

  daemon::EventLoop& loop_;
  const daemon::Logger& log_;
  DbusFrontEndOptions options_;
  BusContext ctx_;
  std::unique_ptr<BusConnection> connection_;
  sd_bus_slot* name_watch_ = nullptr;
  std::unique_ptr<BrokerObject> broker_object_;
  std::unique_ptr<PowerProfiles> power_profiles_;
};

}  // namespace perfqos::dbus
