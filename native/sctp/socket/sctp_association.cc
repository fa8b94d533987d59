#include "sctp/socket/sctp_association.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "sctp/socket/sctp_association_internal.h"

namespace wasmrtc::sctp {

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
  const bool zero = zero_checksum_ok(type);
  out_.push_back(b.finish(crypto_, zero));
  ++stats_.packets_out;
  if (zero) ++stats_.zero_checksum_out;
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
  supported_extensions(init, !init_minimal_);
  std::vector<uint8_t> v;
  init.serialize(v);
  send_control(chunk_type::kInit, 0, ByteView(v), 0);  // §8.5.1: INIT carries tag 0
  ++stats_.inits_out;
  t1_at_ = now + t1_rto_;
}

// RFC 5061 §4.2.7: the chunk types we understand beyond the base protocol. Supported Extensions
// (0x8008) and Forward-TSN-Supported (0xC000) stay in every INIT and INIT-ACK: every stack we know
// parses them (pion/sctp 1.8.6 param.go among them), and stream reset (RE-CONFIG) needs them.
void SctpAssociation::supported_extensions(InitChunk& init, bool offer_zero_checksum) const {
  if (offer_zero_checksum && config_.zero_checksum_edmid) {
    init.zero_checksum_acceptable = true;  // RFC 9653 §4
    init.zero_checksum_edmid = config_.zero_checksum_edmid;
  }
  init.supported_extensions = {chunk_type::kForwardTsn, chunk_type::kReConfig};
  if (config_.enable_interleaving) {
    init.supported_extensions.push_back(chunk_type::kIData);
    init.supported_extensions.push_back(chunk_type::kIForwardTsn);
  }
}

// From now on our INITs carry no Zero Checksum Acceptable parameter. An old stack that refuses an
// INIT with a parameter it does not know (against RFC 9260 §3.2.1, which says to skip a parameter
// whose type has the high bits 10, as 0x8001 does) then sees one it can parse. Zero checksum is
// still used towards a peer whose INIT or INIT-ACK offers it (RFC 9653 §5.1 needs only the
// receiver's declaration), and our INIT-ACKs still offer it to peers whose INIT did: in the
// simultaneous open of data channels the peer's INIT decides, whatever became of ours.
void SctpAssociation::fall_back_to_minimal_init(const std::string& why) {
  if (init_minimal_ || !config_.zero_checksum_edmid) return;
  init_minimal_ = true;
  init_minimal_reason_ = why;
  if (log_enabled(LogLayer::kSctp, LogLevel::kInfo)) {
    log_message(LogLayer::kSctp, LogLevel::kInfo, "SCTP: INIT without Zero Checksum Acceptable from now on (" + why + ")");
  }
}

// An ABORT or ERROR whose Unrecognized Parameters cause (§3.3.10.8) names Zero Checksum Acceptable.
bool SctpAssociation::reports_zero_checksum_unrecognized(ByteView value) const {
  ErrorCauses causes;
  if (!ErrorCauses::parse(value, causes)) return false;
  for (const auto& [code, v] : causes.causes) {
    if (code != cause::kUnrecognizedParameters) continue;
    ByteReader r(v);  // the unrecognized parameters, each a whole TLV
    uint16_t type = 0, len = 0;
    while (r.u16(type) && r.u16(len) && len >= 4) {
      if (type == 0x8001) return true;
      ByteView skip;
      if (!r.bytes(std::min<size_t>(size_t(len - 4 + (4 - len % 4) % 4), r.remaining()), skip)) break;
    }
  }
  return false;
}

// RFC 9653 §5.1: zero checksums go out only to a peer that offered the method we offered.
bool SctpAssociation::peer_accepts_zero_checksum(const InitChunk& init) const {
  return config_.zero_checksum_edmid != 0 && init.zero_checksum_acceptable &&
         init.zero_checksum_edmid == config_.zero_checksum_edmid;
}

// RFC 9653 §5.1: packets with INIT or COOKIE ECHO always carry a correct CRC32c.
bool SctpAssociation::zero_checksum_ok(uint8_t first_chunk_type) const {
  return zero_checksum_tx_ && state_ != State::kClosed && state_ != State::kCookieWait &&
         state_ != State::kCookieEchoed && first_chunk_type != chunk_type::kInit &&
         first_chunk_type != chunk_type::kCookieEcho;
}

