// Renegotiation of an established connection (JSEP §5.2.2 / §5.3.2) and ICE
// restart (RFC 8445 §9): a second offer/answer that changes nothing keeps
// everything; new ICE credentials restart ICE on the same DTLS association,
// SCTP association and data channels, e.g. after one side moved to a new
// address and the connection went DISCONNECTED.
#include <gtest/gtest.h>

#include <string>

#include "peer/peer_test_net.h"

namespace wasmrtc::peer {
namespace {

std::string attribute(const std::string& sdp, const std::string& name) {
  size_t at = sdp.find("a=" + name + ":");
  if (at == std::string::npos) return "";
  at += name.size() + 3;
  return sdp.substr(at, sdp.find("\r\n", at) - at);
}

// Connected, with a negotiated reliable channel on each side (id 1) that has carried one message each way.
struct Connected : Net {
  uint32_t ca = 0, cb = 0;
  explicit Connected() {
    ca = a.pc().create_channel(now, negotiated(1));
    cb = b.pc().create_channel(now, negotiated(1));
    EXPECT_TRUE(a.pc().create_offer(now));
    a.ep->collect_peer(a.id);
    EXPECT_TRUE(until([&] { return has(a, EndpointEventType::kPeerChannelOpen, ca) && has(b, EndpointEventType::kPeerChannelOpen, cb); },
                      seconds(10)));
    send(a, ca, "hello from a");
    send(b, cb, "hello from b");
    EXPECT_TRUE(until([&] { return messages(b, cb).size() == 1 && messages(a, ca).size() == 1; }, seconds(5)));
  }
  void send(Side& s, uint32_t ch, const std::string& text) {
    std::vector<uint8_t> bytes(text.begin(), text.end());
    EXPECT_EQ(s.pc().send(now, ch, ByteView(bytes), true), sctp::SendResult::kOk);
    s.ep->collect_peer(s.id);
  }
  std::vector<std::string> texts(const Side& s, uint32_t ch) {
    std::vector<std::string> out;
    for (const auto& m : messages(s, ch)) out.emplace_back(m.begin(), m.end());
    return out;
  }
  static ConnectionState state(Side& s) { return s.pc().connection_state(); }
  // Moves `s` to a new address: what is sent to the old one is lost from now on, and while the switch
  // is in progress (blackout) nothing gets through.
  void move(Side& s, const SocketAddress& to) {
    s.pc().agent().retire_host_candidate(0, s.addr);
    s.addr = to;
    route_by_address = true;
    blackout = true;
    s.pc().agent().add_host_candidate(0, to);
    s.ep->collect_peer(s.id);
  }
  bool count_closed(const Side& s) { return has(s, EndpointEventType::kPeerChannelClosed); }
};

TEST(Renegotiation, SecondOfferAnswerThatChangesNothingKeepsEverything) {
  Connected n;
  std::string first_offer = n.a.pc().local_description();
  std::string first_answer = n.b.pc().local_description();
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  n.collect(n.a);
  n.collect(n.b);
  std::string offer = n.a.pc().local_description();
  EXPECT_EQ(attribute(offer, "ice-ufrag"), attribute(first_offer, "ice-ufrag"));
  EXPECT_EQ(attribute(offer, "ice-pwd"), attribute(first_offer, "ice-pwd"));
  EXPECT_EQ(attribute(offer, "fingerprint"), attribute(first_offer, "fingerprint"));
  EXPECT_EQ(attribute(offer, "setup"), "passive");  // RFC 8842 §5.5: the offerer is the DTLS server and stays it
  EXPECT_NE(offer.substr(0, offer.find("s=")), first_offer.substr(0, first_offer.find("s=")));  // o= version + 1
  EXPECT_EQ(n.a.pc().signaling_state(), SignalingState::kStable);  // the test's signaling answered at once
  EXPECT_EQ(n.b.pc().signaling_state(), SignalingState::kStable);
  std::string answer = n.b.pc().local_description();
  EXPECT_EQ(attribute(answer, "ice-ufrag"), attribute(first_answer, "ice-ufrag"));
  EXPECT_EQ(attribute(answer, "setup"), "active");
  // The answerer renegotiates too.
  ASSERT_TRUE(n.b.pc().create_offer(n.now));
  n.b.ep->collect_peer(n.b.id);
  n.collect(n.b);
  n.collect(n.a);
  EXPECT_EQ(attribute(n.b.pc().local_description(), "setup"), "active");
  EXPECT_EQ(n.a.pc().signaling_state(), SignalingState::kStable);
  EXPECT_EQ(n.b.pc().signaling_state(), SignalingState::kStable);
  n.send(n.a, n.ca, "after");
  n.send(n.b, n.cb, "after");
  ASSERT_TRUE(n.until([&] { return n.messages(n.b, n.cb).size() == 2 && n.messages(n.a, n.ca).size() == 2; }, seconds(5)));
  EXPECT_EQ(n.state(n.a), ConnectionState::kConnected);
  EXPECT_EQ(n.state(n.b), ConnectionState::kConnected);
  EXPECT_EQ(n.a.pc().ice_restarts(), 0u);
  EXPECT_EQ(n.b.pc().ice_restarts(), 0u);
  EXPECT_FALSE(n.count_closed(n.a));
  EXPECT_FALSE(n.count_closed(n.b));
}

TEST(Renegotiation, AnOfferThatAddsCandidatesIsAccepted) {
  Connected n;
  n.auto_signal = false;
  n.a.pc().agent().add_host_candidate(0, SocketAddress::v4(10, 0, 0, 9, 5009));
  n.collect(n.a);
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  std::string offer = n.a.pc().local_description();
  EXPECT_NE(offer.find("10.0.0.9 5009"), std::string::npos);
  ASSERT_TRUE(n.b.pc().set_remote_description(n.now, DescriptionType::kOffer, offer)) << n.b.pc().last_error();
  ASSERT_TRUE(n.a.pc().set_remote_description(n.now, DescriptionType::kAnswer, n.b.pc().local_description()))
      << n.a.pc().last_error();
  n.a.ep->collect_peer(n.a.id);
  n.b.ep->collect_peer(n.b.id);
  n.send(n.a, n.ca, "still here");
  ASSERT_TRUE(n.until([&] { return n.messages(n.b, n.cb).size() == 2; }, seconds(5)));
  EXPECT_EQ(n.state(n.a), ConnectionState::kConnected);
  EXPECT_EQ(n.state(n.b), ConnectionState::kConnected);
}

TEST(Renegotiation, RefusesWhatWouldNeedANewConnectionAndChangesNothing) {
  Connected n;
  n.auto_signal = false;
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  const std::string offer = n.a.pc().local_description();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = offer;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  std::string fp = attribute(offer, "fingerprint");
  std::string other_fp = fp;
  other_fp.back() = other_fp.back() == '0' ? '1' : '0';
  EXPECT_FALSE(n.b.pc().set_remote_description(n.now, DescriptionType::kOffer, with(fp, other_fp)));
  EXPECT_NE(n.b.pc().last_error().find("certificate"), std::string::npos) << n.b.pc().last_error();
  EXPECT_FALSE(n.b.pc().set_remote_description(n.now, DescriptionType::kOffer, with("a=mid:0", "a=mid:data")));
  EXPECT_NE(n.b.pc().last_error().find("mid"), std::string::npos) << n.b.pc().last_error();
  // a is the DTLS server; an offer saying it is now the client (active) would swap roles.
  EXPECT_FALSE(n.b.pc().set_remote_description(n.now, DescriptionType::kOffer, with("a=setup:passive", "a=setup:active")));
  EXPECT_NE(n.b.pc().last_error().find("DTLS role"), std::string::npos) << n.b.pc().last_error();
  EXPECT_EQ(n.b.pc().signaling_state(), SignalingState::kStable);
  // An answer is not taken without an offer of ours, and the pending offer can still be rolled back.
  EXPECT_FALSE(n.b.pc().set_remote_description(n.now, DescriptionType::kAnswer, offer));
  EXPECT_TRUE(n.a.pc().set_remote_description(n.now, DescriptionType::kRollback, ""));
  EXPECT_EQ(n.a.pc().signaling_state(), SignalingState::kStable);
  n.send(n.a, n.ca, "unchanged");
  ASSERT_TRUE(n.until([&] { return n.messages(n.b, n.cb).size() == 2; }, seconds(5)));
  EXPECT_EQ(n.state(n.b), ConnectionState::kConnected);
}

// The phone-changes-networks case: a moves, both sides go DISCONNECTED (no consent), a's new offer
// restarts ICE, and the same channels carry on; what was sent during the outage arrives, in order.
void restart_after_move(bool offer_from_mover) {
  Connected n;
  const std::string ufrag_a = n.a.pc().agent().local_ufrag();
  const std::string ufrag_b = n.b.pc().agent().local_ufrag();
  n.move(n.a, SocketAddress::v4(10, 0, 0, 3, 5001));
  for (int i = 0; i < 5; ++i) {
    n.send(n.a, n.ca, "a during " + std::to_string(i));
    n.send(n.b, n.cb, "b during " + std::to_string(i));
  }
  Side& offerer = offer_from_mover ? n.a : n.b;
  ASSERT_TRUE(n.until([&] { return n.state(offerer) == ConnectionState::kDisconnected; }, seconds(20)));
  EXPECT_FALSE(n.count_closed(n.a));
  n.blackout = false;  // the new network is up
  ASSERT_TRUE(offerer.pc().create_offer(n.now)) << offerer.pc().last_error();
  offerer.ep->collect_peer(offerer.id);
  if (offer_from_mover) {
    EXPECT_NE(offerer.pc().local_description().find("10.0.0.3 5001"), std::string::npos);
    EXPECT_EQ(offerer.pc().local_description().find("10.0.0.1 5000"), std::string::npos);  // retired with the old network
  }
  ASSERT_TRUE(n.until([&] { return n.state(n.a) == ConnectionState::kConnected && n.state(n.b) == ConnectionState::kConnected &&
                                   n.messages(n.b, n.cb).size() == 6 && n.messages(n.a, n.ca).size() == 6; },
                      seconds(20)));
  EXPECT_EQ(n.a.pc().ice_restarts(), 1u);
  EXPECT_EQ(n.b.pc().ice_restarts(), 1u);
  EXPECT_NE(n.a.pc().agent().local_ufrag(), ufrag_a);
  EXPECT_NE(n.b.pc().agent().local_ufrag(), ufrag_b);
  EXPECT_NE(n.b.pc().agent().selected_description().find("10.0.0.3:5001"), std::string::npos)
      << n.b.pc().agent().selected_description();
  std::vector<std::string> want_b{"hello from a"}, want_a{"hello from b"};
  for (int i = 0; i < 5; ++i) {
    want_b.push_back("a during " + std::to_string(i));
    want_a.push_back("b during " + std::to_string(i));
  }
  EXPECT_EQ(n.texts(n.b, n.cb), want_b);
  EXPECT_EQ(n.texts(n.a, n.ca), want_a);
  EXPECT_FALSE(n.count_closed(n.a));
  EXPECT_FALSE(n.count_closed(n.b));
  // Godot's states: CONNECTED → DISCONNECTED → CONNECTED on the side that offered.
  auto seq = Net::states(offerer, EndpointEventType::kPeerConnectionState);
  ASSERT_GE(seq.size(), 3u);
  EXPECT_EQ(seq[seq.size() - 2], uint8_t(ConnectionState::kDisconnected));
  EXPECT_EQ(seq.back(), uint8_t(ConnectionState::kConnected));
  // And it keeps working.
  n.send(n.a, n.ca, "after");
  ASSERT_TRUE(n.until([&] { return n.messages(n.b, n.cb).size() == 7; }, seconds(5)));
}

TEST(IceRestart, TheSideThatMovedOffersAfterDisconnected) { restart_after_move(true); }
TEST(IceRestart, TheSideThatStayedOffersAfterDisconnected) { restart_after_move(false); }

// The moved peer's candidates are stale (it never learned its new address) and its checks reach the
// offerer before its answer does: the offerer answers them for its pending credentials, and at the commit
// their source becomes a peer-reflexive candidate it checks — the only path that works.
TEST(IceRestart, ChecksThatOvertakeTheAnswerGiveTheOffererThePath) {
  Connected n;
  n.a.addr = SocketAddress::v4(10, 0, 0, 3, 5001);  // moved; no new host candidate
  n.route_by_address = true;
  n.blackout = true;
  n.send(n.b, n.cb, "b during");
  ASSERT_TRUE(n.until([&] { return n.state(n.b) == ConnectionState::kDisconnected; }, seconds(20)));
  n.blackout = false;
  n.auto_signal = false;
  ASSERT_TRUE(n.b.pc().create_offer(n.now));
  n.b.ep->collect_peer(n.b.id);
  n.collect(n.b);
  ASSERT_TRUE(n.a.pc().set_remote_description(n.now, DescriptionType::kOffer, n.b.pc().local_description()));
  n.a.ep->collect_peer(n.a.id);
  n.until([] { return false; }, ms(300));  // a checks b (answered for b's pending ufrag); the answer is late
  EXPECT_TRUE(n.b.pc().agent().restart_pending());
  ASSERT_TRUE(n.b.pc().set_remote_description(n.now, DescriptionType::kAnswer, n.a.pc().local_description()));
  n.b.ep->collect_peer(n.b.id);
  ASSERT_TRUE(n.until([&] { return n.state(n.b) == ConnectionState::kConnected && n.messages(n.a, n.ca).size() == 2; }, seconds(10)));
  EXPECT_NE(n.b.pc().agent().selected_description().find("prflx 10.0.0.3:5001"), std::string::npos)
      << n.b.pc().agent().selected_description();
}

// A long outage backs SCTP's retransmission timer off to many seconds. Once the restart selects a new pair
// SCTP starts over on it: what was outstanding arrives within a few round trips, not at the next backed-off T3.
TEST(IceRestart, WhatWasOutstandingGoesOutAtOnceOnTheNewPath) {
  Connected n;
  n.move(n.a, SocketAddress::v4(10, 0, 0, 3, 5001));
  for (int i = 0; i < 5; ++i) n.send(n.a, n.ca, "a during " + std::to_string(i));
  // 25 s dark: T3 fired at 1, 3, 7, 15 s... (RTO doubling), the next one is far away.
  ASSERT_FALSE(n.until([&] { return n.state(n.a) == ConnectionState::kFailed; }, seconds(25)));
  ASSERT_EQ(n.state(n.a), ConnectionState::kDisconnected);
  n.blackout = false;
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  ASSERT_TRUE(n.until([&] { return n.state(n.a) == ConnectionState::kConnected && n.state(n.b) == ConnectionState::kConnected; },
                      seconds(10)));
  Timestamp reconnected = n.now;
  ASSERT_TRUE(n.until([&] { return n.messages(n.b, n.cb).size() == 6; }, seconds(40)));
  EXPECT_LT(n.now - reconnected, ms(500)) << "outstanding data waited " << (n.now - reconnected) / 1000 << " ms";
}

TEST(IceRestart, RestartIceWhileConnectedKeepsSending) {
  Connected n;
  n.a.pc().restart_ice();
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  n.collect(n.a);
  n.send(n.a, n.ca, "during");
  ASSERT_TRUE(n.until([&] { return n.messages(n.b, n.cb).size() == 2; }, seconds(5)));
  EXPECT_EQ(n.a.pc().ice_restarts(), 1u);
  EXPECT_EQ(n.b.pc().ice_restarts(), 1u);
  n.step();
  ASSERT_TRUE(n.until([&] { return n.a.pc().agent().state() == ice::IceState::kConnected &&
                                   n.b.pc().agent().state() == ice::IceState::kConnected; }, seconds(5)));
  EXPECT_EQ(Net::states(n.a, EndpointEventType::kPeerConnectionState).back(), uint8_t(ConnectionState::kConnected));
  // A second restart, from the answerer this time.
  n.b.pc().restart_ice();
  ASSERT_TRUE(n.b.pc().create_offer(n.now));
  n.b.ep->collect_peer(n.b.id);
  n.collect(n.b);
  n.send(n.b, n.cb, "again");
  ASSERT_TRUE(n.until([&] { return n.messages(n.a, n.ca).size() == 2 && n.b.pc().ice_restarts() == 2; }, seconds(5)));
  // Consent keeps running on the new pair: still connected long after.
  ASSERT_FALSE(n.until([&] { return n.state(n.a) != ConnectionState::kConnected || n.state(n.b) != ConnectionState::kConnected; },
                       seconds(40)));
}

TEST(IceRestart, ARolledBackRestartLeavesTheOldCredentialsWorking) {
  Connected n;
  n.auto_signal = false;
  const std::string ufrag = n.a.pc().agent().local_ufrag();
  n.a.pc().restart_ice();
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  EXPECT_NE(attribute(n.a.pc().local_description(), "ice-ufrag"), ufrag);
  ASSERT_TRUE(n.a.pc().set_remote_description(n.now, DescriptionType::kRollback, ""));
  EXPECT_FALSE(n.a.pc().agent().restart_pending());
  EXPECT_EQ(n.a.pc().agent().local_ufrag(), ufrag);
  ASSERT_FALSE(n.until([&] { return n.state(n.a) != ConnectionState::kConnected || n.state(n.b) != ConnectionState::kConnected; },
                       seconds(30)));  // consent still answered on the old credentials
  EXPECT_EQ(n.a.pc().ice_restarts(), 0u);
}

TEST(IceRestart, GlareOfTwoRestartOffersEndsWithTheRemoteOne) {
  Connected n;
  n.auto_signal = false;
  n.a.pc().restart_ice();
  n.b.pc().restart_ice();
  ASSERT_TRUE(n.a.pc().create_offer(n.now));
  n.a.ep->collect_peer(n.a.id);
  ASSERT_TRUE(n.b.pc().create_offer(n.now));
  n.b.ep->collect_peer(n.b.id);
  std::string offer_b = n.b.pc().local_description();
  // a takes b's offer (its own is rolled back) and answers; b takes the answer.
  ASSERT_TRUE(n.a.pc().set_remote_description(n.now, DescriptionType::kOffer, offer_b)) << n.a.pc().last_error();
  ASSERT_TRUE(n.b.pc().set_remote_description(n.now, DescriptionType::kAnswer, n.a.pc().local_description()))
      << n.b.pc().last_error();
  n.a.ep->collect_peer(n.a.id);
  n.b.ep->collect_peer(n.b.id);
  n.collect(n.a);  // the descriptions were signaled by hand above: drop their events (the SDPs carry the candidates)
  n.collect(n.b);
  n.auto_signal = true;
  n.send(n.a, n.ca, "after glare");
  ASSERT_TRUE(n.until([&] { return n.messages(n.b, n.cb).size() == 2 && n.a.pc().agent().state() == ice::IceState::kConnected &&
                                   n.b.pc().agent().state() == ice::IceState::kConnected; }, seconds(10)));
  EXPECT_EQ(n.a.pc().ice_restarts(), 1u);
  EXPECT_EQ(n.b.pc().ice_restarts(), 1u);
}

TEST(IceRestart, NoOfferAfterFailed) {
  Connected n;
  n.move(n.a, SocketAddress::v4(10, 0, 0, 3, 5001));
  ASSERT_TRUE(n.until([&] { return n.state(n.a) == ConnectionState::kFailed; }, seconds(60)));
  EXPECT_FALSE(n.a.pc().create_offer(n.now));
  EXPECT_NE(n.a.pc().last_error().find("failed"), std::string::npos);
}

}  // namespace
}  // namespace wasmrtc::peer
