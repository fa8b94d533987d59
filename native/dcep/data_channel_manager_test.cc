#include "dcep/data_channel_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

namespace wasmrtc::dcep {
namespace {

// Two associations, each with a channel manager, over a lossless in-memory link on virtual time.
struct Pair {
  std::unique_ptr<sctp::SctpAssociation> a, b;
  std::unique_ptr<DataChannelManager> ma, mb;
  Timestamp now = 0;
  std::vector<ChannelEvent> ea, eb;

  explicit Pair(sctp::SctpConfig cfg = {}) {
    a = std::make_unique<sctp::SctpAssociation>(crypto::default_provider(), cfg);
    b = std::make_unique<sctp::SctpAssociation>(crypto::default_provider(), cfg);
    ma = std::make_unique<DataChannelManager>(*a, /*dtls_client=*/true);
    mb = std::make_unique<DataChannelManager>(*b, /*dtls_client=*/false);
  }
  void step() {
    for (int i = 0; i < 50; ++i) {
      bool any = false;
      std::vector<uint8_t> d;
      while (a->poll_transmit(d)) {
        b->handle_packet(now, ByteView(d));
        any = true;
      }
      while (b->poll_transmit(d)) {
        a->handle_packet(now, ByteView(d));
        any = true;
      }
      sctp::SctpEvent e;
      while (a->poll_event(e)) ma->handle(now, e);
      while (b->poll_event(e)) mb->handle(now, e);
      ChannelEvent c;
      while (ma->poll_event(c)) ea.push_back(c);
      while (mb->poll_event(c)) eb.push_back(c);
      if (!any) {
        Timestamp next = std::min(a->next_deadline(), b->next_deadline());
        if (next == kNever || next > now + seconds(1)) return;
        now = next;
        a->handle_timeout(now);
        b->handle_timeout(now);
      }
    }
  }
  void connect() {
    a->connect(now);
    b->connect(now);
    for (int i = 0; i < 20; ++i) step();
  }
};

TEST(DataChannelManager, InBandChannelOpensOnBothSidesWithRoleParity) {
  Pair p;
  ChannelOptions o;
  o.label = "chat";
  o.protocol = "json";
  o.ordered = false;
  o.max_retransmits = 2;
  uint32_t h = p.ma->create(p.now, o);
  ASSERT_NE(h, DataChannelManager::kNoChannel);
  p.connect();
  EXPECT_EQ(p.ma->state(h), ChannelState::kOpen);
  EXPECT_EQ(p.ma->stream_id(h) % 2, 0);  // DTLS client: even ids
  ASSERT_GE(p.eb.size(), 2u);
  EXPECT_EQ(p.eb[0].type, ChannelEvent::Type::kRemoteCreated);
  uint32_t rh = p.eb[0].channel;
  const ChannelOptions* ro = p.mb->options(rh);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->label, "chat");
  EXPECT_EQ(ro->protocol, "json");
  EXPECT_FALSE(ro->ordered);
  EXPECT_EQ(ro->max_retransmits, 2);
  // Server-side channels take odd ids.
  ChannelOptions o2;
  o2.label = "back";
  uint32_t h2 = p.mb->create(p.now, o2);
  for (int i = 0; i < 10; ++i) p.step();
  EXPECT_EQ(p.mb->stream_id(h2) % 2, 1);
  EXPECT_EQ(p.mb->state(h2), ChannelState::kOpen);
}

TEST(DataChannelManager, MessagesKeepTextBinaryAndEmpty) {
  Pair p;
  ChannelOptions o;
  o.negotiated = true;
  o.id = 1;
  uint32_t ha = p.ma->create(p.now, o);
  uint32_t hb = p.mb->create(p.now, o);
  p.connect();
  ASSERT_EQ(p.ma->state(ha), ChannelState::kOpen);
  const uint8_t text[] = {'h', 'i', 0, 'x'};
  ASSERT_EQ(p.ma->send(p.now, ha, ByteView(text, 4), true), sctp::SendResult::kOk);
  ASSERT_EQ(p.ma->send(p.now, ha, ByteView(), true), sctp::SendResult::kOk);
  ASSERT_EQ(p.ma->send(p.now, ha, ByteView(), false), sctp::SendResult::kOk);
  const uint8_t bin[] = {0xff, 0};
  ASSERT_EQ(p.ma->send(p.now, ha, ByteView(bin, 2), false), sctp::SendResult::kOk);
  for (int i = 0; i < 10; ++i) p.step();
  std::vector<ChannelEvent> msgs;
  for (auto& e : p.eb) {
    if (e.type == ChannelEvent::Type::kMessage && e.channel == hb) msgs.push_back(e);
  }
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0].data, std::vector<uint8_t>(text, text + 4));  // bytes unchanged, NUL kept
  EXPECT_TRUE(msgs[0].is_string);
  EXPECT_TRUE(msgs[1].data.empty());
  EXPECT_TRUE(msgs[1].is_string);
  EXPECT_TRUE(msgs[2].data.empty());
  EXPECT_FALSE(msgs[2].is_string);
  EXPECT_EQ(msgs[3].data, std::vector<uint8_t>(bin, bin + 2));
  EXPECT_FALSE(msgs[3].is_string);
}

