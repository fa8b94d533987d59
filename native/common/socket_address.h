// A transport address: IPv4 or IPv6 plus port. Plain value type, no OS calls.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace wasmrtc {

struct SocketAddress {
  enum class Family : uint8_t { kNone = 0, kIPv4 = 4, kIPv6 = 6 };

  Family family = Family::kNone;
  uint8_t ip[16] = {};  // IPv4 uses the first 4 bytes
  uint16_t port = 0;

  static SocketAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
  static SocketAddress v4(uint32_t host_order_ip, uint16_t port);
  static SocketAddress v6(const uint8_t bytes[16], uint16_t port);
  // Parses "1.2.3.4" / "::1" / "fe80::1"; returns false on anything else.
  static bool parse_ip(const std::string& text, uint16_t port, SocketAddress& out);

  bool valid() const { return family != Family::kNone; }
  bool is_v4() const { return family == Family::kIPv4; }
  bool is_v6() const { return family == Family::kIPv6; }
  size_t ip_size() const { return is_v4() ? 4 : is_v6() ? 16 : 0; }
  std::string ip_string() const;
  std::string to_string() const;  // "1.2.3.4:5" or "[::1]:5"

  bool operator==(const SocketAddress& o) const {
    return family == o.family && port == o.port && std::memcmp(ip, o.ip, ip_size()) == 0;
  }
  bool operator!=(const SocketAddress& o) const { return !(*this == o); }
  bool operator<(const SocketAddress& o) const;
};

struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const;
};

}  // namespace wasmrtc
