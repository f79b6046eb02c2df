#include "frontends/dbus/dbus_front_end.h"

#include <cerrno>
#include <cstring>

#include "admission/profiles.h"
#include "frontends/dbus/broker_object.h"
#include "frontends/dbus/power_profiles.h"

namespace perfqos::dbus {

namespace {

// GetConnectionCredentials and the name requests at start: the bus daemon answers at once.
constexpr std::uint64_t kCallTimeoutUsec = 2'000'000;

}  // namespace

DbusFrontEnd::DbusFrontEnd(daemon::EventLoop& loop, Broker& broker, admission::Admission& admission,
                           daemon::ConnectionQuota* quota, const daemon::Logger& log,
                           DbusFrontEndOptions options)
    : loop_(loop), log_(log), options_(std::move(options)), ctx_{broker, admission, quota, log} {
  ctx_.cpusets = options_.cpusets;
}

DbusFrontEnd::~DbusFrontEnd() {
  stop();
}

Status DbusFrontEnd::start() {
#ifdef PERFQOS_NO_DBUS
  return Status::Error(ENOTSUP, "this perfqosd was built without D-Bus (-DPERFQOS_DBUS=OFF)");
#endif
  connection_ = std::make_unique<BusConnection>(loop_, log_);
  if (Status s = connection_->open(kCallTimeoutUsec); !s.ok()) {
    connection_.reset();
    return s;
  }
  ctx_.bus = connection_->bus();
  // Installed before any object exists: the bus daemon sends a name's end after every call the
  // name made, so a hold is never placed after the end of the name that asked for it.
  if (int r = sd_bus_match_signal(ctx_.bus, &name_watch_, "org.freedesktop.DBus",
                                  "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                  "NameOwnerChanged", &on_name_owner_changed, this);
      r < 0) {
    stop();
    return Status::Error(-r, "watching NameOwnerChanged on the system bus");
  }
  const auto profiles = [this] {
    static const std::vector<daemon::ProfileConfig> none;
    return admission::profiles_in_force(
        ctx_.broker, options_.configured_profiles ? options_.configured_profiles() : none);
  };
  broker_object_ = std::make_unique<BrokerObject>(ctx_, profiles);
  if (Status s = broker_object_->start(); !s.ok()) {
    stop();
    return s;
  }
  Status error;
  if (!request_name(kBrokerName, true, &error)) {
    stop();
    return error;
  }
  const bool ppd = request_name(kPpdName, false, nullptr);
  const bool upower = request_name(kUpowerPpdName, false, nullptr);
  if (ppd || upower) {
    power_profiles_ = std::make_unique<PowerProfiles>(ctx_, profiles, options_.version);
    if (Status s = power_profiles_->start(); !s.ok()) {
      log_.warning(s.message() + ": serving the native D-Bus API only");
      power_profiles_.reset();
    }
  }
  if (Status s = connection_->attach([this] { drop_objects(); }); !s.ok()) {
    stop();
    return s;
  }
  const char* unique = nullptr;
  (void)sd_bus_get_unique_name(ctx_.bus, &unique);
  log_.info(std::string("D-Bus: serving ") + kBrokerName +
            (power_profiles_ ? std::string(" and the power-profiles-daemon API") : "") + " as " +
            (unique != nullptr ? unique : "?"));
  return Status::Ok();
}

bool DbusFrontEnd::request_name(const char* name, bool required, Status* error) {
  // No SD_BUS_NAME_REPLACE_EXISTING and no queueing: a name someone else owns stays theirs.
  const int r = sd_bus_request_name(ctx_.bus, name, 0);
  if (r >= 0) return true;
  std::string why;
  if (r == -EEXIST) {
    why = std::string("another daemon owns ") + name +
          (required ? "" : " (power-profiles-daemon or tuned-ppd)");
  } else if (r == -EACCES || r == -EPERM) {
    why = std::string("the bus policy does not let perfqosd own ") + name +
          " (is share/dbus-1/system.d/org.perfqos.Broker1.conf installed?)";
  } else {
    why = std::string("asking for ") + name + ": " + std::strerror(-r);
  }
  if (required) {
    if (error != nullptr) *error = Status::Error(-r, why);
  } else {
    log_.info(why + ": serving the native D-Bus API only for it");
  }
  return false;
}

int DbusFrontEnd::on_name_owner_changed(sd_bus_message* m, void* self, sd_bus_error*) {
  auto* f = static_cast<DbusFrontEnd*>(self);
  const char* name = nullptr;
  const char* old_owner = nullptr;
  const char* new_owner = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0) return 0;
  // A unique name that goes is a connection that closed: it never comes back.
  if (name[0] != ':' || new_owner[0] != '\0') return 0;
  const std::string gone = name;
  if (f->broker_object_) f->broker_object_->owner_gone(gone);
  if (f->power_profiles_) f->power_profiles_->owner_gone(gone);
  f->ctx_.callers.forget(gone);
  return 0;
}

void DbusFrontEnd::drop_objects() {
  power_profiles_.reset();
  broker_object_.reset();
}

void DbusFrontEnd::stop() {
  drop_objects();
  name_watch_ = sd_bus_slot_unref(name_watch_);
  connection_.reset();
  ctx_.bus = nullptr;
}

void DbusFrontEnd::prepare() {
  if (connection_) connection_->prepare();
}

void DbusFrontEnd::profiles_changed() {
  if (power_profiles_) power_profiles_->refresh();
}

}  // namespace perfqos::dbus
