// Partial reliability (RFC 3758, RFC 8260 I-FORWARD-TSN): when FORWARD-TSNs go out, and when a
// message with a lifetime is given up. (More in sctp_association_test.cc: PartialReliability*.)
#include "sctp/socket/sctp_association.h"
#include "sctp/testing/link.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace wasmrtc::sctp {
namespace {

using testing::Link;

bool is_forward_tsn(const std::vector<uint8_t>& d) {
  return d.size() > 12 && (d[12] == chunk_type::kForwardTsn || d[12] == chunk_type::kIForwardTsn);
}
bool is_data(const std::vector<uint8_t>& d) {
  return d.size() > 12 && (d[12] == chunk_type::kData || d[12] == chunk_type::kIData);
}
// Virtual time passes by `d` (Link::run stops at the last event before its limit).
void wait(Link& l, Duration d) {
  const Timestamp until = l.now + d;
  l.run([] { return false; }, until);
  l.now = std::max(l.now, until);
}

// While the first outstanding chunk is abandoned and the peer has not yet taken the FORWARD-TSN,
// every SACK still shows the old cumulative TSN. A peer acknowledging a steady stream of other
// data sends one per packet; the FORWARD-TSN is repeated at most once per round trip and on
// T3-rtx (RFC 3758 §3.5 C3, A5, F2), not on every one of them.
TEST(SctpPartialReliability, ForwardTsnIsNotRepeatedOnEverySack) {
  for (bool interleaving : {true, false}) {
    SctpConfig cfg;
    cfg.enable_interleaving = interleaving;
    Link l(41, cfg);
    l.latency = ms(50);  // 100 ms round trip
    l.end[0]->connect(0);
    l.end[1]->connect(0);
    ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
    ASSERT_EQ(l.end[0]->interleaving(), interleaving);
    // The doomed message's only transmission is lost; every FORWARD-TSN is lost while `hold`.
    bool hold = true, dropped = false;
    size_t forward_tsns = 0, sacks = 0, wrong_kind = 0;
    l.tap = [&](int from, const std::vector<uint8_t>& d) {
      if (from == 0 && is_forward_tsn(d)) ++forward_tsns;
      if (from == 0 && is_forward_tsn(d) && (d[12] == chunk_type::kIForwardTsn) != interleaving) ++wrong_kind;
      if (from == 1 && d.size() > 12 && d[12] == chunk_type::kSack) ++sacks;
    };
    l.drop = [&](int from, const std::vector<uint8_t>& d) {
      if (from != 0) return false;
      if (is_forward_tsn(d)) return hold;
      if (!dropped && is_data(d)) return dropped = true;
      return false;
    };
    SendOptions once;
    once.max_retransmits = 0;
    std::vector<uint8_t> doomed(100, 0xDD);
    ASSERT_EQ(l.end[0]->send(l.now, 2, 53, ByteView(doomed), once), SendResult::kOk);
    l.pump();
    ASSERT_TRUE(dropped);
    // Two seconds of small reliable messages on another stream, one every 5 ms: each arrives
    // above the hole and is acknowledged at once (a SACK with a gap).
    const Timestamp start = l.now;
    const uint64_t t3_before = l.end[0]->stats().t3_expiries;
    for (uint32_t i = 0; i < 400; ++i) {
      std::vector<uint8_t> m(60, uint8_t(i));
      std::memcpy(m.data(), &i, 4);
      ASSERT_EQ(l.end[0]->send(l.now, 1, 51, ByteView(m)), SendResult::kOk);
      wait(l, ms(5));
    }
    const double rtts = double(l.now - start) / double(ms(100));
    const uint64_t t3 = l.end[0]->stats().t3_expiries - t3_before;
    std::printf("%s: %zu FORWARD-TSNs for %zu SACKs over %.0f round trips, %llu T3 expiries\n",
                interleaving ? "I-FORWARD-TSN" : "FORWARD-TSN", forward_tsns, sacks, rtts, (unsigned long long)t3);
    EXPECT_GT(sacks, 200u) << interleaving;  // the situation the test is about
    EXPECT_GT(forward_tsns, 0u) << interleaving;
    EXPECT_EQ(wrong_kind, 0u) << "I-FORWARD-TSN with I-DATA, FORWARD-TSN without (RFC 8260 §2.3)";
    // At most one per round trip (2 s = 20 RTTs), plus one per T3 expiry.
    EXPECT_LE(double(forward_tsns), rtts + double(t3) + 2) << interleaving << " sacks " << sacks << " t3 " << t3;
    // Once FORWARD-TSNs get through the peer skips the doomed message; the stream is usable.
    hold = false;
    std::vector<uint8_t> marker(10, 0xEE);
    ASSERT_EQ(l.end[0]->send(l.now, 2, 53, ByteView(marker)), SendResult::kOk);
    ASSERT_TRUE(l.run([&] { return l.got[1].size() == 401; }, l.now + seconds(10))) << l.got[1].size();
    EXPECT_EQ(l.got[1].back().data, marker);
    for (size_t i = 0; i < 400; ++i) EXPECT_EQ(l.got[1][i].stream, 1) << i;
  }
}

// A FORWARD-TSN whose point moved further (the chunk after the abandoned one abandoned too) is
// not held back as a duplicate would be: it goes at once, within the round trip (C3).
TEST(SctpPartialReliability, ForwardTsnForAFurtherPointIsNotDelayed) {
  Link l(42);
  l.latency = ms(50);
  l.end[0]->connect(0);
  l.end[1]->connect(0);
  ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
  struct Sent {
    Timestamp at;
    uint32_t point;
  };
  std::vector<Sent> forward_tsns;
  l.tap = [&](int from, const std::vector<uint8_t>& d) {
    if (from == 0 && is_forward_tsn(d) && d.size() >= 20) forward_tsns.push_back({l.now, load_be32(d.data() + 16)});
  };
  // Every transmission of the two doomed messages is lost, and every FORWARD-TSN.
  const std::vector<uint8_t> a(100, 0xDA), b(100, 0xDB);
  auto carries = [](const std::vector<uint8_t>& d, const std::vector<uint8_t>& m) {
    return std::search(d.begin(), d.end(), m.begin(), m.end()) != d.end();
  };
  l.drop = [&](int from, const std::vector<uint8_t>& d) {
    return from == 0 && (is_forward_tsn(d) || (is_data(d) && (carries(d, a) || carries(d, b))));
  };
  SendOptions once, twice;
  once.max_retransmits = 0;   // abandoned at its first miss report
  twice.max_retransmits = 1;  // fast retransmitted once, then abandoned: later, a TSN further on
  ASSERT_EQ(l.end[0]->send(l.now, 2, 53, ByteView(a), once), SendResult::kOk);
  wait(l, ms(1));
  ASSERT_EQ(l.end[0]->send(l.now, 3, 53, ByteView(b), twice), SendResult::kOk);
  for (uint32_t i = 0; i < 60; ++i) {
    std::vector<uint8_t> m(60, uint8_t(i));
    ASSERT_EQ(l.end[0]->send(l.now, 1, 51, ByteView(m)), SendResult::kOk);
    wait(l, ms(5));
  }
  ASSERT_EQ(l.end[0]->stats().abandoned, 2u);
  ASSERT_GE(forward_tsns.size(), 2u);
  bool moved_at_once = false;
  for (size_t i = 1; i < forward_tsns.size(); ++i) {
    if (forward_tsns[i].point == forward_tsns[i - 1].point + 1 && forward_tsns[i].at - forward_tsns[i - 1].at < ms(100)) {
      moved_at_once = true;
    }
  }
  EXPECT_TRUE(moved_at_once);
  l.drop = nullptr;
  std::vector<uint8_t> marker(10, 0xEE);
  ASSERT_EQ(l.end[0]->send(l.now, 3, 53, ByteView(marker)), SendResult::kOk);
  ASSERT_TRUE(l.run([&] { return l.got[1].size() == 61; }, l.now + seconds(10))) << l.got[1].size();
  EXPECT_EQ(l.got[1].back().data, marker);
}

// Timed reliability (maxPacketLifeTime): the lifetime counts from send() but decides
// retransmissions only (RFC 3758 §4.1 TR4, as usrsctp does). Messages that waited in the queue
// longer than their lifetime, behind a large one on their stream, still go out once and arrive
// on a link that loses nothing, in order, and nothing is abandoned.
TEST(SctpPartialReliability, LifetimeSpentInTheQueueStillSendsOnce) {
  for (bool interleaving : {true, false}) {
    SctpConfig cfg;
    cfg.enable_interleaving = interleaving;
    Link l(43, cfg);
    l.latency = ms(50);  // 100 ms round trip: the large message takes several
    l.end[0]->connect(0);
    l.end[1]->connect(0);
    ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
    const Timestamp start = l.now;
    std::vector<uint8_t> big(200000, 1);
    ASSERT_EQ(l.end[0]->send(l.now, 4, 53, ByteView(big)), SendResult::kOk);
    SendOptions life;
    life.lifetime_ms = 100;
    for (uint32_t i = 0; i < 40; ++i) {
      std::vector<uint8_t> m(200, uint8_t(i));
      std::memcpy(m.data(), &i, 4);
      ASSERT_EQ(l.end[0]->send(l.now, 4, 53, ByteView(m), life), SendResult::kOk);
    }
    ASSERT_TRUE(l.run([&] { return l.got[1].size() >= 2; }, l.now + seconds(10)));
    EXPECT_GT(l.now - start, ms(100) + l.latency) << "the first timed message left after its lifetime";
    ASSERT_TRUE(l.run([&] { return l.got[1].size() == 41; }, l.now + seconds(10)))
        << interleaving << " got " << l.got[1].size() << " abandoned " << l.end[0]->stats().abandoned;
    EXPECT_EQ(l.got[1][0].data, big);
    for (uint32_t i = 0; i < 40; ++i) {
      uint32_t id = 0;
      std::memcpy(&id, l.got[1][1 + i].data.data(), 4);
      EXPECT_EQ(id, i);
    }
    EXPECT_EQ(l.end[0]->stats().abandoned, 0u);
    EXPECT_EQ(l.end[0]->stats().forward_tsn_out, 0u);
  }
}

// ... and the lifetime still ends retransmissions: a message whose only transmission was lost is
// given up when it falls due for retransmission after its lifetime (T3-rtx here), never resent,
// and the stream moves on; one whose lifetime outlasts the timeout is resent and arrives.
TEST(SctpPartialReliability, LifetimeDecidesRetransmissions) {
  for (int lifetime_ms : {100, 5000}) {
    Link l(44);
    l.latency = ms(20);
    l.end[0]->connect(0);
    l.end[1]->connect(0);
    ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
    bool dropped = false;
    l.drop = [&](int from, const std::vector<uint8_t>& d) {
      if (from != 0 || dropped || !is_data(d)) return false;
      return dropped = true;
    };
    SendOptions life;
    life.lifetime_ms = lifetime_ms;
    std::vector<uint8_t> timed(300, 0x77), after(50, 0x88);
    ASSERT_EQ(l.end[0]->send(l.now, 6, 53, ByteView(timed), life), SendResult::kOk);
    l.pump();
    ASSERT_TRUE(dropped);
    const uint64_t rtx_before = l.end[0]->stats().retransmissions;
    ASSERT_TRUE(l.run([&] { return l.end[0]->stats().t3_expiries > 0; }, l.now + seconds(5)));
    ASSERT_EQ(l.end[0]->send(l.now, 6, 53, ByteView(after)), SendResult::kOk);
    ASSERT_TRUE(l.run([&] { return !l.got[1].empty() && l.got[1].back().data == after; }, l.now + seconds(10)));
    if (lifetime_ms == 100) {
      ASSERT_EQ(l.got[1].size(), 1u);
      EXPECT_EQ(l.end[0]->stats().abandoned, 1u);
      EXPECT_EQ(l.end[0]->stats().retransmissions, rtx_before);
      EXPECT_GT(l.end[0]->stats().forward_tsn_out, 0u);
    } else {
      ASSERT_EQ(l.got[1].size(), 2u);
      EXPECT_EQ(l.got[1][0].data, timed);
      EXPECT_EQ(l.end[0]->stats().abandoned, 0u);
      EXPECT_GT(l.end[0]->stats().retransmissions, rtx_before);
    }
  }
}

}  // namespace
}  // namespace wasmrtc::sctp
