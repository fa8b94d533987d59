// Sending side of SctpAssociation: queueing, packetisation within cwnd and the peer's window,
// SACK processing, RTO, fast retransmit and T3, partial reliability (RFC 9260 §6-7, RFC 3758).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "sctp/socket/sctp_association.h"
#include "sctp/socket/sctp_association_internal.h"

namespace wasmrtc::sctp {

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
  // Abandoned chunks right after the cumulative ack need a FORWARD-TSN (RFC 3758 §3.5 C1-C3); one
  // the peer was already sent for the same point is repeated at most once per round trip.
  if (!outstanding_.empty() && outstanding_.begin()->second->abandoned) forward_tsn_pending_ = true;
  maybe_forward_tsn(now, /*timer=*/false);
  peer_rwnd_ = s.a_rwnd > flight_size_ ? uint32_t(s.a_rwnd - flight_size_) : 0;
  // T3: restart when the cumulative ack moved and data is still outstanding; stop when nothing is.
  // (The first outstanding chunk is never acknowledged: it would have moved the cumulative ack.)
  if (outstanding_.empty()) {
    t3_at_ = kNever;
  } else if (cum_advanced) {
    t3_at_ = now + rto_;
  }
  if (state_ == State::kShutdownPending && outstanding_.empty() && queue_empty()) shutdown(now);
  if (state_ == State::kShutdownReceived && outstanding_.empty() && queue_empty()) send_shutdown_ack(now);
}

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
  const size_t max_payload = config_.mtu - kCommonHeaderSize - (i_data_ ? kIDataHeader : kDataHeader);
  // The SSN (MID) is taken when the first fragment goes out (transmit_data); the stream's turn
  // comes round in next_to_send().
  ChunkQueue& queue = stream_queues_[stream];
  uint32_t fsn = 0;
  for (size_t off = 0; off < data.size; off += max_payload, ++fsn) {
    auto c = std::make_unique<OutChunk>();
    size_t n = std::min(max_payload, data.size - off);
    c->stream = stream;
    c->fsn = fsn;  // RFC 8260 §2.1: the first fragment is FSN 0
    c->ppid = ppid;
    c->flags = uint8_t((off == 0 ? DataChunk::kBeginning : 0) | (off + n == data.size ? DataChunk::kEnd : 0) |
                       (ordered ? 0 : DataChunk::kUnordered));
    c->payload.assign(data.data + off, data.data + off + n);
    c->max_retransmits = o.max_retransmits;
    c->message_id = next_message_id_;
    c->message_size = uint32_t(data.size);
    // Timed reliability (RFC 3758 §4.1; the data channel's maxPacketLifeTime): the lifetime counts
    // from this send(), as the SEND primitive's does (RFC 4960 §10.1 (E)) and as usrsctp and
    // dcsctp count it. It decides retransmissions only (TR4): the first transmission always
    // happens, however long the message waited behind others (transmit_data).
    c->expires_at = o.lifetime_ms >= 0 ? now + ms(o.lifetime_ms) : kNever;
    buffered_ += n;
    queue.push_back(std::move(c));
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
  // RFC 9260 §6.1 (D): at one send opportunity at most Max.Burst packets of new data beyond what is
  // in flight, so a large message on an idle association is not blasted out at a grown cwnd (receive
  // buffers of peers on a busy host overflow: a message on a no-retransmit channel is then lost).
  const size_t burst_cap = config_.max_burst ? flight_size_ + size_t(config_.max_burst) * config_.mtu : SIZE_MAX;
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
      d.i_data = i_data_;
      d.flags = c->flags;
      d.tsn = c->tsn;
      d.stream = c->stream;
      d.ssn = c->ssn;
      d.mid = c->mid;
      d.fsn = c->fsn;
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
    StreamQueues::iterator q;
    for (OutChunk* next; (next = next_to_send(q)) != nullptr;) {
      OutChunk& c = *next;
      // A message whose lifetime ran out in the queue still goes out once. RFC 3758 §4.1 TR3 would
      // drop it without a TSN; usrsctp (libdatachannel, Firefox; Godot's native WebRTC) checks
      // the lifetime only when a chunk is due for retransmission, and so do we (should_abandon
      // on fast retransmit and T3-rtx): a partially reliable channel whose sender is ahead of the
      // path by more than the lifetime still delivers what the path does not lose, instead of
      // almost nothing on 50-200 ms round trips.
      bool window_ok = flight_size_ == 0 || (flight_size_ + c.payload.size() <= std::min<size_t>(cwnd_, burst_cap) &&
                                             c.payload.size() <= peer_rwnd_);
      if (!window_ok) break;
      DataChunk d;
      StreamTx& st = tx_streams_[c.stream];
      StreamTx* tx = nullptr;
      if (i_data_) {
        // Fragments of one message follow each other in their stream's queue: all but the first
        // carry the MID the first one took (separate counters for ordered and unordered).
        tx = &st;
        const int u = (c.flags & DataChunk::kUnordered) ? 1 : 0;
        c.mid = (c.flags & DataChunk::kBeginning) ? tx->next_mid[u] : tx->sending_mid;
        d.i_data = true;
        d.mid = c.mid;
        d.fsn = c.fsn;
      }
      // DATA: the message's fragments go one after another (next_to_send keeps its stream's turn).
      const bool first = !i_data_ && !(c.flags & DataChunk::kUnordered) && (c.flags & DataChunk::kBeginning);
      if (!i_data_ && !(c.flags & DataChunk::kUnordered)) c.ssn = first ? next_ssn_[c.stream] : tx_ssn_;
      c.tsn = next_tsn_;
      d.flags = c.flags;
      d.tsn = c.tsn;
      d.stream = c.stream;
      d.ssn = c.ssn;
      d.ppid = c.ppid;
      d.payload = ByteView(c.payload);
      if (!d.add_to(b)) break;
      if (first) tx_ssn_ = next_ssn_[c.stream]++;
      if (tx && (c.flags & DataChunk::kBeginning)) tx->sending_mid = tx->next_mid[(c.flags & DataChunk::kUnordered) ? 1 : 0]++;
      if ((c.flags & (DataChunk::kBeginning | DataChunk::kEnd)) == DataChunk::kBeginning) {
        open_streams_.insert(c.stream);
        open_bytes_ += c.message_size;
      } else if ((c.flags & (DataChunk::kBeginning | DataChunk::kEnd)) == DataChunk::kEnd) {
        open_streams_.erase(c.stream);
        open_bytes_ -= std::min<size_t>(open_bytes_, c.message_size);
      }
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
      const uint32_t key = c.tsn - local_initial_tsn_;
      st.has_tsn = true;
      st.last_tsn = c.tsn;
      // The next fragment (I-DATA) or message (DATA) comes from the next stream with data.
      outstanding_.emplace(key, std::move(q->second.front()));
      q->second.pop_front();
      if (q->second.empty()) stream_queues_.erase(q);
      rr_next_ = uint16_t(stream + 1);
      buffered_fell(st, stream, n);
      any = true;
    }
    if (!any) break;
    const bool zero = zero_checksum_ok(chunk_type::kData);
    out_.push_back(b.finish(crypto_, zero));
    ++stats_.packets_out;
    if (zero) ++stats_.zero_checksum_out;
    if (t3_at_ == kNever) t3_at_ = now + rto_;
  }
  if (!streams_to_reset_.empty()) send_reconfig_request(now);
}

