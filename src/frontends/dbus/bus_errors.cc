#include "frontends/dbus/bus_errors.h"

#include <cerrno>

namespace perfqos::dbus {

const char* error_name(int code) {
  switch (code) {
    case EINVAL:
      return "org.perfqos.Error.InvalidArgs";
    case EACCES:
    case EPERM:
      return "org.perfqos.Error.AccessDenied";
    case ENODEV:
      return "org.perfqos.Error.NoSuchDevice";
    case EDQUOT:
    case EUSERS:
      return "org.perfqos.Error.QuotaExceeded";
    case ENOENT:
      return "org.perfqos.Error.NoSuchHold";
    case ESRCH:
      return "org.perfqos.Error.NoSuchCaller";
    case E2BIG:
      return "org.perfqos.Error.LimitsExceeded";
    case EOPNOTSUPP:
      return "org.perfqos.Error.NotSupported";
    default:
      return "org.perfqos.Error.Failed";
  }
}

int reply_error(sd_bus_error* error, const Status& s) {
  return sd_bus_error_set(error, error_name(s.code()), s.message().c_str());
}

}  // namespace perfqos::dbus
