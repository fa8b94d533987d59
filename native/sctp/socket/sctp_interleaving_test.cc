// I-DATA and I-FORWARD-TSN (RFC 8260) between two of our ends: negotiation, protocol violations,
// interleaving on the fair scheduler, every reliability mode under loss / duplication /
// reordering, stream reset, and throughput beside DATA.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include "sctp/packet/chunks.h"
#include "sctp/socket/sctp_association.h"
#include "sctp/testing/link.h"

namespace wasmrtc::sctp {
namespace {

using testing::Link;
using testing::message;
using testing::P;

using testing::with_interleaving;

// Chunk types seen on the wire, per sender.
struct Tap {
  std::set<uint8_t> types[2];
  std::vector<uint8_t> last[2];
  void attach(Link& l) {
    l.tap = [this](int from, const std::vector<uint8_t>& d) {
      SctpPacket p;
      if (!SctpPacket::parse(ByteView(d), P(), true, p)) return;
      for (const auto& c : p.chunks()) types[from].insert(c.type);
      last[from] = d;
    };
  }
};

void connect(Link& l) {
  l.end[0]->connect(0);
  l.end[1]->connect(0);
  ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(60)));
}

TEST(Interleaving, NegotiatedOnlyWhenBothOffer) {
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      Link l(40 + uint32_t(a * 2 + b));
      l.end[0] = std::make_unique<SctpAssociation>(P(), with_interleaving(a));
      l.end[1] = std::make_unique<SctpAssociation>(P(), with_interleaving(b));
      Tap tap;
      tap.attach(l);
      // One-sided open too: the answerer learns what the initiator offered from the cookie.
      l.end[0]->connect(0);
      if (a == b) l.end[1]->connect(0);
      ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(10)));
      const bool both = a && b;
      EXPECT_EQ(l.end[0]->interleaving(), both);
      EXPECT_EQ(l.end[1]->interleaving(), both);
      std::vector<uint8_t> m(5000, 9);
      SendOptions pr;
      pr.max_retransmits = 0;
      ASSERT_EQ(l.end[0]->send(l.now, 1, 53, ByteView(m)), SendResult::kOk);
      ASSERT_EQ(l.end[1]->send(l.now, 2, 53, ByteView(m), pr), SendResult::kOk);
      ASSERT_TRUE(l.run([&] { return l.got[1].size() == 1 && l.got[0].size() == 1; }, l.now + seconds(10)));
      EXPECT_EQ(l.got[1][0].data, m);
      for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(tap.types[i].count(chunk_type::kIData), both ? 1u : 0u) << a << b;
        EXPECT_EQ(tap.types[i].count(chunk_type::kData), both ? 0u : 1u) << a << b;
      }
    }
  }
}

// RFC 8260 §2.1: the wrong kind of data chunk for what was negotiated aborts the association with
// a Protocol Violation cause.
TEST(Interleaving, WrongDataChunkKindIsAProtocolViolation) {
  for (int negotiated = 0; negotiated < 2; ++negotiated) {
    for (uint8_t type : {chunk_type::kData, chunk_type::kIData, chunk_type::kForwardTsn, chunk_type::kIForwardTsn}) {
      const bool wrong = (type == chunk_type::kIData || type == chunk_type::kIForwardTsn) != bool(negotiated);
      if (!wrong) continue;
      Link l(50 + type);
      l.end[0] = std::make_unique<SctpAssociation>(P(), with_interleaving(negotiated));
      l.end[1] = std::make_unique<SctpAssociation>(P(), with_interleaving(negotiated));
      Tap tap;
      tap.attach(l);
      connect(l);
      ASSERT_EQ(l.end[1]->interleaving(), bool(negotiated));
      // A packet towards end 1 with its verification tag, carrying the chunk it must refuse.
      ASSERT_GE(tap.last[0].size(), kCommonHeaderSize);
      const uint32_t vtag = load_be32(tap.last[0].data() + 4);
      SctpPacketBuilder b({5000, 5000, vtag}, 1200);
      std::vector<uint8_t> v;
      const uint8_t x[4] = {1, 2, 3, 4};
      if (type == chunk_type::kData || type == chunk_type::kIData) {
        DataChunk d;
        d.i_data = type == chunk_type::kIData;
        d.flags = DataChunk::kBeginning | DataChunk::kEnd;
        d.tsn = 12345;
        d.payload = ByteView(x, 4);
        d.serialize(v);
      } else {
        ForwardTsnChunk f;
        f.i_forward = type == chunk_type::kIForwardTsn;
        f.new_cumulative_tsn = 1;
        f.serialize(v);
      }
      ASSERT_TRUE(b.add(type, DataChunk::kBeginning | DataChunk::kEnd, ByteView(v)));
      auto pkt = b.finish(P());
      l.end[1]->handle_packet(l.now, ByteView(pkt));
      EXPECT_EQ(l.end[1]->state(), SctpAssociation::State::kClosed) << int(type);
      std::vector<uint8_t> out;
      bool abort_with_cause = false;
      while (l.end[1]->poll_transmit(out)) {
        SctpPacket p;
        ASSERT_TRUE(SctpPacket::parse(ByteView(out), P(), true, p));
        for (const auto& c : p.chunks()) {
          ErrorCauses causes;
          if (c.type != chunk_type::kAbort || !ErrorCauses::parse(c.value, causes)) continue;
          for (const auto& [code, value] : causes.causes) abort_with_cause |= code == cause::kProtocolViolation;
        }
      }
      EXPECT_TRUE(abort_with_cause) << int(type);
      l.pump();
      EXPECT_NE(l.aborted[1].find("protocol violation"), std::string::npos) << l.aborted[1];
    }
  }
}

