#include "frontends/fuse/class_node.h"

#include <cerrno>
#include <cstring>

namespace perfqos::daemon {

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

int parse_hex_s32(std::string_view text, std::int32_t* value) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  // Magnitude as the kernel's kstrtoull: an unsigned 64-bit accumulator, overflow is ERANGE.
  std::uint64_t magnitude = 0;
  std::size_t digits = 0;
  bool overflow = false;
  for (; digits < text.size(); ++digits) {
    const int d = hex_digit(text[digits]);
    if (d < 0) break;
    if (magnitude > (UINT64_MAX >> 4)) overflow = true;
    magnitude = (magnitude << 4) | static_cast<std::uint64_t>(d);
  }
  if (overflow) return ERANGE;
  if (digits == 0) return EINVAL;
  text.remove_prefix(digits);
  if (!text.empty() && text[0] == '\n') text.remove_prefix(1);
  if (!text.empty()) return EINVAL;
  // kstrtoll then the s32 narrowing, both ERANGE.
  if (negative) {
    if (magnitude > std::uint64_t{1} << 31) return ERANGE;
    *value = static_cast<std::int32_t>(-static_cast<std::int64_t>(magnitude));
  } else {
    if (magnitude > static_cast<std::uint64_t>(INT32_MAX)) return ERANGE;
    *value = static_cast<std::int32_t>(magnitude);
  }
  return 0;
}

int parse_class_node_write(const char* data, std::size_t size, std::int32_t* value) {
  if (size == sizeof(std::int32_t)) {
    std::memcpy(value, data, sizeof(std::int32_t));
    return 0;
  }
  if (size > kClassNodeMaxText) return EINVAL;
  std::string_view text(data, size);
  text = text.substr(0, text.find('\0'));
  return parse_hex_s32(text, value);
}

std::size_t read_class_node(std::int32_t effective, std::uint64_t offset, std::size_t size,
                            char* out) {
  if (offset >= sizeof effective) return 0;
  const std::size_t n = std::min<std::size_t>(size, sizeof effective - offset);
  char bytes[sizeof effective];
  std::memcpy(bytes, &effective, sizeof effective);
  std::memcpy(out, bytes + offset, n);
  return n;
}

}  // namespace perfqos::daemon
