#include "tools/request_spec.h"

#include <cerrno>
#include <charconv>
#include <cstdint>

#include "model/knob.h"

namespace perfqos::tools {

namespace {

// "'TEXT'", appended piece by piece: `"'" + std::string(text)` makes GCC 12 at -O3 report a bogus
// -Wrestrict overlap (GCC PR105329; see protocol/field_path.h).
std::string quoted(std::string_view text) {
  std::string q = "'";
  q += text;
  q += '\'';
  return q;
}

}  // namespace

Status parse_request_spec(std::string_view text, RequestSpec* out) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return Status::Error(EINVAL, quoted(text) + ": expected DEVICE=VALUE or DEVICE.KNOB=VALUE");
  }
  std::string_view target = text.substr(0, eq);
  RequestSpec spec;
  spec.value = std::string(text.substr(eq + 1));
  const std::size_t dot = target.rfind('.');
  KnobId id;
  RangeEnd end;
  if (dot != std::string_view::npos && parse_knob_name(target.substr(dot + 1), &id, &end)) {
    spec.device = std::string(target.substr(0, dot));
    spec.knob = std::string(target.substr(dot + 1));
  } else {
    spec.device = std::string(target);
  }
  if (spec.device.empty()) {
    return Status::Error(EINVAL,
                         quoted(text) + ": the device name is empty: expected DEVICE.KNOB=VALUE");
  }
  *out = std::move(spec);
  return Status::Ok();
}

Status parse_duration(std::string_view text, std::chrono::milliseconds* out) {
  std::uint64_t n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  std::uint64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 3600 * 1000;
  }
  constexpr std::uint64_t kMaxMs = 24ull * 24 * 3600 * 1000;  // fits the protocol's u32
  if (ec != std::errc() || ptr == text.data() || scale == 0 || n == 0 || n > kMaxMs / scale) {
    return Status::Error(EINVAL, "duration '" + std::string(text) +
                                     "': expected a positive number with ms, s, m or h, at most "
                                     "24 days");
  }
  *out = std::chrono::milliseconds(n * scale);
  return Status::Ok();
}

}  // namespace perfqos::tools
