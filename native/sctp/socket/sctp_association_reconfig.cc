// Stream reset of SctpAssociation (RFC 6525 outgoing SSN reset requests, both directions).
#include <algorithm>
#include <cstring>

#include "sctp/socket/sctp_association.h"
#include "sctp/socket/sctp_association_internal.h"

namespace wasmrtc::sctp {

// The peer's outgoing streams end: their SSNs start over and the owner is told.
void SctpAssociation::perform_incoming_reset(const std::vector<uint16_t>& streams, uint32_t last_tsn) {
  for (uint16_t s : streams) {
    auto& rx = rx_[s];
    if (!rx) rx = std::make_unique<StreamRx>();
    rx->next_ssn = 0;
    if (i_data_) {
      // RFC 8260 §2.3.2 / RFC 6525 §5.2.2: MIDs start over. Pieces from before the reset (TSNs up to
      // the request's last one, all arrived or given up) can never complete; messages sent after it
      // may already be here, and MID 0 may now go.
      rx->next_mid = 0;
      rx->was_reset = true;
      rx->reset_tsn = last_tsn;
      for (auto& msgs : rx->imessages) {
        for (auto it = msgs.begin(); it != msgs.end();) {
          if (tsn_le(it->second.first_tsn, last_tsn)) {
            unread_bytes_ -= std::min(unread_bytes_, it->second.bytes);
            it = msgs.erase(it);
          } else {
            ++it;
          }
        }
      }
    }
    SctpEvent e{SctpEvent::Type::kStreamReset, {}, "incoming"};
    e.message.stream = s;
    events_.push_back(std::move(e));
    if (i_data_) deliver_ordered_imessages(s, *rx);
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
  // cover them (§5.1.2), or they would arrive after the reset with the old SSNs. Then the request
  // waits until the peer has all of them, acknowledged cumulatively or given up (abandoned chunks
  // right after the cumulative ack: the FORWARD-TSN over them goes first in the request's packet),
  // and its last TSN is that point, which covers everything sent on these streams, rather than
  // the next TSN minus 1 (§4.1). So the peer performs the reset at once instead of deferring it
  // (§5.2.2): usrsctp (libdatachannel, Firefox) re-checks a deferred reset only when a new DATA
  // chunk arrives, not when a retransmission fills the last gap below its TSN nor when a
  // FORWARD-TSN moves past it, and with nothing sent after that the reset stays "in progress" for
  // ever, and so does every chunk of any stream beyond its TSN that it holds back meanwhile.
  // (Closing a channel with a backlog queued on four at 10% loss: in 6 of 30 runs once streams
  // took turns, and 17 of 30 with one send() order queue when its data went last. The cost: when
  // the stream's data is in flight the request leaves a round trip later, plus the peer's delayed
  // SACK.)
  std::vector<uint8_t> fwd;
  const uint32_t point = forward_tsn_value(fwd);  // last_cum_ack_ when nothing abandoned follows it
  for (uint16_t s : streams_to_reset_) {
    if (queued_on(s)) return;
    if (auto t = tx_streams_.find(s); t != tx_streams_.end() && t->second.has_tsn && tsn_lt(point, t->second.last_tsn)) {
      return;
    }
  }
  // No FORWARD-TSN we sent goes beyond it either (one always could, over the same run): a copy
  // arriving after the reset is then stale (RFC 3758 §3.6) and cannot skip sequence numbers of a
  // stream that started over.
  if (forward_tsn_at_ != kNever && tsn_lt(point, advanced_ack_point_)) return;
  streams_resetting_ = std::move(streams_to_reset_);
  streams_to_reset_.clear();
  reconfig_last_tsn_ = point;
  ReConfigChunk rc;
  rc.outgoing = ReConfigChunk::OutgoingResetRequest{reconfig_seq_, peer_reconfig_seq_expected_ - 1, point,
                                                    streams_resetting_};
  reconfig_in_flight_.clear();
  rc.serialize(reconfig_in_flight_);
  transmit_reconfig_request(now);
  reconfig_at_ = now + rto_;
}

// The request in flight, sent or retransmitted (§5.1.1: unchanged until answered), behind the
// FORWARD-TSN that carries the peer to its last TSN while the peer has not acknowledged that far.
void SctpAssociation::transmit_reconfig_request(Timestamp now) {
  SctpPacketBuilder b({config_.local_port, config_.remote_port, peer_tag_}, config_.mtu);
  uint8_t first = chunk_type::kReConfig;  // the packet's first chunk
  bool with_fwd = false;
  auto flush = [&] {
    const bool zero = zero_checksum_ok(first);
    out_.push_back(b.finish(crypto_, zero));
    ++stats_.packets_out;
    if (zero) ++stats_.zero_checksum_out;
  };
  if (tsn_lt(last_cum_ack_, reconfig_last_tsn_)) {
    std::vector<uint8_t> fwd;
    const uint32_t point = forward_tsn_value(fwd);
    const uint8_t type = i_data_ ? chunk_type::kIForwardTsn : chunk_type::kForwardTsn;
    if (!fwd.empty() && !tsn_lt(point, reconfig_last_tsn_)) {
      if (b.add(type, 0, ByteView(fwd))) {
        first = type;
        with_fwd = true;
      } else {
        send_control(type, 0, ByteView(fwd), peer_tag_);  // too large to share a packet
      }
      forward_tsn_sent(now, point);
    }
  }
  if (b.add(chunk_type::kReConfig, 0, ByteView(reconfig_in_flight_))) {
    flush();
    return;
  }
  if (with_fwd) flush();
  send_control(chunk_type::kReConfig, 0, ByteView(reconfig_in_flight_), peer_tag_);
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
      perform_incoming_reset(o.streams, o.sender_last_tsn);
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
        if (auto t = tx_streams_.find(s); t != tx_streams_.end()) t->second.next_mid[0] = t->second.next_mid[1] = 0;  // MIDs too (RFC 8260 §2.3.2)
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

}  // namespace wasmrtc::sctp
