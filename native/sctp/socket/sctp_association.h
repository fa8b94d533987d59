// An SCTP association over DTLS (RFC 8261), sans-IO, as data channels use it:
// the four-way handshake with an HMAC-signed cookie and simultaneous open
// (RFC 9260 §5), reliable ordered and unordered messages with fragmentation,
// SACKs (delayed, immediate on gaps), T3-rtx with RTO from RTT (§6.3), fast
// retransmit, congestion control (slow start / avoidance), a receive window that
// can follow what the application has read (consume), per-stream bufferedAmount
// with low-threshold events, partial reliability (RFC 3758), stream reset
// (RFC 6525), graceful shutdown with T2 and abort, and I-DATA / I-FORWARD-TSN with
// message interleaving (RFC 8260) when both ends offer it. Sources: sctp_association.cc
// (handshake, packet dispatch, timers, shutdown), _rx.cc, _tx.cc, _reconfig.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/time.h"
#include "crypto/provider.h"
#include "sctp/packet/chunks.h"

namespace wasmrtc::sctp {

struct SctpConfig {
  uint16_t local_port = 5000;
  uint16_t remote_port = 5000;
  size_t mtu = 1200;                      // whole SCTP packets at most this big
  int max_burst = 4;                      // RFC 9260 §15: new-data packets per send opportunity (0: no limit)
  uint32_t receive_window = 1024 * 1024;  // advertised a_rwnd when nothing is unread
  uint16_t streams = 65535;
  Duration rto_initial = seconds(1);
  Duration rto_min = ms(200);
  Duration rto_max = seconds(60);
  Duration delayed_ack = ms(200);
  int max_init_retransmits = 8;
  size_t max_send_buffer = 16 * 1024 * 1024;  // bytes queued and unacknowledged
  size_t max_message_size = 256 * 1024;
  // false: a message stops counting against the receive window once it leaves as kMessage.
  // true: it counts until the application reports it read with consume(), so a slow reader
  // closes the window and slows the sender (DESIGN: received messages stay in the engine).
  bool app_owns_delivered = false;
  // RFC 8260: offer I-DATA and I-FORWARD-TSN; used only when the peer offers them too, and then
  // fragments of messages on different streams interleave so a large message does not hold up
  // small ones on other streams. Otherwise DATA and FORWARD-TSN as without it.
  bool enable_interleaving = true;
  // RFC 9653: offer to accept packets whose checksum is zero because another method protects them
  // (1 = SCTP over DTLS, RFC 8261); 0 = offer nothing, always CRC32c. Used both ways when both offer it.
  // Some stacks refuse an INIT or INIT-ACK carrying a parameter they do not know (pion/sctp 1.8.6
  // drops the packet, RFC 9260 §3.2.1 notwithstanding), so the parameter goes into an INIT-ACK
  // only when the peer's INIT offered the same method, and our INIT leaves it out from the first
  // T1-init expiry on (or after an ABORT/ERROR reporting it unrecognized, or once the peer's own
  // INIT showed it does not offer it): see init_fallback().
  uint32_t zero_checksum_edmid = 0;
};

struct SctpMessage {
  uint16_t stream = 0;
  uint32_t ppid = 0;
  std::vector<uint8_t> data;
};

struct SctpEvent {
  enum class Type : uint8_t { kConnected, kMessage, kBufferedAmountLow, kClosed, kAborted, kStreamReset };
  Type type;
  SctpMessage message;  // kMessage; kStreamReset, kBufferedAmountLow: message.stream = the stream
  std::string reason;   // kStreamReset: "incoming" (the peer closed its side) or "outgoing" (our reset completed)
  bool by_peer = false; // kAborted: the peer sent ABORT (how WebRTC stacks close), not a failure here
};

// Partial reliability (RFC 3758) per message: -1 = unlimited.
struct SendOptions {
  bool ordered = true;
  int max_retransmits = -1;
  int lifetime_ms = -1;
};

enum class SendResult : uint8_t { kOk, kTooLarge, kBufferFull, kNotConnected, kStreamResetting };

class SctpAssociation {
 public:
  enum class State : uint8_t { kClosed, kCookieWait, kCookieEchoed, kEstablished, kShutdownPending,
                               kShutdownSent, kShutdownReceived, kShutdownAckSent };

  SctpAssociation(crypto::Provider& crypto, SctpConfig config);
  ~SctpAssociation();

