// ProfileHold: a perfqos profile (docs/dbus.md) held by perfqosctl through perfqosd's D-Bus
// API, org.perfqos.Broker1.HoldProfile on the system bus ($DBUS_SYSTEM_BUS_ADDRESS when set).
// The hold lives as long as this object's bus connection: released when it is destroyed, and
// by perfqosd if perfqosctl dies first.
//
// Errors: the bus' (no bus: ENOENT, ECONNREFUSED) and perfqosd's, with its message (no such
// profile, not granted).
//
// Thread safety: one thread.
#pragma once

#include <string>

#include "util/status.h"

struct sd_bus;

namespace perfqos::tools {

class ProfileHold {
 public:
  ProfileHold() = default;
  ~ProfileHold();
  ProfileHold(const ProfileHold&) = delete;
  ProfileHold& operator=(const ProfileHold&) = delete;

  Status hold(const std::string& profile, const std::string& reason, const std::string& app_id);
  // The bus connection's fd: readable (hangup) when perfqosd or the bus goes away.
  int fd() const;

 private:
  sd_bus* bus_ = nullptr;
};

}  // namespace perfqos::tools
