#include "stun/message.h"

#include <algorithm>
#include <cstring>

namespace wasmrtc::stun {

namespace attr {
bool is_known(uint16_t t) {
  switch (t) {
    case kMappedAddress: case kUsername: case kMessageIntegrity: case kErrorCode: case kUnknownAttributes:
    case kChannelNumber: case kLifetime: case kXorPeerAddress: case kData: case kRealm: case kNonce:
    case kXorRelayedAddress: case kRequestedTransport: case kMessageIntegritySha256: case kPasswordAlgorithm:
    case kUserhash: case kXorMappedAddress: case kPriority: case kUseCandidate:
      return true;
    default:
      return !comprehension_required(t);
  }
}
}  // namespace attr

bool looks_like_stun(ByteView d) {
  return d.size >= kHeaderSize && d[0] < 4 && load_be32(d.data + 4) == kMagicCookie && (load_be16(d.data + 2) & 3) == 0;
}

bool Message::parse(ByteView datagram, Message& out) {
  if (!looks_like_stun(datagram)) return false;
  ByteReader r(datagram);
  uint16_t type = 0, length = 0;
  uint32_t cookie = 0;
  r.u16(type);
  r.u16(length);
  r.u32(cookie);
  if (size_t(length) + kHeaderSize != datagram.size) return false;
  Message m;
  m.type_ = type;
  r.copy(m.txid_.data(), 12);
  bool after_integrity = false;
  bool after_fingerprint = false;
  while (r.remaining() > 0) {
    uint16_t atype, alen;
    if (!r.u16(atype) || !r.u16(alen)) return false;
    size_t offset = r.position();
    ByteView v;
    if (!r.bytes(alen, v)) return false;
    size_t pad = (4 - alen % 4) % 4;
    if (!r.skip(pad)) return false;
    if (after_fingerprint) return false;  // §14.7: FINGERPRINT is last
    if (after_integrity && atype != attr::kFingerprint && atype != attr::kMessageIntegritySha256) {
      continue;  // §14.5: ignore what follows MESSAGE-INTEGRITY
    }
    if (m.attrs_.size() >= kMaxAttributes) return false;
    m.attrs_.push_back({atype, uint16_t(offset), alen});
    if (atype == attr::kMessageIntegrity || atype == attr::kMessageIntegritySha256) after_integrity = true;
    if (atype == attr::kFingerprint) after_fingerprint = true;
  }
  m.bytes_ = datagram.to_vector();
  out = std::move(m);
  return true;
}

const RawAttribute* Message::find(uint16_t type) const {
  for (const auto& a : attrs_) {
    if (a.type == type) return &a;
  }
  return nullptr;
}

static bool decode_address(ByteView v, SocketAddress& out, const uint8_t* xor_mask) {
  if (v.size < 4 || v[0] != 0) return false;
  uint8_t family = v[1];
  uint16_t port = load_be16(v.data + 2);
  size_t n = family == 1 ? 4 : family == 2 ? 16 : 0;
  if (n == 0 || v.size != 4 + n) return false;
  uint8_t ip[16];
  for (size_t i = 0; i < n; ++i) ip[i] = uint8_t(v[4 + i] ^ (xor_mask ? xor_mask[2 + i] : 0));
  if (xor_mask) port = uint16_t(port ^ load_be16(xor_mask));
  out = family == 1 ? SocketAddress::v4(ip[0], ip[1], ip[2], ip[3], port) : SocketAddress::v6(ip, port);
  return true;
}

bool Message::get_xor_address(uint16_t type, SocketAddress& out) const {
  const RawAttribute* a = find(type);
  if (!a) return false;
  // Mask = magic cookie || transaction id (§14.2); the port uses its top 16 bits.
  uint8_t mask[18];
  store_be16(mask, uint16_t(kMagicCookie >> 16));
  store_be32(mask + 2, kMagicCookie);
  std::memcpy(mask + 6, txid_.data(), 12);
  return decode_address(value(*a), out, mask);
}

bool Message::get_address(uint16_t type, SocketAddress& out) const {
  const RawAttribute* a = find(type);
  return a && decode_address(value(*a), out, nullptr);
}

bool Message::get_string(uint16_t type, std::string& out) const {
  const RawAttribute* a = find(type);
  if (!a) return false;
  ByteView v = value(*a);
  out.assign(reinterpret_cast<const char*>(v.data), v.size);
  return true;
}

bool Message::get_u32(uint16_t type, uint32_t& out) const {
  const RawAttribute* a = find(type);
  if (!a || a->length != 4) return false;
  out = load_be32(bytes_.data() + a->offset);
  return true;
}

bool Message::get_u64(uint16_t type, uint64_t& out) const {
  const RawAttribute* a = find(type);
  if (!a || a->length != 8) return false;
  const uint8_t* p = bytes_.data() + a->offset;
  out = (uint64_t(load_be32(p)) << 32) | load_be32(p + 4);
  return true;
}

bool Message::get_error(int& code, std::string& reason) const {
  const RawAttribute* a = find(attr::kErrorCode);
  if (!a || a->length < 4) return false;
  ByteView v = value(*a);
  int cls = v[2] & 0x07;
  int number = v[3];
  if (cls < 3 || cls > 6 || number > 99) return false;  // §14.8: 300..699
  code = cls * 100 + number;
  reason.assign(reinterpret_cast<const char*>(v.data + 4), v.size - 4);
  return true;
}

bool Message::get_unknown_attributes(std::vector<uint16_t>& out) const {
  const RawAttribute* a = find(attr::kUnknownAttributes);
  if (!a || a->length % 2) return false;
  out.clear();
  for (size_t i = 0; i < a->length; i += 2) out.push_back(load_be16(bytes_.data() + a->offset + i));
  return true;
}

bool Message::get_channel_number(uint16_t& out) const {
  const RawAttribute* a = find(attr::kChannelNumber);
  if (!a || a->length != 4) return false;
  out = load_be16(bytes_.data() + a->offset);
  return true;
}

std::vector<uint16_t> Message::unknown_required() const {
  std::vector<uint16_t> out;
  for (const auto& a : attrs_) {
    if (!attr::is_known(a.type) && std::find(out.begin(), out.end(), a.type) == out.end()) out.push_back(a.type);
  }
  return out;
}

bool Message::check_hmac(crypto::Provider& crypto, const RawAttribute& a, crypto::Hash h, ByteView key) const {
  size_t mac_len = crypto::hash_size(h);
  // MESSAGE-INTEGRITY is exactly 20 bytes; -SHA256 may be truncated to 16..32 in multiples of 4 (§14.6).
  if (h == crypto::Hash::kSha1 ? a.length != 20 : (a.length < 16 || a.length > 32 || a.length % 4)) return false;
  size_t attr_start = size_t(a.offset) - 4;
  // HMAC input: header with its length covering up to the end of this attribute, then the attributes before it.
  std::vector<uint8_t> input(bytes_.begin(), bytes_.begin() + attr_start);
  store_be16(input.data() + 2, uint16_t(attr_start + 4 + a.length - kHeaderSize));
  uint8_t mac[48];
  if (!crypto.hmac(h, key, ByteView(input), mac)) return false;
  (void)mac_len;
  // Constant-time compare of the (possibly truncated) value.
  uint8_t diff = 0;
  for (size_t i = 0; i < a.length; ++i) diff |= uint8_t(mac[i] ^ bytes_[a.offset + i]);
  return diff == 0;
}

IntegrityResult Message::check_integrity(crypto::Provider& crypto, ByteView key) const {
  if (const RawAttribute* a = find(attr::kMessageIntegritySha256)) {
    return check_hmac(crypto, *a, crypto::Hash::kSha256, key) ? IntegrityResult::kValid : IntegrityResult::kInvalid;
  }
  if (const RawAttribute* a = find(attr::kMessageIntegrity)) {
    return check_hmac(crypto, *a, crypto::Hash::kSha1, key) ? IntegrityResult::kValid : IntegrityResult::kInvalid;
  }
  return IntegrityResult::kAbsent;
}

IntegrityResult Message::check_fingerprint(crypto::Provider& crypto) const {
  const RawAttribute* a = find(attr::kFingerprint);
  if (!a) return IntegrityResult::kAbsent;
  if (a->length != 4) return IntegrityResult::kInvalid;
  // Computed over everything before the attribute, the length already covering it (§14.7).
  uint32_t crc = crypto.crc32(ByteView(bytes_.data(), size_t(a->offset) - 4)) ^ kFingerprintXor;
  return crc == load_be32(bytes_.data() + a->offset) ? IntegrityResult::kValid : IntegrityResult::kInvalid;
}

std::array<uint8_t, 16> long_term_key(crypto::Provider& crypto, const std::string& username, const std::string& realm,
                                      const std::string& password) {
  std::string input = username + ":" + realm + ":" + password;
  std::array<uint8_t, 16> key{};
  crypto.digest(crypto::Hash::kMd5, ByteView(input), key.data());
  return key;
}

TransactionId new_transaction_id(crypto::Provider& crypto) {
  TransactionId id;
  crypto.random(id.data(), id.size());
  return id;
}

}  // namespace wasmrtc::stun
