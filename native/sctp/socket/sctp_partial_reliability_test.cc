// Partial reliability (RFC 3758, RFC 8260 I-FORWARD-TSN): when FORWARD-TSNs go out. (More in
// sctp_association_test.cc: PartialReliability*.)
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

}  // namespace
}  // namespace wasmrtc::sctp
