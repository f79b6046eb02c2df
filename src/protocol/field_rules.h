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

}  // namespace perfqos::protocol
