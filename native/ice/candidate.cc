#include "ice/candidate.h"

#include <cctype>

#include <cstdio>

namespace wasmrtc::ice {

namespace {

constexpr size_t kMaxLineLength = 1024;
constexpr size_t kMaxExtensions = 16;

bool is_ice_char(char c) {
  // RFC 8839 §5.1: ice-char = ALPHA / DIGIT / "+" / "/"
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool parse_u32(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < s.size() && parts.size() < 64) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) parts.push_back(s.substr(i, j - i));
    i = j;
  }
  return parts;
}

bool fail(std::string* error, const char* why) {
  if (error) *error = why;
  return false;
}

bool lower_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

const char* to_string(CandidateType t) {
  switch (t) {
    case CandidateType::kHost: return "host";
    case CandidateType::kServerReflexive: return "srflx";
    case CandidateType::kPeerReflexive: return "prflx";
    case CandidateType::kRelayed: return "relay";
  }
  return "host";
}

bool Candidate::is_udp() const { return lower_equals(transport, "udp"); }

uint16_t type_preference(CandidateType type) {
  switch (type) {
    case CandidateType::kHost: return 126;
    case CandidateType::kPeerReflexive: return 110;
    case CandidateType::kServerReflexive: return 100;
    case CandidateType::kRelayed: return 0;
  }
  return 0;
}

uint32_t compute_priority(CandidateType type, uint16_t local_preference, uint16_t component) {
  return (uint32_t(type_preference(type)) << 24) | (uint32_t(local_preference) << 8) |
         uint32_t(256 - (component > 256 ? 256 : component));
}

std::string Candidate::to_sdp_line() const {
  std::string s = "candidate:" + foundation + " " + std::to_string(component) + " " + transport + " " +
                  std::to_string(priority) + " " + (hostname.empty() ? address.ip_string() : hostname) + " " +
                  std::to_string(address.port) + " typ " + to_string(type);
  if (related.valid()) s += " raddr " + related.ip_string() + " rport " + std::to_string(related.port);
  for (const auto& [k, v] : extensions) s += " " + k + " " + v;
  return s;
}

bool parse_candidate(std::string_view line, Candidate& out, std::string* error) {
  if (line.size() > kMaxLineLength) return fail(error, "candidate line too long");
  if (line.substr(0, 2) == "a=") line.remove_prefix(2);
  if (line.substr(0, 10) != "candidate:") return fail(error, "missing 'candidate:' prefix");
  line.remove_prefix(10);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  // RFC 8839 §5.1: fields are non-whitespace strings of VCHAR or bytes >= 0x80, separated by spaces;
  // a control character (a line break inside the value, a NUL) is not part of any field.
  for (char ch : line) {
    unsigned char u = static_cast<unsigned char>(ch);
    if ((u < 0x20 && ch != '\t') || u == 0x7F) return fail(error, "control character in candidate line");
  }
  auto p = split_ws(line);
  if (p.size() < 8) return fail(error, "too few fields");
  Candidate c;
  if (p[0].empty() || p[0].size() > 32) return fail(error, "bad foundation length");
  for (char ch : p[0]) {
    if (!is_ice_char(ch)) return fail(error, "bad foundation character");
  }
  c.foundation = std::string(p[0]);
  uint64_t v = 0;
  if (!parse_u32(p[1], 256, v) || v == 0) return fail(error, "bad component");
  c.component = uint16_t(v);
  c.transport = std::string(p[2]);
  if (c.transport.empty() || c.transport.size() > 16) return fail(error, "bad transport");
  for (char ch : c.transport) {  // "UDP" / transport-extension (a token)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') return fail(error, "bad transport");
  }
  if (!parse_u32(p[3], 0xFFFFFFFFu, v)) return fail(error, "bad priority");
  c.priority = uint32_t(v);
  uint64_t port = 0;
  if (!parse_u32(p[5], 65535, port)) return fail(error, "bad port");
  std::string addr(p[4]);
  if (!SocketAddress::parse_ip(addr, uint16_t(port), c.address)) {
    // RFC 8839: an FQDN is allowed; we accept mDNS names (".local") for the host to resolve.
    if (addr.size() < 7 || addr.size() > 253 || !lower_equals(std::string_view(addr).substr(addr.size() - 6), ".local")) {
      return fail(error, "bad connection address");
    }
    for (char ch : addr) {
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                ch == '.';
      if (!ok) return fail(error, "bad hostname");
    }
    c.hostname = addr;
    c.address = SocketAddress();
    c.address.port = uint16_t(port);
  }
  if (p[6] != "typ") return fail(error, "missing 'typ'");
  if (p[7] == "host") {
    c.type = CandidateType::kHost;
  } else if (p[7] == "srflx") {
    c.type = CandidateType::kServerReflexive;
  } else if (p[7] == "prflx") {
    c.type = CandidateType::kPeerReflexive;
  } else if (p[7] == "relay") {
    c.type = CandidateType::kRelayed;
  } else {
    return fail(error, "unknown candidate type");
  }
  size_t i = 8;
  std::string raddr;
  uint64_t rport = 0;
  bool have_rport = false;
  while (i < p.size()) {
    if (i + 1 >= p.size()) return fail(error, "extension without a value");
    std::string_view k = p[i], val = p[i + 1];
    if (k == "raddr") {
      raddr = std::string(val);
    } else if (k == "rport") {
      if (!parse_u32(val, 65535, rport)) return fail(error, "bad rport");
      have_rport = true;
    } else {
      if (c.extensions.size() >= kMaxExtensions) return fail(error, "too many extensions");
      c.extensions.emplace_back(std::string(k), std::string(val));
    }
    i += 2;
  }
  if (!raddr.empty()) {
    // Browsers hide the related address as 0.0.0.0 or a name; keep it only if it is an IP.
    SocketAddress r;
    if (SocketAddress::parse_ip(raddr, uint16_t(have_rport ? rport : 0), r)) c.related = r;
  }
  out = std::move(c);
  return true;
}

}  // namespace wasmrtc::ice
