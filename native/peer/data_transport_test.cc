// Two data transports (DTLS → SCTP → data channels) over an in-memory link on virtual time.
#include "peer/data_transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

namespace wasmrtc::peer {
namespace {

crypto::Provider& P() { return crypto::default_provider(); }

struct Pair {
  dtls::Certificate ca, cb;
  std::unique_ptr<DataTransport> a, b;
  Timestamp now = 0;
  std::mt19937 rng{7};
  double loss = 0;
  std::vector<std::pair<Timestamp, std::vector<uint8_t>>> to_a, to_b;
  std::vector<TransportEvent> ea, eb;

  Pair() {
    dtls::Certificate::generate(P(), "a", ca);
    dtls::Certificate::generate(P(), "b", cb);
    a = std::make_unique<DataTransport>(P(), ca, true, cb.fingerprint, 262144);
    b = std::make_unique<DataTransport>(P(), cb, false, ca.fingerprint, 262144);
  }
  void step() {
    std::vector<uint8_t> d;
    std::uniform_real_distribution<double> u(0, 1);
    while (a->poll_datagram(d)) if (u(rng) >= loss) to_b.emplace_back(now + ms(10), d);
    while (b->poll_datagram(d)) if (u(rng) >= loss) to_a.emplace_back(now + ms(10), d);
    TransportEvent e;
    while (a->poll_event(e)) ea.push_back(e);
    while (b->poll_event(e)) eb.push_back(e);
    Timestamp next = std::min(a->next_deadline(), b->next_deadline());
    for (auto& x : to_a) next = std::min(next, x.first);
    for (auto& x : to_b) next = std::min(next, x.first);
    if (next == kNever) return;
    now = std::max(now, next);
    for (auto* q : {&to_a, &to_b}) {
      for (auto it = q->begin(); it != q->end();) {
        if (it->first <= now) {
          (q == &to_a ? a : b)->handle_datagram(now, ByteView(it->second));
          it = q->erase(it);
        } else {
          ++it;
        }
      }
    }
    a->handle_timeout(now);
    b->handle_timeout(now);
  }
  template <typename F>
  bool until(F f, Duration limit) {
    Timestamp end = now + limit;
    for (int i = 0; i < 200000 && !f() && now < end; ++i) step();
    step();
    return f();
  }
  static std::vector<std::vector<uint8_t>> messages(const std::vector<TransportEvent>& ev, uint32_t ch) {
    std::vector<std::vector<uint8_t>> out;
    for (auto& e : ev) {
      if (e.type == TransportEvent::Type::kChannel && e.channel.type == dcep::ChannelEvent::Type::kMessage &&
          e.channel.channel == ch) {
        out.push_back(e.channel.data);
      }
    }
    return out;
  }
};

// Two of ours (as Chromium and libdatachannel, which offer it too): zero checksum both ways.
TEST(DataTransport, ZeroChecksumBetweenTwoOfOurs) {
  Pair p;
  p.a->start(0);
  p.b->start(0);
  ASSERT_TRUE(p.until([&] { return p.a->connected() && p.b->connected(); }, seconds(10)));
  EXPECT_TRUE(p.a->zero_checksum());
  EXPECT_TRUE(p.b->zero_checksum());
}

// The far end as pion/webrtc 3.1.56 behaves: it answers our DATA_CHANNEL_OPEN with a four-byte
// DATA_CHANNEL_ACK (0x02 and three zeros). Built from our DTLS server and SCTP association, with
// DCEP by hand. The channel opens.
TEST(DataTransport, FourByteDataChannelAckAsPionSendsIt) {
  dtls::Certificate ca, cb;
  dtls::Certificate::generate(P(), "a", ca);
  dtls::Certificate::generate(P(), "b", cb);
  DataTransport a(P(), ca, true, cb.fingerprint, 262144);
  dtls::DtlsConfig dc;
  dc.role = dtls::Role::kServer;
  dc.remote_fingerprint = ca.fingerprint;
  dc.server_cookie = false;
  dtls::DtlsEndpoint bd(P(), dc, cb);
  sctp::SctpAssociation bs(P(), {});
  dcep::ChannelOptions o;
  o.label = "x";
  const uint32_t ch = a.create_channel(0, o);
  Timestamp now = 0;
  std::vector<std::pair<Timestamp, std::vector<uint8_t>>> to_a, to_b;
  bool open = false;
  int acks_sent = 0;
  a.start(0);
  bd.start(0);
  for (int i = 0; i < 20000 && !open; ++i) {
    std::vector<uint8_t> d;
    while (a.poll_datagram(d)) to_b.emplace_back(now + ms(5), d);
    dtls::DtlsEvent de;
    while (bd.poll_event(de)) {
      if (de.type == dtls::DtlsEvent::Type::kConnected) bs.connect(now);
      if (de.type == dtls::DtlsEvent::Type::kData) bs.handle_packet(now, ByteView(de.data));
    }
    sctp::SctpEvent se;
    while (bs.poll_event(se)) {
      if (se.type == sctp::SctpEvent::Type::kMessage && se.message.ppid == dcep::ppid::kDcep) {
        dcep::OpenMessage m;
        ASSERT_TRUE(dcep::OpenMessage::parse(ByteView(se.message.data), m));
        EXPECT_EQ(m.label, "x");
        const uint8_t ack[4] = {dcep::kMessageAck, 0, 0, 0};
        ASSERT_EQ(bs.send(now, se.message.stream, dcep::ppid::kDcep, ByteView(ack, 4)), sctp::SendResult::kOk);
        ++acks_sent;
      }
    }
    while (bs.poll_transmit(d)) bd.send(ByteView(d));
    while (bd.poll_datagram(d)) to_a.emplace_back(now + ms(5), d);
    TransportEvent e;
    while (a.poll_event(e)) {
      if (e.type == TransportEvent::Type::kChannel && e.channel.type == dcep::ChannelEvent::Type::kOpen && e.channel.channel == ch) open = true;
    }
    Timestamp next = std::min({a.next_deadline(), bd.next_deadline(), bs.next_deadline()});
    for (auto& x : to_a) next = std::min(next, x.first);
    for (auto& x : to_b) next = std::min(next, x.first);
    if (next == kNever) break;
    now = std::max(now, next);
    for (auto* q : {&to_a, &to_b}) {
      for (auto it = q->begin(); it != q->end();) {
        if (it->first > now) {
          ++it;
          continue;
        }
        if (q == &to_a) a.handle_datagram(now, ByteView(it->second));
        else bd.handle_datagram(now, ByteView(it->second));
        it = q->erase(it);
      }
    }
    a.handle_timeout(now);
    bd.handle_timeout(now);
    bs.handle_timeout(now);
  }
  EXPECT_EQ(acks_sent, 1);
  EXPECT_TRUE(open);
  EXPECT_EQ(a.channels().state(ch), dcep::ChannelState::kOpen);
}

TEST(DataTransport, DtlsSctpAndChannelsEndToEnd) {
  Pair p;
  dcep::ChannelOptions neg;
  neg.label = "chat";
  neg.negotiated = true;
  neg.id = 1;
  uint32_t na = p.a->create_channel(p.now, neg);
  uint32_t nb = p.b->create_channel(p.now, neg);
  dcep::ChannelOptions inband;
  inband.label = "files";
  uint32_t ia = p.a->create_channel(p.now, inband);
  p.a->start(p.now);
  p.b->start(p.now);
  ASSERT_TRUE(p.until([&] { return p.a->connected() && p.b->connected(); }, seconds(10)));
  ASSERT_TRUE(p.until([&] { return p.a->channels().state(ia) == dcep::ChannelState::kOpen; }, seconds(5)));
  // The in-band channel appeared on b.
  uint32_t ib = 0;
  for (auto& e : p.eb) {
    if (e.type == TransportEvent::Type::kChannel && e.channel.type == dcep::ChannelEvent::Type::kRemoteCreated) ib = e.channel.channel;
  }
  ASSERT_NE(ib, 0u);
  EXPECT_EQ(p.b->channels().options(ib)->label, "files");
  // Messages both ways, 1 byte to 256 KiB.
  std::vector<std::vector<uint8_t>> sent;
  for (size_t size : {size_t(1), size_t(1000), size_t(1200), size_t(65536), size_t(262144)}) {
    std::vector<uint8_t> m(size);
    for (size_t i = 0; i < size; ++i) m[i] = uint8_t(i * 7 + size);
    sent.push_back(m);
    ASSERT_EQ(p.a->send(p.now, na, ByteView(m), false), sctp::SendResult::kOk);
    ASSERT_EQ(p.b->send(p.now, ib, ByteView(m), false), sctp::SendResult::kOk);
  }
  std::vector<uint8_t> too_big(262145);
  EXPECT_EQ(p.a->send(p.now, na, ByteView(too_big), false), sctp::SendResult::kTooLarge);
  ASSERT_TRUE(p.until([&] { return Pair::messages(p.eb, nb).size() == 5 && Pair::messages(p.ea, ia).size() == 5; },
                      seconds(30)));
  EXPECT_EQ(Pair::messages(p.eb, nb), sent);
  EXPECT_EQ(Pair::messages(p.ea, ia), sent);
  // Closing the in-band channel closes it on both sides.
  p.a->close_channel(p.now, ia);
  ASSERT_TRUE(p.until([&] { return p.b->channels().state(ib) == dcep::ChannelState::kClosed; }, seconds(5)));
}

TEST(DataTransport, SurvivesLossDuringTheHandshakeAndTransfer) {
  Pair p;
  p.loss = 0.1;
  dcep::ChannelOptions neg;
  neg.negotiated = true;
  neg.id = 2;
  uint32_t na = p.a->create_channel(p.now, neg);
  uint32_t nb = p.b->create_channel(p.now, neg);
  p.a->start(p.now);
  p.b->start(p.now);
  ASSERT_TRUE(p.until([&] { return p.a->connected() && p.b->connected(); }, seconds(60)));
  for (uint32_t i = 0; i < 50; ++i) {
    std::vector<uint8_t> m(3000, uint8_t(i));
    ASSERT_EQ(p.a->send(p.now, na, ByteView(m), true), sctp::SendResult::kOk);
  }
  ASSERT_TRUE(p.until([&] { return Pair::messages(p.eb, nb).size() == 50; }, seconds(120)));
  auto got = Pair::messages(p.eb, nb);
  for (uint32_t i = 0; i < 50; ++i) EXPECT_EQ(got[i], std::vector<uint8_t>(3000, uint8_t(i)));
}

TEST(DataTransport, WrongFingerprintFails) {
  dtls::Certificate ca, cb, other;
  dtls::Certificate::generate(P(), "a", ca);
  dtls::Certificate::generate(P(), "b", cb);
  dtls::Certificate::generate(P(), "mitm", other);
  Pair p;
  p.a = std::make_unique<DataTransport>(P(), ca, true, other.fingerprint);  // expects someone else
  p.b = std::make_unique<DataTransport>(P(), cb, false, ca.fingerprint);
  p.a->start(p.now);
  p.b->start(p.now);
  ASSERT_TRUE(p.until([&] {
    for (auto& e : p.ea) if (e.type == TransportEvent::Type::kFailed) return true;
    return false;
  }, seconds(10)));
  EXPECT_FALSE(p.a->connected());
}

}  // namespace
}  // namespace wasmrtc::peer

