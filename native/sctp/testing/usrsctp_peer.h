// Debian's libusrsctp (the SCTP stack Firefox uses) as an in-process peer: its
// callback lower layer (AF_CONN) hands us packets, we feed it packets, and its
// timers run on our virtual clock (usrsctp_init_nothreads + usrsctp_handle_timers).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"

struct socket;

namespace wasmrtc::sctp::testing {

class UsrsctpPeer {
 public:
  // interleaving: offer I-DATA (RFC 8260), with fragment interleave level 2 as usrsctp requires.
  explicit UsrsctpPeer(bool interleaving = false);
  bool interleaving_set = false;  // usrsctp accepted the I-DATA socket option
  ~UsrsctpPeer();

  void connect();  // both ends connect, as data channels do
  void feed(ByteView packet);
  void advance(uint32_t elapsed_ms);
  bool send(uint16_t stream, uint32_t ppid, ByteView data, bool ordered = true, int max_retransmits = -1);
  // Partial reliability by lifetime (SCTP_PR_SCTP_TTL), -1 for none.
  bool send_timed(uint16_t stream, uint32_t ppid, ByteView data, bool ordered, int lifetime_ms);
  void reset_stream(uint16_t stream);
  void shutdown();
  // usrsctp's own view (SCTP_STATUS), for diagnostics: state, peer rwnd, unacked/pending chunks, cwnd, rto.
  std::string status();

  std::deque<std::vector<uint8_t>> outgoing;  // packets usrsctp wants sent
  struct Message {
    uint16_t stream;
    uint32_t ppid;
    std::vector<uint8_t> data;
  };
  std::vector<Message> received;
  bool connected = false;
  bool closed = false;
  std::vector<uint16_t> reset_streams_seen;
  int partial_deliveries_aborted = 0;

  // Called from the C callbacks.
  void on_data(const void* data, size_t len, uint16_t stream, uint32_t ppid, int flags, uint32_t tsn);
  void on_notification(const void* data, size_t len);

 private:
  bool send_pr(uint16_t stream, uint32_t ppid, ByteView data, bool ordered, int policy, int value);
  struct socket* sock_ = nullptr;
  struct Partial {
    uint64_t order;
    Message message;
  };
  std::map<uint32_t, Partial> partial_;  // by the message's first TSN
  uint64_t next_order_ = 0;
  std::vector<uint64_t> received_order_;  // beside `received`
};

}  // namespace wasmrtc::sctp::testing
