// Receiving side of SctpAssociation: DATA acceptance against the window, reassembly and
// delivery, SACKs, the window the application's reading opens, FORWARD-TSN (RFC 9260 §6, RFC 3758).
#include <algorithm>
#include <cstring>

#include "sctp/socket/sctp_association.h"
#include "sctp/socket/sctp_association_internal.h"

namespace wasmrtc::sctp {

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
  if (i_data_) {
    handle_idata(d, *rx);  // stores the fragment and delivers what it completes
  } else {
    rx->fragments.emplace(off, InMessage{d.tsn, d.flags, d.ssn, d.ppid, d.payload.to_vector()});
    if (d.flags & DataChunk::kEnd) ++rx->ends;
    unread_bytes_ += d.payload.size;
  }
  // §6.7: a TSN out of order, or one that fills (part of) a hole, is reported at once.
  bool gap = d.tsn != cum_tsn_in_ + 1 || !above_cum_.empty();
  above_cum_.insert(off);
  while (!above_cum_.empty() && *above_cum_.begin() == uint32_t(cum_tsn_in_ + 1 - peer_initial_tsn_)) {
    above_cum_.erase(above_cum_.begin());
    ++cum_tsn_in_;
  }
  if (gap || !above_cum_.empty()) sack_now_ = true;  // §6.7: report gaps at once
  if (!i_data_) deliver_arrived(d.stream, off);
  perform_pending_resets();
}

// RFC 8260 §2.1: an I-DATA fragment belongs to the message (stream, U flag, MID) at position FSN
// (the first one, with the B bit, is FSN 0 and carries the PPID instead). Fragments that cannot
// belong to a consistent message (a second end, past the end, duplicates) are dropped; the TSN
// still counts as received.
void SctpAssociation::handle_idata(const DataChunk& d, StreamRx& rx) {
  const int u = (d.flags & DataChunk::kUnordered) ? 1 : 0;
  const bool begin = d.flags & DataChunk::kBeginning, end = d.flags & DataChunk::kEnd;
  if (!u && int32_t(d.mid - rx.next_mid) < 0) return;  // delivered or skipped already
  const uint32_t fsn = begin ? 0 : d.fsn;
  if (!begin && fsn == 0) return;
  auto [it, fresh] = rx.imessages[u].try_emplace(d.mid);
  IMessage& m = it->second;
  const bool dup = fsn < m.next_fsn || m.later.count(fsn);
  const bool past_end = m.have_end && (fsn > m.end_fsn || (end && fsn != m.end_fsn));
  const bool early_end = end && !m.have_end &&
                         (fsn + 1 < m.next_fsn || (!m.later.empty() && m.later.rbegin()->first > fsn));
  if (dup || past_end || early_end) {
    if (fresh) rx.imessages[u].erase(it);
    return;
  }
  if (fresh || tsn_lt(d.tsn, m.first_tsn)) m.first_tsn = d.tsn;
  if (begin) m.ppid = d.ppid;
  if (end) {
    m.have_end = true;
    m.end_fsn = fsn;
  }
  if (fsn == m.next_fsn) {
    m.data.insert(m.data.end(), d.payload.begin(), d.payload.end());
    ++m.next_fsn;
    for (auto l = m.later.begin(); l != m.later.end() && l->first == m.next_fsn; l = m.later.erase(l)) {
      m.data.insert(m.data.end(), l->second.begin(), l->second.end());
      ++m.next_fsn;
    }
  } else {
    m.later.emplace(fsn, d.payload.to_vector());
  }
  m.bytes += d.payload.size;
  unread_bytes_ += d.payload.size;
  if (!m.complete()) return;
  if (u) {
    deliver_imessage(d.stream, rx, true, d.mid);  // unordered: as soon as it is whole
  } else if (d.mid == rx.next_mid) {
    deliver_ordered_imessages(d.stream, rx);
  }
}

