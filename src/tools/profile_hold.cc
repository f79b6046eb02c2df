#include "tools/profile_hold.h"

#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace perfqos::tools {

ProfileHold::~ProfileHold() {
  if (bus_ != nullptr) sd_bus_flush_close_unref(bus_);  // perfqosd drops the hold with the name
}

Status ProfileHold::hold(const std::string& profile, const std::string& reason,
                         const std::string& app_id) {
  if (int r = sd_bus_open_system(&bus_); r < 0) {
    bus_ = nullptr;
    return Status::Error(-r, std::string("profiles are held over the system bus, and it is not "
                                         "reachable: ") +
                                 std::strerror(-r));
  }
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  const int r = sd_bus_call_method(bus_, "org.perfqos.Broker1", "/org/perfqos/Broker1",
                                   "org.perfqos.Broker1", "HoldProfile", &error, &reply, "sss",
                                   profile.c_str(), reason.c_str(), app_id.c_str());
  if (r < 0) {
    std::string message = error.message != nullptr ? error.message : std::strerror(-r);
    if (error.name != nullptr && std::strcmp(error.name, SD_BUS_ERROR_SERVICE_UNKNOWN) == 0) {
      message =
          "perfqosd is not on the system bus (started with --no-dbus, or the bus policy "
          "org.perfqos.Broker1.conf is not installed)";
    }
    sd_bus_error_free(&error);
    return Status::Error(-r, "profile " + profile + ": " + message);
  }
  std::uint32_t cookie = 0;
  (void)sd_bus_message_read(reply, "u", &cookie);
  sd_bus_message_unref(reply);
  return Status::Ok();
}

int ProfileHold::fd() const {
  return bus_ != nullptr ? sd_bus_get_fd(bus_) : -1;
}

}  // namespace perfqos::tools