// The chunk that goes next: the front of the queue of the stream whose turn it is, the first
// stream with data from rr_next_ on (round robin, RFC 8260 §3.2). Without I-DATA a message's
// fragments need consecutive TSNs (RFC 9260 §6.9): the stream whose message is under way keeps
// the turn until its end goes, then the next stream's message follows. With I-DATA the turn
// passes after every fragment.
SctpAssociation::OutChunk* SctpAssociation::next_to_send(StreamQueues::iterator& it) {
  if (stream_queues_.empty()) return nullptr;
  if (!i_data_ && !open_streams_.empty()) {
    it = stream_queues_.find(*open_streams_.begin());
    if (it != stream_queues_.end()) return it->second.front().get();
    open_streams_.clear();  // its remaining fragments are gone (abandon_message clears it too)
    open_bytes_ = 0;
  }
  it = stream_queues_.lower_bound(rr_next_);
  if (it == stream_queues_.end()) it = stream_queues_.begin();
  OutChunk* c = it->second.front().get();
  if (!i_data_) return c;
  // A message of several fragments starts beside others only if the peer can hold all of them
  // half done (with what is unacknowledged) without its window closing on fragments that cannot
  // complete. Otherwise the started ones go on. Single-fragment messages always may.
  const bool starts = (c->flags & (DataChunk::kBeginning | DataChunk::kEnd)) == DataChunk::kBeginning;
  if (starts && !open_streams_.empty() && outstanding_bytes_ + open_bytes_ + c->message_size > peer_window_) {
    auto o = open_streams_.lower_bound(rr_next_);
    if (o == open_streams_.end()) o = open_streams_.begin();
    if (auto q = stream_queues_.find(*o); q != stream_queues_.end()) {
      it = q;
      c = q->second.front().get();
    }
  }
  return c;
}

