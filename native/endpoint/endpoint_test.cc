#include "endpoint/endpoint.h"

#include <gtest/gtest.h>

#include "stun/message.h"
#include "stun/message_builder.h"

namespace wasmrtc {
namespace {

crypto::Provider& P() { return crypto::default_provider(); }

EndpointConfig server_config() {
  EndpointConfig c;
  c.answer_stun = true;
  return c;
}

// Moves every queued transmit from `a` to `b` (addresses: a at `a_addr`).
int deliver(Endpoint& from, const SocketAddress& from_addr, Endpoint& to, Timestamp now) {
  int n = 0;
  while (const Transmit* t = from.peek_transmit()) {
    to.handle_datagram(now, 0, from_addr, ByteView(t->data));
    from.pop_transmit();
    ++n;
  }
  return n;
}

TEST(Endpoint, ServerAndClientCompleteABinding) {
  Endpoint server(P(), server_config());
  Endpoint client(P(), EndpointConfig{});
  SocketAddress server_addr = SocketAddress::v4(10, 0, 0, 1, 3478);
  SocketAddress client_addr = SocketAddress::v4(10, 0, 0, 2, 5555);
  uint32_t id = client.start_binding_request(0, 0, server_addr);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(deliver(client, client_addr, server, ms(10)), 1);
  EXPECT_EQ(server.stats().stun_requests_answered, 1u);
  EXPECT_EQ(deliver(server, server_addr, client, ms(20)), 1);
  const EndpointEvent* ev = client.peek_event();
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->type, EndpointEventType::kStunBindingSuccess);
  EXPECT_EQ(ev->id, id);
  EXPECT_EQ(ev->address, client_addr);
  uint32_t rtt = ev->payload[0] | (ev->payload[1] << 8) | (ev->payload[2] << 16) | (uint32_t(ev->payload[3]) << 24);
  EXPECT_EQ(rtt, uint32_t(ms(20)));
  EXPECT_EQ(client.next_deadline(), kNever);
}

TEST(Endpoint, AnswerFromAnotherAddressIsNotAccepted) {
  Endpoint server(P(), server_config());
  Endpoint client(P(), EndpointConfig{});
  SocketAddress server_addr = SocketAddress::v4(10, 0, 0, 1, 3478);
  client.start_binding_request(0, 0, server_addr);
  deliver(client, SocketAddress::v4(10, 0, 0, 2, 5555), server, 1);
  deliver(server, SocketAddress::v4(10, 9, 9, 9, 3478), client, 2);  // spoofed source
  EXPECT_EQ(client.peek_event(), nullptr);
  EXPECT_EQ(client.stats().dropped_unhandled, 1u);
}

TEST(Endpoint, UnansweredRequestTimesOutOnVirtualTime) {
  Endpoint client(P(), EndpointConfig{});
  client.start_binding_request(0, 0, SocketAddress::v4(10, 0, 0, 1, 3478));
  int sends = 0;
  Timestamp now = 0;
  for (int guard = 0; guard < 50 && !client.peek_event(); ++guard) {
    while (client.peek_transmit()) {
      client.pop_transmit();
      ++sends;
    }
    now = client.next_deadline();
    ASSERT_NE(now, kNever);
    client.handle_timeout(now);
  }
  ASSERT_NE(client.peek_event(), nullptr);
  EXPECT_EQ(client.peek_event()->type, EndpointEventType::kStunBindingTimeout);
  EXPECT_EQ(sends, 7);
  EXPECT_EQ(now, ms(39500));
}

TEST(Endpoint, NonServerIgnoresRequestsAndGarbageIsCounted) {
  Endpoint ep(P(), EndpointConfig{});
  stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kRequest, stun::new_transaction_id(P()));
  ep.handle_datagram(0, 0, SocketAddress::v4(1, 2, 3, 4, 5), ByteView(b.bytes()));
  EXPECT_EQ(ep.peek_transmit(), nullptr);
  const uint8_t junk[] = {0x00, 0x01, 0x02};
  ep.handle_datagram(0, 0, SocketAddress::v4(1, 2, 3, 4, 5), ByteView(junk, 3));
  const uint8_t dtls[] = {22, 254, 253};
  ep.handle_datagram(0, 0, SocketAddress::v4(1, 2, 3, 4, 5), ByteView(dtls, 3));
  EXPECT_EQ(ep.stats().dropped_malformed, 1u);
  EXPECT_EQ(ep.stats().dropped_unhandled, 2u);
}

