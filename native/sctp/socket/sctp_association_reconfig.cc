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
  // cover them (§5.1.2), or they would arrive after the reset with the old SSNs.
  for (uint16_t s : streams_to_reset_) {
    if (queued_on(s)) return;
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
