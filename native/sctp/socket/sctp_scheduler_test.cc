// The sender's stream scheduler: streams with data queued take turns (round robin), a whole
// message at a time without I-DATA (its fragments need consecutive TSNs, RFC 9260 §6.9) and a
// fragment at a time with it (RFC 8260 §3), so one channel's bulk data does not hold up the
// messages of another. Per-stream order, partial reliability, stream reset and bufferedAmount
// still hold under it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sctp/packet/chunks.h"
#include "sctp/packet/sctp_packet.h"
#include "sctp/socket/sctp_association.h"
#include "sctp/testing/link.h"

namespace wasmrtc::sctp {
namespace {

using testing::Link;
using testing::message;
using testing::P;

using testing::with_interleaving;

void connect(Link& l) {
  l.end[0]->connect(0);
  l.end[1]->connect(0);
  ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(60)));
}

// The first transmission of every DATA / I-DATA chunk end 0 sends, in the order they go out.
struct WireOrder {
  struct Sent {
    uint16_t stream;
    uint8_t flags;
    size_t bytes;
  };
  std::vector<Sent> sent;
  std::set<uint32_t> tsns;
  void attach(Link& l) {
    l.tap = [this](int from, const std::vector<uint8_t>& d) {
      if (from != 0) return;
      SctpPacket p;
      if (!SctpPacket::parse(ByteView(d), P(), false, p)) return;
      for (const auto& c : p.chunks()) {
        if (c.type != chunk_type::kData && c.type != chunk_type::kIData) continue;
        DataChunk dc;
        dc.i_data = c.type == chunk_type::kIData;
        if (!DataChunk::parse(c, dc) || !tsns.insert(dc.tsn).second) continue;
        sent.push_back({dc.stream, dc.flags, dc.payload.size});
      }
    };
  }
  // Bytes of streams other than `stream` that went out before its n-th message (0-based) began,
  // counting from entry `from` of sent.
  size_t others_before_message(uint16_t stream, size_t n, size_t from) const {
    size_t others = 0, begun = 0;
    for (size_t i = from; i < sent.size(); ++i) {
      if (sent[i].stream == stream) {
        if ((sent[i].flags & DataChunk::kBeginning) && begun++ == n) return others;
      } else {
        others += sent[i].bytes;
      }
    }
    return SIZE_MAX;
  }
};

