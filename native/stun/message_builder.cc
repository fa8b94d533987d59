#include "stun/message_builder.h"

#include <cstring>

namespace wasmrtc::stun {

MessageBuilder::MessageBuilder(uint16_t method, MessageClass cls, const TransactionId& id) : id_(id) {
  buf_.reserve(128);
  ByteWriter w(buf_);
  w.u16(message_type(method, cls));
  w.u16(0);
  w.u32(kMagicCookie);
  w.bytes(id.data(), id.size());
}

void MessageBuilder::set_length(size_t body) { store_be16(buf_.data() + 2, uint16_t(body)); }

MessageBuilder& MessageBuilder::add(uint16_t type, ByteView value) {
  ByteWriter w(buf_);
  w.u16(type);
  w.u16(uint16_t(value.size));
  w.bytes(value);
  buf_.insert(buf_.end(), (4 - value.size % 4) % 4, pad_);
  set_length(buf_.size() - kHeaderSize);
  return *this;
}

MessageBuilder& MessageBuilder::add_u32(uint16_t type, uint32_t v) {
  uint8_t b[4];
  store_be32(b, v);
  return add(type, ByteView(b, 4));
}

MessageBuilder& MessageBuilder::add_u64(uint16_t type, uint64_t v) {
  uint8_t b[8];
  store_be32(b, uint32_t(v >> 32));
  store_be32(b + 4, uint32_t(v));
  return add(type, ByteView(b, 8));
}

MessageBuilder& MessageBuilder::add_address(uint16_t type, const SocketAddress& a) {
  uint8_t b[20] = {0, uint8_t(a.is_v4() ? 1 : 2)};
  store_be16(b + 2, a.port);
  std::memcpy(b + 4, a.ip, a.ip_size());
  return add(type, ByteView(b, 4 + a.ip_size()));
}

MessageBuilder& MessageBuilder::add_xor_address(uint16_t type, const SocketAddress& a) {
  uint8_t mask[16];
  store_be32(mask, kMagicCookie);
  std::memcpy(mask + 4, id_.data(), 12);
  uint8_t b[20] = {0, uint8_t(a.is_v4() ? 1 : 2)};
  store_be16(b + 2, uint16_t(a.port ^ (kMagicCookie >> 16)));
  for (size_t i = 0; i < a.ip_size(); ++i) b[4 + i] = uint8_t(a.ip[i] ^ mask[i]);
  return add(type, ByteView(b, 4 + a.ip_size()));
}

MessageBuilder& MessageBuilder::add_error(int code, std::string_view reason) {
  std::vector<uint8_t> v = {0, 0, uint8_t((code / 100) & 7), uint8_t(code % 100)};
  // §14.8: the reason phrase is at most 128 characters (763 bytes).
  v.insert(v.end(), reason.begin(), reason.begin() + std::min<size_t>(reason.size(), 763));
  return add(attr::kErrorCode, ByteView(v));
}

MessageBuilder& MessageBuilder::add_unknown_attributes(const std::vector<uint16_t>& types) {
  std::vector<uint8_t> v;
  ByteWriter w(v);
  for (size_t i = 0; i < types.size() && i < 32; ++i) w.u16(types[i]);
  return add(attr::kUnknownAttributes, ByteView(v));
}

MessageBuilder& MessageBuilder::add_channel_number(uint16_t channel) {
  uint8_t b[4] = {};
  store_be16(b, channel);
  return add(attr::kChannelNumber, ByteView(b, 4));
}

MessageBuilder& MessageBuilder::add_message_integrity(crypto::Provider& crypto, ByteView key) {
  // The length must already count the attribute being added (§14.5).
  set_length(buf_.size() - kHeaderSize + 24);
  uint8_t mac[20];
  crypto.hmac(crypto::Hash::kSha1, key, ByteView(buf_), mac);
  return add(attr::kMessageIntegrity, ByteView(mac, 20));
}

MessageBuilder& MessageBuilder::add_message_integrity_sha256(crypto::Provider& crypto, ByteView key) {
  set_length(buf_.size() - kHeaderSize + 36);
  uint8_t mac[32];
  crypto.hmac(crypto::Hash::kSha256, key, ByteView(buf_), mac);
  return add(attr::kMessageIntegritySha256, ByteView(mac, 32));
}

MessageBuilder& MessageBuilder::add_fingerprint(crypto::Provider& crypto) {
  set_length(buf_.size() - kHeaderSize + 8);
  return add_u32(attr::kFingerprint, crypto.crc32(ByteView(buf_)) ^ kFingerprintXor);
}

}  // namespace wasmrtc::stun
