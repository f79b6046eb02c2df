// libFuzzer target: the PM QoS class nodes' write and read side (src/frontends/fuse/class_node.h).
//
// Input: the bytes of one write(). Properties:
//   - parse_class_node_write() and parse_hex_s32() agree with reference_kstrtos32(), a
//     transcription of the kernel's kstrtos32(.., 16, ..) (lib/kstrtox.c) written from its
//     definition, with the header's framing (4 bytes: native s32; more than 34 bytes: EINVAL;
//     a NUL ends the text); on an error *value is untouched;
//   - read_class_node() returns the bytes [off, 4) of the value, capped at the size asked, and
//     writes nothing past them (guard bytes), for small offsets and offsets taken from the input.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "frontends/fuse/class_node.h"
#include "fuzz/fuzz_check.h"

namespace {

using perfqos::daemon::kClassNodeMaxText;

int hex_value(unsigned char c) {
  const unsigned char lower = c | 0x20;  // the kernel's _tolower()
  if (c >= '0' && c <= '9') return c - '0';
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// kstrtos32(s, 16, res) on a NUL-terminated string: kstrtoll -> _kstrtoull ->
// _parse_integer_fixup_radix + _parse_integer, then the s32 narrowing.
int reference_kstrtos32(const char* s, std::int32_t* res) {
  const bool negative = s[0] == '-';
  if (negative) {
    ++s;  // kstrtoll: "-" then _kstrtoull, which takes no second sign
  } else if (s[0] == '+') {
    ++s;  // kstrtoull
  }
  if (s[0] == '0' && (s[1] | 0x20) == 'x') s += 2;
  unsigned long long acc = 0;
  bool overflow = false;
  int digits = 0;
  for (int v; (v = hex_value(static_cast<unsigned char>(*s))) >= 0; ++s, ++digits) {
    overflow |= __builtin_mul_overflow(acc, 16ULL, &acc);
    overflow |= __builtin_add_overflow(acc, static_cast<unsigned long long>(v), &acc);
  }
  if (overflow) return ERANGE;
  if (digits == 0) return EINVAL;
  if (*s == '\n') ++s;
  if (*s != '\0') return EINVAL;
  long long wide;
  if (negative) {
    if (static_cast<long long>(0ULL - acc) > 0) return ERANGE;
    wide = static_cast<long long>(0ULL - acc);
  } else {
    if (static_cast<long long>(acc) < 0) return ERANGE;
    wide = static_cast<long long>(acc);
  }
  if (wide < INT32_MIN || wide > INT32_MAX) return ERANGE;
  *res = static_cast<std::int32_t>(wide);
  return 0;
}

// The kernel's pm_qos write: 4 bytes are the value; otherwise kstrtos32_from_user(), whose
// buffer holds 34 bytes (perfqos refuses longer text instead of cutting it).
int reference_write(const char* data, std::size_t size, std::int32_t* res) {
  if (size == sizeof *res) {
    std::memcpy(res, data, sizeof *res);
    return 0;
  }
  if (size > kClassNodeMaxText) return EINVAL;
  char text[kClassNodeMaxText + 1] = {};
  std::memcpy(text, data, size);
  return reference_kstrtos32(text, res);
}

constexpr std::int32_t kUntouched = 0x5a5a5a5a;

void check_write(const char* data, std::size_t size) {
  std::int32_t want = kUntouched, got = kUntouched;
  const int want_rc = reference_write(data, size, &want);
  const int got_rc = perfqos::daemon::parse_class_node_write(data, size, &got);
  FUZZ_CHECK_MSG(got_rc == want_rc, std::to_string(got_rc) + " != " + std::to_string(want_rc));
  FUZZ_CHECK_MSG(got == want, std::to_string(got) + " != " + std::to_string(want));
}

// parse_hex_s32's contract covers NUL-free text of any length.
void check_hex(std::string_view text) {
  std::int32_t got = kUntouched;
  const int got_rc = perfqos::daemon::parse_hex_s32(text, &got);
  if (text.find('\0') != std::string_view::npos) return;  // outside the contract: no crash is all
  std::int32_t want = kUntouched;
  const int want_rc = reference_kstrtos32(std::string(text).c_str(), &want);
  FUZZ_CHECK_MSG(got_rc == want_rc, std::to_string(got_rc) + " != " + std::to_string(want_rc));
  FUZZ_CHECK_MSG(got == want, std::to_string(got) + " != " + std::to_string(want));
}

void check_read(std::int32_t effective, std::uint64_t offset, std::size_t size) {
  constexpr std::size_t kGuard = 8;
  constexpr unsigned char kPattern = 0xa5;
  unsigned char buffer[kGuard + sizeof effective + kGuard];
  std::memset(buffer, kPattern, sizeof buffer);
  char* out = reinterpret_cast<char*>(buffer + kGuard);
  const std::size_t n = perfqos::daemon::read_class_node(effective, offset, size, out);
  const std::size_t want =
      offset >= sizeof effective ? 0 : std::min<std::size_t>(size, sizeof effective - offset);
  FUZZ_CHECK(n == want);
  unsigned char value[sizeof effective];
  std::memcpy(value, &effective, sizeof effective);
  FUZZ_CHECK(n == 0 || std::memcmp(out, value + offset, n) == 0);
  for (std::size_t i = 0; i < sizeof buffer; ++i) {
    if (i < kGuard || i >= kGuard + n) FUZZ_CHECK(buffer[i] == kPattern);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  check_write(text, size);
  check_hex(std::string_view(text, size));

  std::int32_t effective = 0;
  if (perfqos::daemon::parse_class_node_write(text, size, &effective) != 0) effective = -1;
  for (std::uint64_t offset = 0; offset <= sizeof effective + 1; ++offset) {
    for (std::size_t n = 0; n <= sizeof effective + 1; ++n) check_read(effective, offset, n);
  }
  // Offsets and sizes as a caller could pass them: the first 16 bytes, when there are that many.
  if (size >= 16) {
    std::uint64_t offset, n;
    std::memcpy(&offset, data, sizeof offset);
    std::memcpy(&n, data + 8, sizeof n);
    check_read(effective, offset, static_cast<std::size_t>(n));
  }
  return 0;
}