// The point of RFC 8260: a large message on one stream no longer holds up small ones on another.
TEST(Interleaving, SmallMessagesOvertakeALargeOneOnAnotherStream) {
  for (int on = 0; on < 2; ++on) {
    Link l(60, with_interleaving(on));
    connect(l);
    ASSERT_EQ(l.end[0]->interleaving(), bool(on));
    std::mt19937 rng(1);
    auto big = message(rng, 256 * 1024, 1);
    ASSERT_EQ(l.end[0]->send(l.now, 1, 53, ByteView(big)), SendResult::kOk);
    for (uint32_t i = 0; i < 5; ++i) {
      auto small = message(rng, 100, 100 + i);
      ASSERT_EQ(l.end[0]->send(l.now, 2, 51, ByteView(small)), SendResult::kOk);
    }
    ASSERT_TRUE(l.run([&] { return l.got[1].size() == 6; }, l.now + seconds(30)));
    size_t big_at = 0;
    for (size_t i = 0; i < l.got[1].size(); ++i) {
      if (l.got[1][i].stream == 1) big_at = i;
    }
    EXPECT_EQ(l.got[1][big_at].data, big);
    if (on) {
      EXPECT_EQ(big_at, 5u) << "with I-DATA the small messages arrive before the large one completes";
    } else {
      EXPECT_EQ(big_at, 0u) << "with DATA the large message goes first";
    }
  }
}

// The receiver holds the fragments of every message that has started and not completed. With a
// receive window smaller than one message and large messages on many streams, interleaving must
// not fill the window with halves that can never complete (the sender starts another message of
// several fragments only within the peer's window), so everything still arrives.
TEST(Interleaving, LargeMessagesOnManyStreamsThroughASmallWindow) {
  for (int owns = 0; owns < 2; ++owns) {
    for (double loss : {0.0, 0.05}) {
      SctpConfig cfg;
      cfg.receive_window = 64 * 1024;
      cfg.app_owns_delivered = owns;
      Link l(80 + uint32_t(owns) + uint32_t(loss * 100), cfg);
      l.loss = loss;
      l.reorder = loss;
      connect(l);
      ASSERT_TRUE(l.end[0]->interleaving());
      std::mt19937 rng(3);
      std::vector<std::vector<uint8_t>> sent;
      for (uint32_t i = 0; i < 12; ++i) {
        sent.push_back(message(rng, i % 3 == 2 ? 200 : 256 * 1024 - i, i));
        ASSERT_EQ(l.end[0]->send(l.now, uint16_t(i % 6), 53, ByteView(sent.back())), SendResult::kOk);
      }
      ASSERT_TRUE(l.run([&] { return l.got[1].size() == sent.size(); }, l.now + seconds(3000)))
          << "owns " << owns << " loss " << loss << " got " << l.got[1].size() << " held " << l.end[1]->received_bytes_held();
      std::vector<std::vector<uint8_t>> per_stream_sent[6], per_stream_got[6];
      for (size_t i = 0; i < sent.size(); ++i) per_stream_sent[i % 6].push_back(sent[i]);
      for (auto& m : l.got[1]) per_stream_got[m.stream].push_back(m.data);
      for (int s = 0; s < 6; ++s) EXPECT_EQ(per_stream_got[s], per_stream_sent[s]) << s;
      EXPECT_LE(l.end[1]->stats().data_dropped, l.end[1]->stats().packets_in);
    }
  }
}