TEST(Endpoint, BadFingerprintIsDropped) {
  Endpoint server(P(), server_config());
  stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kRequest, stun::new_transaction_id(P()));
  b.add_fingerprint(P());
  auto bytes = b.take();
  bytes.back() ^= 1;
  server.handle_datagram(0, 0, SocketAddress::v4(1, 2, 3, 4, 5), ByteView(bytes));
  EXPECT_EQ(server.peek_transmit(), nullptr);
  EXPECT_EQ(server.stats().dropped_malformed, 1u);
}

TEST(Endpoint, InFlightRequestsAreBounded) {
  EndpointConfig c;
  c.max_client_transactions = 3;
  Endpoint ep(P(), c);
  for (int i = 0; i < 3; ++i) EXPECT_NE(ep.start_binding_request(0, 0, SocketAddress::v4(1, 1, 1, 1, 1)), 0u);
  EXPECT_EQ(ep.start_binding_request(0, 0, SocketAddress::v4(1, 1, 1, 1, 1)), 0u);
  EXPECT_EQ(ep.start_binding_request(0, 0, SocketAddress()), 0u);
}

TEST(EndpointConfig, ParsesKnownKeysAndRejectsTheRest) {
  EndpointConfig c;
  ASSERT_TRUE(EndpointConfig::parse("answer_stun=1\nsoftware=x y\nstun_rto_ms=250\n", c));
  EXPECT_TRUE(c.answer_stun);
  EXPECT_EQ(c.software, "x y");
  EXPECT_EQ(c.stun_rto, ms(250));
  EXPECT_FALSE(EndpointConfig::parse("nope=1", c));
  EXPECT_FALSE(EndpointConfig::parse("answer_stun=2", c));
  EXPECT_FALSE(EndpointConfig::parse("stun_rto_ms=0", c));
  EXPECT_FALSE(EndpointConfig::parse("stun_rto_ms=-5", c));
  EXPECT_FALSE(EndpointConfig::parse("garbage", c));
}

}  // namespace
}  // namespace wasmrtc

namespace wasmrtc {
namespace {

std::string fingerprint_in(const std::string& sdp) {
  size_t at = sdp.find("a=fingerprint:sha-256 ");
  return at == std::string::npos ? "" : sdp.substr(at + 22, sdp.find('\r', at) - at - 22);
}

std::string offer_of(Endpoint& ep) {
  uint32_t id = ep.create_peer(0, peer::PeerConfig{});
  dcep::ChannelOptions o;
  o.negotiated = true;
  o.id = 0;
  ep.peer(id)->create_channel(0, o);
  ep.peer(id)->create_offer(0);
  return ep.peer(id)->local_description();
}

TEST(Endpoint, PeersShareTheProcessCertificateUnlessAnEndpointAsksForItsOwn) {
  Endpoint a(P(), EndpointConfig{}), b(P(), EndpointConfig{});
  EndpointConfig own;
  ASSERT_TRUE(EndpointConfig::parse("own_certificate=1", own));
  EXPECT_TRUE(own.own_certificate);
  Endpoint c(P(), own);
  std::string fa = fingerprint_in(offer_of(a)), fb = fingerprint_in(offer_of(b)), fc = fingerprint_in(offer_of(c));
  ASSERT_EQ(fa.size(), 95u);
  EXPECT_EQ(fa, fb);  // one key generation per process, as libdatachannel
  EXPECT_NE(fa, fc);
  EXPECT_EQ(fingerprint_in(offer_of(c)), fc);  // the endpoint's own, for all its peers
  EndpointConfig bad;
  EXPECT_FALSE(EndpointConfig::parse("own_certificate=2", bad));
}


// Two endpoints each hosting one peer connection, joined by a lossless link: A at a_addr, B at b_addr.
struct PeerPair {
  Endpoint a{P(), EndpointConfig{}}, b{P(), EndpointConfig{}};
  SocketAddress a_addr = SocketAddress::v4(10, 0, 0, 1, 1000), b_addr = SocketAddress::v4(10, 0, 0, 2, 2000);
  uint32_t pa = 0, pb = 0;
  Timestamp now = 0;