  // Sends INIT. WebRTC has both ends do this at once (RFC 8841 §6); that works.
  void connect(Timestamp now);
  void handle_packet(Timestamp now, ByteView packet);
  void handle_timeout(Timestamp now);
  // The layer below moved to another path (an ICE restart selected a new pair): what was learned of the
  // old one no longer holds. RTO and congestion state start over — from `path_rtt` when ICE measured the
  // new path — and what is outstanding goes out again now, not after a timer backed off during the outage.
  void path_changed(Timestamp now, Duration path_rtt);
  SendResult send(Timestamp now, uint16_t stream, uint32_t ppid, ByteView data, bool ordered = true) {
    SendOptions o;
    o.ordered = ordered;
    return send(now, stream, ppid, data, o);
  }
  SendResult send(Timestamp now, uint16_t stream, uint32_t ppid, ByteView data, const SendOptions& options);
  // Closes our outgoing side of a stream (RFC 6525 outgoing SSN reset), as closing a data channel does.
  bool reset_stream(Timestamp now, uint16_t stream);
  void shutdown(Timestamp now);
  void abort(const std::string& reason);
  // The application has read `bytes` of delivered messages (only with app_owns_delivered). The
  // window opens by that much; a substantial opening is announced with a SACK at once.
  void consume(Timestamp now, size_t bytes);

  bool poll_transmit(std::vector<uint8_t>& out);
  bool poll_event(SctpEvent& out);
  Timestamp next_deadline() const;

  State state() const { return state_; }
  size_t buffered_amount() const { return buffered_; }
  // Bytes of one stream not yet handed to packets. kBufferedAmountLow (message.stream) is
  // emitted each time it falls from above the stream's threshold (default 0) to at most it.
  size_t buffered_amount(uint16_t stream) const;
  void set_buffered_amount_low_threshold(uint16_t stream, size_t bytes);
  // Received bytes the engine holds: fragments being reassembled, plus delivered messages not
  // yet consumed when app_owns_delivered. Stays within the receive window (plus one packet).
  size_t received_bytes_held() const { return unread_bytes_ + delivered_unread_; }
  uint32_t cwnd() const { return cwnd_; }
  // We send packets with a zero checksum: both ends offered the same method (RFC 9653); known once
  // established.
  bool zero_checksum() const { return zero_checksum_tx_; }
  // Our INITs no longer carry Zero Checksum Acceptable (see SctpConfig::zero_checksum_edmid), and why.
  bool init_fallback() const { return init_minimal_; }
  const std::string& init_fallback_reason() const { return init_minimal_reason_; }
  // I-DATA was negotiated (both ends offered it, RFC 8260 §2.2.1); known once established.
  bool interleaving() const { return i_data_; }
  Duration srtt() const { return srtt_; }

  struct Stats {
    uint64_t packets_in = 0, packets_out = 0, bad_packets = 0, data_chunks_out = 0, retransmissions = 0,
             fast_retransmissions = 0, t3_expiries = 0, duplicates_in = 0, sacks_out = 0, data_dropped = 0, forward_tsn_out = 0, forward_tsn_in = 0, abandoned = 0,
             inits_out = 0, zero_checksum_out = 0, zero_checksum_in = 0;  // packets whose checksum is zero (RFC 9653)
  };
  const Stats& stats() const { return stats_; }

 private:
  struct OutChunk;
  struct InMessage;
  struct StreamRx;
  struct IMessage;
  using FragmentMap = std::map<uint32_t, InMessage>;
  using ChunkQueue = std::deque<std::unique_ptr<OutChunk>>;

