// Two peer connections, each hosted by its own endpoint, over an in-memory
// link on virtual time: offer/answer with trickled candidates, ICE → DTLS →
// SCTP, channels of every kind, close. The endpoint's demultiplexing is part
// of what is tested (STUN by ufrag, DTLS by learned route).
#include "peer/peer_connection.h"

#include <gtest/gtest.h>

#include <random>

#include "endpoint/endpoint.h"
#include "peer/peer_test_net.h"

namespace wasmrtc::peer {
namespace {


TEST(PeerConnection, OfferAnswerTrickleConnectAndExchange) {
  Net n;
  uint32_t na = n.a.pc().create_channel(n.now, negotiated(1));
  uint32_t nb = n.b.pc().create_channel(n.now, negotiated(1));
  dcep::ChannelOptions inband;
  inband.label = "files";
  inband.protocol = "proto";
  inband.ordered = false;
  inband.max_retransmits = 3;
  uint32_t ia = n.a.pc().create_channel(n.now, inband);
  ASSERT_TRUE(na && nb && ia);
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  EXPECT_FALSE(n.a.pc().create_offer(n.now));  // once
  n.a.ep->collect_peer(n.a.id);
  ASSERT_TRUE(n.until([&] {
    return n.a.pc().connection_state() == ConnectionState::kConnected &&
           n.b.pc().connection_state() == ConnectionState::kConnected && Net::has(n.a, EndpointEventType::kPeerChannelOpen, ia);
  }, seconds(10))) << int(n.a.pc().connection_state()) << " " << int(n.b.pc().connection_state()) << " ice " << int(n.a.pc().agent().state()) << int(n.b.pc().agent().state()) << " t=" << n.now;
  // Signaling went stable on both sides; the answerer saw have-remote-offer on the way.
  EXPECT_EQ(n.a.pc().signaling_state(), SignalingState::kStable);
  EXPECT_EQ(Net::states(n.b, EndpointEventType::kPeerSignalingState), (std::vector<uint8_t>{2, 0}));
  EXPECT_EQ(Net::states(n.a, EndpointEventType::kPeerConnectionState), (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(Net::states(n.a, EndpointEventType::kPeerGatheringState), (std::vector<uint8_t>{1, 2}));
  // The in-band channel arrived on b with its options.
  uint32_t ib = 0;
  for (const auto& e : n.b.events) {
    if (e.type != EndpointEventType::kPeerChannelReceived) continue;
    ib = Net::u32(e.payload);
    EXPECT_EQ(e.payload[6], 0);  // unordered
    EXPECT_EQ(Net::u32(e.payload, 8), 3u);  // max retransmits
    uint32_t label_len = Net::u32(e.payload, 18);
    EXPECT_EQ(std::string(e.payload.begin() + 22, e.payload.begin() + 22 + label_len), "files");
    EXPECT_EQ(std::string(e.payload.begin() + 22 + label_len, e.payload.end()), "proto");
  }
  ASSERT_NE(ib, 0u);
  std::vector<std::vector<uint8_t>> sent;
  for (size_t size : {size_t(1), size_t(1200), size_t(65536), size_t(262144)}) {
    std::vector<uint8_t> m(size);
    for (size_t i = 0; i < size; ++i) m[i] = uint8_t(i * 13 + size);
    sent.push_back(m);
    ASSERT_EQ(n.a.pc().send(n.now, na, ByteView(m), false), sctp::SendResult::kOk);
    ASSERT_EQ(n.b.pc().send(n.now, nb, ByteView(m), true), sctp::SendResult::kOk);
    n.a.ep->collect_peer(n.a.id);
    n.b.ep->collect_peer(n.b.id);
  }
  // A partially reliable unordered channel carries a 256 KiB message whole when nothing is lost.
  std::vector<uint8_t> pr(262144, 0x5A);
  ASSERT_EQ(n.a.pc().send(n.now, ia, ByteView(pr), false), sctp::SendResult::kOk);
  n.a.ep->collect_peer(n.a.id);
  std::vector<uint8_t> too_big(262145);
  EXPECT_EQ(n.a.pc().send(n.now, na, ByteView(too_big), false), sctp::SendResult::kTooLarge);
  ASSERT_TRUE(n.until([&] {
    // The receive window counts what the application has not read: read as it arrives.
    for (Side* s : {&n.a, &n.b}) {
      size_t total = 0;
      for (auto& m : Net::messages(*s, s == &n.a ? na : nb)) total += m.size();
      static size_t seen[2] = {0, 0};
      size_t& k = seen[s == &n.a ? 0 : 1];
      if (total > k) {
        s->pc().consume(n.now, total - k);
        s->ep->collect_peer(s->id);
        k = total;
      }
    }
    return Net::messages(n.b, nb).size() == 4 && Net::messages(n.a, na).size() == 4 && Net::messages(n.b, ib).size() == 1;
  }, seconds(30))) << Net::messages(n.b, ib).size();
  EXPECT_EQ(Net::messages(n.b, ib)[0], pr);
  EXPECT_EQ(Net::messages(n.b, nb), sent);
  EXPECT_EQ(Net::messages(n.a, na), sent);
  // Closing one side: the other sees the connection closed and its channels closed.
  n.a.ep->close_peer(n.now, n.a.id);
  EXPECT_EQ(n.a.ep->peer_count(), 0u);
  EXPECT_EQ(n.a.ep->next_deadline(), kNever);  // nothing left to run
  ASSERT_TRUE(n.until([&] { return n.b.pc().connection_state() == ConnectionState::kClosed; }, seconds(5)));
  EXPECT_TRUE(Net::has(n.b, EndpointEventType::kPeerChannelClosed, nb));
}

TEST(PeerConnection, CandidatesBeforeTheDescriptionAreKept) {
  Net n;
  n.trickle = false;
  n.a.pc().create_channel(n.now, negotiated(0));
  n.b.pc().create_channel(n.now, negotiated(0));
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  n.collect(n.a);
  std::string offer;
  std::vector<std::string> cands;
  for (auto& e : n.a.events) {
    if (e.type == EndpointEventType::kPeerLocalDescription) offer.assign(e.payload.begin() + 1, e.payload.end());
    if (e.type == EndpointEventType::kPeerLocalCandidate) cands.emplace_back(e.payload.begin() + 3 + e.payload[2], e.payload.end());
  }
  ASSERT_FALSE(cands.empty());
  // The candidate comes first: kept, applied with the description.
  for (auto& c : cands) EXPECT_EQ(n.b.pc().add_remote_candidate(n.now, "0", c), 0);
  n.b.ep->collect_peer(n.b.id);
  EXPECT_EQ(n.b.pc().add_remote_candidate(n.now, "0", "candidate:not a candidate"), -2);
  ASSERT_TRUE(n.b.pc().set_remote_description(n.now, DescriptionType::kOffer, offer));
  n.b.ep->collect_peer(n.b.id);
  n.collect(n.b);
  std::string answer;
  for (auto& e : n.b.events) {
    if (e.type == EndpointEventType::kPeerLocalDescription) answer.assign(e.payload.begin() + 1, e.payload.end());
  }
  ASSERT_NE(answer.find("a=setup:active"), std::string::npos);
  ASSERT_TRUE(n.a.pc().set_remote_description(n.now, DescriptionType::kAnswer, answer));
  n.a.ep->collect_peer(n.a.id);
  ASSERT_TRUE(n.until([&] {
    return n.a.pc().connection_state() == ConnectionState::kConnected &&
           n.b.pc().connection_state() == ConnectionState::kConnected;
  }, seconds(10)));
}

TEST(PeerConnection, RefusesBadDescriptionsAndOrder) {
  Net n;
  EXPECT_FALSE(n.a.pc().set_remote_description(n.now, DescriptionType::kAnswer, "v=0\r\n"));
  EXPECT_FALSE(n.a.pc().last_error().empty());
  EXPECT_FALSE(n.a.pc().set_remote_description(n.now, DescriptionType::kOffer, "garbage"));
  EXPECT_EQ(n.a.pc().signaling_state(), SignalingState::kStable);
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  // An answer without a fingerprint is refused and changes nothing.
  std::string bad = n.a.pc().local_description();
  bad.erase(bad.find("a=fingerprint"), bad.find("\r\n", bad.find("a=fingerprint")) + 2 - bad.find("a=fingerprint"));
  EXPECT_FALSE(n.b.pc().set_remote_description(n.now, DescriptionType::kOffer, bad));
  EXPECT_EQ(n.b.pc().signaling_state(), SignalingState::kStable);
  // Rollback of the pending offer.
  EXPECT_TRUE(n.a.pc().set_remote_description(n.now, DescriptionType::kRollback, ""));
  EXPECT_EQ(n.a.pc().signaling_state(), SignalingState::kStable);
  // Invalid channel options are refused.
  dcep::ChannelOptions both;
  both.max_retransmits = 1;
  both.max_lifetime_ms = 1;
  EXPECT_EQ(n.a.pc().create_channel(n.now, both), 0u);
  EXPECT_NE(n.a.pc().create_channel(n.now, negotiated(5)), 0u);
  EXPECT_EQ(n.a.pc().create_channel(n.now, negotiated(5)), 0u);  // duplicate negotiated id
}

// ICE measured the path (10 ms round trip here): DTLS's first retransmission comes after 2 RTT (at least
// 50 ms), not after RFC 6347's blind 1 s, so a lost ClientHello costs tens of milliseconds.
TEST(PeerConnection, LostFirstDtlsFlightIsResentAtThePathsPace) {
  Net n;
  n.a.pc().create_channel(n.now, negotiated(1));
  n.b.pc().create_channel(n.now, negotiated(1));
  n.drop_dtls = 1;
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  const Timestamp t0 = n.now;
  ASSERT_TRUE(n.until([&] {
    return n.a.pc().connection_state() == ConnectionState::kConnected &&
           n.b.pc().connection_state() == ConnectionState::kConnected;
  }, seconds(5)));
  EXPECT_EQ(n.drop_dtls, 0);
  EXPECT_LT(n.now - t0, ms(400));
}

TEST(PeerConnection, ConnectsUnderLoss) {
  Net n;
  n.loss = 0.15;
  uint32_t na = n.a.pc().create_channel(n.now, negotiated(3));
  uint32_t nb = n.b.pc().create_channel(n.now, negotiated(3));
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  ASSERT_TRUE(n.until([&] {
    return n.a.pc().connection_state() == ConnectionState::kConnected &&
           n.b.pc().connection_state() == ConnectionState::kConnected;
  }, seconds(60)));
  for (int i = 0; i < 20; ++i) {
    std::vector<uint8_t> m(5000, uint8_t(i));
    ASSERT_EQ(n.a.pc().send(n.now, na, ByteView(m), false), sctp::SendResult::kOk);
  }
  n.a.ep->collect_peer(n.a.id);
  ASSERT_TRUE(n.until([&] { return Net::messages(n.b, nb).size() == 20; }, seconds(60)));
  auto got = Net::messages(n.b, nb);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got[i], std::vector<uint8_t>(5000, uint8_t(i)));
}

}  // namespace
}  // namespace wasmrtc::peer
