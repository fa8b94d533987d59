// A parsed STUN message (RFC 8489 §5, §14). The message owns a copy of its
// bytes; attributes are offsets into them, so integrity can be checked over
// the exact bytes received.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/socket_address.h"
#include "crypto/provider.h"
#include "stun/constants.h"

namespace wasmrtc::stun {

struct RawAttribute {
  uint16_t type = 0;
  uint16_t offset = 0;  // of the value, from the start of the message
  uint16_t length = 0;
};

enum class IntegrityResult { kAbsent, kValid, kInvalid };

// Cheap test for demultiplexing (RFC 7983: first byte 0..3) plus the cookie.
bool looks_like_stun(ByteView datagram);

class Message {
 public:
  // Parses one message that must fill the datagram exactly. False on any
  // framing error: bad leading bits, cookie, length, attribute overrun, too many
  // attributes, or anything but MESSAGE-INTEGRITY-SHA256/FINGERPRINT after
  // MESSAGE-INTEGRITY, or anything after FINGERPRINT (§14.5–14.7).
  static bool parse(ByteView datagram, Message& out);

  uint16_t type() const { return type_; }
  uint16_t method() const { return type_method(type_); }
  MessageClass message_class() const { return type_class(type_); }
  const TransactionId& transaction_id() const { return txid_; }
  ByteView bytes() const { return ByteView(bytes_); }
  const std::vector<RawAttribute>& attributes() const { return attrs_; }

  const RawAttribute* find(uint16_t type) const;
  bool has(uint16_t type) const { return find(type) != nullptr; }
  ByteView value(const RawAttribute& a) const { return ByteView(bytes_.data() + a.offset, a.length); }

  // Typed getters: false when absent or malformed.
  bool get_xor_address(uint16_t type, SocketAddress& out) const;  // XOR-MAPPED/PEER/RELAYED
  bool get_address(uint16_t type, SocketAddress& out) const;      // MAPPED-ADDRESS, ALTERNATE-SERVER
  bool get_string(uint16_t type, std::string& out) const;         // USERNAME, REALM, NONCE, SOFTWARE
  bool get_u32(uint16_t type, uint32_t& out) const;               // PRIORITY, LIFETIME, ...
  bool get_u64(uint16_t type, uint64_t& out) const;               // ICE-CONTROLLED/CONTROLLING
  bool get_error(int& code, std::string& reason) const;           // ERROR-CODE
  bool get_unknown_attributes(std::vector<uint16_t>& out) const;  // UNKNOWN-ATTRIBUTES
  bool get_channel_number(uint16_t& out) const;

  // Comprehension-required attributes this implementation does not know.
  std::vector<uint16_t> unknown_required() const;

  // MESSAGE-INTEGRITY-SHA256 is preferred when both are present (§14.5/14.6).
  IntegrityResult check_integrity(crypto::Provider& crypto, ByteView key) const;
  IntegrityResult check_fingerprint(crypto::Provider& crypto) const;

 private:
  bool check_hmac(crypto::Provider& crypto, const RawAttribute& a, crypto::Hash h, ByteView key) const;

  uint16_t type_ = 0;
  TransactionId txid_{};
  std::vector<uint8_t> bytes_;
  std::vector<RawAttribute> attrs_;
};

// Long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":" password).
// SASLprep/OpaqueString is the identity for the ASCII credentials we handle; a
// non-ASCII password is used as its UTF-8 bytes.
std::array<uint8_t, 16> long_term_key(crypto::Provider& crypto, const std::string& username,
                                      const std::string& realm, const std::string& password);

TransactionId new_transaction_id(crypto::Provider& crypto);

}  // namespace wasmrtc::stun
