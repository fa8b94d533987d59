// Private to the association's sources (sctp_association*.cc): chunk records and limits.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "sctp/socket/sctp_association.h"

namespace wasmrtc::sctp {

namespace detail {
inline constexpr size_t kDataHeader = 16;       // chunk header + DATA fields
inline constexpr size_t kIDataHeader = 20;      // chunk header + I-DATA fields (RFC 8260 §2.1)
inline constexpr size_t kMaxDupReports = 16;
inline constexpr size_t kMaxGapBlocks = 64;
inline constexpr int kMaxShutdownRetransmits = 10;  // §15 Association.Max.Retrans
// peer tag, rwnd, out, in, peer tsn, local tag, local tsn, peer offers I-DATA
inline constexpr size_t kCookieBody = 4 + 4 + 2 + 2 + 4 + 4 + 4 + 1;

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
  uint32_t mid = 0;  // I-DATA
  uint32_t fsn = 0;  // I-DATA: fragment index within the message
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
  uint32_t message_size = 0;  // of the whole message
};

struct SctpAssociation::InMessage {
  uint32_t tsn;
  uint8_t flags;
  uint16_t ssn;
  uint32_t ppid;
  std::vector<uint8_t> payload;
};

// I-DATA reassembly of one message (RFC 8260 §2.1): fragments in FSN order are appended to
// `data` as they come (linear for in-order arrival); ones ahead of a gap wait in `later`.
struct SctpAssociation::IMessage {
  uint32_t ppid = 0;
  uint32_t first_tsn = 0;      // lowest TSN seen, to tell pre-reset leftovers (RFC 6525 §5.2.2)
  uint32_t next_fsn = 0;       // fragments 0 .. next_fsn-1 are in data
  bool have_end = false;
  uint32_t end_fsn = 0;
  size_t bytes = 0;            // held, in data and later
  std::vector<uint8_t> data;
  std::map<uint32_t, std::vector<uint8_t>> later;
  bool complete() const { return have_end && next_fsn == end_fsn + 1; }
};

struct SctpAssociation::StreamRx {
  uint16_t next_ssn = 0;
  FragmentMap fragments;  // keyed by TSN offset from the peer's initial TSN
  size_t ends = 0;        // fragments with the E bit held: no message can complete without one
  // I-DATA: messages being reassembled by MID, ordered [0] and unordered [1]; the next ordered MID.
  std::map<uint32_t, IMessage> imessages[2];
  uint32_t next_mid = 0;
  bool was_reset = false;  // the peer reset this stream; reset_tsn was its request's last TSN
  uint32_t reset_tsn = 0;
};

}  // namespace wasmrtc::sctp