// Three channels with 64 KiB each queued (16 messages of 4 KiB), then a fourth with 20 small
// messages queued last. In one send() order queue the small ones wait for all 192 KiB; with
// streams taking turns each small message waits for about one message (DATA) or one fragment
// (I-DATA) of each other stream. Per-stream order and content are intact, bufferedAmount per
// stream adds up to the association's, and every stream reports its buffer drained.
TEST(SctpScheduler, SmallStreamGetsItsTurnBesideBulkStreams) {
  constexpr size_t kBulk = 4096, kBulkMessages = 16, kSmall = 100, kSmallMessages = 20;
  constexpr uint16_t kSmallStream = 4;
  for (int on = 0; on < 2; ++on) {
    Link l(90 + uint32_t(on), with_interleaving(on));
    connect(l);
    ASSERT_EQ(l.end[0]->interleaving(), bool(on));
    WireOrder wire;
    wire.attach(l);
    std::mt19937 rng(7);
    std::map<uint16_t, std::vector<std::vector<uint8_t>>> sent;
    const Timestamp start = l.now;
    for (uint16_t s = 1; s <= 3; ++s) {
      for (size_t i = 0; i < kBulkMessages; ++i) {
        sent[s].push_back(message(rng, kBulk, uint32_t(s * 1000 + i)));
        ASSERT_EQ(l.end[0]->send(l.now, s, 53, ByteView(sent[s].back())), SendResult::kOk);
      }
    }
    l.pump();
    const size_t on_wire_before_small = wire.sent.size();  // what the first window took at once
    for (size_t i = 0; i < kSmallMessages; ++i) {
      sent[kSmallStream].push_back(message(rng, kSmall, uint32_t(9000 + i)));
      ASSERT_EQ(l.end[0]->send(l.now, kSmallStream, 51, ByteView(sent[kSmallStream].back())), SendResult::kOk);
    }
    size_t per_stream = 0;
    for (uint16_t s = 1; s <= kSmallStream; ++s) per_stream += l.end[0]->buffered_amount(s);
    EXPECT_EQ(per_stream, l.end[0]->buffered_amount());
    const size_t total = 3 * kBulkMessages + kSmallMessages;
    Timestamp first_small_at = kNever, last_small_at = kNever;
    size_t smalls = 0;
    ASSERT_TRUE(l.run([&] {
      size_t sum = 0;
      for (uint16_t s = 1; s <= kSmallStream; ++s) sum += l.end[0]->buffered_amount(s);
      EXPECT_EQ(sum, l.end[0]->buffered_amount());
      const size_t now_smalls = size_t(std::count_if(l.got[1].begin(), l.got[1].end(),
                                                     [&](const SctpMessage& m) { return m.stream == kSmallStream; }));
      if (now_smalls > 0 && smalls == 0) first_small_at = l.now;
      if (now_smalls == kSmallMessages && smalls < kSmallMessages) last_small_at = l.now;
      smalls = now_smalls;
      return l.got[1].size() == total;
    }, l.now + seconds(60))) << on << " got " << l.got[1].size();
    std::map<uint16_t, std::vector<std::vector<uint8_t>>> got;
    for (const auto& m : l.got[1]) got[m.stream].push_back(m.data);
    EXPECT_EQ(got, sent) << "per-stream order or content";
    for (uint16_t s = 1; s <= kSmallStream; ++s) {
      EXPECT_EQ(l.end[0]->buffered_amount(s), 0u);
      EXPECT_GE(std::count(l.low[0].begin(), l.low[0].end(), s), 1) << "stream " << s;
    }
    EXPECT_EQ(l.end[0]->buffered_amount(), 0u);

    const size_t first = wire.others_before_message(kSmallStream, 0, on_wire_before_small);
    const size_t tenth = wire.others_before_message(kSmallStream, 9, on_wire_before_small);
    std::printf("%s: bulk bytes sent before the small stream's first message %zu, before its 10th %zu; "
                "first delivered after %lld ms, last after %lld ms (%zu bulk bytes were on the wire before it was queued)\n",
                on ? "I-DATA" : "DATA", first, tenth, (long long)((first_small_at - start) / ms(1)),
                (long long)((last_small_at - start) / ms(1)), [&] {
                  size_t n = 0;
                  for (size_t i = 0; i < on_wire_before_small; ++i) n += wire.sent[i].bytes;
                  return n;
                }());
    if (on) {
      // One fragment of each other stream at most per turn (max payload 1168 with I-DATA).
      EXPECT_LE(first, 3 * 1200u);
      EXPECT_LE(tenth, 10 * 3 * 1200u);
    } else {
      // A whole message of each other stream per turn, and the one under way when they were queued.
      EXPECT_LE(first, 4 * kBulk);
      EXPECT_LE(tenth, (10 * 3 + 1) * kBulk);
    }
    // Each turn a stream with data queued is served: the bulk streams progress evenly too.
    for (size_t n = 1; n + 1 < kSmallMessages; ++n) {
      const size_t a = wire.others_before_message(kSmallStream, n - 1, on_wire_before_small);
      const size_t b = wire.others_before_message(kSmallStream, n, on_wire_before_small);
      if (b == SIZE_MAX || a == SIZE_MAX) break;
      EXPECT_LE(b - a, on ? 3 * 1200u : 3 * kBulk + kBulk) << "between small messages " << n - 1 << " and " << n;
    }
  }
}

