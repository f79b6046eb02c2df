// The D-Bus errors of perfqos' native API (docs/dbus.md): org.perfqos.Error.<Kind> named after
// the errno of the Status, with the Status' message, the text perfqosctl prints for it.
//
//   EINVAL -> InvalidArgs      EACCES, EPERM -> AccessDenied   ENODEV -> NoSuchDevice
//   EDQUOT, EUSERS -> QuotaExceeded   ENOENT -> NoSuchHold   ESRCH -> NoSuchCaller
//   E2BIG -> LimitsExceeded    anything else -> Failed
//
// Thread safety: pure functions.
#pragma once

#include <systemd/sd-bus.h>

#include "util/status.h"

namespace perfqos::dbus {

// "org.perfqos.Error.InvalidArgs", ...
const char* error_name(int code);

// Sets `error` from `s` (REQUIRES: !s.ok()) and returns what an sd-bus method handler returns
// for it.
int reply_error(sd_bus_error* error, const Status& s);

}  // namespace perfqos::dbus
