// Serialises a STUN message attribute by attribute; the header length is kept
// current so MESSAGE-INTEGRITY and FINGERPRINT cover the right bytes.
#pragma once

#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/socket_address.h"
#include "crypto/provider.h"
#include "stun/constants.h"

namespace wasmrtc::stun {

class MessageBuilder {
 public:
  MessageBuilder(uint16_t method, MessageClass cls, const TransactionId& id);

  MessageBuilder& add(uint16_t type, ByteView value);
  MessageBuilder& add_flag(uint16_t type) { return add(type, ByteView()); }
  MessageBuilder& add_string(uint16_t type, std::string_view s) { return add(type, ByteView(s)); }
  MessageBuilder& add_u32(uint16_t type, uint32_t v);
  MessageBuilder& add_u64(uint16_t type, uint64_t v);
  MessageBuilder& add_address(uint16_t type, const SocketAddress& a);      // plain (§14.1)
  MessageBuilder& add_xor_address(uint16_t type, const SocketAddress& a);  // XOR'd (§14.2)
  MessageBuilder& add_error(int code, std::string_view reason);            // §14.8
  MessageBuilder& add_unknown_attributes(const std::vector<uint16_t>& types);
  MessageBuilder& add_channel_number(uint16_t channel);

  MessageBuilder& add_message_integrity(crypto::Provider& crypto, ByteView key);         // HMAC-SHA1
  MessageBuilder& add_message_integrity_sha256(crypto::Provider& crypto, ByteView key);  // HMAC-SHA256
  MessageBuilder& add_fingerprint(crypto::Provider& crypto);

  // Padding is "any value" (RFC 8489 §14); zero unless set (RFC 5769 samples use spaces).
  MessageBuilder& set_padding_byte(uint8_t b) {
    pad_ = b;
    return *this;
  }

  const std::vector<uint8_t>& bytes() const { return buf_; }
  std::vector<uint8_t> take() { return std::move(buf_); }

 private:
  void set_length(size_t body);
  std::vector<uint8_t> buf_;
  TransactionId id_;
  uint8_t pad_ = 0;
};

}  // namespace wasmrtc::stun