// One stream's large messages do not starve the others either: two streams each with eight
// 64 KiB messages, a third with one message after them, and whoever has data takes turns.
TEST(SctpScheduler, LargeMessagesAlternateBetweenStreams) {
  for (int on = 0; on < 2; ++on) {
    Link l(95 + uint32_t(on), with_interleaving(on));
    connect(l);
    WireOrder wire;
    wire.attach(l);
    std::mt19937 rng(9);
    std::map<uint16_t, std::vector<std::vector<uint8_t>>> sent;
    for (size_t i = 0; i < 8; ++i) {
      for (uint16_t s : {uint16_t(10), uint16_t(20)}) {
        sent[s].push_back(message(rng, 65536, uint32_t(s * 100 + i)));
        ASSERT_EQ(l.end[0]->send(l.now, s, 53, ByteView(sent[s].back())), SendResult::kOk);
      }
    }
    l.pump();
    const size_t from = wire.sent.size();
    sent[30].push_back(message(rng, 65536, 3000));
    ASSERT_EQ(l.end[0]->send(l.now, 30, 53, ByteView(sent[30].back())), SendResult::kOk);
    ASSERT_TRUE(l.run([&] { return l.got[1].size() == 17; }, l.now + seconds(60)));
    std::map<uint16_t, std::vector<std::vector<uint8_t>>> got;
    for (const auto& m : l.got[1]) got[m.stream].push_back(m.data);
    EXPECT_EQ(got, sent);
    // Stream 30 starts within about one message of each other stream (plus the one under way).
    const size_t before = wire.others_before_message(30, 0, from);
    std::printf("%s: bytes of streams 10 and 20 sent before stream 30's message began: %zu of %zu\n",
                on ? "I-DATA" : "DATA", before, size_t(16 * 65536));
    EXPECT_LE(before, on ? 2 * 1200u : 3 * 65536u);
    // Without I-DATA every message's fragments are contiguous on the wire (consecutive TSNs).
    if (!on) {
      for (size_t i = 0; i + 1 < wire.sent.size(); ++i) {
        if (!(wire.sent[i].flags & DataChunk::kEnd)) {
          ASSERT_EQ(wire.sent[i + 1].stream, wire.sent[i].stream) << "a message was interleaved at " << i;
          ASSERT_FALSE(wire.sent[i + 1].flags & DataChunk::kBeginning) << i;
        }
      }
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

// A backlog of messages from 1 byte to 100 KB on four streams, queued at once so the scheduler
// interleaves them, over loss, duplication and reordering: reliable modes deliver everything,
// intact and in order per stream; partially reliable ones a subset, intact, once, in order when
// ordered (messages cut short between fragments are abandoned cleanly), and a reliable marker on
// every stream after the data gets through.
TEST(SctpScheduler, EveryModeIntactAndInOrderPerStreamUnderLoss) {
  const Mode kModes[] = {{"reliable_ordered", true, -1, -1},
                         {"reliable_unordered", false, -1, -1},
                         {"rexmit0_ordered", true, 0, -1},
                         {"rexmit1_unordered", false, 1, -1},
                         {"lifetime100_ordered", true, -1, 100}};
  const size_t kSizes[] = {1, 100, 1167, 1168, 1169, 1180, 5000, 16384, 65536, 100000};
  constexpr uint32_t kMarker = 99;
  constexpr uint16_t kStreams = 4;
  for (int on = 0; on < 2; ++on) {
    for (const Mode& mode : kModes) {
      for (double loss : {0.0, 0.05}) {
        Link l(100 + uint32_t(on) * 7 + uint32_t(loss * 100), with_interleaving(on));
        l.loss = loss;
        l.dup = loss;
        l.reorder = loss;
        l.latency = ms(20);
        connect(l);
        ASSERT_EQ(l.end[0]->interleaving(), bool(on));
        SendOptions o;
        o.ordered = mode.ordered;
        o.max_retransmits = mode.max_retransmits;
        o.lifetime_ms = mode.lifetime_ms;
        std::mt19937 rng(uint32_t(on) + 5);
        std::vector<std::vector<uint8_t>> sent[kStreams];
        for (int round = 0; round < 3; ++round) {
          for (size_t k = 0; k < std::size(kSizes); ++k) {
            for (uint16_t s = 0; s < kStreams; ++s) {
              sent[s].push_back(message(rng, kSizes[(k + s * 3) % std::size(kSizes)], uint32_t(s * 1000 + sent[s].size())));
              ASSERT_EQ(l.end[0]->send(l.now, s, 53, ByteView(sent[s].back()), o), SendResult::kOk);
            }
          }
        }
        const uint8_t marker[3] = {'e', 'n', 'd'};
        for (uint16_t s = 0; s < kStreams; ++s) ASSERT_EQ(l.end[0]->send(l.now, s, kMarker, ByteView(marker, 3)), SendResult::kOk);
        auto markers = [&] {
          return size_t(std::count_if(l.got[1].begin(), l.got[1].end(), [&](const SctpMessage& m) { return m.ppid == kMarker; }));
        };
        size_t expected = kStreams;
        for (auto& v : sent) expected += v.size();
        ASSERT_TRUE(l.run([&] { return markers() == kStreams && (!mode.reliable() || l.got[1].size() == expected); },
                          l.now + seconds(3000)))
            << (on ? "I-DATA " : "DATA ") << mode.name << " loss " << loss << " got " << l.got[1].size() << "/" << expected
            << " aborted [" << l.aborted[0] << "][" << l.aborted[1] << "]";
        std::vector<long> last(kStreams, -1);
        std::vector<std::set<size_t>> seen(kStreams);
        size_t data = 0;
        for (const auto& m : l.got[1]) {
          ASSERT_LT(m.stream, kStreams);
          if (m.ppid == kMarker) continue;
          ++data;
          const auto& s = sent[m.stream];
          long found = -1;
          for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] == m.data && !seen[m.stream].count(i)) {
              found = long(i);
              break;
            }
          }
          ASSERT_GE(found, 0) << "a message arrived that was not sent on its stream, or twice (size " << m.data.size() << ")";
          seen[m.stream].insert(size_t(found));
          if (mode.ordered) {
            ASSERT_GT(found, last[m.stream]) << "out of order on stream " << m.stream << " " << mode.name;
            last[m.stream] = found;
          }
        }
        if (mode.reliable()) EXPECT_EQ(data, expected - kStreams);
        if (!mode.reliable() && loss > 0) EXPECT_GT(l.end[0]->stats().abandoned, 0u) << mode.name;
        EXPECT_EQ(l.end[0]->buffered_amount(), 0u);
        l.end[0]->shutdown(l.now);
        ASSERT_TRUE(l.run([&] { return l.closed[0] && l.closed[1]; }, l.now + seconds(600))) << mode.name;
        EXPECT_TRUE(l.aborted[0].empty() && l.aborted[1].empty()) << l.aborted[0] << l.aborted[1];
      }
    }
  }
}