  void send_init(Timestamp now);
  void handle_init(Timestamp now, const InitChunk& init);
  void handle_init_ack(Timestamp now, const InitChunk& ack);
  void handle_cookie_echo(Timestamp now, ByteView cookie);
  void established(Timestamp now);
  void handle_data(Timestamp now, const DataChunk& d);
  void handle_sack(Timestamp now, const SackChunk& s);
  void deliver_ready(uint16_t stream);
  void deliver_arrived(uint16_t stream, uint32_t off);
  void handle_idata(const DataChunk& d, StreamRx& rx);
  void deliver_imessage(uint16_t stream, StreamRx& rx, bool unordered, uint32_t mid);
  void deliver_ordered_imessages(uint16_t stream, StreamRx& rx);
  void skip_mids(const ForwardTsnChunk& f);
  void protocol_violation(const std::string& what);
  void supported_extensions(InitChunk& init, bool offer_zero_checksum) const;
  void fall_back_to_minimal_init(const std::string& why);
  bool reports_zero_checksum_unrecognized(ByteView causes) const;
  bool peer_offers_idata(const InitChunk& init) const;
  using StreamQueues = std::map<uint16_t, ChunkQueue>;
  OutChunk* next_to_send(StreamQueues::iterator& queue);
  bool queue_empty() const { return stream_queues_.empty(); }
  bool queued_on(uint16_t stream) const;
  bool try_deliver(uint16_t stream, StreamRx& rx, FragmentMap::iterator& b);
  void buffered_fell(uint16_t stream, size_t bytes);
  void send_sack(Timestamp now);
  void send_shutdown(Timestamp now);
  void send_shutdown_ack(Timestamp now);
  void closed_now();
  void send_control(uint8_t type, uint8_t flags, ByteView value, uint32_t tag);
  void transmit_data(Timestamp now);
  void on_t3_expiry(Timestamp now);
  // Every unacknowledged chunk is due again (or abandoned, if its lifetime or retransmissions ran out).
  void resend_outstanding(Timestamp now);
  void update_rtt(Duration r);
  bool should_abandon(Timestamp now, const OutChunk& c) const;
  void abandon_message(OutChunk& c);
  void maybe_forward_tsn(Timestamp now, bool timer);
  uint32_t forward_tsn_value(std::vector<uint8_t>& value) const;
  void forward_tsn_sent(Timestamp now, uint32_t point);
  void handle_forward_tsn(Timestamp now, const ForwardTsnChunk& f);
  void skip_ssns(const ForwardTsnChunk& f);
  void handle_reconfig(Timestamp now, const ReConfigChunk& r);
  void send_reconfig_request(Timestamp now);
  void transmit_reconfig_request(Timestamp now);
  void perform_incoming_reset(const std::vector<uint16_t>& streams, uint32_t last_tsn);
  void perform_pending_resets();
  uint32_t advertised_window() const;
  std::vector<uint8_t> make_cookie(const InitChunk& peer_init, uint32_t local_tag, uint32_t local_tsn);
  bool open_cookie(ByteView cookie, InitChunk& peer, uint32_t& local_tag, uint32_t& local_tsn, bool& peer_idata);

  crypto::Provider& crypto_;
  SctpConfig config_;
  State state_ = State::kClosed;
  uint8_t cookie_secret_[32] = {};

  uint32_t local_tag_ = 0, peer_tag_ = 0;
  uint32_t next_tsn_ = 0;            // next TSN to assign
  uint32_t local_initial_tsn_ = 0;   // outstanding_ is keyed by TSN - this (wrap-safe order)
  uint32_t peer_initial_tsn_ = 0;
  uint32_t cum_tsn_in_ = 0;          // cumulative TSN received
  std::set<uint32_t> above_cum_;     // received TSNs beyond the cumulative one (bounded by the window)
  std::vector<uint32_t> dup_tsns_;
  bool sack_now_ = false;
  int packets_since_sack_ = 0;
  Timestamp sack_due_ = kNever;

  // handshake
  std::vector<uint8_t> init_packet_;
  std::vector<uint8_t> cookie_echo_;
  Timestamp t1_at_ = kNever;
  Duration t1_rto_ = 0;
  int t1_count_ = 0;
  bool init_minimal_ = false;        // our INIT leaves Zero Checksum Acceptable out (remembered)
  std::string init_minimal_reason_;

