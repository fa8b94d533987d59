// A small DER writer and a bounded DER reader (X.690), enough for the
// self-signed certificates WebRTC uses and for reading a peer's public key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace wasmrtc::dtls::asn1 {

enum Tag : uint8_t {
  kInteger = 0x02,
  kBitString = 0x03,
  kOctetString = 0x04,
  kNull = 0x05,
  kOid = 0x06,
  kUtf8String = 0x0C,
  kPrintableString = 0x13,
  kUtcTime = 0x17,
  kGeneralizedTime = 0x18,
  kSequence = 0x30,
  kSet = 0x31,
};

// Wraps already-encoded content in a tag and a definite length.
std::vector<uint8_t> tlv(uint8_t tag, ByteView content);
std::vector<uint8_t> seq(std::initializer_list<std::vector<uint8_t>> parts, uint8_t tag = kSequence);
std::vector<uint8_t> integer_unsigned(ByteView big_endian);  // adds a leading 0 when the top bit is set
std::vector<uint8_t> integer_small(int64_t v);
std::vector<uint8_t> oid(std::initializer_list<uint32_t> arcs);
std::vector<uint8_t> bit_string(ByteView bits);  // no unused bits
std::vector<uint8_t> utf8_string(const std::string& s);
std::vector<uint8_t> utc_time(const std::string& yymmddhhmmssz);  // "250101000000Z"

// One TLV read from a bounded view. Only definite lengths up to 4 length bytes.
struct Element {
  uint8_t tag = 0;
  ByteView content;
  ByteView whole;  // tag + length + content
};

class Reader {
 public:
  explicit Reader(ByteView v) : v_(v) {}
  bool next(Element& out);
  // Reads the next element and requires its tag.
  bool expect(uint8_t tag, Element& out);
  bool empty() const { return pos_ >= v_.size; }

 private:
  ByteView v_;
  size_t pos_ = 0;
};

// The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1).
struct CertificateKey {
  bool is_ec_p256 = false;
  std::vector<uint8_t> ec_point;  // 65 bytes uncompressed, when is_ec_p256
  std::vector<uint8_t> spki_der;  // the whole SubjectPublicKeyInfo (for RSA)
  bool is_rsa = false;
};
bool read_certificate_key(ByteView certificate_der, CertificateKey& out);

}  // namespace wasmrtc::dtls::asn1
