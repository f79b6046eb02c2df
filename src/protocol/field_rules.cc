#include "protocol/field_rules.h"

#include "protocol/limits.h"

#include <cstdint>
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

std::optional<std::string> check_note(std::string_view field, std::string_view value,
                                      std::size_t max_bytes) {
  const std::string allowed =
      " (allowed: at most " + std::to_string(max_bytes) + " bytes of printable UTF-8)";
  const std::string prefix = std::string(field) + ": ";
  if (value.size() > max_bytes) {
    return prefix + "longer than " + std::to_string(max_bytes) + " bytes (" +
           std::to_string(value.size()) + ")" + allowed;
  }
  const auto bad = [&](std::string_view what, std::size_t at) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(value[at]));
    return prefix + std::string(what) + " " + hex + " at byte " + std::to_string(at) + allowed;
  };
  for (std::size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return bad("contains control character", i);
      ++i;
      continue;
    }
    // Lead byte: the sequence length and the smallest code point it may encode.
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      cp = c & 0x07;
    } else {
      return bad("is not UTF-8: byte", i);
    }
    if (i + n > value.size()) return bad("is not UTF-8: truncated sequence at", i);
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(value[i + k]);
      if ((cc & 0xc0) != 0x80) return bad("is not UTF-8: byte", i + k);
      cp = (cp << 6) | (cc & 0x3f);
    }
    const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return bad("is not UTF-8: byte", i);
    }
    // C1 controls (U+0080..U+009F) and the line/paragraph separators.
    if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029) return bad("contains control character", i);
    i += n;
  }
  return std::nullopt;
}

std::optional<std::string> check_notes(std::string_view reason, std::string_view app_id) {
  if (auto why = check_note("reason", reason, kMaxReason)) return why;
  return check_note("app_id", app_id, kMaxAppId);
}

}  // namespace perfqos::protocol