TEST(DataChannelManager, CloseResetsTheStreamOnBothSides) {
  Pair p;
  ChannelOptions o;
  o.label = "x";
  uint32_t h = p.ma->create(p.now, o);
  p.connect();
  uint32_t rh = p.eb[0].channel;
  p.ma->close(p.now, h);
  for (int i = 0; i < 20; ++i) p.step();
  EXPECT_EQ(p.ma->state(h), ChannelState::kClosed);
  EXPECT_EQ(p.mb->state(rh), ChannelState::kClosed);
  bool closed_a = false, closed_b = false;
  for (auto& e : p.ea) closed_a |= e.type == ChannelEvent::Type::kClosed && e.channel == h;
  for (auto& e : p.eb) closed_b |= e.type == ChannelEvent::Type::kClosed && e.channel == rh;
  EXPECT_TRUE(closed_a && closed_b);
  // The id is free again for a new channel.
  uint32_t h2 = p.ma->create(p.now, o);
  for (int i = 0; i < 10; ++i) p.step();
  EXPECT_EQ(p.ma->stream_id(h2), p.ma->stream_id(h));
  EXPECT_EQ(p.ma->state(h2), ChannelState::kOpen);
}

TEST(DataChannelManager, InvalidOptionsAreRefused) {
  Pair p;
  ChannelOptions both;
  both.max_retransmits = 1;
  both.max_lifetime_ms = 1;
  EXPECT_EQ(p.ma->create(0, both), DataChannelManager::kNoChannel);
  ChannelOptions neg_no_id;
  neg_no_id.negotiated = true;
  EXPECT_EQ(p.ma->create(0, neg_no_id), DataChannelManager::kNoChannel);
  ChannelOptions id_no_neg;
  id_no_neg.id = 3;
  EXPECT_EQ(p.ma->create(0, id_no_neg), DataChannelManager::kNoChannel);
  ChannelOptions dup;
  dup.negotiated = true;
  dup.id = 9;
  EXPECT_NE(p.ma->create(0, dup), DataChannelManager::kNoChannel);
  EXPECT_EQ(p.ma->create(0, dup), DataChannelManager::kNoChannel);
  EXPECT_EQ(p.ma->send(0, 12345, ByteView(), false), sctp::SendResult::kNotConnected);
}

std::vector<ChannelEvent::Type> types_for(const std::vector<ChannelEvent>& events, uint32_t channel) {
  std::vector<ChannelEvent::Type> t;
  for (auto& e : events) {
    if (e.channel == channel) t.push_back(e.type);
  }
  return t;
}

TEST(DataChannelManager, ClosingIsReportedBeforeClosedOnBothSides) {
  Pair p;
  ChannelOptions o;
  o.label = "x";
  uint32_t h = p.ma->create(p.now, o);
  p.connect();
  uint32_t rh = p.eb[0].channel;
  p.ma->close(p.now, h);
  EXPECT_EQ(p.ma->state(h), ChannelState::kClosing);
  for (int i = 0; i < 20; ++i) p.step();
  using T = ChannelEvent::Type;
  EXPECT_EQ(types_for(p.ea, h), (std::vector<T>{T::kOpen, T::kClosing, T::kClosed}));
  // The remote learns of it from the incoming stream reset.
  EXPECT_EQ(types_for(p.eb, rh), (std::vector<T>{T::kRemoteCreated, T::kOpen, T::kClosing, T::kClosed}));
  // A channel closed before it had a stream still reports both.
  Pair q;
  uint32_t qh = q.ma->create(q.now, o);
  q.ma->close(q.now, qh);
  ChannelEvent e;
  std::vector<T> seen;
  while (q.ma->poll_event(e)) seen.push_back(e.type);
  EXPECT_EQ(seen, (std::vector<T>{T::kClosing, T::kClosed}));
}