namespace wasmrtc::peer {
namespace {

// Bulk transfer through DTLS + SCTP + channels on a zero-latency link, reading as it arrives:
// prints MB/s (both ends on one core, OpenSSL crypto). Not a pass/fail number.
TEST(DataTransport, BulkThroughputOnAZeroLatencyLink) {
  dtls::Certificate ca, cb;
  dtls::Certificate::generate(P(), "a", ca);
  dtls::Certificate::generate(P(), "b", cb);
  DataTransport a(P(), ca, true, cb.fingerprint, 262144), b(P(), cb, false, ca.fingerprint, 262144);
  dcep::ChannelOptions o;
  o.negotiated = true;
  o.id = 1;
  uint32_t ha = a.create_channel(0, o), hb = b.create_channel(0, o);
  Timestamp now = 0;
  a.start(now);
  b.start(now);
  auto shuttle = [&] {
    std::vector<uint8_t> d;
    bool moved = false;
    while (a.poll_datagram(d)) b.handle_datagram(now, ByteView(d)), moved = true;
    while (b.poll_datagram(d)) a.handle_datagram(now, ByteView(d)), moved = true;
    return moved;
  };
  size_t received = 0;
  auto drain_events = [&] {
    TransportEvent e;
    size_t got = 0;
    while (b.poll_event(e)) {
      if (e.type == TransportEvent::Type::kChannel && e.channel.type == dcep::ChannelEvent::Type::kMessage && e.channel.channel == hb) {
        got += e.channel.data.size();
      }
    }
    while (a.poll_event(e)) {
    }
    if (got) b.consume(now, got);
    received += got;
  };
  for (int i = 0; i < 1000 && !(a.connected() && b.connected()); ++i) {
    if (!shuttle()) {
      now = std::min(a.next_deadline(), b.next_deadline());
      a.handle_timeout(now);
      b.handle_timeout(now);
    }
    drain_events();
  }
  ASSERT_TRUE(a.connected() && b.connected());
  const size_t total = size_t(64) << 20;
  std::vector<uint8_t> msg(16384, 0xAB);
  size_t sent = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int guard = 0; guard < 10000000 && received < total; ++guard) {
    while (sent < total && a.buffered_amount() < (size_t(1) << 20)) {
      if (a.send(now, ha, ByteView(msg), false) != sctp::SendResult::kOk) break;
      sent += msg.size();
    }
    if (!shuttle()) {
      Timestamp next = std::min(a.next_deadline(), b.next_deadline());
      if (next == kNever) break;
      now = std::max(now, next);
      a.handle_timeout(now);
      b.handle_timeout(now);
    }
    drain_events();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(received, total);
  std::printf("DTLS+SCTP+DCEP bulk: %.1f MB/s (%zu MiB in %.2f s)\n", total / secs / 1e6, total >> 20, secs);
}

}  // namespace
}  // namespace wasmrtc::peer
