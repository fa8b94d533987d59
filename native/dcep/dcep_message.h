// Data Channel Establishment Protocol messages (RFC 8832 §5) and the PPIDs of
// data channel payloads (RFC 8831 §8).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace wasmrtc::dcep {

namespace ppid {
constexpr uint32_t kDcep = 50;
constexpr uint32_t kString = 51;
constexpr uint32_t kBinary = 53;
constexpr uint32_t kStringEmpty = 56;  // a zero-length string is sent as one byte with this PPID
constexpr uint32_t kBinaryEmpty = 57;
}  // namespace ppid

enum class ChannelType : uint8_t {
  kReliable = 0x00,
  kReliableUnordered = 0x80,
  kPartialReliableRexmit = 0x01,
  kPartialReliableRexmitUnordered = 0x81,
  kPartialReliableTimed = 0x02,
  kPartialReliableTimedUnordered = 0x82,
};

constexpr uint8_t kMessageAck = 0x02;
constexpr uint8_t kMessageOpen = 0x03;

struct OpenMessage {
  ChannelType channel_type = ChannelType::kReliable;
  uint16_t priority = 256;  // RFC 8831 §6.4 "normal"
  uint32_t reliability = 0;  // retransmissions or lifetime (ms), by type
  std::string label;
  std::string protocol;

  bool ordered() const { return (uint8_t(channel_type) & 0x80) == 0; }
  static bool parse(ByteView data, OpenMessage& out);
  std::vector<uint8_t> serialize() const;
};

// RFC 8832 §5.2 defines a one-byte ACK; pion/datachannel 1.5.5 sends the type and three zeros. libwebrtc
// and Firefox go by the type byte, and so do we (the whole message's window credit is returned either way).
inline bool is_ack(ByteView data) { return data.size >= 1 && data[0] == kMessageAck; }
inline std::vector<uint8_t> ack_message() { return {kMessageAck}; }

}  // namespace wasmrtc::dcep
