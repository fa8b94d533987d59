#include "dtls/asn1.h"

namespace wasmrtc::dtls::asn1 {

std::vector<uint8_t> tlv(uint8_t tag, ByteView content) {
  std::vector<uint8_t> out;
  out.reserve(content.size + 6);
  out.push_back(tag);
  size_t n = content.size;
  if (n < 0x80) {
    out.push_back(uint8_t(n));
  } else {
    uint8_t len[4];
    int k = 0;
    for (size_t v = n; v; v >>= 8) len[k++] = uint8_t(v);
    out.push_back(uint8_t(0x80 | k));
    while (k) out.push_back(len[--k]);
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

std::vector<uint8_t> seq(std::initializer_list<std::vector<uint8_t>> parts, uint8_t tag) {
  std::vector<uint8_t> content;
  for (const auto& p : parts) content.insert(content.end(), p.begin(), p.end());
  return tlv(tag, ByteView(content));
}

std::vector<uint8_t> integer_unsigned(ByteView be) {
  size_t i = 0;
  while (i + 1 < be.size && be[i] == 0) ++i;
  std::vector<uint8_t> v;
  if (be.size == 0 || (be[i] & 0x80)) v.push_back(0);
  v.insert(v.end(), be.begin() + i, be.end());
  return tlv(kInteger, ByteView(v));
}

std::vector<uint8_t> integer_small(int64_t v) {
  std::vector<uint8_t> b;
  bool more = true;
  while (more) {
    b.insert(b.begin(), uint8_t(v & 0xFF));
    int64_t next = v >> 8;
    more = !((next == 0 && !(b.front() & 0x80)) || (next == -1 && (b.front() & 0x80)));
    v = next;
  }
  return tlv(kInteger, ByteView(b));
}

std::vector<uint8_t> oid(std::initializer_list<uint32_t> arcs) {
  std::vector<uint8_t> b;
  auto it = arcs.begin();
  uint32_t first = *it++;
  uint32_t second = *it++;
  auto base128 = [&b](uint32_t v) {
    uint8_t tmp[5];
    int k = 0;
    do {
      tmp[k++] = uint8_t(v & 0x7F);
      v >>= 7;
    } while (v);
    while (k) {
      --k;
      b.push_back(uint8_t(tmp[k] | (k ? 0x80 : 0)));
    }
  };
  base128(first * 40 + second);
  for (; it != arcs.end(); ++it) base128(*it);
  return tlv(kOid, ByteView(b));
}

std::vector<uint8_t> bit_string(ByteView bits) {
  std::vector<uint8_t> v = {0};
  v.insert(v.end(), bits.begin(), bits.end());
  return tlv(kBitString, ByteView(v));
}

std::vector<uint8_t> utf8_string(const std::string& s) { return tlv(kUtf8String, ByteView(std::string_view(s))); }
std::vector<uint8_t> utc_time(const std::string& s) { return tlv(kUtcTime, ByteView(std::string_view(s))); }

bool Reader::next(Element& out) {
  if (pos_ + 2 > v_.size) return false;
  size_t start = pos_;
  uint8_t tag = v_[pos_++];
  if ((tag & 0x1F) == 0x1F) return false;  // multi-byte tags are not used here
  uint8_t l = v_[pos_++];
  size_t len = 0;
  if (l < 0x80) {
    len = l;
  } else {
    int k = l & 0x7F;
    if (k == 0 || k > 4 || pos_ + size_t(k) > v_.size) return false;  // indefinite lengths are not DER
    for (int i = 0; i < k; ++i) len = (len << 8) | v_[pos_++];
    if (len < 0x80) return false;  // DER: shortest form
  }
  if (len > v_.size - pos_) return false;
  out.tag = tag;
  out.content = ByteView(v_.data + pos_, len);
  pos_ += len;
  out.whole = ByteView(v_.data + start, pos_ - start);
  return true;
}

bool Reader::expect(uint8_t tag, Element& out) { return next(out) && out.tag == tag; }

bool read_certificate_key(ByteView der, CertificateKey& out) {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
  Element cert, tbs, e;
  Reader top(der);
  if (!top.expect(kSequence, cert)) return false;
  Reader c(cert.content);
  if (!c.expect(kSequence, tbs)) return false;
  Reader t(tbs.content);
  // [0] version (optional), serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  if (!t.next(e)) return false;
  if (e.tag == 0xA0 && !t.next(e)) return false;  // e is now serialNumber
  if (e.tag != kInteger) return false;
  for (int i = 0; i < 4; ++i) {
    if (!t.expect(kSequence, e)) return false;  // signature, issuer, validity, subject
  }
  Element spki;
  if (!t.expect(kSequence, spki)) return false;
  Reader s(spki.content);
  Element alg, key;
  if (!s.expect(kSequence, alg) || !s.expect(kBitString, key)) return false;
  Reader a(alg.content);
  Element alg_oid, params;
  if (!a.expect(kOid, alg_oid)) return false;
  static const uint8_t kEcPublicKey[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
  static const uint8_t kPrime256v1[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
  static const uint8_t kRsaEncryption[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
  out = CertificateKey();
  out.spki_der = spki.whole.to_vector();
  if (alg_oid.content.equals(ByteView(kEcPublicKey, sizeof kEcPublicKey))) {
    if (!a.expect(kOid, params) || !params.content.equals(ByteView(kPrime256v1, sizeof kPrime256v1))) return false;
    if (key.content.size != 66 || key.content[0] != 0 || key.content[1] != 4) return false;
    out.is_ec_p256 = true;
    out.ec_point = key.content.sub(1, 65).to_vector();
    return true;
  }
  if (alg_oid.content.equals(ByteView(kRsaEncryption, sizeof kRsaEncryption))) {
    out.is_rsa = true;
    return true;
  }
  return false;
}

}  // namespace wasmrtc::dtls::asn1
