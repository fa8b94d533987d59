// An SCTP packet (RFC 9260 §3): the common header, CRC32c (Appendix A) and the
// chunks it carries, read with bounds checks and written with padding.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "crypto/provider.h"

namespace wasmrtc::sctp {

namespace chunk_type {
constexpr uint8_t kData = 0;
constexpr uint8_t kInit = 1;
constexpr uint8_t kInitAck = 2;
constexpr uint8_t kSack = 3;
constexpr uint8_t kHeartbeat = 4;
constexpr uint8_t kHeartbeatAck = 5;
constexpr uint8_t kAbort = 6;
constexpr uint8_t kShutdown = 7;
constexpr uint8_t kShutdownAck = 8;
constexpr uint8_t kError = 9;
constexpr uint8_t kCookieEcho = 10;
constexpr uint8_t kCookieAck = 11;
constexpr uint8_t kShutdownComplete = 14;
constexpr uint8_t kIData = 64;            // RFC 8260
constexpr uint8_t kReConfig = 130;        // RFC 6525
constexpr uint8_t kForwardTsn = 192;      // RFC 3758
constexpr uint8_t kIForwardTsn = 194;     // RFC 8260
}  // namespace chunk_type

constexpr size_t kCommonHeaderSize = 12;
constexpr size_t kChunkHeaderSize = 4;
constexpr size_t kMaxChunksPerPacket = 256;  // bound for hostile packets

struct ChunkView {
  uint8_t type = 0;
  uint8_t flags = 0;
  ByteView value;  // after the 4-byte chunk header, without padding
};

struct CommonHeader {
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint32_t verification_tag = 0;
};

// RFC 9260 §3.2 "action" bits of an unknown chunk type.
enum class UnknownAction : uint8_t { kStopDiscard = 0, kStopDiscardReport = 1, kSkip = 2, kSkipReport = 3 };
inline UnknownAction unknown_chunk_action(uint8_t type) { return UnknownAction(type >> 6); }

class SctpPacket {
 public:
  // Parses and validates a packet. When verify_checksum is false the CRC32c
  // is not checked (zero checksum, RFC 9653, when both ends agreed).
  static bool parse(ByteView data, crypto::Provider& crypto, bool verify_checksum, SctpPacket& out);

  const CommonHeader& header() const { return header_; }
  const std::vector<ChunkView>& chunks() const { return chunks_; }

 private:
  CommonHeader header_;
  std::vector<ChunkView> chunks_;
};

// Builds a packet chunk by chunk; finish() writes the CRC32c (or zero).
class SctpPacketBuilder {
 public:
  SctpPacketBuilder(const CommonHeader& header, size_t max_size);
  // Appends a chunk if it fits; returns false (and appends nothing) otherwise.
  bool add(uint8_t type, uint8_t flags, ByteView value);
  // The same, with the value given in two parts (fixed fields, then payload) so DATA chunks
  // are written once, straight from the message buffer.
  bool add_with_header(uint8_t type, uint8_t flags, ByteView head, ByteView body);
  size_t size() const { return buf_.size(); }
  size_t room() const;  // bytes of chunk value that would still fit in one more chunk
  bool empty() const { return buf_.size() == kCommonHeaderSize; }
  std::vector<uint8_t> finish(crypto::Provider& crypto, bool zero_checksum = false);

 private:
  std::vector<uint8_t> buf_;
  size_t max_;
};

}  // namespace wasmrtc::sctp