// RFC 8260 §2.2.1: I-DATA is used only when both ends list it.
bool SctpAssociation::peer_offers_idata(const InitChunk& init) const {
  const auto& e = init.supported_extensions;
  return config_.enable_interleaving && std::find(e.begin(), e.end(), chunk_type::kIData) != e.end();
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
  // What the peer offered (bit 0: I-DATA, bit 1: our zero-checksum method), so the cookie's owner can negotiate.
  w.u8(uint8_t((peer_offers_idata(p) ? 1 : 0) | (peer_accepts_zero_checksum(p) ? 2 : 0)));
  uint8_t mac[32];
  crypto_.hmac(crypto::Hash::kSha256, ByteView(cookie_secret_, 32), ByteView(c), mac);
  w.bytes(mac, 32);  // §5.1.3: the cookie is signed so the server keeps no state
  return c;
}

bool SctpAssociation::open_cookie(ByteView cookie, InitChunk& p, uint32_t& local_tag, uint32_t& local_tsn,
                                  bool& peer_idata) {
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
  uint8_t offered = 0;
  r.u8(offered);
  peer_idata = (offered & 1) != 0;
  peer_zero_checksum_ = (offered & 2) != 0;
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
  // RFC 9653 §5.1: Zero Checksum Acceptable in our INIT-ACK only when the peer's INIT offered the
  // same method. Otherwise it would be of no use (a peer that does not offer it does not send zero
  // checksums either) and an old stack cannot parse the INIT-ACK (pion/sctp 1.8.6: "failed to
  // unmarshal INIT body ... Unknown ParamType: 32769"), so the association would never come up.
  const bool peer_offers_zero_checksum = peer_accepts_zero_checksum(init);
  // An INIT without it, answering our simultaneous one: our retransmitted INITs need not carry it either.
  if (!peer_offers_zero_checksum && (state_ == State::kCookieWait || state_ == State::kCookieEchoed)) {
    fall_back_to_minimal_init(init.zero_checksum_acceptable
                                  ? "the peer's INIT offers another method (EDMID " + std::to_string(init.zero_checksum_edmid) + ")"
                                  : "the peer's INIT does not offer it");
  }
  InitChunk ack;
  ack.initiate_tag = tag;
  ack.a_rwnd = config_.receive_window;
  ack.outbound_streams = config_.streams;
  ack.inbound_streams = config_.streams;
  ack.initial_tsn = tsn;
  ack.forward_tsn_supported = true;
  supported_extensions(ack, peer_offers_zero_checksum);
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
  peer_window_ = ack.a_rwnd;
  cookie_echo_ = ack.state_cookie;
  i_data_ = peer_offers_idata(ack);
  zero_checksum_tx_ = peer_accepts_zero_checksum(ack);
  send_control(chunk_type::kCookieEcho, 0, ByteView(cookie_echo_), peer_tag_);
  state_ = State::kCookieEchoed;
  t1_rto_ = config_.rto_initial;
  t1_count_ = 0;
  t1_at_ = now + t1_rto_;
}

