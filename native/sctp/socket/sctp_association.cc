#include "sctp/socket/sctp_association.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace wasmrtc::sctp {

namespace {
constexpr size_t kDataHeader = 16;       // chunk header + DATA fields
constexpr size_t kMaxDupReports = 16;
constexpr size_t kMaxGapBlocks = 64;
constexpr int kMaxShutdownRetransmits = 10;  // §15 Association.Max.Retrans
constexpr size_t kCookieBody = 4 + 4 + 2 + 2 + 4 + 4 + 4;  // peer tag, rwnd, out, in, peer tsn, local tag, local tsn

uint32_t random_u32(crypto::Provider& c) {
  uint32_t v = 0;
  while (v == 0) c.random(reinterpret_cast<uint8_t*>(&v), sizeof v);
  return v;
}
}  // namespace

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

SctpAssociation::SctpAssociation(crypto::Provider& crypto, SctpConfig config)
    : crypto_(crypto), config_(config) {
  crypto_.random(cookie_secret_, sizeof cookie_secret_);
  if (config_.mtu < 256) config_.mtu = 256;
  rto_ = config_.rto_initial;
  cwnd_ = uint32_t(10 * config_.mtu);  // DESIGN: initial cwnd 10 MTU
  ssthresh_ = config_.receive_window;
  last_rwnd_sent_ = config_.receive_window;
}

SctpAssociation::~SctpAssociation() = default;

// ------------------------------------------------------------------ packets out

void SctpAssociation::send_control(uint8_t type, uint8_t flags, ByteView value, uint32_t tag) {
  SctpPacketBuilder b({config_.local_port, config_.remote_port, tag}, config_.mtu);
  if (!b.add(type, flags, value)) return;
  out_.push_back(b.finish(crypto_));
  ++stats_.packets_out;
}

