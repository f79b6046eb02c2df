// Rules the encoder and the decoder both apply to a field's value, so that neither side can
// produce what the other would refuse.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace perfqos::protocol {

enum class Charset {
  kText,  // any byte except NUL
  kName,  // [A-Za-z0-9_.:-]: device and knob names
};

// Null when `value` may be carried in a string field with this limit and charset; otherwise the
// reason, phrased to follow "field 'x' ".
std::optional<std::string> check_string(std::string_view value, std::size_t max_bytes,
                                        Charset charset);

// Null when `value` may be a request's reason or application id (`field`, at most `max_bytes`):
// valid UTF-8 without control characters (they end up in logs). Otherwise the whole message,
// naming the field and the limit: "reason: contains control character 0x0a (allowed: at most
// 127 bytes of printable UTF-8)". Both sides check it; the daemon refuses with EINVAL.
std::optional<std::string> check_note(std::string_view field, std::string_view value,
                                      std::size_t max_bytes);
// check_note of a request's `reason` (kMaxReason) and `app_id` (kMaxAppId), in that order.
std::optional<std::string> check_notes(std::string_view reason, std::string_view app_id);

}  // namespace perfqos::protocol
