#include "common/socket_address.h"

#include <cstdio>
#include <vector>

namespace wasmrtc {

SocketAddress SocketAddress::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  SocketAddress s;
  s.family = Family::kIPv4;
  s.ip[0] = a;
  s.ip[1] = b;
  s.ip[2] = c;
  s.ip[3] = d;
  s.port = port;
  return s;
}

SocketAddress SocketAddress::v4(uint32_t ip, uint16_t port) {
  return v4(uint8_t(ip >> 24), uint8_t(ip >> 16), uint8_t(ip >> 8), uint8_t(ip), port);
}

SocketAddress SocketAddress::v6(const uint8_t bytes[16], uint16_t port) {
  SocketAddress s;
  s.family = Family::kIPv6;
  std::memcpy(s.ip, bytes, 16);
  s.port = port;
  return s;
}

static bool parse_v4(const std::string& t, uint8_t out[4]) {
  int part = 0;
  int value = -1;
  int digits = 0;
  for (size_t i = 0; i <= t.size(); ++i) {
    char c = i < t.size() ? t[i] : '.';
    if (c >= '0' && c <= '9') {
      if (digits == 3) return false;
      value = (value < 0 ? 0 : value * 10) + (c - '0');
      ++digits;
      if (value > 255) return false;
    } else if (c == '.') {
      if (value < 0 || part == 4) return false;
      out[part++] = uint8_t(value);
      value = -1;
      digits = 0;
    } else {
      return false;
    }
  }
  return part == 4;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4291 section 2.2 text forms, including "::" and an embedded IPv4 tail.
static bool parse_v6(std::string t, uint8_t out[16]) {
  size_t pct = t.find('%');  // zone id is not part of the address
  if (pct != std::string::npos) t = t.substr(0, pct);
  if (t.size() < 2 || t.size() > 45) return false;
  std::vector<uint16_t> head, tail;
  bool seen_gap = false;
  size_t i = 0;
  if (t.compare(0, 2, "::") == 0) {
    seen_gap = true;
    i = 2;
  }
  while (i < t.size()) {
    size_t end = t.find(':', i);
    std::string group = t.substr(i, end == std::string::npos ? std::string::npos : end - i);
    auto& dst = seen_gap ? tail : head;
    if (group.find('.') != std::string::npos) {
      uint8_t v4b[4];
      if (end != std::string::npos || !parse_v4(group, v4b)) return false;
      dst.push_back(uint16_t((v4b[0] << 8) | v4b[1]));
      dst.push_back(uint16_t((v4b[2] << 8) | v4b[3]));
      i = t.size();
      break;
    }
    if (group.empty() || group.size() > 4) return false;
    uint16_t v = 0;
    for (char c : group) {
      int h = hexval(c);
      if (h < 0) return false;
      v = uint16_t((v << 4) | h);
    }
    dst.push_back(v);
    if (end == std::string::npos) {
      i = t.size();
      break;
    }
    if (end + 1 < t.size() && t[end + 1] == ':') {
      if (seen_gap) return false;
      seen_gap = true;
      i = end + 2;
    } else {
      if (end + 1 == t.size()) return false;
      i = end + 1;
    }
  }
  size_t total = head.size() + tail.size();
  if (seen_gap ? total > 7 : total != 8) return false;
  uint16_t groups[8] = {};
  for (size_t k = 0; k < head.size(); ++k) groups[k] = head[k];
  for (size_t k = 0; k < tail.size(); ++k) groups[8 - tail.size() + k] = tail[k];
  for (int k = 0; k < 8; ++k) {
    out[2 * k] = uint8_t(groups[k] >> 8);
    out[2 * k + 1] = uint8_t(groups[k]);
  }
  return true;
}

bool SocketAddress::parse_ip(const std::string& text, uint16_t port, SocketAddress& out) {
  SocketAddress s;
  s.port = port;
  if (parse_v4(text, s.ip)) {
    s.family = Family::kIPv4;
  } else if (parse_v6(text, s.ip)) {
    s.family = Family::kIPv6;
  } else {
    return false;
  }
  out = s;
  return true;
}

std::string SocketAddress::ip_string() const {
  char buf[64];
  if (is_v4()) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
    return buf;
  }
  if (!is_v6()) return "";
  // RFC 5952: lowercase, longest run of two or more zero groups compressed.
  uint16_t g[8];
  for (int k = 0; k < 8; ++k) g[k] = uint16_t((ip[2 * k] << 8) | ip[2 * k + 1]);
  int best = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (g[k] != 0) {
      ++k;
      continue;
    }
    int j = k;
    while (j < 8 && g[j] == 0) ++j;
    if (j - k > best_len && j - k >= 2) {
      best = k;
      best_len = j - k;
    }
    k = j;
  }
  std::string s;
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      s += "::";
      k += best_len - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    std::snprintf(buf, sizeof buf, "%x", g[k]);
    s += buf;
  }
  return s;
}

std::string SocketAddress::to_string() const {
  if (is_v6()) return "[" + ip_string() + "]:" + std::to_string(port);
  return ip_string() + ":" + std::to_string(port);
}

bool SocketAddress::operator<(const SocketAddress& o) const {
  if (family != o.family) return family < o.family;
  int c = std::memcmp(ip, o.ip, 16);
  if (c != 0) return c < 0;
  return port < o.port;
}

size_t SocketAddressHash::operator()(const SocketAddress& a) const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&h](uint8_t b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  mix(uint8_t(a.family));
  for (size_t i = 0; i < a.ip_size(); ++i) mix(a.ip[i]);
  mix(uint8_t(a.port >> 8));
  mix(uint8_t(a.port));
  return size_t(h);
}

}  // namespace wasmrtc