TEST(DataChannelManager, BufferedAmountPerChannelAndLowEvents) {
  Pair p;
  ChannelOptions o;
  o.label = "bulk";
  uint32_t h = p.ma->create(p.now, o);
  ChannelOptions o2;
  o2.label = "other";
  uint32_t h2 = p.ma->create(p.now, o2);
  p.connect();
  ASSERT_EQ(p.ma->state(h), ChannelState::kOpen);
  using T = ChannelEvent::Type;
  auto lows = [&](uint32_t c) {
    auto t = types_for(p.ea, c);
    return std::count(t.begin(), t.end(), T::kBufferedAmountLow);
  };
  EXPECT_EQ(lows(h), 0);  // the DCEP OPEN is not the application's data
  EXPECT_EQ(p.ma->buffered_amount(h), 0u);
  // Threshold 0 and a single message: one event.
  const uint8_t one[1] = {1};
  ASSERT_EQ(p.ma->send(p.now, h, ByteView(one, 1), false), sctp::SendResult::kOk);
  p.step();
  EXPECT_EQ(lows(h), 1);
  EXPECT_EQ(lows(h2), 0);
  // A large message is held back by cwnd; the threshold event fires once it drains below it.
  p.ma->set_buffered_amount_low_threshold(h, 20000);
  std::vector<uint8_t> big(150000, 2);
  ASSERT_EQ(p.ma->send(p.now, h, ByteView(big), false), sctp::SendResult::kOk);
  EXPECT_GT(p.ma->buffered_amount(h), 20000u);
  EXPECT_EQ(p.ma->buffered_amount(h2), 0u);
  for (int i = 0; i < 20; ++i) p.step();
  EXPECT_EQ(p.ma->buffered_amount(h), 0u);
  EXPECT_EQ(lows(h), 2);
  EXPECT_EQ(p.ma->buffered_amount(12345), 0u);  // unknown handle
}

TEST(DataChannelManager, ConsumeOpensTheWindowAndControlMessagesNeedNoReader) {
  sctp::SctpConfig cfg;
  cfg.app_owns_delivered = true;
  cfg.receive_window = 20000;
  Pair p(cfg);
  ChannelOptions o;
  o.label = "r";
  uint32_t h = p.ma->create(p.now, o);
  p.connect();
  ASSERT_EQ(p.ma->state(h), ChannelState::kOpen);
  std::vector<uint8_t> m(3000, 7);
  for (int i = 0; i < 12; ++i) ASSERT_EQ(p.ma->send(p.now, h, ByteView(m), false), sctp::SendResult::kOk);
  ASSERT_EQ(p.ma->send(p.now, h, ByteView(), true), sctp::SendResult::kOk);  // an empty message
  for (int i = 0; i < 20; ++i) p.step();
  auto received = [&] {
    size_t n = 0, bytes = 0;
    for (auto& e : p.eb) {
      if (e.type == ChannelEvent::Type::kMessage) {
        ++n;
        bytes += e.data.size();
      }
    }
    return std::make_pair(n, bytes);
  };
  // The unread messages hold the 20000-byte window: the rest waits at the sender.
  auto [n1, bytes1] = received();
  EXPECT_LT(n1, 13u);
  EXPECT_LE(bytes1, 20000u + 1200u);
  EXPECT_GT(p.ma->buffered_amount(h), 0u);
  // The application reads what it has (and then everything that comes).
  size_t consumed = bytes1;
  p.mb->consume(p.now, bytes1);
  for (int round = 0; round < 50 && received().first < 13; ++round) {
    p.step();
    auto [n, bytes] = received();
    p.mb->consume(p.now, bytes - consumed);
    consumed = bytes;
  }
  EXPECT_EQ(received().first, 13u);
  EXPECT_EQ(received().second, 12u * 3000u);
  // DCEP OPEN/ACK and the empty message's placeholder byte did not stay behind.
  EXPECT_EQ(p.b->received_bytes_held(), 0u);
  EXPECT_EQ(p.a->received_bytes_held(), 0u);
}

}  // namespace
}  // namespace wasmrtc::dcep