bool SctpAssociation::poll_transmit(std::vector<uint8_t>& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

bool SctpAssociation::poll_event(SctpEvent& out) {
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

Timestamp SctpAssociation::next_deadline() const {
  Timestamp t = std::min(t1_at_, t3_at_);
  return std::min({t, t2_at_, sack_due_, reconfig_at_});
}

// ------------------------------------------------------------------ handshake

void SctpAssociation::connect(Timestamp now) {
  if (state_ != State::kClosed) return;
  local_tag_ = random_u32(crypto_);
  next_tsn_ = random_u32(crypto_);
  local_initial_tsn_ = next_tsn_;
  last_cum_ack_ = next_tsn_ - 1;
  state_ = State::kCookieWait;
  t1_rto_ = config_.rto_initial;
  t1_count_ = 0;
  send_init(now);
}

void SctpAssociation::send_init(Timestamp now) {
  InitChunk init;
  init.initiate_tag = local_tag_;
  init.a_rwnd = config_.receive_window;
  init.outbound_streams = config_.streams;
  init.inbound_streams = config_.streams;
  init.initial_tsn = next_tsn_;
  init.forward_tsn_supported = true;
  init.supported_extensions = {chunk_type::kForwardTsn, chunk_type::kReConfig};
  std::vector<uint8_t> v;
  init.serialize(v);
  send_control(chunk_type::kInit, 0, ByteView(v), 0);  // §8.5.1: INIT carries tag 0
  t1_at_ = now + t1_rto_;
}

std::vector<uint8_t> SctpAssociation::make_cookie(const InitChunk& p, uint32_t local_tag, uint32_t local_tsn) {
  std::vector<uint8_t> c;
  ByteWriter w(c);
  w.u32(p.initiate_tag);
  w.u32(p.a_rwnd);
  w.u16(p.outbound_streams);
  w.u16(p.inbound_streams);
  w.u32(p.initial_tsn);
  w.u32(local_tag);
  w.u32(local_tsn);
  uint8_t mac[32];
  crypto_.hmac(crypto::Hash::kSha256, ByteView(cookie_secret_, 32), ByteView(c), mac);
  w.bytes(mac, 32);  // §5.1.3: the cookie is signed so the server keeps no state
  return c;
}

bool SctpAssociation::open_cookie(ByteView cookie, InitChunk& p, uint32_t& local_tag, uint32_t& local_tsn) {
  if (cookie.size != kCookieBody + 32) return false;
  uint8_t mac[32];
  crypto_.hmac(crypto::Hash::kSha256, ByteView(cookie_secret_, 32), cookie.sub(0, kCookieBody), mac);
  uint8_t diff = 0;
  for (int i = 0; i < 32; ++i) diff |= uint8_t(mac[i] ^ cookie[kCookieBody + size_t(i)]);
  if (diff) return false;
  ByteReader r(cookie.sub(0, kCookieBody));
  r.u32(p.initiate_tag);
  r.u32(p.a_rwnd);
  r.u16(p.outbound_streams);
  r.u16(p.inbound_streams);
  r.u32(p.initial_tsn);
  r.u32(local_tag);
  r.u32(local_tsn);
  return true;
}

void SctpAssociation::handle_init(Timestamp now, const InitChunk& init) {
  (void)now;
  // §5.2.1: in COOKIE-WAIT/ECHOED answer with our existing tag (simultaneous open); otherwise a fresh one.
  uint32_t tag = local_tag_, tsn = next_tsn_;
  if (state_ == State::kClosed) {
    tag = random_u32(crypto_);
    tsn = random_u32(crypto_);
  } else if (state_ == State::kEstablished) {
    tag = local_tag_;  // a restart is not supported: answer with our tag, the cookie will not match theirs
  }
  InitChunk ack;
  ack.initiate_tag = tag;
  ack.a_rwnd = config_.receive_window;
  ack.outbound_streams = config_.streams;
  ack.inbound_streams = config_.streams;
  ack.initial_tsn = tsn;
  ack.forward_tsn_supported = true;
  ack.supported_extensions = {chunk_type::kForwardTsn, chunk_type::kReConfig};
  ack.state_cookie = make_cookie(init, tag, tsn);
  std::vector<uint8_t> v;
  ack.serialize(v);
  send_control(chunk_type::kInitAck, 0, ByteView(v), init.initiate_tag);
}

void SctpAssociation::handle_init_ack(Timestamp now, const InitChunk& ack) {
  if (state_ != State::kCookieWait || ack.state_cookie.empty()) return;
  peer_tag_ = ack.initiate_tag;
  peer_initial_tsn_ = ack.initial_tsn;
  cum_tsn_in_ = ack.initial_tsn - 1;
  peer_rwnd_ = ack.a_rwnd;
  cookie_echo_ = ack.state_cookie;
  send_control(chunk_type::kCookieEcho, 0, ByteView(cookie_echo_), peer_tag_);
  state_ = State::kCookieEchoed;
  t1_rto_ = config_.rto_initial;
  t1_count_ = 0;
  t1_at_ = now + t1_rto_;
}

void SctpAssociation::handle_cookie_echo(Timestamp now, ByteView cookie) {
  InitChunk peer;
  uint32_t tag = 0, tsn = 0;
  if (!open_cookie(cookie, peer, tag, tsn)) {
    ++stats_.bad_packets;
    return;
  }
  if (state_ == State::kEstablished) {
    // A retransmitted COOKIE-ECHO: our COOKIE-ACK was lost.
    if (tag == local_tag_) send_control(chunk_type::kCookieAck, 0, ByteView(), peer_tag_);
    return;
  }
  if (state_ == State::kClosed) {
    local_tag_ = tag;
    next_tsn_ = tsn;
    local_initial_tsn_ = tsn;
    last_cum_ack_ = tsn - 1;
  } else if (tag != local_tag_) {
    return;  // not a cookie for this association
  }
  peer_tag_ = peer.initiate_tag;
  peer_initial_tsn_ = peer.initial_tsn;
  cum_tsn_in_ = peer.initial_tsn - 1;
  peer_rwnd_ = peer.a_rwnd;
  send_control(chunk_type::kCookieAck, 0, ByteView(), peer_tag_);
  established(now);
}

void SctpAssociation::established(Timestamp now) {
  if (state_ == State::kEstablished) return;
  state_ = State::kEstablished;
  t1_at_ = kNever;
  // RFC 6525 §5.1.1: request sequence numbers start at the sender's initial TSN.
  reconfig_seq_ = local_initial_tsn_;
  peer_reconfig_seq_expected_ = peer_initial_tsn_;
  events_.push_back({SctpEvent::Type::kConnected, {}, {}});
  transmit_data(now);
}

// ------------------------------------------------------------------ input

void SctpAssociation::handle_packet(Timestamp now, ByteView bytes) {
  SctpPacket p;
  if (!SctpPacket::parse(bytes, crypto_, true, p)) {
    ++stats_.bad_packets;
    return;
  }
  ++stats_.packets_in;
  const auto& chunks = p.chunks();
  const uint32_t vtag = p.header().verification_tag;
  // §8.5: INIT alone with tag 0; otherwise the tag must be ours (ABORT / SHUTDOWN-COMPLETE with T may carry theirs).
  if (chunks[0].type == chunk_type::kInit) {
    if (vtag != 0 || chunks.size() != 1) {
      ++stats_.bad_packets;
      return;
    }
  } else if (chunks[0].type == chunk_type::kCookieEcho) {
    // Checked against the cookie's tag below.
  } else if (vtag != local_tag_ && !((chunks[0].type == chunk_type::kAbort || chunks[0].type == chunk_type::kShutdownComplete) &&
                                     (chunks[0].flags & 1) && vtag == peer_tag_)) {
    ++stats_.bad_packets;
    return;
  }
  bool got_data = false;
  for (const ChunkView& c : chunks) {
    switch (c.type) {
      case chunk_type::kInit: {
        InitChunk init;
        if (InitChunk::parse(c, init)) handle_init(now, init);
        break;
      }
      case chunk_type::kInitAck: {
        InitChunk ack;
        if (InitChunk::parse(c, ack)) handle_init_ack(now, ack);
        break;
      }
      case chunk_type::kCookieEcho:
        handle_cookie_echo(now, c.value);
        break;
      case chunk_type::kCookieAck:
        if (state_ == State::kCookieEchoed) established(now);
        break;
      case chunk_type::kData: {
        DataChunk d;
        if (state_ != State::kEstablished && state_ != State::kShutdownPending && state_ != State::kShutdownSent) break;
        if (!DataChunk::parse(c, d)) {
          abort("malformed DATA chunk");
          return;
        }
        handle_data(now, d);
        got_data = true;
        if (d.flags & DataChunk::kImmediate) sack_now_ = true;  // RFC 7053: the sender asks for a SACK at once
        break;
      }
      case chunk_type::kSack: {
        SackChunk s;
        if (SackChunk::parse(c, s)) handle_sack(now, s);
        break;
      }
      case chunk_type::kForwardTsn: {
        ForwardTsnChunk f;
        if (state_ == State::kEstablished && ForwardTsnChunk::parse(c, f)) {
          handle_forward_tsn(now, f);
          got_data = true;
        }
        break;
      }
      case chunk_type::kReConfig: {
        ReConfigChunk r;
        if (state_ == State::kEstablished && ReConfigChunk::parse(c, r)) handle_reconfig(now, r);
        break;
      }
      case chunk_type::kHeartbeat: {
        std::vector<uint8_t> v(c.value.begin(), c.value.end());  // §8.3: echo the info back
        send_control(chunk_type::kHeartbeatAck, 0, ByteView(v), peer_tag_);
        break;
      }
      case chunk_type::kHeartbeatAck:
        break;
      case chunk_type::kAbort: {
        closed_now();
        std::string reason = "aborted by the peer";
        ErrorCauses causes;
        if (ErrorCauses::parse(c.value, causes)) {
          for (const auto& [code, value] : causes.causes) {
            reason += " (cause " + std::to_string(code);
            if (code == cause::kUserInitiatedAbort || code == cause::kProtocolViolation) {
              reason += ": " + std::string(reinterpret_cast<const char*>(value.data), value.size);
            }
            reason += ")";
          }
        }
        events_.push_back({SctpEvent::Type::kAborted, {}, reason});
        return;
      }
      case chunk_type::kShutdown: {
        uint32_t cum;
        if (!parse_shutdown(c, cum)) break;
        if (state_ == State::kEstablished || state_ == State::kShutdownPending) state_ = State::kShutdownReceived;
        if (state_ == State::kShutdownReceived && outstanding_.empty() && send_queue_.empty()) {
          send_shutdown_ack(now);
        } else if (state_ == State::kShutdownSent || state_ == State::kShutdownAckSent) {
          // §9.2: both ends shut down at once, or our SHUTDOWN-ACK was lost: (re)send it.
          send_shutdown_ack(now);
        }
        break;
      }
      case chunk_type::kShutdownAck:
        // §8.4 (5): after we closed, a retransmitted SHUTDOWN-ACK (our COMPLETE was lost) gets another one.
        if (state_ == State::kClosed) {
          send_control(chunk_type::kShutdownComplete, 0, ByteView(), peer_tag_);
          return;
        }
        if (state_ != State::kShutdownSent && state_ != State::kShutdownAckSent) break;
        send_control(chunk_type::kShutdownComplete, 0, ByteView(), peer_tag_);
        closed_now();
        events_.push_back({SctpEvent::Type::kClosed, {}, "shut down"});
        return;
      case chunk_type::kShutdownComplete:
        if (state_ == State::kShutdownAckSent) {
          closed_now();
          events_.push_back({SctpEvent::Type::kClosed, {}, "shut down by the peer"});
        }
        return;
      default: {
        // §3.2: the two high bits of an unknown type say what to do.
        UnknownAction a = unknown_chunk_action(c.type);
        if (a == UnknownAction::kStopDiscard || a == UnknownAction::kStopDiscardReport) return;
        break;
      }
    }
  }
  if (got_data && state_ == State::kShutdownSent) send_shutdown(now);  // §9.2: with the new cumulative TSN
  if (got_data) {
    ++packets_since_sack_;
    // Delayed SACK: at most every second packet or 200 ms; at once on gaps or duplicates.
    if (sack_now_ || packets_since_sack_ >= 2) {
      send_sack(now);
    } else if (sack_due_ == kNever) {
      sack_due_ = now + config_.delayed_ack;
    }
  }
  transmit_data(now);
}

void SctpAssociation::handle_data(Timestamp now, const DataChunk& d) {
  (void)now;
  if (tsn_le(d.tsn, cum_tsn_in_) || above_cum_.count(d.tsn - peer_initial_tsn_)) {
    ++stats_.duplicates_in;
    if (dup_tsns_.size() < kMaxDupReports) dup_tsns_.push_back(d.tsn);
    sack_now_ = true;
    return;
  }
  // Beyond what our window allows: drop; the sender retransmits when we have room.
  // §6.2: at a zero window only the next expected TSN may still be taken, and only when
  // unfinished fragments fill the window (it may complete one of them). When delivered
  // messages the application has not read fill it, reading them opens it; take nothing.
  uint32_t window = advertised_window();
  // However the peer behaves, what we hold never exceeds the window by more than one message.
  bool zero_window_drop = window == 0 && (d.tsn != cum_tsn_in_ + 1 || delivered_unread_ > 0 ||
                                          received_bytes_held() > config_.receive_window + config_.max_message_size);
  if (uint32_t(d.tsn - cum_tsn_in_) > 65536 || zero_window_drop) {
    ++stats_.data_dropped;
    if (zero_window_drop) sack_now_ = true;  // tell the prober the window is still closed
    return;
  }
  auto& rx = rx_[d.stream];
  if (!rx) rx = std::make_unique<StreamRx>();
  uint32_t off = d.tsn - peer_initial_tsn_;
  rx->fragments.emplace(off, InMessage{d.tsn, d.flags, d.ssn, d.ppid, d.payload.to_vector()});
  if (d.flags & DataChunk::kEnd) ++rx->ends;
  unread_bytes_ += d.payload.size;
  // §6.7: a TSN out of order, or one that fills (part of) a hole, is reported at once.
  bool gap = d.tsn != cum_tsn_in_ + 1 || !above_cum_.empty();
  above_cum_.insert(off);
  while (!above_cum_.empty() && *above_cum_.begin() == uint32_t(cum_tsn_in_ + 1 - peer_initial_tsn_)) {
    above_cum_.erase(above_cum_.begin());
    ++cum_tsn_in_;
  }
  if (gap || !above_cum_.empty()) sack_now_ = true;  // §6.7: report gaps at once
  deliver_arrived(d.stream, off);
  perform_pending_resets();
}

// RFC 6525 §5.2.2: a reset that was "in progress" is performed once everything up to the
// request's last TSN has arrived (by DATA or by FORWARD-TSN).
void SctpAssociation::perform_pending_resets() {
  for (auto it = pending_incoming_resets_.begin(); it != pending_incoming_resets_.end();) {
    if (tsn_lt(cum_tsn_in_, it->last_tsn)) {
      ++it;
      continue;
    }
    perform_incoming_reset(it->streams);
    it = pending_incoming_resets_.erase(it);
  }
}

// Delivers the message whose first fragment is `b` if it is complete (consecutive TSNs up to an
// E fragment) and, when ordered, next in its stream; `b` then points after it.
bool SctpAssociation::try_deliver(uint16_t stream, StreamRx& rx, FragmentMap::iterator& b) {
  const bool unordered = b->second.flags & DataChunk::kUnordered;
  if (!unordered && b->second.ssn != rx.next_ssn) return false;
  size_t total = 0;
  auto end = b;
  for (uint32_t k = b->first;; ++k, ++end) {
    if (end == rx.fragments.end() || end->first != k) return false;
    total += end->second.payload.size();
    if (end->second.flags & DataChunk::kEnd) break;
  }
  SctpMessage m;
  m.stream = stream;
  m.ppid = b->second.ppid;
  m.data.reserve(total);
  auto stop = std::next(end);
  for (auto f = b; f != stop; ++f) m.data.insert(m.data.end(), f->second.payload.begin(), f->second.payload.end());
  --rx.ends;
  b = rx.fragments.erase(b, stop);
  unread_bytes_ -= std::min(unread_bytes_, total);
  if (config_.app_owns_delivered) delivered_unread_ += total;  // counts until consume()
  if (!unordered) ++rx.next_ssn;
  events_.push_back({SctpEvent::Type::kMessage, std::move(m), {}});
  return true;
}

// Every deliverable message of the stream: one pass, again while an ordered delivery may have
// unblocked an SSN seen earlier in the pass.
void SctpAssociation::deliver_ready(uint16_t stream) {
  auto& rx = *rx_[stream];
  for (bool again = true; again && rx.ends > 0;) {
    again = false;
    for (auto it = rx.fragments.begin(); it != rx.fragments.end();) {
      const bool ordered = !(it->second.flags & DataChunk::kUnordered);
      if ((it->second.flags & DataChunk::kBeginning) && try_deliver(stream, rx, it)) {
        again |= ordered;
      } else {
        ++it;
      }
    }
  }
}

// After one fragment arrived: only its own message can have become complete. Without any E
// fragment held nothing can complete, which keeps in-order reassembly linear.
void SctpAssociation::deliver_arrived(uint16_t stream, uint32_t off) {
  auto& rx = *rx_[stream];
  if (rx.ends == 0) return;
  auto it = rx.fragments.find(off);
  if (it == rx.fragments.end()) return;
  while (!(it->second.flags & DataChunk::kBeginning)) {
    if (it == rx.fragments.begin()) return;
    auto prev = std::prev(it);
    if (prev->first != it->first - 1) return;
    it = prev;
  }
  const bool ordered = !(it->second.flags & DataChunk::kUnordered);
  if (try_deliver(stream, rx, it) && ordered && rx.ends > 0) deliver_ready(stream);  // later SSNs
}

uint32_t SctpAssociation::advertised_window() const {
  size_t held = unread_bytes_ + delivered_unread_;
  return held >= config_.receive_window ? 0 : uint32_t(config_.receive_window - held);
}

void SctpAssociation::consume(Timestamp now, size_t bytes) {
  if (!config_.app_owns_delivered) return;
  delivered_unread_ -= std::min(delivered_unread_, bytes);
  if (state_ != State::kEstablished && state_ != State::kShutdownPending && state_ != State::kShutdownSent &&
      state_ != State::kShutdownReceived) {
    return;
  }
  // §6.2 window update with receiver-side silly window avoidance (RFC 1122 §4.2.3.3): announce
  // an opening only when the sender may be held back by what we last said (less than half the
  // window) and it grew by a useful amount (min(half the window, 4 packets)). Otherwise the
  // SACKs the data already draws carry it.
  const uint32_t w = advertised_window();
  const uint32_t step = std::min<uint32_t>(config_.receive_window / 2, uint32_t(4 * config_.mtu));
  if (last_rwnd_sent_ < config_.receive_window / 2 && w >= last_rwnd_sent_ + step) send_sack(now);
}

void SctpAssociation::send_sack(Timestamp now) {
  (void)now;
  SackChunk s;
  s.cumulative_tsn = cum_tsn_in_;
  s.a_rwnd = advertised_window();
  last_rwnd_sent_ = s.a_rwnd;
  uint32_t base = cum_tsn_in_ - peer_initial_tsn_;
  for (auto it = above_cum_.begin(); it != above_cum_.end() && s.gaps.size() < kMaxGapBlocks;) {
    uint32_t start = *it, end = start;
    ++it;
    while (it != above_cum_.end() && *it == end + 1) {
      end = *it;
      ++it;
    }
    uint32_t gs = start - base, ge = end - base;
    if (gs > 0xFFFF || ge > 0xFFFF) break;
    s.gaps.push_back({uint16_t(gs), uint16_t(ge)});
  }
  s.duplicates = std::move(dup_tsns_);
  dup_tsns_.clear();
  std::vector<uint8_t> v;
  s.serialize(v);
  send_control(chunk_type::kSack, 0, ByteView(v), peer_tag_);
  ++stats_.sacks_out;
  sack_now_ = false;
  packets_since_sack_ = 0;
  sack_due_ = kNever;
}

void SctpAssociation::update_rtt(Duration r) {
  // RFC 9260 §6.3.1 with alpha 1/8, beta 1/4.
  if (!rtt_measured_) {
    srtt_ = r;
    rttvar_ = r / 2;
    rtt_measured_ = true;
  } else {
    rttvar_ = (3 * rttvar_ + std::abs(srtt_ - r)) / 4;
    srtt_ = (7 * srtt_ + r) / 8;
  }
  rto_ = std::clamp(srtt_ + 4 * rttvar_, config_.rto_min, config_.rto_max);
}

void SctpAssociation::handle_sack(Timestamp now, const SackChunk& s) {
  if (state_ != State::kEstablished && state_ != State::kShutdownPending && state_ != State::kShutdownSent &&
      state_ != State::kShutdownReceived) {
    return;
  }
  if (tsn_lt(s.cumulative_tsn, last_cum_ack_)) return;  // stale (reordered) SACK
  const uint32_t base = next_tsn_;  // any TSN below this was assigned
  size_t bytes_acked = 0;
  bool cum_advanced = tsn_lt(last_cum_ack_, s.cumulative_tsn);
  auto ack_chunk = [&](OutChunk& c) {
    if (c.acked) return;
    c.acked = true;
    if (c.in_flight) {
      flight_size_ -= std::min(flight_size_, c.payload.size());
      c.in_flight = false;
    }
    bytes_acked += c.payload.size();
    if (c.transmissions == 1 && !c.retransmit) update_rtt(now - c.sent_at);  // Karn
  };
  // Cumulative acknowledgement (outstanding_ is in TSN order), abandoned chunks included: the
  // peer acknowledged past them, so our FORWARD-TSN arrived.
  while (!outstanding_.empty() && tsn_le(outstanding_.begin()->second->tsn, s.cumulative_tsn)) {
    ack_chunk(*outstanding_.begin()->second);
    outstanding_bytes_ -= outstanding_.begin()->second->payload.size();
    outstanding_.erase(outstanding_.begin());
  }
  last_cum_ack_ = s.cumulative_tsn;
  // Gap acknowledgements; the highest TSN newly reported drives the miss counters (§7.2.4).
  uint32_t highest_gap_acked = s.cumulative_tsn;
  for (const auto& g : s.gaps) {
    for (uint32_t off = g.start; off <= g.end; ++off) {
      uint32_t tsn = s.cumulative_tsn + off;
      if (!tsn_lt(tsn, base)) break;
      auto it = outstanding_.find(tsn - local_initial_tsn_);
      if (it == outstanding_.end()) continue;
      if (!it->second->acked && tsn_lt(highest_gap_acked, tsn)) highest_gap_acked = tsn;
      ack_chunk(*it->second);
    }
  }
  // Congestion control (§7.2.1 / §7.2.2).
  if (bytes_acked > 0 && cum_advanced && !fast_recovery_) {
    if (cwnd_ <= ssthresh_) {
      cwnd_ += uint32_t(std::min(bytes_acked, config_.mtu));
    } else {
      partial_bytes_acked_ += uint32_t(bytes_acked);
      if (partial_bytes_acked_ >= cwnd_) {
        partial_bytes_acked_ -= cwnd_;
        cwnd_ += uint32_t(config_.mtu);
      }
    }
  }
  if (fast_recovery_ && !tsn_lt(s.cumulative_tsn, fast_recovery_exit_)) fast_recovery_ = false;
  // Fast retransmit on the third miss report.
  bool do_fast = false;
  for (auto& [k, c] : outstanding_) {
    (void)k;
    if (!tsn_lt(c->tsn, highest_gap_acked)) break;  // only chunks below the highest one reported
    if (c->acked || c->retransmit) continue;
    if (++c->missing == 3) {
      if (should_abandon(now, *c)) {
        abandon_message(*c);
        continue;
      }
      c->retransmit = true;
      retransmit_pending_ = true;
      c->missing = 0;
      if (c->in_flight) {
        flight_size_ -= std::min(flight_size_, c->payload.size());
        c->in_flight = false;
      }
      do_fast = true;
      ++stats_.fast_retransmissions;
    }
  }
  if (do_fast && !fast_recovery_) {
    ssthresh_ = std::max<uint32_t>(cwnd_ / 2, uint32_t(4 * config_.mtu));
    cwnd_ = ssthresh_;
    partial_bytes_acked_ = 0;
    fast_recovery_ = true;
    fast_recovery_exit_ = next_tsn_ - 1;
  }
  // Abandoned chunks right after the cumulative ack need (another) FORWARD-TSN.
  if (!outstanding_.empty() && outstanding_.begin()->second->abandoned) forward_tsn_pending_ = true;
  maybe_forward_tsn(now);
  peer_rwnd_ = s.a_rwnd > flight_size_ ? uint32_t(s.a_rwnd - flight_size_) : 0;
  // T3: restart when the cumulative ack moved and data is still outstanding; stop when nothing is.
  // (The first outstanding chunk is never acknowledged: it would have moved the cumulative ack.)
  if (outstanding_.empty()) {
    t3_at_ = kNever;
  } else if (cum_advanced) {
    t3_at_ = now + rto_;
  }
  if (state_ == State::kShutdownPending && outstanding_.empty() && send_queue_.empty()) shutdown(now);
  if (state_ == State::kShutdownReceived && outstanding_.empty() && send_queue_.empty()) send_shutdown_ack(now);
}

// ------------------------------------------------------------------ sending

SendResult SctpAssociation::send(Timestamp now, uint16_t stream, uint32_t ppid, ByteView data, const SendOptions& o) {
  const bool ordered = o.ordered;
  if (state_ != State::kEstablished) return SendResult::kNotConnected;
  if (data.empty() || data.size > config_.max_message_size) return SendResult::kTooLarge;
  // A stream is reusable only after its reset completes (RFC 6525; data channel ids).
  auto resetting = [stream](const std::vector<uint16_t>& v) { return std::find(v.begin(), v.end(), stream) != v.end(); };
  if (resetting(streams_to_reset_) || resetting(streams_resetting_)) return SendResult::kStreamResetting;
  const size_t queued = buffered_ + outstanding_bytes_;
  // A message up to the max message size is always accepted when the buffer is empty (DESIGN).
  if (queued > 0 && queued + data.size > config_.max_send_buffer) return SendResult::kBufferFull;
  const size_t max_payload = config_.mtu - kCommonHeaderSize - kDataHeader;
  // The SSN is taken when the first fragment goes out (transmit_data), so a message that expires
  // before it was ever sent leaves no hole in the stream's sequence (RFC 3758 §3.1 A1).
  const uint16_t ssn = 0;
  for (size_t off = 0; off < data.size; off += max_payload) {
    auto c = std::make_unique<OutChunk>();
    size_t n = std::min(max_payload, data.size - off);
    c->stream = stream;
    c->ssn = ssn;
    c->ppid = ppid;
    c->flags = uint8_t((off == 0 ? DataChunk::kBeginning : 0) | (off + n == data.size ? DataChunk::kEnd : 0) |
                       (ordered ? 0 : DataChunk::kUnordered));
    c->payload.assign(data.data + off, data.data + off + n);
    c->max_retransmits = o.max_retransmits;
    c->message_id = next_message_id_;
    c->expires_at = o.lifetime_ms >= 0 ? now + ms(o.lifetime_ms) : kNever;
    buffered_ += n;
    send_queue_.push_back(std::move(c));
  }
  tx_streams_[stream].buffered += data.size;
  ++next_message_id_;
  transmit_data(now);
  return SendResult::kOk;
}

void SctpAssociation::transmit_data(Timestamp now) {
  if (state_ != State::kEstablished && state_ != State::kShutdownPending && state_ != State::kShutdownReceived) {
    if (sack_now_) send_sack(now);
    return;
  }
  for (int packets = 0; packets < 64; ++packets) {
    SctpPacketBuilder b({config_.local_port, config_.remote_port, peer_tag_}, config_.mtu);
    bool any = false;
    if (sack_now_) send_sack(now);  // an immediate SACK goes before new data
    // Retransmissions first, in TSN order (the walk only when some are marked).
    bool walked_all = true;
    for (auto it = outstanding_.begin(); retransmit_pending_ && it != outstanding_.end(); ++it) {
      OutChunk* c = it->second.get();
      if (!c->retransmit || c->acked || c->abandoned) continue;
      if (flight_size_ > 0 && flight_size_ + c->payload.size() > cwnd_) {
        walked_all = false;
        break;
      }
      DataChunk d;
      d.flags = c->flags;
      d.tsn = c->tsn;
      d.stream = c->stream;
      d.ssn = c->ssn;
      d.ppid = c->ppid;
      d.payload = ByteView(c->payload);
      if (!d.add_to(b)) {
        walked_all = false;
        break;
      }
      c->retransmit = false;
      c->in_flight = true;
      ++c->transmissions;
      c->sent_at = now;
      flight_size_ += c->payload.size();
      ++stats_.retransmissions;
      any = true;
    }
    if (walked_all) retransmit_pending_ = false;  // every marked chunk went out
    // New data within cwnd and the peer's window (one chunk may probe a zero window when nothing is in flight).
    while (!send_queue_.empty()) {
      OutChunk& c = *send_queue_.front();
      if (now >= c.expires_at && (c.flags & DataChunk::kBeginning)) {
        // Expired before it was ever sent: dropped without using a TSN (RFC 3758 §3.1 A1).
        OutChunk copy = c;
        abandon_message(copy);
        continue;
      }
      bool window_ok = flight_size_ == 0 || (flight_size_ + c.payload.size() <= cwnd_ && c.payload.size() <= peer_rwnd_);
      if (!window_ok) break;
      // Fragments of one message follow each other in the queue (DATA does not interleave).
      const bool first = !(c.flags & DataChunk::kUnordered) && (c.flags & DataChunk::kBeginning);
      if (!(c.flags & DataChunk::kUnordered)) c.ssn = first ? next_ssn_[c.stream] : tx_ssn_;
      c.tsn = next_tsn_;
      DataChunk d;
      d.flags = c.flags;
      d.tsn = c.tsn;
      d.stream = c.stream;
      d.ssn = c.ssn;
      d.ppid = c.ppid;
      d.payload = ByteView(c.payload);
      if (!d.add_to(b)) break;
      if (first) tx_ssn_ = next_ssn_[c.stream]++;
      ++next_tsn_;
      c.assigned = true;
      c.in_flight = true;
      c.transmissions = 1;
      c.sent_at = now;
      flight_size_ += c.payload.size();
      peer_rwnd_ -= std::min<uint32_t>(peer_rwnd_, uint32_t(c.payload.size()));
      buffered_ -= c.payload.size();  // bufferedAmount falls when bytes go into packets
      ++stats_.data_chunks_out;
      const uint16_t stream = c.stream;
      const size_t n = c.payload.size();
      outstanding_bytes_ += n;
      outstanding_.emplace(c.tsn - local_initial_tsn_, std::move(send_queue_.front()));
      send_queue_.pop_front();
      buffered_fell(stream, n);
      any = true;
    }
    if (!any) break;
    out_.push_back(b.finish(crypto_));
    ++stats_.packets_out;
    if (t3_at_ == kNever) t3_at_ = now + rto_;
  }
  if (!streams_to_reset_.empty()) send_reconfig_request(now);
}

size_t SctpAssociation::buffered_amount(uint16_t stream) const {
  auto it = tx_streams_.find(stream);
  return it == tx_streams_.end() ? 0 : it->second.buffered;
}

void SctpAssociation::set_buffered_amount_low_threshold(uint16_t stream, size_t bytes) {
  tx_streams_[stream].low_threshold = bytes;
}

// W3C bufferedamountlow semantics: one event per downward crossing of the threshold.
void SctpAssociation::buffered_fell(uint16_t stream, size_t bytes) {
  StreamTx& t = tx_streams_[stream];
  const size_t before = t.buffered;
  t.buffered -= std::min(t.buffered, bytes);
  if (before > t.low_threshold && t.buffered <= t.low_threshold) {
    SctpEvent e{SctpEvent::Type::kBufferedAmountLow, {}, {}};
    e.message.stream = stream;
    events_.push_back(std::move(e));
  }
}

bool SctpAssociation::should_abandon(Timestamp now, const OutChunk& c) const {
  if (c.abandoned) return true;
  if (c.max_retransmits >= 0 && c.transmissions > c.max_retransmits) return true;
  return now >= c.expires_at;
}

// RFC 3758 §3.5: every fragment of the message goes, sent or not.
void SctpAssociation::abandon_message(OutChunk& first) {
  const uint64_t id = first.message_id;
  for (auto& [k, c] : outstanding_) {
    (void)k;
    if (c->abandoned || c->message_id != id) continue;
    c->abandoned = true;
    ++stats_.abandoned;
    c->retransmit = false;
    if (c->in_flight) {
      flight_size_ -= std::min(flight_size_, c->payload.size());
      c->in_flight = false;
    }
    forward_tsn_pending_ = true;  // a TSN was used: the peer must be told to skip it
  }
  // A message cut short after some fragments went out: its end never gets a TSN, so the peer
  // may already hold every TSN we used. A FORWARD-TSN whose new cumulative TSN is not beyond the
  // peer's is ignored whole, skip list included (RFC 3758 §3.6; usrsctp does so), and the peer
  // would wait for the message's end forever. So the end gets a TSN of its own, abandoned at
  // once and never sent, which the FORWARD-TSN then carries the peer over.
  bool end_has_tsn = false;
  const OutChunk* sent_part = nullptr;
  for (auto& [k, c] : outstanding_) {
    (void)k;
    if (c->message_id != id) continue;
    sent_part = c.get();
    end_has_tsn |= (c->flags & DataChunk::kEnd) != 0;
  }
  if (sent_part && !end_has_tsn) {
    auto end = std::make_unique<OutChunk>();
    end->tsn = next_tsn_++;
    end->stream = sent_part->stream;
    end->ssn = sent_part->ssn;
    end->ppid = sent_part->ppid;
    end->flags = uint8_t(DataChunk::kEnd | (sent_part->flags & DataChunk::kUnordered));
    end->assigned = true;
    end->abandoned = true;
    end->message_id = id;
    ++stats_.abandoned;
    outstanding_.emplace(end->tsn - local_initial_tsn_, std::move(end));
  }
  std::map<uint16_t, size_t> fell;
  for (auto it = send_queue_.begin(); it != send_queue_.end();) {
    if ((*it)->message_id == id) {
      buffered_ -= std::min(buffered_, (*it)->payload.size());
      fell[(*it)->stream] += (*it)->payload.size();
      it = send_queue_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [stream, n] : fell) buffered_fell(stream, n);
}

void SctpAssociation::maybe_forward_tsn(Timestamp now) {
  (void)now;
  if (!forward_tsn_pending_) return;
  forward_tsn_pending_ = false;
  // Advance over abandoned chunks that directly follow the cumulative ack.
  uint32_t point = last_cum_ack_;
  ForwardTsnChunk f;
  std::map<uint16_t, uint16_t> skipped;
  for (auto& [k, c] : outstanding_) {
    (void)k;
    if (c->tsn != point + 1 || !c->abandoned) break;  // RFC 3758 §3.5 C1: only over abandoned chunks
    point = c->tsn;
    if (c->abandoned && !(c->flags & DataChunk::kUnordered)) {
      auto it = skipped.find(c->stream);
      if (it == skipped.end() || int16_t(c->ssn - it->second) > 0) skipped[c->stream] = c->ssn;
    }
  }
  if (!tsn_lt(last_cum_ack_, point)) return;
  advanced_ack_point_ = point;
  f.new_cumulative_tsn = point;
  for (auto& [stream, ssn] : skipped) f.skipped.push_back({stream, false, ssn});
  std::vector<uint8_t> v;
  f.serialize(v);
  send_control(chunk_type::kForwardTsn, 0, ByteView(v), peer_tag_);
  ++stats_.forward_tsn_out;
}

void SctpAssociation::handle_forward_tsn(Timestamp now, const ForwardTsnChunk& f) {
  (void)now;
  ++stats_.forward_tsn_in;
  if (!tsn_lt(cum_tsn_in_, f.new_cumulative_tsn)) {
    sack_now_ = true;  // an old or duplicate FORWARD-TSN is answered with a SACK (RFC 3758 §3.6)
    // Its skip list is still safe to honour (SSNs only move forward): a sender that cut a
    // message short without giving its end a TSN relies on it.
    skip_ssns(f);
    return;
  }
  // Everything up to the new point counts as received; the skipped SSNs let later messages through.
  uint32_t new_off = f.new_cumulative_tsn - peer_initial_tsn_;
  cum_tsn_in_ = f.new_cumulative_tsn;
  while (!above_cum_.empty() && int32_t(*above_cum_.begin() - new_off) <= 0) above_cum_.erase(above_cum_.begin());
  while (!above_cum_.empty() && *above_cum_.begin() == uint32_t(cum_tsn_in_ + 1 - peer_initial_tsn_)) {
    above_cum_.erase(above_cum_.begin());
    ++cum_tsn_in_;
  }
  skip_ssns(f);
  for (auto& [stream, rx] : rx_) {
    deliver_ready(stream);
    // What is left at or below the new point belongs to abandoned messages and can never complete.
    for (auto it = rx->fragments.begin(); it != rx->fragments.end();) {
      if (int32_t(it->first - new_off) <= 0) {
        unread_bytes_ -= std::min(unread_bytes_, it->second.payload.size());
        if (it->second.flags & DataChunk::kEnd) --rx->ends;
        it = rx->fragments.erase(it);
      } else {
        ++it;
      }
    }
  }
  perform_pending_resets();
  sack_now_ = true;
}

// RFC 3758 §3.6: ordered messages up to each skipped SSN will not come; later ones may go on.
// Fragments of the skipped ones can never complete and are dropped.
void SctpAssociation::skip_ssns(const ForwardTsnChunk& f) {
  for (const auto& s : f.skipped) {
    auto& rx = rx_[s.stream];
    if (!rx) rx = std::make_unique<StreamRx>();
    const uint16_t next = uint16_t(s.ssn_or_mid + 1);
    if (int16_t(next - rx->next_ssn) <= 0) continue;
    rx->next_ssn = next;
    for (auto it = rx->fragments.begin(); it != rx->fragments.end();) {
      const InMessage& m = it->second;
      if (!(m.flags & DataChunk::kUnordered) && int16_t(m.ssn - next) < 0) {
        unread_bytes_ -= std::min(unread_bytes_, m.payload.size());
        if (m.flags & DataChunk::kEnd) --rx->ends;
        it = rx->fragments.erase(it);
      } else {
        ++it;
      }
    }
    deliver_ready(s.stream);
  }
}

// The peer's outgoing streams end: their SSNs start over and the owner is told.
void SctpAssociation::perform_incoming_reset(const std::vector<uint16_t>& streams) {
  for (uint16_t s : streams) {
    auto& rx = rx_[s];
    if (!rx) rx = std::make_unique<StreamRx>();
    rx->next_ssn = 0;
    SctpEvent e{SctpEvent::Type::kStreamReset, {}, "incoming"};
    e.message.stream = s;
    events_.push_back(std::move(e));
  }
}

bool SctpAssociation::reset_stream(Timestamp now, uint16_t stream) {
  if (state_ != State::kEstablished) return false;
  if (std::find(streams_to_reset_.begin(), streams_to_reset_.end(), stream) == streams_to_reset_.end()) {
    streams_to_reset_.push_back(stream);
  }
  send_reconfig_request(now);
  return true;
}

void SctpAssociation::send_reconfig_request(Timestamp now) {
  // One request in flight at a time (RFC 6525 §5.1.1); queued streams wait for it.
  if (!streams_resetting_.empty() || streams_to_reset_.empty()) return;
  // Messages queued on a stream before its reset go out first: the request's last TSN must
  // cover them (§5.1.2), or they would arrive after the reset with the old SSNs.
  for (const auto& c : send_queue_) {
    if (std::find(streams_to_reset_.begin(), streams_to_reset_.end(), c->stream) != streams_to_reset_.end()) return;
  }
  streams_resetting_ = std::move(streams_to_reset_);
  streams_to_reset_.clear();
  ReConfigChunk rc;
  rc.outgoing = ReConfigChunk::OutgoingResetRequest{reconfig_seq_, peer_reconfig_seq_expected_ - 1, next_tsn_ - 1,
                                                    streams_resetting_};
  reconfig_in_flight_.clear();
  rc.serialize(reconfig_in_flight_);
  send_control(chunk_type::kReConfig, 0, ByteView(reconfig_in_flight_), peer_tag_);
  reconfig_at_ = now + rto_;
}

void SctpAssociation::handle_reconfig(Timestamp now, const ReConfigChunk& r) {
  if (r.outgoing) {
    // The peer closes its outgoing streams = our incoming ones. Performed once everything it sent has arrived.
    const auto& o = *r.outgoing;
    uint32_t result = 1;  // success, performed
    if (o.request_seq == peer_reconfig_seq_expected_ - 1) {
      // A retransmission of the request we already answered: the same answer, or still in progress.
      result = 1;
      for (const auto& p : pending_incoming_resets_) {
        if (p.request_seq == o.request_seq) result = 6;
      }
    } else if (o.request_seq != peer_reconfig_seq_expected_) {
      result = 5;  // bad sequence number
    } else if (tsn_lt(cum_tsn_in_, o.sender_last_tsn)) {
      pending_incoming_resets_.push_back({o.request_seq, o.sender_last_tsn, o.streams});
      ++peer_reconfig_seq_expected_;
      result = 6;  // in progress
    } else {
      ++peer_reconfig_seq_expected_;
      perform_incoming_reset(o.streams);
    }
    ReConfigChunk resp;
    resp.response = ReConfigChunk::Response{o.request_seq, result};
    std::vector<uint8_t> v;
    resp.serialize(v);
    send_control(chunk_type::kReConfig, 0, ByteView(v), peer_tag_);
  }
  if (r.response && r.response->response_seq == reconfig_seq_ && !streams_resetting_.empty()) {
    if (r.response->result == 1) {
      for (uint16_t s : streams_resetting_) {
        next_ssn_[s] = 0;  // our outgoing side starts over
        SctpEvent e{SctpEvent::Type::kStreamReset, {}, "outgoing"};
        e.message.stream = s;
        events_.push_back(std::move(e));
      }
      streams_resetting_.clear();
      ++reconfig_seq_;
      reconfig_at_ = kNever;
      send_reconfig_request(now);
    } else if (r.response->result == 6) {
      reconfig_at_ = now + rto_;  // in progress: ask again later
    }
  }
}

void SctpAssociation::on_t3_expiry(Timestamp now) {
  ++stats_.t3_expiries;
  // §6.3.3: back off, collapse the window, retransmit everything outstanding.
  rto_ = std::min(rto_ * 2, config_.rto_max);
  ssthresh_ = std::max<uint32_t>(cwnd_ / 2, uint32_t(4 * config_.mtu));
  cwnd_ = uint32_t(4 * config_.mtu);  // DESIGN: minimum 4 MTU after loss
  partial_bytes_acked_ = 0;
  fast_recovery_ = false;
  for (auto& [k, c] : outstanding_) {
    (void)k;
    if (c->acked || c->abandoned) continue;
    if (should_abandon(now, *c)) {
      abandon_message(*c);
      continue;
    }
    c->retransmit = true;
    retransmit_pending_ = true;
    if (c->in_flight) {
      flight_size_ -= std::min(flight_size_, c->payload.size());
      c->in_flight = false;
    }
  }
  // A FORWARD-TSN that was lost is sent again on the timer (RFC 3758 §3.5 C3).
  if (!outstanding_.empty() && outstanding_.begin()->second->abandoned) forward_tsn_pending_ = true;
  maybe_forward_tsn(now);
  t3_at_ = kNever;
  transmit_data(now);
  if (t3_at_ == kNever && !outstanding_.empty()) t3_at_ = now + rto_;
}

void SctpAssociation::handle_timeout(Timestamp now) {
  if (now >= t1_at_) {
    if (++t1_count_ > config_.max_init_retransmits) {
      t1_at_ = kNever;
      state_ = State::kClosed;
      events_.push_back({SctpEvent::Type::kAborted, {}, "association setup timed out"});
      return;
    }
    t1_rto_ = std::min(t1_rto_ * 2, config_.rto_max);
    if (state_ == State::kCookieWait) {
      send_init(now);
    } else if (state_ == State::kCookieEchoed) {
      send_control(chunk_type::kCookieEcho, 0, ByteView(cookie_echo_), peer_tag_);
      t1_at_ = now + t1_rto_;
    } else {
      t1_at_ = kNever;
    }
  }
  if (now >= sack_due_) send_sack(now);
  if (now >= t3_at_) on_t3_expiry(now);
  if (now >= t2_at_) {
    if (++t2_count_ > kMaxShutdownRetransmits) {
      closed_now();
      events_.push_back({SctpEvent::Type::kAborted, {}, "shutdown timed out"});
      return;
    }
    t2_rto_ = std::min(t2_rto_ * 2, config_.rto_max);
    if (state_ == State::kShutdownSent) {
      send_shutdown(now);
    } else if (state_ == State::kShutdownAckSent) {
      send_control(chunk_type::kShutdownAck, 0, ByteView(), peer_tag_);
      t2_at_ = now + t2_rto_;
    } else {
      t2_at_ = kNever;
    }
  }
  if (now >= reconfig_at_) {
    // §5.1.1: the request is retransmitted unchanged until answered.
    send_control(chunk_type::kReConfig, 0, ByteView(reconfig_in_flight_), peer_tag_);
    reconfig_at_ = now + rto_;
  }
}

void SctpAssociation::shutdown(Timestamp now) {
  (void)now;
  if (state_ != State::kEstablished && state_ != State::kShutdownPending) return;
  if (!outstanding_.empty() || !send_queue_.empty()) {
    state_ = State::kShutdownPending;  // §9.2: after everything queued has been acknowledged
    return;
  }
  t2_rto_ = rto_;
  t2_count_ = 0;
  send_shutdown(now);
  state_ = State::kShutdownSent;
}

// §9.2: SHUTDOWN and SHUTDOWN-ACK are retransmitted on T2-shutdown until answered.
void SctpAssociation::send_shutdown(Timestamp now) {
  uint8_t cum[4];
  store_be32(cum, cum_tsn_in_);
  send_control(chunk_type::kShutdown, 0, ByteView(cum, 4), peer_tag_);
  t2_at_ = now + t2_rto_;
}

void SctpAssociation::send_shutdown_ack(Timestamp now) {
  if (state_ != State::kShutdownAckSent) {
    t2_rto_ = rto_;
    t2_count_ = 0;
  }
  send_control(chunk_type::kShutdownAck, 0, ByteView(), peer_tag_);
  state_ = State::kShutdownAckSent;
  t2_at_ = now + t2_rto_;
}

void SctpAssociation::closed_now() {
  state_ = State::kClosed;
  t1_at_ = t2_at_ = t3_at_ = sack_due_ = reconfig_at_ = kNever;
}

void SctpAssociation::abort(const std::string& reason) {
  if (state_ == State::kClosed) return;
  std::vector<uint8_t> causes;
  ErrorCauses::append(causes, cause::kUserInitiatedAbort, ByteView(std::string_view(reason)));
  send_control(chunk_type::kAbort, 0, ByteView(causes), peer_tag_);
  closed_now();
  events_.push_back({SctpEvent::Type::kAborted, {}, reason});
}

}  // namespace wasmrtc::sctp
