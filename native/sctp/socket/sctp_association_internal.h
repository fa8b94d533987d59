// Private to the association's sources (sctp_association*.cc): chunk records and limits.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "sctp/socket/sctp_association.h"

namespace wasmrtc::sctp {

namespace detail {
inline constexpr size_t kDataHeader = 16;       // chunk header + DATA fields
inline constexpr size_t kMaxDupReports = 16;
inline constexpr size_t kMaxGapBlocks = 64;
inline constexpr int kMaxShutdownRetransmits = 10;  // §15 Association.Max.Retrans
inline constexpr size_t kCookieBody = 4 + 4 + 2 + 2 + 4 + 4 + 4;  // peer tag, rwnd, out, in, peer tsn, local tag, local tsn

inline uint32_t random_u32(crypto::Provider& c) {
  uint32_t v = 0;
  while (v == 0) c.random(reinterpret_cast<uint8_t*>(&v), sizeof v);
  return v;
}
}  // namespace detail

using namespace detail;

struct SctpAssociation::OutChunk {
  uint32_t tsn = 0;
  uint16_t stream = 0;
  uint16_t ssn = 0;
  uint32_t ppid = 0;
  uint8_t flags = 0;
  std::vector<uint8_t> payload;
  bool assigned = false;  // has a TSN
  bool in_flight = false;
  bool acked = false;
  bool retransmit = false;
  int transmissions = 0;
  int missing = 0;
  Timestamp sent_at = 0;
  int max_retransmits = -1;
  Timestamp expires_at = kNever;
  bool abandoned = false;
  uint64_t message_id = 0;  // fragments of one send() share it
};

struct SctpAssociation::InMessage {
  uint32_t tsn;
  uint8_t flags;
  uint16_t ssn;
  uint32_t ppid;
  std::vector<uint8_t> payload;
};

struct SctpAssociation::StreamRx {
  uint16_t next_ssn = 0;
  FragmentMap fragments;  // keyed by TSN offset from the peer's initial TSN
  size_t ends = 0;        // fragments with the E bit held: no message can complete without one
};

}  // namespace wasmrtc::sctp