struct Mode {
  const char* name;
  bool ordered;
  int max_retransmits;
  int lifetime_ms;
  bool reliable() const { return max_retransmits < 0 && lifetime_ms < 0; }
};
struct Case {
  Mode mode;
  double loss;
};

class InterleavedUnderLoss : public ::testing::TestWithParam<Case> {};

// Messages of 1 byte to 256 KiB on three streams both ways at once, then a stream reset each way,
// more messages on the reset streams, and shutdown: loss, duplication and reordering at the same
// rate. Reliable: everything, intact, in order per stream. Partially reliable: what arrives is
// intact, once, in order per stream when ordered, and a reliable marker after the data gets through.
TEST_P(InterleavedUnderLoss, EveryModeIntactAndInOrder) {
  const Mode mode = GetParam().mode;
  const double loss = GetParam().loss;
  const size_t kSizes[] = {1, 2, 100, 1167, 1168, 1169, 5000, 16384, 65536, 100000, 262144};
  constexpr uint32_t kMarker = 99;
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    Link l(seed * 31 + uint32_t(loss * 100));
    l.loss = loss;
    l.dup = loss;
    l.reorder = loss;
    connect(l);
    ASSERT_TRUE(l.end[0]->interleaving() && l.end[1]->interleaving());
    SendOptions o;
    o.ordered = mode.ordered;
    o.max_retransmits = mode.max_retransmits;
    o.lifetime_ms = mode.lifetime_ms;
    std::mt19937 rng(seed);
    std::vector<std::vector<uint8_t>> sent[2];
    for (int round = 0; round < 2; ++round) {
      for (size_t k = 0; k < std::size(kSizes); ++k) {
        for (int side = 0; side < 2; ++side) {
          const size_t i = sent[side].size();
          sent[side].push_back(message(rng, kSizes[(k + size_t(side) * 5) % std::size(kSizes)], uint32_t(i)));
          ASSERT_EQ(l.end[side]->send(l.now, uint16_t(i % 3), 53, ByteView(sent[side].back()), o), SendResult::kOk);
        }
      }
    }
    const uint8_t marker[3] = {'e', 'n', 'd'};
    for (int side = 0; side < 2; ++side) {
      for (uint16_t s = 0; s < 3; ++s) ASSERT_EQ(l.end[side]->send(l.now, s, kMarker, ByteView(marker, 3)), SendResult::kOk);
    }
    auto markers = [&](int i) {
      return std::count_if(l.got[i].begin(), l.got[i].end(), [&](const SctpMessage& m) { return m.ppid == kMarker; });
    };
    auto done = [&] {
      if (markers(0) < 3 || markers(1) < 3) return false;
      if (!mode.reliable()) return true;
      return l.got[0].size() == sent[1].size() + 3 && l.got[1].size() == sent[0].size() + 3;
    };
    ASSERT_TRUE(l.run(done, l.now + seconds(3000)))
        << mode.name << " loss " << loss << " seed " << seed << " got " << l.got[0].size() << "/" << l.got[1].size()
        << " aborted [" << l.aborted[0] << "][" << l.aborted[1] << "] held " << l.end[0]->received_bytes_held() << "/"
        << l.end[1]->received_bytes_held();
    for (int to = 0; to < 2; ++to) {
      const auto& s = sent[1 - to];
      std::set<size_t> seen;
      std::vector<long> last(3, -1);
      size_t data = 0;
      for (const auto& m : l.got[to]) {
        if (m.ppid == kMarker) continue;
        ++data;
        long found = -1;
        for (size_t i = m.stream; i < s.size(); i += 3) {
          if (s[i] == m.data && !seen.count(i)) {
            found = long(i);
            break;
          }
        }
        ASSERT_GE(found, 0) << "a message arrived that was not sent, or twice (size " << m.data.size() << ")";
        seen.insert(size_t(found));
        if (mode.ordered) {
          ASSERT_GT(found, last[m.stream]) << "out of order on stream " << m.stream;
          last[m.stream] = found;
        }
      }
      if (mode.reliable()) {
        EXPECT_EQ(data, s.size());
        if (mode.ordered) {  // per stream, the markers came last
          for (const auto& m : l.got[to]) (void)m;
        }
      }
    }
    if (!mode.reliable() && loss > 0) EXPECT_GT(l.end[0]->stats().abandoned + l.end[1]->stats().abandoned, 0u);
    // Reset stream 1 from each side (MIDs start over), then the stream carries messages again.
    ASSERT_TRUE(l.end[0]->reset_stream(l.now, 1));
    ASSERT_TRUE(l.end[1]->reset_stream(l.now, 1));
    ASSERT_TRUE(l.run([&] {
      return std::count(l.resets[0].begin(), l.resets[0].end(), "outgoing:1") == 1 &&
             std::count(l.resets[1].begin(), l.resets[1].end(), "outgoing:1") == 1;
    }, l.now + seconds(600)));
    const size_t before[2] = {l.got[0].size(), l.got[1].size()};
    std::vector<std::vector<uint8_t>> again;
    for (uint32_t i = 0; i < 4; ++i) {
      again.push_back(message(rng, i == 2 ? 70000 : 300 + i, 900 + i));
      ASSERT_EQ(l.end[0]->send(l.now, 1, 53, ByteView(again.back())), SendResult::kOk);
      ASSERT_EQ(l.end[1]->send(l.now, 1, 53, ByteView(again.back())), SendResult::kOk);
    }
    ASSERT_TRUE(l.run([&] {
      auto has_all = [&](int i) {
        std::vector<std::vector<uint8_t>> got;
        for (size_t k = before[i]; k < l.got[i].size(); ++k) {
          if (l.got[i][k].stream == 1 && l.got[i][k].ppid == 53) got.push_back(l.got[i][k].data);
        }
        return got == again;  // in order: the reset started the MIDs over on both ends
      };
      return has_all(0) && has_all(1);
    }, l.now + seconds(600))) << mode.name << " loss " << loss << " seed " << seed;
    l.end[0]->shutdown(l.now);
    ASSERT_TRUE(l.run([&] { return l.closed[0] && l.closed[1]; }, l.now + seconds(600)));
    EXPECT_TRUE(l.aborted[0].empty() && l.aborted[1].empty()) << l.aborted[0] << l.aborted[1];
  }
}

