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

}  // namespace
}  // namespace wasmrtc