// Closing a channel while the association has a backlog on it and on others: the reset request
// waits until the stream's queued messages have their TSNs (RFC 6525 §5.1.2), the peer gets all
// of them before it resets its side, the other streams carry on, and the stream is then reusable
// with its sequence numbers started over.
TEST(SctpScheduler, StreamResetDuringABacklog) {
  for (int on = 0; on < 2; ++on) {
    for (double loss : {0.0, 0.05}) {
      Link l(120 + uint32_t(on) + uint32_t(loss * 100), with_interleaving(on));
      l.loss = loss;
      l.latency = ms(20);
      connect(l);
      std::mt19937 rng(11);
      std::map<uint16_t, std::vector<std::vector<uint8_t>>> sent;
      for (size_t i = 0; i < 16; ++i) {
        for (uint16_t s = 1; s <= 3; ++s) {
          sent[s].push_back(message(rng, i % 4 == 3 ? 20000 : 4096, uint32_t(s * 100 + i)));
          ASSERT_EQ(l.end[0]->send(l.now, s, 53, ByteView(sent[s].back())), SendResult::kOk);
        }
      }
      ASSERT_GT(l.end[0]->buffered_amount(2), 0u);
      ASSERT_TRUE(l.end[0]->reset_stream(l.now, 2));
      const uint8_t one[1] = {1};
      EXPECT_EQ(l.end[0]->send(l.now, 2, 53, ByteView(one, 1)), SendResult::kStreamResetting);
      // Streams 1 and 3 accept more while 2 drains.
      for (uint16_t s : {uint16_t(1), uint16_t(3)}) {
        sent[s].push_back(message(rng, 300, uint32_t(s * 100 + 99)));
        ASSERT_EQ(l.end[0]->send(l.now, s, 53, ByteView(sent[s].back())), SendResult::kOk);
      }
      auto count_on = [&](uint16_t s) {
        return size_t(std::count_if(l.got[1].begin(), l.got[1].end(), [&](const SctpMessage& m) { return m.stream == s; }));
      };
      size_t stream2_at_reset = SIZE_MAX;
      ASSERT_TRUE(l.run([&] {
        const bool in = std::count(l.resets[1].begin(), l.resets[1].end(), "incoming:2") > 0;
        if (in && stream2_at_reset == SIZE_MAX) stream2_at_reset = count_on(2);
        return in && std::count(l.resets[0].begin(), l.resets[0].end(), "outgoing:2") > 0;
      }, l.now + seconds(600))) << on << " loss " << loss;
      EXPECT_EQ(stream2_at_reset, sent[2].size()) << "the peer reset its side before stream 2's backlog arrived";
      EXPECT_EQ(l.end[0]->buffered_amount(2), 0u);
      // Reusable, SSNs / MIDs from 0: the receiver delivers these only if they start over.
      std::vector<std::vector<uint8_t>> again;
      for (uint32_t i = 0; i < 3; ++i) {
        again.push_back(message(rng, i == 1 ? 5000 : 200, 700 + i));
        ASSERT_EQ(l.end[0]->send(l.now, 2, 53, ByteView(again.back())), SendResult::kOk);
        sent[2].push_back(again.back());
      }
      size_t total = 0;
      for (auto& [s, v] : sent) total += v.size();
      ASSERT_TRUE(l.run([&] { return l.got[1].size() == total; }, l.now + seconds(600)))
          << on << " loss " << loss << " got " << l.got[1].size() << "/" << total;
      std::map<uint16_t, std::vector<std::vector<uint8_t>>> got;
      for (const auto& m : l.got[1]) got[m.stream].push_back(m.data);
      EXPECT_EQ(got, sent);
      EXPECT_TRUE(l.aborted[0].empty() && l.aborted[1].empty()) << l.aborted[0] << l.aborted[1];
    }
  }
}

}  // namespace
}  // namespace wasmrtc::sctp
