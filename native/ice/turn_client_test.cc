// TurnClient state machine and timers on virtual time, against a scripted
// server built from our STUN codec (the real server, coturn, is exercised in
// test/interop/coturn-ice.test.ts; here every timer is checked exactly).
#include "ice/turn_client.h"

#include <gtest/gtest.h>

#include "stun/message_builder.h"

namespace wasmrtc::ice {
namespace {

crypto::Provider& P() { return crypto::default_provider(); }
const SocketAddress kServer = SocketAddress::v4(192, 0, 2, 1, 3478);
const SocketAddress kRelayed = SocketAddress::v4(192, 0, 2, 1, 50000);
const SocketAddress kMapped = SocketAddress::v4(203, 0, 113, 5, 40000);
const SocketAddress kPeer = SocketAddress::v4(198, 51, 100, 7, 6000);

struct ScriptedServer {
  std::string realm = "example.org", nonce = "n0nce", password = "pw";
  int allocations = 0, refreshes = 0, permissions = 0, binds = 0, sends = 0, unauthenticated = 0;
  uint32_t last_lifetime = 0;
  bool wrong_password_expected = false;

  // Answers one client request; returns the response bytes (empty for indications).
  std::vector<uint8_t> answer(ByteView req_bytes) {
    stun::Message req;
    EXPECT_TRUE(stun::Message::parse(req_bytes, req));
    if (req.message_class() == stun::MessageClass::kIndication) {
      ++sends;
      return {};
    }
    auto key = stun::long_term_key(P(), "user", realm, password);
    if (!req.has(stun::attr::kMessageIntegrity) ||
        req.check_integrity(P(), ByteView(key.data(), key.size())) != stun::IntegrityResult::kValid) {
      ++unauthenticated;
      stun::MessageBuilder b(req.method(), stun::MessageClass::kError, req.transaction_id());
      b.add_error(401, "Unauthorized").add_string(stun::attr::kRealm, realm).add_string(stun::attr::kNonce, nonce);
      return b.take();
    }
    stun::MessageBuilder b(req.method(), stun::MessageClass::kSuccess, req.transaction_id());
    uint32_t lifetime = 600;
    switch (req.method()) {
      case stun::method::kAllocate:
        ++allocations;
        b.add_xor_address(stun::attr::kXorRelayedAddress, kRelayed).add_xor_address(stun::attr::kXorMappedAddress, kMapped);
        b.add_u32(stun::attr::kLifetime, lifetime);
        break;
      case stun::method::kRefresh:
        ++refreshes;
        req.get_u32(stun::attr::kLifetime, last_lifetime);
        b.add_u32(stun::attr::kLifetime, last_lifetime);
        break;
      case stun::method::kCreatePermission:
        ++permissions;
        break;
      case stun::method::kChannelBind:
        ++binds;
        break;
    }
    b.add_message_integrity(P(), ByteView(key.data(), key.size()));
    return b.take();
  }
};

// Delivers everything the client sends to the server and back, at `now`.
void exchange(TurnClient& c, ScriptedServer& s, Timestamp now) {
  for (int i = 0; i < 20; ++i) {
    std::vector<uint8_t> out;
    bool any = false;
    while (c.poll_transmit(out)) {
      any = true;
      if (looks_like_channel_data(ByteView(out))) {
        ++s.sends;
        continue;
      }
      auto resp = s.answer(ByteView(out));
      if (resp.empty()) continue;
      stun::Message m;
      ASSERT_TRUE(stun::Message::parse(ByteView(resp), m));
      c.handle_stun(now, m, nullptr, nullptr);
    }
    if (!any) return;
  }
}

TEST(TurnClient, AllocatesAfterTheChallengeAndReportsAddresses) {
  ScriptedServer s;
  TurnClient c(P(), 0, kServer, "user", "pw");
  c.start(0);
  exchange(c, s, 0);
  EXPECT_EQ(s.unauthenticated, 1);  // the first Allocate is challenged
  EXPECT_EQ(s.allocations, 1);
  ASSERT_EQ(c.state(), TurnClient::State::kAllocated);
  EXPECT_TRUE(c.take_state_change());
  EXPECT_EQ(c.relayed(), kRelayed);
  EXPECT_EQ(c.mapped(), kMapped);
}

TEST(TurnClient, WrongPasswordFailsClearly) {
  ScriptedServer s;
  TurnClient c(P(), 0, kServer, "user", "not-the-password");
  c.start(0);
  exchange(c, s, 0);
  EXPECT_EQ(c.state(), TurnClient::State::kFailed);
  EXPECT_NE(c.error().find("401"), std::string::npos) << c.error();
  EXPECT_EQ(c.next_deadline(), kNever);
}

TEST(TurnClient, RefreshesTheAllocationBeforeItExpires) {
  ScriptedServer s;
  TurnClient c(P(), 0, kServer, "user", "pw");
  c.start(0);
  exchange(c, s, 0);
  // Lifetime 600 s: refreshed 60 s before expiry.
  EXPECT_EQ(c.next_deadline(), seconds(540));
  c.handle_timeout(seconds(540) - 1);
  exchange(c, s, seconds(540) - 1);
  EXPECT_EQ(s.refreshes, 0);
  c.handle_timeout(seconds(540));
  exchange(c, s, seconds(540));
  EXPECT_EQ(s.refreshes, 1);
  EXPECT_EQ(s.last_lifetime, 600u);
  EXPECT_EQ(c.next_deadline(), seconds(540) + seconds(540));
}

TEST(TurnClient, PermissionsAndChannelsAreInstalledAndRefreshed) {
  ScriptedServer s;
  TurnClient c(P(), 0, kServer, "user", "pw");
  c.start(0);
  exchange(c, s, 0);
  const uint8_t payload[] = {1, 2, 3};
  EXPECT_FALSE(c.send_to(kPeer, ByteView(payload, 3)));  // no peer yet
  c.ensure_peer(ms(10), kPeer);
  EXPECT_TRUE(c.send_to(kPeer, ByteView(payload, 3)));  // before the bind: a Send indication
  exchange(c, s, ms(10));
  EXPECT_EQ(s.permissions, 1);
  EXPECT_EQ(s.binds, 1);
  EXPECT_EQ(s.sends, 1);
  EXPECT_TRUE(c.send_to(kPeer, ByteView(payload, 3)));  // now ChannelData
  std::vector<uint8_t> out;
  ASSERT_TRUE(c.poll_transmit(out));
  EXPECT_TRUE(looks_like_channel_data(ByteView(out)));
  EXPECT_EQ(load_be16(out.data()), 0x4000);
  EXPECT_EQ(load_be16(out.data() + 2), 3);
  // A channel lasts 600 s (RFC 8656 §12): rebound 60 s before; the bind also refreshed the permission.
  Timestamp rebind = ms(10) + seconds(540);
  EXPECT_LE(c.next_deadline(), rebind);
  c.handle_timeout(rebind);
  exchange(c, s, rebind);
  EXPECT_EQ(s.binds, 2);
  // ChannelData from the server maps back to the peer.
  std::vector<uint8_t> cd = {0x40, 0x00, 0x00, 0x02, 9, 8, 0, 0};
  SocketAddress from;
  ByteView data;
  ASSERT_TRUE(c.handle_channel_data(ByteView(cd), from, data));
  EXPECT_EQ(from, kPeer);
  EXPECT_EQ(data.size, 2u);
  std::vector<uint8_t> bad = {0x40, 0x01, 0x00, 0x02, 9, 8};  // an unbound channel
  EXPECT_FALSE(c.handle_channel_data(ByteView(bad), from, data));
  std::vector<uint8_t> short_len = {0x40, 0x00, 0x00, 0x09, 1};  // length beyond the datagram
  EXPECT_FALSE(c.handle_channel_data(ByteView(short_len), from, data));
}

TEST(TurnClient, DataIndicationsOnlyFromPermittedAddresses) {
  ScriptedServer s;
  TurnClient c(P(), 0, kServer, "user", "pw");
  c.start(0);
  exchange(c, s, 0);
  c.ensure_peer(0, kPeer);
  exchange(c, s, 0);
  auto indication = [](const SocketAddress& peer) {
    stun::MessageBuilder b(stun::method::kData, stun::MessageClass::kIndication, stun::new_transaction_id(P()));
    const uint8_t d[] = {7, 7};
    b.add_xor_address(stun::attr::kXorPeerAddress, peer).add(stun::attr::kData, ByteView(d, 2));
    stun::Message m;
    stun::Message::parse(ByteView(b.bytes()), m);
    return m;
  };
  SocketAddress from;
  std::vector<uint8_t> data;
  // Another port of a permitted IP is accepted (permissions are per IP, §9).
  EXPECT_TRUE(c.handle_stun(0, indication(SocketAddress::v4(198, 51, 100, 7, 7777)), &from, &data));
  EXPECT_EQ(from.port, 7777);
  EXPECT_EQ(data.size(), 2u);
  from = SocketAddress();
  EXPECT_TRUE(c.handle_stun(0, indication(SocketAddress::v4(10, 9, 9, 9, 1)), &from, &data));
  EXPECT_FALSE(from.valid());  // consumed but not delivered
}

TEST(TurnClient, UnansweredAllocateTimesOut) {
  TurnClient c(P(), 0, kServer, "user", "pw");
  c.start(0);
  int sends = 0;
  Timestamp now = 0;
  std::vector<uint8_t> out;
  for (int i = 0; i < 20 && c.state() == TurnClient::State::kAllocating; ++i) {
    while (c.poll_transmit(out)) ++sends;
    now = c.next_deadline();
    ASSERT_NE(now, kNever);
    c.handle_timeout(now);
  }
  EXPECT_EQ(c.state(), TurnClient::State::kFailed);
  EXPECT_EQ(sends, 7);  // RFC 8489 Rc
  EXPECT_EQ(now, ms(39500));
  EXPECT_NE(c.error().find("no answer"), std::string::npos);
}

TEST(TurnClient, CloseDeallocatesWithLifetimeZero) {
  ScriptedServer s;
  TurnClient c(P(), 0, kServer, "user", "pw");
  c.start(0);
  exchange(c, s, 0);
  c.close(ms(5));
  std::vector<uint8_t> out;
  ASSERT_TRUE(c.poll_transmit(out));
  stun::Message m;
  ASSERT_TRUE(stun::Message::parse(ByteView(out), m));
  EXPECT_EQ(m.method(), stun::method::kRefresh);
  uint32_t lifetime = 1;
  ASSERT_TRUE(m.get_u32(stun::attr::kLifetime, lifetime));
  EXPECT_EQ(lifetime, 0u);
  EXPECT_EQ(c.state(), TurnClient::State::kClosed);
}

}  // namespace
}  // namespace wasmrtc::ice
