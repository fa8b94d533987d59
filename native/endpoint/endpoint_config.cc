#include <string>

#include "endpoint/endpoint.h"

namespace wasmrtc {

namespace {

bool parse_uint(std::string_view v, uint64_t max, uint64_t& out) {
  if (v.empty() || v.size() > 12) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + uint64_t(c - '0');
  }
  if (n > max) return false;
  out = n;
  return true;
}

// Calls fn(key, value) for every non-empty "key=value" line; stops at the first
// malformed line or the first false from fn.
template <typename Fn>
bool for_each_setting(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || !fn(line.substr(0, eq), line.substr(eq + 1))) return false;
  }
  return true;
}

}  // namespace

bool EndpointConfig::parse(std::string_view text, EndpointConfig& out) {
  EndpointConfig cfg;
  bool ok = for_each_setting(text, [&](std::string_view key, std::string_view value) {
    uint64_t n = 0;
    if (key == "answer_stun") {
      if (!parse_uint(value, 1, n)) return false;
      cfg.answer_stun = n == 1;
    } else if (key == "own_certificate") {
      if (!parse_uint(value, 1, n)) return false;
      cfg.own_certificate = n == 1;
    } else if (key == "software") {
      if (value.size() > 127) return false;  // RFC 8489 §14.14: fewer than 128 characters
      cfg.software = std::string(value);
    } else if (key == "stun_rto_ms") {
      if (!parse_uint(value, 60000, n) || n == 0) return false;
      cfg.stun_rto = ms(int64_t(n));
    } else {
      return false;
    }
    return true;
  });
  if (!ok) return false;
  out = cfg;
  return true;
}

bool parse_dtls_config(std::string_view text, dtls::DtlsConfig& out) {
  dtls::DtlsConfig cfg;
  bool ok = for_each_setting(text, [&](std::string_view key, std::string_view value) {
    uint64_t n = 0;
    if (key == "role") {
      if (value != "client" && value != "server") return false;
      cfg.role = value == "client" ? dtls::Role::kClient : dtls::Role::kServer;
    } else if (key == "remote_fingerprint") {
      if (value.size() > 200) return false;
      cfg.remote_fingerprint = std::string(value);
    } else if (key == "verify_fingerprint" || key == "require_ems" || key == "cookie") {
      if (!parse_uint(value, 1, n)) return false;
      bool b = n == 1;
      if (key == "verify_fingerprint") cfg.verify_fingerprint = b;
      if (key == "require_ems") cfg.require_extended_master_secret = b;
      if (key == "cookie") cfg.server_cookie = b;
    } else if (key == "mtu") {
      if (!parse_uint(value, 65535, n) || n < 256) return false;
      cfg.mtu = size_t(n);
    } else if (key == "rto_ms") {
      if (!parse_uint(value, 60000, n) || n == 0) return false;
      cfg.initial_rto = ms(int64_t(n));
    } else {
      return false;
    }
    return true;
  });
  if (!ok) return false;
  if (cfg.verify_fingerprint && cfg.remote_fingerprint.empty()) return false;
  out = std::move(cfg);
  return true;
}

bool parse_ice_config(std::string_view text, ice::IceConfig& out) {
  ice::IceConfig cfg;
  bool ok = for_each_setting(text, [&](std::string_view key, std::string_view value) {
    uint64_t n = 0;
    if (key == "controlling" || key == "relay_only" || key == "lite") {
      if (!parse_uint(value, 1, n)) return false;
      (key == "controlling" ? cfg.controlling : key == "lite" ? cfg.lite : cfg.relay_only) = n == 1;
    } else if (key == "ufrag" || key == "pwd") {
      if (value.size() > 256) return false;
      (key == "ufrag" ? cfg.local_ufrag : cfg.local_pwd) = std::string(value);
    } else if (key == "ta_ms" || key == "consent_ms" || key == "disconnected_ms" || key == "failed_ms" ||
               key == "checking_timeout_ms") {
      if (!parse_uint(value, 3600000, n) || n == 0) return false;
      Duration d = ms(int64_t(n));
      if (key == "ta_ms") cfg.ta = d;
      if (key == "consent_ms") cfg.consent_interval = d;
      if (key == "disconnected_ms") cfg.disconnected_after = d;
      if (key == "failed_ms") cfg.failed_after = d;
      if (key == "checking_timeout_ms") cfg.checking_timeout = d;
    } else {
      return false;
    }
    return true;
  });
  if (!ok) return false;
  out = std::move(cfg);
  return true;
}

}  // namespace wasmrtc