const Mode kModes[] = {
    {"reliable_ordered", true, -1, -1},     {"reliable_unordered", false, -1, -1},
    {"rexmit0_ordered", true, 0, -1},       {"rexmit1_unordered", false, 1, -1},
    {"lifetime200_ordered", true, -1, 200}, {"lifetime200_unordered", false, -1, 200},
};

std::vector<Case> cases() {
  std::vector<Case> v;
  for (const Mode& m : kModes) {
    for (double loss : {0.0, 0.05, 0.10}) v.push_back({m, loss});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Modes, InterleavedUnderLoss, ::testing::ValuesIn(cases()), [](const auto& i) {
  return std::string(i.param.mode.name) + "_loss" + std::to_string(int(i.param.loss * 100));
});

// Zero-latency bulk transfer, CPU-bound on both ends: DATA and I-DATA side by side (best of 3).
TEST(Interleaving, ThroughputBesideData) {
  for (size_t size : {size_t(16384), size_t(256 * 1024)}) {
    for (int on = 0; on < 2; ++on) {
      double best = 0;
      for (int rep = 0; rep < 3; ++rep) {
        Link l(70, with_interleaving(on));
        l.latency = 0;
        connect(l);
        ASSERT_EQ(l.end[0]->interleaving(), bool(on));
        std::vector<uint8_t> m(size, 1);
        const size_t n = (32u << 20) / size;
        size_t sent = 0;
        auto start = std::chrono::steady_clock::now();
        for (int round = 0; round < 100000 && l.got[1].size() < n; ++round) {
          while (sent < n && l.end[0]->buffered_amount() < 512 * 1024) {
            l.end[0]->send(l.now, uint16_t(sent % 2), 53, ByteView(m));
            ++sent;
          }
          l.run([&] { return l.got[1].size() >= n || (sent < n && l.end[0]->buffered_amount() < 256 * 1024); },
                l.now + seconds(10));
        }
        ASSERT_EQ(l.got[1].size(), n);
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::max(best, double(n) * double(size) / 1e6 / secs);
      }
      std::printf("native SCTP %s, %zu-byte messages on 2 streams, zero-latency link: %.1f MB/s (best of 3)\n",
                  on ? "I-DATA" : "DATA", size, best);
    }
  }
}

}  // namespace
}  // namespace wasmrtc::sctp