  PeerPair() {
    pa = a.create_peer(0, peer::PeerConfig{});
    pb = b.create_peer(0, peer::PeerConfig{});
    a.peer(pa)->agent().add_host_candidate(0, a_addr);
    b.peer(pb)->agent().add_host_candidate(0, b_addr);
    dcep::ChannelOptions o;
    o.negotiated = true;
    o.id = 0;
    a.peer(pa)->create_channel(0, o);
    b.peer(pb)->create_channel(0, o);
    a.peer(pa)->create_offer(0);
    a.collect_peer(pa);
  }
  // Hands descriptions, candidates and datagrams across until both are connected (bounded).
  bool connect() {
    for (int guard = 0; guard < 2000; ++guard) {
      bool moved = pump(a, pa, b, pb, a_addr) | pump(b, pb, a, pa, b_addr);
      if (a.peer(pa)->connection_state() == peer::ConnectionState::kConnected &&
          b.peer(pb)->connection_state() == peer::ConnectionState::kConnected) {
        return true;
      }
      if (!moved) {
        now = std::max(now + 1, std::min(a.next_deadline(), b.next_deadline()));
        a.handle_timeout(now);
        b.handle_timeout(now);
      }
    }
    return false;
  }
  bool pump(Endpoint& from, uint32_t from_id, Endpoint& to, uint32_t to_id, const SocketAddress& from_addr) {
    bool moved = false;
    while (const EndpointEvent* e = from.peek_event()) {
      if (e->type == EndpointEventType::kPeerLocalDescription) {
        std::string sdp(e->payload.begin() + 1, e->payload.end());
        to.peer(to_id)->set_remote_description(now, peer::DescriptionType(e->payload[0]), sdp);
        to.collect_peer(to_id);
      } else if (e->type == EndpointEventType::kPeerLocalCandidate) {
        size_t mid_len = e->payload[2];
        std::string mid(e->payload.begin() + 3, e->payload.begin() + 3 + mid_len);
        std::string line(e->payload.begin() + 3 + mid_len, e->payload.end());
        to.peer(to_id)->add_remote_candidate(now, mid, line);
        to.collect_peer(to_id);
      }
      from.pop_event();
      moved = true;
    }
    (void)from_id;
    moved |= deliver(from, from_addr, to, now) > 0;
    return moved;
  }
};

std::vector<uint8_t> check_with_ufrag(const std::string& ufrag, const std::string& pwd, const std::string& sender = "someone") {
  stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kRequest, stun::new_transaction_id(P()));
  b.add_string(stun::attr::kUsername, ufrag + ":" + sender);
  b.add_u32(stun::attr::kPriority, 1);
  b.add_message_integrity(P(), ByteView(std::string_view(pwd)));
  b.add_fingerprint(P());
  return b.take();
}

TEST(Endpoint, KnowsOnlyRoutesIceAuthenticated) {
  PeerPair pp;
  SocketAddress stranger = SocketAddress::v4(10, 9, 9, 9, 4444);
  const std::string ufrag = pp.b.peer(pp.pb)->agent().local_ufrag();
  // Before anything: nobody is known; a check with the real ufrag but a guessed password earns nothing.
  EXPECT_FALSE(pp.b.knows_route(0, pp.a_addr));
  pp.b.handle_datagram(0, 0, stranger, ByteView(check_with_ufrag(ufrag, "not-the-password-at-all")));
  EXPECT_FALSE(pp.b.knows_route(0, stranger));
  ASSERT_TRUE(pp.connect());
  EXPECT_TRUE(pp.b.knows_route(0, pp.a_addr));
  EXPECT_TRUE(pp.a.knows_route(0, pp.b_addr));
  EXPECT_FALSE(pp.b.knows_route(1, pp.a_addr));  // another socket
  EXPECT_FALSE(pp.b.knows_route(0, SocketAddress::v4(10, 0, 0, 1, 1001)));
  // After the connection is up, copies of the ufrag from new sources still earn nothing.
  for (uint16_t port = 1; port <= 50; ++port) {
    SocketAddress src = SocketAddress::v4(10, 9, 9, 9, port);
    pp.b.handle_datagram(pp.now, 0, src, ByteView(check_with_ufrag(ufrag, "guess")));
    EXPECT_FALSE(pp.b.knows_route(0, src));
  }
  // The real password from a new source is a peer-reflexive candidate the agent authenticated: known.
  const std::string pwd = pp.b.peer(pp.pb)->agent().local_pwd();
  const std::string peer_ufrag = pp.a.peer(pp.pa)->agent().local_ufrag();
  // ...but only with the negotiated peer's ufrag as the sender's half (§7.2.2).
  pp.b.handle_datagram(pp.now, 0, stranger, ByteView(check_with_ufrag(ufrag, pwd, "someone")));
  EXPECT_FALSE(pp.b.knows_route(0, stranger));
  pp.b.handle_datagram(pp.now, 0, stranger, ByteView(check_with_ufrag(ufrag, pwd, peer_ufrag)));
  EXPECT_TRUE(pp.b.knows_route(0, stranger));
  // Closing the peer forgets its routes.
  pp.b.close_peer(pp.now, pp.pb);
  EXPECT_FALSE(pp.b.knows_route(0, pp.a_addr));
  EXPECT_FALSE(pp.b.knows_route(0, stranger));
}

TEST(Endpoint, KnowsTheAuthenticatedRemoteOfAStandaloneAgent) {
  Endpoint a(P(), EndpointConfig{}), b(P(), EndpointConfig{});
  SocketAddress a_addr = SocketAddress::v4(10, 0, 0, 1, 1000), b_addr = SocketAddress::v4(10, 0, 0, 2, 2000);
  ice::IceConfig ca, cb;
  ca.controlling = true;
  uint32_t ia = a.create_agent(0, ca), ib = b.create_agent(0, cb);
  ASSERT_NE(ia, 0u);
  ASSERT_NE(ib, 0u);
  ice::IceAgent& xa = *a.agent(ia);
  ice::IceAgent& xb = *b.agent(ib);
  xa.set_remote_credentials(xb.local_ufrag(), xb.local_pwd());
  xb.set_remote_credentials(xa.local_ufrag(), xa.local_pwd());
  ice::Candidate host_a, host_b;
  host_a.foundation = host_b.foundation = "1";
  host_a.priority = host_b.priority = 2122260223;
  host_a.address = a_addr;
  host_b.address = b_addr;
  xa.add_host_candidate(0, a_addr);
  xb.add_host_candidate(0, b_addr);
  xa.add_remote_candidate(0, host_b);
  xb.add_remote_candidate(0, host_a);
  SocketAddress stranger = SocketAddress::v4(10, 9, 9, 9, 9);
  b.handle_datagram(0, 0, stranger, ByteView(check_with_ufrag(xb.local_ufrag(), "a guess")));
  Timestamp now = 0;
  xa.start_gathering(now);
  xb.start_gathering(now);
  for (int guard = 0; guard < 500 && !(xa.state() == ice::IceState::kConnected && xb.state() == ice::IceState::kConnected); ++guard) {
    a.collect_agent(ia);
    b.collect_agent(ib);
    bool moved = deliver(a, a_addr, b, now) + deliver(b, b_addr, a, now) > 0;
    while (a.peek_event()) a.pop_event();
    while (b.peek_event()) b.pop_event();
    if (!moved) {
      now = std::max(now + 1, std::min(a.next_deadline(), b.next_deadline()));
      a.handle_timeout(now);
      b.handle_timeout(now);
    }
  }
  ASSERT_EQ(xb.state(), ice::IceState::kConnected);
  EXPECT_TRUE(b.knows_route(0, a_addr));
  EXPECT_TRUE(a.knows_route(0, b_addr));
  EXPECT_FALSE(b.knows_route(0, stranger));
  b.close_agent(ib);
  EXPECT_FALSE(b.knows_route(0, a_addr));
}

TEST(Endpoint, KnowsTheStunServerItIsAsking) {
  Endpoint client(P(), EndpointConfig{});
  SocketAddress server = SocketAddress::v4(10, 0, 0, 1, 3478);
  EXPECT_FALSE(client.knows_route(0, server));
  ASSERT_NE(client.start_binding_request(0, 0, server), 0u);
  EXPECT_TRUE(client.knows_route(0, server));
  EXPECT_FALSE(client.knows_route(1, server));
  EXPECT_FALSE(client.knows_route(0, SocketAddress::v4(10, 0, 0, 1, 3479)));
}

TEST(Endpoint, KnowsTheBoundRemoteOfADtlsSession) {
  Endpoint ep(P(), EndpointConfig{});
  SocketAddress remote = SocketAddress::v4(10, 0, 0, 7, 7000);
  dtls::DtlsConfig cfg;
  ASSERT_NE(ep.create_dtls(0, remote, cfg), 0u);
  EXPECT_TRUE(ep.knows_route(0, remote));
  EXPECT_FALSE(ep.knows_route(0, SocketAddress::v4(10, 0, 0, 7, 7001)));
  Endpoint waiting(P(), EndpointConfig{});
  ASSERT_NE(waiting.create_dtls(0, SocketAddress::v4(0, 0, 0, 0, 0), cfg), 0u);  // a server waiting for its client
  EXPECT_FALSE(waiting.knows_route(0, remote));
}

}  // namespace
}  // namespace wasmrtc
