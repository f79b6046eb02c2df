#include "util/inet_address.h"

#include <arpa/inet.h>

#include <cerrno>

namespace perfqos {

std::string InetAddress::to_string() const {
  const std::string p = std::to_string(port);
  return ipv6 ? "[" + host + "]:" + p : host + ":" + p;
}

Status parse_inet_address(std::string_view text, std::string_view option, InetAddress* out) {
  const auto bad = [&](std::string_view why) {
    const std::string prefix = option.empty() ? "" : std::string(option) + ": ";
    return Status::Error(EINVAL, prefix + "\"" + std::string(text) + "\": " + std::string(why) +
                                     "; expected ADDR:PORT with a numeric IPv4 address or a "
                                     "bracketed IPv6 one and a port 0..65535, e.g. "
                                     "127.0.0.1:9464 or [::1]:9464");
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  InetAddress a;
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') return bad("unclosed '['");
    host = host.substr(1, host.size() - 2);
    a.ipv6 = true;
  }
  if (host.empty()) return bad("no address");
  a.host = std::string(host);
  unsigned char buf[sizeof(in6_addr)];
  if (::inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host.c_str(), buf) != 1) {
    return bad(a.ipv6 ? "not a numeric IPv6 address"
                      : "not a numeric IPv4 address (IPv6 goes in brackets)");
  }
  if (port.empty() || port.size() > 5) return bad("port must be 0..65535");
  std::uint32_t p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return bad("port must be 0..65535");
    p = p * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (p > 65535) return bad("port must be 0..65535");
  a.port = static_cast<std::uint16_t>(p);
  *out = std::move(a);
  return Status::Ok();
}

}  // namespace perfqos
