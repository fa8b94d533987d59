#include "dcep/data_channel_manager.h"

#include <gtest/gtest.h>

#include <memory>

namespace wasmrtc::dcep {
namespace {

// Two associations, each with a channel manager, over a lossless in-memory link on virtual time.
struct Pair {
  std::unique_ptr<sctp::SctpAssociation> a, b;
  std::unique_ptr<DataChannelManager> ma, mb;
  Timestamp now = 0;
  std::vector<ChannelEvent> ea, eb;

  Pair() {
    a = std::make_unique<sctp::SctpAssociation>(crypto::default_provider(), sctp::SctpConfig{});
    b = std::make_unique<sctp::SctpAssociation>(crypto::default_provider(), sctp::SctpConfig{});
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

}  // namespace
}  // namespace wasmrtc::dcep