bool SctpAssociation::queued_on(uint16_t stream) const { return stream_queues_.count(stream) > 0; }

size_t SctpAssociation::buffered_amount(uint16_t stream) const {
  auto it = tx_streams_.find(stream);
  return it == tx_streams_.end() ? 0 : it->second.buffered;
}

void SctpAssociation::set_buffered_amount_low_threshold(uint16_t stream, size_t bytes) {
  tx_streams_[stream].low_threshold = bytes;
}

// W3C bufferedamountlow semantics: one event per downward crossing of the threshold.
void SctpAssociation::buffered_fell(uint16_t stream, size_t bytes) { buffered_fell(tx_streams_[stream], stream, bytes); }

void SctpAssociation::buffered_fell(StreamTx& t, uint16_t stream, size_t bytes) {
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
    end->mid = sent_part->mid;
    end->fsn = sent_part->fsn + 1;
    end->ppid = sent_part->ppid;
    end->flags = uint8_t(DataChunk::kEnd | (sent_part->flags & DataChunk::kUnordered));
    end->assigned = true;
    end->abandoned = true;
    end->message_id = id;
    ++stats_.abandoned;
    StreamTx& st = tx_streams_[end->stream];
    st.has_tsn = true;
    st.last_tsn = end->tsn;
    outstanding_.emplace(end->tsn - local_initial_tsn_, std::move(end));
  }
  std::map<uint16_t, size_t> fell;
  bool dropped_first = false, dropped_end = false;
  if (auto q = stream_queues_.find(first.stream); q != stream_queues_.end()) {
    // The message's unsent fragments are at the front of its stream's queue.
    for (auto it = q->second.begin(); it != q->second.end();) {
      if ((*it)->message_id == id) {
        dropped_first |= ((*it)->flags & DataChunk::kBeginning) != 0;
        dropped_end |= ((*it)->flags & DataChunk::kEnd) != 0;
        buffered_ -= std::min(buffered_, (*it)->payload.size());
        fell[(*it)->stream] += (*it)->payload.size();
        it = q->second.erase(it);
      } else {
        ++it;
      }
    }
    if (q->second.empty()) stream_queues_.erase(q);
    if (dropped_end && !dropped_first) {  // it had started: no longer open
      open_streams_.erase(first.stream);
      open_bytes_ -= std::min<size_t>(open_bytes_, first.message_size);
    }
  }
  for (auto& [stream, n] : fell) buffered_fell(stream, n);
}

// The FORWARD-TSN (I-FORWARD-TSN) the peer needs now: over the abandoned chunks that directly
// follow the cumulative ack (RFC 3758 §3.5 C1), serialized into `value`. Returns its new
// cumulative TSN, last_cum_ack_ when there is nothing to skip (and `value` is left empty).
uint32_t SctpAssociation::forward_tsn_value(std::vector<uint8_t>& value) const {
  uint32_t point = last_cum_ack_;
  ForwardTsnChunk f;
  f.i_forward = i_data_;
  std::map<uint16_t, uint16_t> skipped;
  std::map<std::pair<uint16_t, bool>, uint32_t> skipped_mids;  // I-FORWARD-TSN: (stream, U) -> MID
  for (auto& [k, c] : outstanding_) {
    (void)k;
    if (c->tsn != point + 1 || !c->abandoned) break;
    point = c->tsn;
    const bool unordered = c->flags & DataChunk::kUnordered;
    if (i_data_) {
      // RFC 8260 §2.3.1: the largest skipped MID per stream, ordered and unordered apart.
      auto [it, fresh] = skipped_mids.emplace(std::make_pair(c->stream, unordered), c->mid);
      if (!fresh && int32_t(c->mid - it->second) > 0) it->second = c->mid;
    } else if (!unordered) {
      auto it = skipped.find(c->stream);
      if (it == skipped.end() || int16_t(c->ssn - it->second) > 0) skipped[c->stream] = c->ssn;
    }
  }
  value.clear();
  if (!tsn_lt(last_cum_ack_, point)) return last_cum_ack_;
  f.new_cumulative_tsn = point;
  for (auto& [stream, ssn] : skipped) f.skipped.push_back({stream, false, ssn});
  for (auto& [key, mid] : skipped_mids) f.skipped.push_back({key.first, key.second, mid});
  f.serialize(value);
  return point;
}

