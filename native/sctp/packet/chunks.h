// Typed SCTP chunks (RFC 9260 §3.3, RFC 3758, RFC 6525, RFC 8260). Each one
// parses from a ChunkView's value (bounded, false on any malformed field) and
// serialises its value for SctpPacketBuilder::add.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "sctp/packet/sctp_packet.h"

namespace wasmrtc::sctp {

// DATA (§3.3.1) and I-DATA (RFC 8260 §2.1) in one shape.
struct DataChunk {
  static constexpr uint8_t kEnd = 0x01, kBeginning = 0x02, kUnordered = 0x04, kImmediate = 0x08;
  bool i_data = false;
  uint8_t flags = 0;
  uint32_t tsn = 0;
  uint16_t stream = 0;
  uint16_t ssn = 0;       // DATA only
  uint32_t mid = 0;       // I-DATA: message identifier
  uint32_t ppid = 0;      // DATA, and I-DATA when the fragment is the first (B bit)
  uint32_t fsn = 0;       // I-DATA: fragment sequence number (when not the first)
  ByteView payload;

  static bool parse(const ChunkView& c, DataChunk& out);
  void serialize(std::vector<uint8_t>& value) const;
  // Everything before the payload (12 bytes for DATA, 16 for I-DATA) into head; returns its size.
  size_t serialize_header(uint8_t (&head)[16]) const;
  // Appends the chunk to a packet; false when it does not fit.
  bool add_to(SctpPacketBuilder& b) const;
  uint8_t type() const { return i_data ? chunk_type::kIData : chunk_type::kData; }
  size_t header_size() const { return i_data ? 16 : 12; }
};

// INIT (§3.3.2) and INIT-ACK (§3.3.3).
struct InitChunk {
  uint32_t initiate_tag = 0;
  uint32_t a_rwnd = 0;
  uint16_t outbound_streams = 0;
  uint16_t inbound_streams = 0;
  uint32_t initial_tsn = 0;
  // Parameters we understand; the rest are kept as (type, value) for the unknown-parameter rules (§3.2.1).
  std::vector<uint8_t> state_cookie;   // INIT-ACK only (type 7)
  std::vector<uint8_t> supported_extensions;  // chunk types (type 0x8008, RFC 5061)
  bool forward_tsn_supported = false;  // type 0xC000 (RFC 3758)
  bool zero_checksum_acceptable = false;  // type 0x8001 (RFC 9653), edmid in zero_checksum_edmid
  uint32_t zero_checksum_edmid = 0;
  std::vector<std::pair<uint16_t, ByteView>> unknown;

  static bool parse(const ChunkView& c, InitChunk& out);
  void serialize(std::vector<uint8_t>& value) const;
};

// SACK (§3.3.4).
struct SackChunk {
  struct Gap {
    uint16_t start = 0;  // offsets from the cumulative TSN ack
    uint16_t end = 0;
  };
  uint32_t cumulative_tsn = 0;
  uint32_t a_rwnd = 0;
  std::vector<Gap> gaps;
  std::vector<uint32_t> duplicates;

  static bool parse(const ChunkView& c, SackChunk& out);
  void serialize(std::vector<uint8_t>& value) const;
};

// FORWARD-TSN (RFC 3758 §3.2) and I-FORWARD-TSN (RFC 8260 §2.3).
struct ForwardTsnChunk {
  struct Skip {
    uint16_t stream = 0;
    bool unordered = false;  // I-FORWARD-TSN
    uint32_t ssn_or_mid = 0;
  };
  bool i_forward = false;
  uint32_t new_cumulative_tsn = 0;
  std::vector<Skip> skipped;

  static bool parse(const ChunkView& c, ForwardTsnChunk& out);
  void serialize(std::vector<uint8_t>& value) const;
};

// RE-CONFIG (RFC 6525 §3.1) with the parameters data channels use.
struct ReConfigChunk {
  struct OutgoingResetRequest {  // §4.1, type 13
    uint32_t request_seq = 0;
    uint32_t response_seq = 0;
    uint32_t sender_last_tsn = 0;
    std::vector<uint16_t> streams;
  };
  struct IncomingResetRequest {  // §4.2, type 14
    uint32_t request_seq = 0;
    std::vector<uint16_t> streams;
  };
  struct Response {  // §4.4, type 16
    uint32_t response_seq = 0;
    uint32_t result = 0;
  };
  std::optional<OutgoingResetRequest> outgoing;
  std::optional<IncomingResetRequest> incoming;
  std::optional<Response> response;

  static bool parse(const ChunkView& c, ReConfigChunk& out);
  void serialize(std::vector<uint8_t>& value) const;
};

// HEARTBEAT / HEARTBEAT-ACK (§3.3.5/6): one Heartbeat Info parameter, opaque.
struct HeartbeatChunk {
  ByteView info;
  static bool parse(const ChunkView& c, HeartbeatChunk& out);
  static void serialize(ByteView info, std::vector<uint8_t>& value);
};

// ABORT (§3.3.7) and ERROR (§3.3.10): error causes, kept as (code, value).
struct ErrorCauses {
  std::vector<std::pair<uint16_t, ByteView>> causes;
  static bool parse(ByteView value, ErrorCauses& out);
  static void append(std::vector<uint8_t>& value, uint16_t code, ByteView cause_value);
};

// SHUTDOWN (§3.3.8): the cumulative TSN ack.
bool parse_shutdown(const ChunkView& c, uint32_t& cumulative_tsn);

// Error cause codes used here (§3.3.10).
namespace cause {
constexpr uint16_t kInvalidStream = 1;
constexpr uint16_t kMissingParameter = 2;
constexpr uint16_t kStaleCookie = 3;
constexpr uint16_t kUnrecognizedChunk = 6;
constexpr uint16_t kUnrecognizedParameters = 8;
constexpr uint16_t kProtocolViolation = 13;
constexpr uint16_t kUserInitiatedAbort = 12;
}  // namespace cause

}  // namespace wasmrtc::sctp
