#include "protocol/field_rules.h"

#include <cstdio>

namespace perfqos::protocol {
namespace {

bool is_name_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

}  // namespace

std::optional<std::string> check_string(std::string_view value, std::size_t max_bytes,
                                        Charset charset) {
  if (value.size() > max_bytes) {
    return "longer than " + std::to_string(max_bytes) + " bytes (" + std::to_string(value.size()) +
           ")";
  }
  for (unsigned char c : value) {
    if (c == 0) return std::string("contains a NUL byte");
    if (charset == Charset::kName && !is_name_byte(c)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      return std::string("contains byte ") + hex + "; allowed [A-Za-z0-9_.:-]";
    }
  }
  return std::nullopt;
}

}  // namespace perfqos::protocol