void SctpAssociation::forward_tsn_sent(Timestamp now, uint32_t point) {
  advanced_ack_point_ = point;
  forward_tsn_at_ = now;
  ++stats_.forward_tsn_out;
  if (t3_at_ == kNever) t3_at_ = now + rto_;  // C5: a T3-rtx timer runs while it is unanswered
}

void SctpAssociation::maybe_forward_tsn(Timestamp now, bool timer) {
  if (!forward_tsn_pending_) return;
  forward_tsn_pending_ = false;
  std::vector<uint8_t> v;
  const uint32_t point = forward_tsn_value(v);
  if (v.empty()) return;
  // The same point again (a duplicate): SACKs sent before our last FORWARD-TSN reached the peer
  // still show the old cumulative TSN, and a peer acknowledging a steady stream of other data sends
  // many, so repeating it on each would flood the path. RFC 3758 §3.5 F2 (implementation note):
  // wait a full RTT before a duplicate; its loss is repaired by that or by T3-rtx (A5, `timer`).
  // A point that moved further goes at once (C3). I-FORWARD-TSN alike (RFC 8260 §2.3).
  if (!timer && forward_tsn_at_ != kNever && point == advanced_ack_point_ &&
      now - forward_tsn_at_ < (rtt_measured_ ? srtt_ : rto_)) {
    return;
  }
  send_control(i_data_ ? chunk_type::kIForwardTsn : chunk_type::kForwardTsn, 0, ByteView(v), peer_tag_);
  forward_tsn_sent(now, point);
}

void SctpAssociation::on_t3_expiry(Timestamp now) {
  ++stats_.t3_expiries;
  // §6.3.3: back off, collapse the window, retransmit everything outstanding.
  rto_ = std::min(rto_ * 2, config_.rto_max);
  ssthresh_ = std::max<uint32_t>(cwnd_ / 2, uint32_t(4 * config_.mtu));
  cwnd_ = uint32_t(4 * config_.mtu);  // DESIGN: minimum 4 MTU after loss
  resend_outstanding(now);
}

void SctpAssociation::resend_outstanding(Timestamp now) {
  partial_bytes_acked_ = 0;
  fast_recovery_ = false;
  for (auto& [k, c] : outstanding_) {
    (void)k;
    if (c->acked || c->abandoned) continue;
    if (should_abandon(now, *c)) {
      abandon_message(*c);
      continue;
    }
    c->retransmit = true;  // §6.1 rule (A): retransmissions first, within cwnd
    retransmit_pending_ = true;
    if (c->in_flight) {
      flight_size_ -= std::min(flight_size_, c->payload.size());
      c->in_flight = false;
    }
  }
  // A FORWARD-TSN that was lost is sent again on the timer (RFC 3758 §3.5 C3).
  if (!outstanding_.empty() && outstanding_.begin()->second->abandoned) forward_tsn_pending_ = true;
  maybe_forward_tsn(now, /*timer=*/true);
  t3_at_ = kNever;
  transmit_data(now);
  if (t3_at_ == kNever && !outstanding_.empty()) t3_at_ = now + rto_;
}

void SctpAssociation::path_changed(Timestamp now, Duration path_rtt) {
  if (state_ != State::kEstablished && state_ != State::kShutdownPending) return;
  // As for a destination never used (RFC 9260 §6.3.1 C1, §7.2.1): no RTT measurement, the initial window.
  rtt_measured_ = false;
  srtt_ = rttvar_ = 0;
  rto_ = path_rtt > 0 ? std::clamp<Duration>(3 * path_rtt, config_.rto_min, config_.rto_max) : config_.rto_initial;
  cwnd_ = uint32_t(10 * config_.mtu);  // DESIGN: initial cwnd 10 MTU
  resend_outstanding(now);
}

}  // namespace wasmrtc::sctp
