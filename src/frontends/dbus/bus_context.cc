#include "frontends/dbus/bus_context.h"

#include <cerrno>

namespace perfqos::dbus {

Status check_text(std::string_view field, std::string_view text, std::size_t max) {
  if (text.size() > max) {
    return Status::Error(EINVAL, std::string(field) + ": " + std::to_string(text.size()) +
                                     " bytes: allowed at most " + std::to_string(max));
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return Status::Error(EINVAL, std::string(field) + ": control characters are not allowed");
    }
  }
  return Status::Ok();
}

}  // namespace perfqos::dbus
