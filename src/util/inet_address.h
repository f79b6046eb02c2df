// InetAddress: a TCP address to listen on, as `--metrics ADDR:PORT` and [daemon] metrics =
// "ADDR:PORT" give it (the metrics endpoint): a numeric IPv4 address (127.0.0.1, 0.0.0.0) or a
// bracketed numeric IPv6 address ([::1]), a colon, and a decimal port 0..65535 (0: the kernel picks
// a free port, which perfqosd logs). Host names are refused: nothing is resolved at start.
//
// EINVAL names `option` (the flag or config key the text came from; "" leaves it out), the
// text and the form expected.
//
// Thread safety: a function of values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace perfqos {

struct InetAddress {
  std::string host;  // numeric, without brackets: "127.0.0.1", "::1"
  std::uint16_t port = 0;
  bool ipv6 = false;
  // "127.0.0.1:9464", "[::1]:9464"
  std::string to_string() const;
};

Status parse_inet_address(std::string_view text, std::string_view option, InetAddress* out);

}  // namespace perfqos
