// The per-connection self-signed ECDSA P-256 certificate WebRTC uses
// (RFC 8827 §6.5), its SHA-256 fingerprint for SDP (RFC 8122), and the check
// of a peer certificate against the fingerprint its SDP announced.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "crypto/provider.h"

namespace wasmrtc::dtls {

struct Certificate {
  std::vector<uint8_t> der;
  uint8_t private_key[32] = {};
  uint8_t public_key[65] = {};
  std::string fingerprint;  // "AB:CD:..." (SHA-256, uppercase, RFC 8122 §5)

  static bool generate(crypto::Provider& crypto, const std::string& common_name, Certificate& out);
};

std::string fingerprint_sha256(crypto::Provider& crypto, ByteView der);
// Compares "AB:cd:..." forms case-insensitively; also accepts a leading "sha-256 ".
bool fingerprint_matches(const std::string& expected, const std::string& actual);

}  // namespace wasmrtc::dtls
