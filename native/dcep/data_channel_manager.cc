#include "dcep/data_channel_manager.h"

namespace wasmrtc::dcep {

namespace {
constexpr int kMaxStream = 65534;
}

DataChannelManager::DataChannelManager(sctp::SctpAssociation& association, bool dtls_client)
    : assoc_(association), dtls_client_(dtls_client) {}

uint32_t DataChannelManager::by_stream(uint16_t stream) const {
  for (const auto& [h, c] : channels_) {
    if (c.stream == stream && c.state != ChannelState::kClosed) return h;
  }
  return kNoChannel;
}

uint32_t DataChannelManager::create(Timestamp now, const ChannelOptions& o) {
  if (o.max_retransmits >= 0 && o.max_lifetime_ms >= 0) return kNoChannel;
  if (o.negotiated != (o.id >= 0) || o.id > kMaxStream || o.label.size() > 65535 || o.protocol.size() > 65535) {
    return kNoChannel;
  }
  if (o.negotiated && by_stream(uint16_t(o.id)) != kNoChannel) return kNoChannel;
  Channel c;
  c.options = o;
  if (o.negotiated) c.stream = o.id;
  uint32_t h = next_handle_++;
  auto& ch = channels_[h] = c;
  if (ch.stream >= 0) bind_stream(ch);
  if (up_) {
    if (ch.options.negotiated) {
      ch.state = ChannelState::kOpen;
      events_.push_back({ChannelEvent::Type::kOpen, h, {}, false});
    } else if (assign_stream(ch)) {
      send_open(now, ch);
    }
  }
  return h;
}

bool DataChannelManager::assign_stream(Channel& c) {
  // RFC 8832 §6: the DTLS client uses even stream ids, the server odd ones.
  for (int s = dtls_client_ ? 0 : 1; s <= kMaxStream; s += 2) {
    if (by_stream(uint16_t(s)) == kNoChannel) {
      c.stream = s;
      bind_stream(c);
      return true;
    }
  }
  return false;
}

sctp::SendOptions DataChannelManager::send_options(const Channel& c) const {
  sctp::SendOptions o;
  o.ordered = c.options.ordered;
  o.max_retransmits = c.options.max_retransmits;
  o.lifetime_ms = c.options.max_lifetime_ms;
  return o;
}

void DataChannelManager::send_open(Timestamp now, Channel& c) {
  OpenMessage m;
  const bool ordered = c.options.ordered;
  if (c.options.max_retransmits >= 0) {
    m.channel_type = ordered ? ChannelType::kPartialReliableRexmit : ChannelType::kPartialReliableRexmitUnordered;
    m.reliability = uint32_t(c.options.max_retransmits);
  } else if (c.options.max_lifetime_ms >= 0) {
    m.channel_type = ordered ? ChannelType::kPartialReliableTimed : ChannelType::kPartialReliableTimedUnordered;
    m.reliability = uint32_t(c.options.max_lifetime_ms);
  } else {
    m.channel_type = ordered ? ChannelType::kReliable : ChannelType::kReliableUnordered;
  }
  m.priority = c.options.priority;
  m.label = c.options.label;
  m.protocol = c.options.protocol;
  auto bytes = m.serialize();
  // RFC 8832 §6: DCEP messages are sent reliably and ordered.
  assoc_.send(now, uint16_t(c.stream), ppid::kDcep, ByteView(bytes), true);
}

void DataChannelManager::on_association_up(Timestamp now) {
  if (up_) return;
  up_ = true;
  for (auto& [h, c] : channels_) {
    if (c.state != ChannelState::kConnecting) continue;
    if (c.options.negotiated) {
      c.state = ChannelState::kOpen;
      events_.push_back({ChannelEvent::Type::kOpen, h, {}, false});
    } else if (c.stream < 0 && assign_stream(c)) {
      send_open(now, c);
    }
  }
}

// A stream starts each channel with that channel's threshold (ids are reused after a close).
void DataChannelManager::bind_stream(Channel& c) {
  assoc_.set_buffered_amount_low_threshold(uint16_t(c.stream), c.low_threshold);
}

void DataChannelManager::start_closing(uint32_t handle, Channel& c) {
  c.state = ChannelState::kClosing;
  events_.push_back({ChannelEvent::Type::kClosing, handle, {}, false});
}

void DataChannelManager::handle(Timestamp now, sctp::SctpEvent&& e) {
  if (e.type == sctp::SctpEvent::Type::kConnected) {
    on_association_up(now);
    return;
  }
  if (e.type == sctp::SctpEvent::Type::kBufferedAmountLow) {
    uint32_t h = by_stream(e.message.stream);
    if (h == kNoChannel) return;
    const Channel& c = channels_[h];
    if (c.app_sent && c.state != ChannelState::kClosed) {
      events_.push_back({ChannelEvent::Type::kBufferedAmountLow, h, {}, false});
    }
    return;
  }
  if (e.type == sctp::SctpEvent::Type::kStreamReset) {
    uint32_t h = by_stream(e.message.stream);
    if (h == kNoChannel) return;
    Channel& c = channels_[h];
    if (e.reason == "incoming") {
      c.remote_reset_done = true;
      // The peer closed: close our side too (RFC 8831 §6.7).
      if (!c.local_reset_done && c.state != ChannelState::kClosing) {
        start_closing(h, c);
        assoc_.reset_stream(now, uint16_t(c.stream));
      }
    } else {
      c.local_reset_done = true;
    }
    if (c.local_reset_done && c.remote_reset_done && c.state != ChannelState::kClosed) {
      c.state = ChannelState::kClosed;
      events_.push_back({ChannelEvent::Type::kClosed, h, {}, false});
    }
    return;
  }
  if (e.type == sctp::SctpEvent::Type::kClosed || e.type == sctp::SctpEvent::Type::kAborted) {
    for (auto& [h, c] : channels_) {
      if (c.state == ChannelState::kClosed) continue;
      c.state = ChannelState::kClosed;
      events_.push_back({ChannelEvent::Type::kClosed, h, {}, false});
    }
    return;
  }
  if (e.type != sctp::SctpEvent::Type::kMessage) return;
  sctp::SctpMessage& m = e.message;
  uint32_t h = by_stream(m.stream);
  if (m.ppid == ppid::kDcep) {
    assoc_.consume(now, m.data.size());  // control messages never reach the application
    OpenMessage open;
    if (OpenMessage::parse(ByteView(m.data), open)) {
      if (h != kNoChannel) return;  // a stream already in use: ignore (RFC 8832 §6)
      Channel c;
      c.stream = m.stream;
      bind_stream(c);
      c.state = ChannelState::kOpen;
      c.options.label = open.label;
      c.options.protocol = open.protocol;
      c.options.priority = open.priority;
      c.options.ordered = open.ordered();
      uint8_t kind = uint8_t(open.channel_type) & 0x7F;
      if (kind == 0x01) c.options.max_retransmits = int(open.reliability);
      if (kind == 0x02) c.options.max_lifetime_ms = int(open.reliability);
      uint32_t nh = next_handle_++;
      channels_[nh] = c;
      auto ack = ack_message();
      assoc_.send(now, m.stream, ppid::kDcep, ByteView(ack), true);
      events_.push_back({ChannelEvent::Type::kRemoteCreated, nh, {}, false});
      events_.push_back({ChannelEvent::Type::kOpen, nh, {}, false});
    } else if (is_ack(ByteView(m.data)) && h != kNoChannel) {
      Channel& c = channels_[h];
      if (c.state == ChannelState::kConnecting) {
        c.state = ChannelState::kOpen;
        events_.push_back({ChannelEvent::Type::kOpen, h, {}, false});
      }
    }
    return;
  }
  if (h == kNoChannel) {
    assoc_.consume(now, m.data.size());  // nobody will read it
    return;
  }
  Channel& c = channels_[h];
  if (c.state == ChannelState::kConnecting) {
    // RFC 8832 §6: data after the OPEN implies the peer saw it; treat as the ACK.
    c.state = ChannelState::kOpen;
    events_.push_back({ChannelEvent::Type::kOpen, h, {}, false});
  }
  bool is_string = m.ppid == ppid::kString || m.ppid == ppid::kStringEmpty;
  bool empty = m.ppid == ppid::kStringEmpty || m.ppid == ppid::kBinaryEmpty;
  if (empty) assoc_.consume(now, m.data.size());  // the placeholder byte (RFC 8831 §6.6)
  ChannelEvent ev{ChannelEvent::Type::kMessage, h, empty ? std::vector<uint8_t>() : std::move(m.data), is_string};
  events_.push_back(std::move(ev));
}

sctp::SendResult DataChannelManager::send(Timestamp now, uint32_t channel, ByteView data, bool is_string) {
  auto it = channels_.find(channel);
  if (it == channels_.end() || it->second.state != ChannelState::kOpen || it->second.stream < 0) {
    return sctp::SendResult::kNotConnected;
  }
  it->second.app_sent = true;
  // RFC 8831 §6.6: an empty message travels as one byte with the "empty" PPID.
  static const uint8_t kZero = 0;
  if (data.empty()) {
    return assoc_.send(now, uint16_t(it->second.stream), is_string ? ppid::kStringEmpty : ppid::kBinaryEmpty,
                       ByteView(&kZero, 1), send_options(it->second));
  }
  return assoc_.send(now, uint16_t(it->second.stream), is_string ? ppid::kString : ppid::kBinary, data,
                     send_options(it->second));
}

void DataChannelManager::close(Timestamp now, uint32_t channel) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  Channel& c = it->second;
  if (c.state == ChannelState::kClosed || c.state == ChannelState::kClosing) return;
  start_closing(channel, c);
  if (c.stream < 0 || !up_) {
    c.state = ChannelState::kClosed;
    events_.push_back({ChannelEvent::Type::kClosed, channel, {}, false});
    return;
  }
  assoc_.reset_stream(now, uint16_t(c.stream));
}

void DataChannelManager::consume(Timestamp now, size_t bytes) { assoc_.consume(now, bytes); }

size_t DataChannelManager::buffered_amount(uint32_t channel) const {
  auto it = channels_.find(channel);
  if (it == channels_.end() || it->second.stream < 0 || !it->second.app_sent) return 0;
  return assoc_.buffered_amount(uint16_t(it->second.stream));
}

void DataChannelManager::set_buffered_amount_low_threshold(uint32_t channel, size_t bytes) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  it->second.low_threshold = bytes;
  if (it->second.stream >= 0 && it->second.state != ChannelState::kClosed) bind_stream(it->second);
}

bool DataChannelManager::poll_event(ChannelEvent& out) {
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

ChannelState DataChannelManager::state(uint32_t channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? ChannelState::kClosed : it->second.state;
}

int DataChannelManager::stream_id(uint32_t channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? -1 : it->second.stream;
}

const ChannelOptions* DataChannelManager::options(uint32_t channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : &it->second.options;
}

}  // namespace wasmrtc::dcep