void SctpAssociation::handle_cookie_echo(Timestamp now, ByteView cookie) {
  InitChunk peer;
  uint32_t tag = 0, tsn = 0;
  bool peer_idata = false;
  if (!open_cookie(cookie, peer, tag, tsn, peer_idata)) {
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
  peer_window_ = peer.a_rwnd;
  i_data_ = peer_idata && config_.enable_interleaving;
  zero_checksum_tx_ = peer_zero_checksum_ && config_.zero_checksum_edmid != 0;
  send_control(chunk_type::kCookieAck, 0, ByteView(), peer_tag_);
  established(now);
}

void SctpAssociation::established(Timestamp now) {
  if (state_ == State::kEstablished) return;
  state_ = State::kEstablished;
  t1_at_ = kNever;
  if (log_enabled(LogLayer::kSctp, LogLevel::kInfo)) {
    log_message(LogLayer::kSctp, LogLevel::kInfo,
                std::string("SCTP: established; zero checksum to the peer: ") + (zero_checksum_tx_ ? "yes" : "no") +
                    ", I-DATA: " + (i_data_ ? "yes" : "no") + ", INITs sent: " + std::to_string(stats_.inits_out) +
                    (init_minimal_ ? ", INIT without Zero Checksum Acceptable (" + init_minimal_reason_ + ")" : ""));
  }
  // RFC 6525 §5.1.1: request sequence numbers start at the sender's initial TSN.
  reconfig_seq_ = local_initial_tsn_;
  peer_reconfig_seq_expected_ = peer_initial_tsn_;
  events_.push_back({SctpEvent::Type::kConnected, {}, {}});
  transmit_data(now);
}

// ------------------------------------------------------------------ input

void SctpAssociation::handle_packet(Timestamp now, ByteView bytes) {
  SctpPacket p;
  // RFC 9653 §5.2: having offered it, we accept a zero checksum as well as a correct one.
  const bool zero = config_.zero_checksum_edmid && bytes.size >= 12 && load_be32(bytes.data + 8) == 0;
  if (!SctpPacket::parse(bytes, crypto_, !zero, p)) {
    ++stats_.bad_packets;
    return;
  }
  if (zero) {
    for (const auto& c : p.chunks()) {
      if (c.type == chunk_type::kInit || c.type == chunk_type::kCookieEcho) {  // these must carry a CRC32c
        ++stats_.bad_packets;
        return;
      }
    }
  }
  ++stats_.packets_in;
  if (zero) ++stats_.zero_checksum_in;
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
      case chunk_type::kData:
      case chunk_type::kIData: {
        DataChunk d;
        if (state_ != State::kEstablished && state_ != State::kShutdownPending && state_ != State::kShutdownSent) break;
        if ((c.type == chunk_type::kIData) != i_data_) {
          // RFC 8260 §2.1: DATA once I-DATA was negotiated, or I-DATA when it was not.
          protocol_violation(i_data_ ? "DATA chunk while I-DATA is in use" : "I-DATA chunk without negotiating it");
          return;
        }
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
      case chunk_type::kForwardTsn:
      case chunk_type::kIForwardTsn: {
        ForwardTsnChunk f;
        if (state_ == State::kEstablished && (c.type == chunk_type::kIForwardTsn) != i_data_) {
          // RFC 8260 §2.3: with I-DATA only I-FORWARD-TSN moves the point, without it only FORWARD-TSN.
          protocol_violation(i_data_ ? "FORWARD-TSN chunk while I-DATA is in use"
                                     : "I-FORWARD-TSN chunk without negotiating I-DATA");
          return;
        }
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
      case chunk_type::kError:
        // §3.3.10: reports only. In COOKIE-WAIT one naming our Zero Checksum Acceptable parameter
        // answers an INIT the peer would not take: send it again without.
        if (state_ == State::kCookieWait && !init_minimal_ && reports_zero_checksum_unrecognized(c.value)) {
          fall_back_to_minimal_init("ERROR: unrecognized parameter 0x8001");
          send_init(now);
          return;
        }
        break;
      case chunk_type::kAbort: {
        // A peer that refused our INIT for its Zero Checksum Acceptable parameter and said so: no
        // association existed yet, so try again at once without it (as after a T1-init expiry).
        if (state_ == State::kCookieWait && !init_minimal_ && reports_zero_checksum_unrecognized(c.value)) {
          fall_back_to_minimal_init("ABORT: unrecognized parameter 0x8001");
          send_init(now);
          return;
        }
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
        events_.push_back({SctpEvent::Type::kAborted, {}, reason, true});
        return;
      }
      case chunk_type::kShutdown: {
        uint32_t cum;
        if (!parse_shutdown(c, cum)) break;
        if (state_ == State::kEstablished || state_ == State::kShutdownPending) state_ = State::kShutdownReceived;
        if (state_ == State::kShutdownReceived && outstanding_.empty() && queue_empty()) {
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

// ------------------------------------------------------------------ sending

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
      // RFC 9260 §5.1 (T1-init): the INIT went unanswered. The peer may have dropped it for a
      // parameter it cannot parse (see fall_back_to_minimal_init): resend it, and every later one, without.
      fall_back_to_minimal_init("T1-init expired");
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
    transmit_reconfig_request(now);
    reconfig_at_ = now + rto_;
  }
}

void SctpAssociation::shutdown(Timestamp now) {
  (void)now;
  if (state_ != State::kEstablished && state_ != State::kShutdownPending) return;
  if (!outstanding_.empty() || !queue_empty()) {
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
  if (state_ != State::kClosed && log_enabled(LogLayer::kSctp, LogLevel::kInfo)) {
    log_message(LogLayer::kSctp, LogLevel::kInfo,
                "SCTP: closed; packets out " + std::to_string(stats_.packets_out) + " (zero checksum " +
                    std::to_string(stats_.zero_checksum_out) + "), in " + std::to_string(stats_.packets_in) +
                    " (zero checksum " + std::to_string(stats_.zero_checksum_in) + ")");
  }
  state_ = State::kClosed;
  t1_at_ = t2_at_ = t3_at_ = sack_due_ = reconfig_at_ = kNever;
}

void SctpAssociation::protocol_violation(const std::string& what) {
  if (state_ == State::kClosed) return;
  std::vector<uint8_t> causes;
  ErrorCauses::append(causes, cause::kProtocolViolation, ByteView(std::string_view(what)));  // §3.3.10.13
  send_control(chunk_type::kAbort, 0, ByteView(causes), peer_tag_);
  closed_now();
  events_.push_back({SctpEvent::Type::kAborted, {}, "protocol violation: " + what});
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