  // sending
  bool i_data_ = false;              // I-DATA / I-FORWARD-TSN negotiated (RFC 8260)
  bool zero_checksum_tx_ = false;    // the peer accepts our error-detection method (RFC 9653)
  bool peer_zero_checksum_ = false;  // from the cookie: the peer's INIT offered our method
  bool peer_accepts_zero_checksum(const InitChunk& init) const;
  bool zero_checksum_ok(uint8_t first_chunk_type) const;
  // Fragments not yet given a TSN, per stream in send() order; empty queues are removed. The
  // streams with data take turns (round robin by stream id from rr_next_, RFC 8260 §3.2), so one
  // channel's backlog does not hold up the others: with I-DATA a fragment at a time (messages
  // of different streams interleave), with DATA a whole message at a time, as its fragments need
  // consecutive TSNs (RFC 9260 §6.9).
  StreamQueues stream_queues_;
  uint16_t rr_next_ = 0;
  // Messages whose first fragment went out and whose last did not yet, by stream, and the sum of
  // their sizes. DATA: at most one, whose stream keeps the turn until its end is sent. I-DATA: the
  // receiver holds their fragments until they complete, so another one is started only within
  // the peer's window (peer_window_, its a_rwnd at setup).
  std::set<uint16_t> open_streams_;
  size_t open_bytes_ = 0;
  uint32_t peer_window_ = 0;
  std::map<uint32_t, std::unique_ptr<OutChunk>> outstanding_;  // key: TSN - local_initial_tsn_
  std::map<uint16_t, uint16_t> next_ssn_;
  uint16_t tx_ssn_ = 0;  // SSN of the message whose fragments are going out
  struct StreamTx {
    size_t buffered = 0;
    size_t low_threshold = 0;
    uint32_t next_mid[2] = {0, 0};  // I-DATA: next MID, ordered [0] and unordered [1] (RFC 8260 §2.1)
    uint32_t sending_mid = 0;        // I-DATA: MID of the message whose fragments are going out
    bool has_tsn = false;            // some chunk of the stream took a TSN: the highest is last_tsn
    uint32_t last_tsn = 0;
  };
  std::map<uint16_t, StreamTx> tx_streams_;  // created lazily, by send() or a threshold
  void buffered_fell(StreamTx& t, uint16_t stream, size_t bytes);
  uint32_t peer_rwnd_ = 0;
  uint32_t cwnd_ = 0, ssthresh_ = 0, partial_bytes_acked_ = 0;
  size_t flight_size_ = 0;
  size_t outstanding_bytes_ = 0;     // payload of outstanding_ (sent, not yet cumulatively acked)
  bool retransmit_pending_ = false;  // some outstanding chunk is marked for retransmission
  size_t buffered_ = 0;
  Timestamp t3_at_ = kNever;
  Timestamp t2_at_ = kNever;  // T2-shutdown
  Duration t2_rto_ = 0;
  int t2_count_ = 0;
  Duration rto_ = 0, srtt_ = 0, rttvar_ = 0;
  bool rtt_measured_ = false;
  uint32_t last_cum_ack_ = 0;
  bool fast_recovery_ = false;
  uint32_t fast_recovery_exit_ = 0;

  // partial reliability and stream reset
  uint32_t advanced_ack_point_ = 0;  // RFC 3758 Advanced.Peer.Ack.Point of the last FORWARD-TSN sent
  Timestamp forward_tsn_at_ = kNever;  // when it was sent (kNever: none yet)
  uint64_t next_message_id_ = 1;
  bool forward_tsn_pending_ = false;
  uint32_t reconfig_seq_ = 0;                 // our next request sequence number
  uint32_t peer_reconfig_seq_expected_ = 0;   // set from the peer's initial TSN (RFC 6525 §5.1.1)
  std::vector<uint16_t> streams_to_reset_;    // queued by reset_stream()
  std::vector<uint16_t> streams_resetting_;   // in the request in flight
  std::vector<uint8_t> reconfig_in_flight_;
  uint32_t reconfig_last_tsn_ = 0;            // its Sender's Last Assigned TSN
  Timestamp reconfig_at_ = kNever;
  struct PendingIncomingReset {
    uint32_t request_seq;
    uint32_t last_tsn;
    std::vector<uint16_t> streams;
  };
  std::vector<PendingIncomingReset> pending_incoming_resets_;

  // receiving
  std::map<uint16_t, std::unique_ptr<StreamRx>> rx_;
  size_t unread_bytes_ = 0;      // in fragments not yet reassembled
  size_t delivered_unread_ = 0;  // delivered, not yet consumed (app_owns_delivered)
  uint32_t last_rwnd_sent_ = 0;  // a_rwnd in our last SACK (or INIT / INIT-ACK)

  std::deque<std::vector<uint8_t>> out_;
  std::deque<SctpEvent> events_;
  Stats stats_;
};

// Serial number arithmetic (RFC 1982) for 32-bit TSNs.
inline bool tsn_lt(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
inline bool tsn_le(uint32_t a, uint32_t b) { return int32_t(a - b) <= 0; }

}  // namespace wasmrtc::sctp