void SctpAssociation::deliver_imessage(uint16_t stream, StreamRx& rx, bool unordered, uint32_t mid) {
  auto it = rx.imessages[unordered].find(mid);
  SctpMessage msg;
  msg.stream = stream;
  msg.ppid = it->second.ppid;
  msg.data = std::move(it->second.data);
  const size_t total = it->second.bytes;
  rx.imessages[unordered].erase(it);
  unread_bytes_ -= std::min(unread_bytes_, total);
  if (config_.app_owns_delivered) delivered_unread_ += total;  // counts until consume()
  events_.push_back({SctpEvent::Type::kMessage, std::move(msg), {}});
}

// Ordered I-DATA messages go out by MID, each once it is whole and all before it have gone.
void SctpAssociation::deliver_ordered_imessages(uint16_t stream, StreamRx& rx) {
  for (auto it = rx.imessages[0].find(rx.next_mid); it != rx.imessages[0].end() && it->second.complete();
       it = rx.imessages[0].find(rx.next_mid)) {
    deliver_imessage(stream, rx, false, rx.next_mid);
    ++rx.next_mid;
  }
}

// RFC 8260 §2.3.2: the I-FORWARD-TSN names per stream and U flag the last MID given up. Ordered:
// the stream moves past it and what waited behind it may go. Unordered: that message and earlier
// ones are dropped (a sender finishes or gives up a stream's messages in order, so none of them
// can still complete). Entries from before the stream's last reset are stale and ignored.
void SctpAssociation::skip_mids(const ForwardTsnChunk& f) {
  for (const auto& s : f.skipped) {
    auto& rx = rx_[s.stream];
    if (!rx) rx = std::make_unique<StreamRx>();
    if (rx->was_reset && tsn_le(f.new_cumulative_tsn, rx->reset_tsn)) continue;
    auto& msgs = rx->imessages[s.unordered ? 1 : 0];
    if (!s.unordered) {
      const uint32_t next = s.ssn_or_mid + 1;
      if (int32_t(next - rx->next_mid) <= 0) continue;
      rx->next_mid = next;
    }
    for (auto it = msgs.begin(); it != msgs.end();) {
      if (int32_t(it->first - s.ssn_or_mid) <= 0) {
        unread_bytes_ -= std::min(unread_bytes_, it->second.bytes);
        it = msgs.erase(it);
      } else {
        ++it;
      }
    }
    if (!s.unordered) deliver_ordered_imessages(s.stream, *rx);
  }
}

// RFC 6525 §5.2.2: a reset that was "in progress" is performed once everything up to the
// request's last TSN has arrived (by DATA or by FORWARD-TSN).
void SctpAssociation::perform_pending_resets() {
  for (auto it = pending_incoming_resets_.begin(); it != pending_incoming_resets_.end();) {
    if (tsn_lt(cum_tsn_in_, it->last_tsn)) {
      ++it;
      continue;
    }
    perform_incoming_reset(it->streams, it->last_tsn);
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

void SctpAssociation::handle_forward_tsn(Timestamp now, const ForwardTsnChunk& f) {
  (void)now;
  ++stats_.forward_tsn_in;
  if (!tsn_lt(cum_tsn_in_, f.new_cumulative_tsn)) {
    sack_now_ = true;  // an old or duplicate FORWARD-TSN is answered with a SACK (RFC 3758 §3.6)
    // Its skip list is still safe to honour (SSNs only move forward): a sender that cut a
    // message short without giving its end a TSN relies on it.
    if (i_data_) {
      skip_mids(f);
    } else {
      skip_ssns(f);
    }
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
  if (i_data_) {
    // With I-DATA a message's TSNs are not consecutive: fragments below the new point may belong
    // to a message that still completes, so only the skip list drops anything.
    skip_mids(f);
    perform_pending_resets();
    sack_now_ = true;
    return;
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

}  // namespace wasmrtc::sctp
