// STUN wire constants: RFC 8489 (STUN), RFC 8656 (TURN), RFC 8445 (ICE).
#pragma once

#include <array>
#include <cstdint>

namespace wasmrtc::stun {

constexpr uint32_t kMagicCookie = 0x2112A442;  // RFC 8489 §5
constexpr size_t kHeaderSize = 20;
constexpr uint32_t kFingerprintXor = 0x5354554E;  // RFC 8489 §14.7
constexpr size_t kMaxAttributes = 64;             // a bound so hostile messages cannot make us allocate

using TransactionId = std::array<uint8_t, 12>;

enum class MessageClass : uint8_t { kRequest = 0, kIndication = 1, kSuccess = 2, kError = 3 };

namespace method {
constexpr uint16_t kBinding = 0x001;
constexpr uint16_t kAllocate = 0x003;  // RFC 8656
constexpr uint16_t kRefresh = 0x004;
constexpr uint16_t kSend = 0x006;
constexpr uint16_t kData = 0x007;
constexpr uint16_t kCreatePermission = 0x008;
constexpr uint16_t kChannelBind = 0x009;
}  // namespace method

namespace attr {
constexpr uint16_t kMappedAddress = 0x0001;
constexpr uint16_t kUsername = 0x0006;
constexpr uint16_t kMessageIntegrity = 0x0008;
constexpr uint16_t kErrorCode = 0x0009;
constexpr uint16_t kUnknownAttributes = 0x000A;
constexpr uint16_t kChannelNumber = 0x000C;
constexpr uint16_t kLifetime = 0x000D;
constexpr uint16_t kXorPeerAddress = 0x0012;
constexpr uint16_t kData = 0x0013;
constexpr uint16_t kRealm = 0x0014;
constexpr uint16_t kNonce = 0x0015;
constexpr uint16_t kXorRelayedAddress = 0x0016;
constexpr uint16_t kRequestedTransport = 0x0019;
constexpr uint16_t kMessageIntegritySha256 = 0x001C;
constexpr uint16_t kPasswordAlgorithm = 0x001D;
constexpr uint16_t kUserhash = 0x001E;
constexpr uint16_t kXorMappedAddress = 0x0020;
constexpr uint16_t kPriority = 0x0024;
constexpr uint16_t kUseCandidate = 0x0025;
constexpr uint16_t kPasswordAlgorithms = 0x8002;
constexpr uint16_t kAlternateDomain = 0x8003;
constexpr uint16_t kSoftware = 0x8022;
constexpr uint16_t kAlternateServer = 0x8023;
constexpr uint16_t kFingerprint = 0x8028;
constexpr uint16_t kIceControlled = 0x8029;
constexpr uint16_t kIceControlling = 0x802A;

// RFC 8489 §14: 0x0000-0x7FFF must be understood or the request is refused.
constexpr bool comprehension_required(uint16_t type) { return type < 0x8000; }
bool is_known(uint16_t type);
}  // namespace attr

// Message type: method and class bits interleaved (RFC 8489 §5, figure 3).
constexpr uint16_t message_type(uint16_t method, MessageClass cls) {
  uint16_t c = uint16_t(cls);
  return uint16_t((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | ((c & 1) << 4) |
                  ((c & 2) << 7));
}
constexpr uint16_t type_method(uint16_t type) {
  return uint16_t((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
}
constexpr MessageClass type_class(uint16_t type) {
  return MessageClass(((type >> 4) & 1) | ((type >> 7) & 2));
}

}  // namespace wasmrtc::stun
