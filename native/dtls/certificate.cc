#include "dtls/certificate.h"

#include "dtls/asn1.h"

namespace wasmrtc::dtls {

namespace {
std::vector<uint8_t> name(const std::string& cn) {
  // Name ::= SEQUENCE OF SET OF { commonName (2.5.4.3) UTF8String }
  return asn1::seq({asn1::seq({asn1::seq({asn1::oid({2, 5, 4, 3}), asn1::utf8_string(cn)})}, asn1::kSet)});
}
std::vector<uint8_t> ecdsa_with_sha256() { return asn1::seq({asn1::oid({1, 2, 840, 10045, 4, 3, 2})}); }
}  // namespace

bool Certificate::generate(crypto::Provider& crypto, const std::string& cn, Certificate& out) {
  Certificate c;
  if (!crypto.ecdsa_p256_generate(c.private_key, c.public_key)) return false;
  uint8_t serial[8];
  crypto.random(serial, sizeof serial);
  serial[0] &= 0x7F;
  auto spki = asn1::seq({asn1::seq({asn1::oid({1, 2, 840, 10045, 2, 1}), asn1::oid({1, 2, 840, 10045, 3, 1, 7})}),
                         asn1::bit_string(ByteView(c.public_key, 65))});
  // No clock in the core: a fixed validity window; WebRTC authenticates by fingerprint, not dates.
  auto validity = asn1::seq({asn1::utc_time("240101000000Z"), asn1::utc_time("491231235959Z")});
  auto version = asn1::tlv(0xA0, ByteView(asn1::integer_small(2)));
  auto tbs = asn1::seq({version, asn1::integer_unsigned(ByteView(serial, 8)), ecdsa_with_sha256(), name(cn), validity,
                        name(cn), spki});
  std::vector<uint8_t> sig;
  if (!crypto.ecdsa_p256_sign(ByteView(c.private_key, 32), crypto::Hash::kSha256, ByteView(tbs), sig)) return false;
  c.der = asn1::seq({tbs, ecdsa_with_sha256(), asn1::bit_string(ByteView(sig))});
  c.fingerprint = fingerprint_sha256(crypto, ByteView(c.der));
  out = std::move(c);
  return true;
}

std::string fingerprint_sha256(crypto::Provider& crypto, ByteView der) {
  uint8_t h[32];
  if (!crypto.digest(crypto::Hash::kSha256, der, h)) return "";
  static const char* hex = "0123456789ABCDEF";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i) s += ':';
    s += hex[h[i] >> 4];
    s += hex[h[i] & 15];
  }
  return s;
}

bool fingerprint_matches(const std::string& expected, const std::string& actual) {
  std::string e = expected;
  if (e.size() > 8 && (e.compare(0, 8, "sha-256 ") == 0 || e.compare(0, 8, "SHA-256 ") == 0)) e = e.substr(8);
  if (e.size() != actual.size() || actual.empty()) return false;
  for (size_t i = 0; i < e.size(); ++i) {
    char a = e[i], b = actual[i];
    if (a >= 'a' && a <= 'z') a = char(a - 32);
    if (b >= 'a' && b <= 'z') b = char(b - 32);
    if (a != b) return false;
  }
  return true;
}

}  // namespace wasmrtc::dtls
