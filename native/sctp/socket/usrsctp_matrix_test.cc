// Our association against libusrsctp in-process: every reliability mode, both directions at
// once, messages of 1 byte to 256 KiB, then a stream reset both ways and a shutdown, all at
// 0% and 10% loss with reordering (and 20% for the reliable modes); and the same with usrsctp
// offering I-DATA too, so both ends interleave (RFC 8260), at 0% and 10%.
#include <gtest/gtest.h>

#include <set>

#include "sctp/socket/sctp_association.h"
#include "sctp/testing/usrsctp_harness.h"

#ifdef WASMRTC_HAVE_USRSCTP

namespace wasmrtc::sctp {
namespace {

using testing::Harness;
using testing::pattern;

struct Mode {
  const char* name;
  bool ordered;
  int max_retransmits;  // -1: not limited
  int lifetime_ms;      // -1: not limited
  bool reliable() const { return max_retransmits < 0 && lifetime_ms < 0; }
};

struct Case {
  Mode mode;
  double loss;
  uint32_t seed;
  bool interleaving = false;  // usrsctp offers I-DATA as well
};

const size_t kSizes[] = {1, 2, 100, 1172, 1173, 5000, 16384, 65536, 100000, 262144};
constexpr int kStreams = 3;
constexpr uint32_t kMarkerPpid = 99;

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.mode.name << " loss " << c.loss << " seed " << c.seed << (c.interleaving ? " I-DATA" : "");
}

class UsrsctpMatrix : public ::testing::TestWithParam<Case> {};

// What one side sent: message i has pattern(size, seed_base + i) on stream i % kStreams.
struct Sent {
  std::vector<std::vector<uint8_t>> messages;
};

// Checks what arrived on one side: every message intact and sent, none twice, per stream in
// order when ordered; all of them when reliable. Returns "" or the first problem.
template <typename Got>
std::string check(const Sent& sent, const std::vector<Got>& got, const Mode& mode) {
  std::set<size_t> seen;
  std::vector<long> last(kStreams, -1);
  size_t data_messages = 0;
  for (const auto& g : got) {
    if (g.ppid == kMarkerPpid) continue;
    ++data_messages;
    long found = -1;
    for (size_t i = 0; i < sent.messages.size(); ++i) {
      if (int(i % kStreams) == g.stream && sent.messages[i] == g.data && !seen.count(i)) {
        found = long(i);
        break;
      }
    }
    if (found < 0) return "a message arrived that was not sent (or twice), size " + std::to_string(g.data.size());
    seen.insert(size_t(found));
    if (mode.ordered) {
      if (found < last[g.stream]) return "out of order on stream " + std::to_string(g.stream);
      last[g.stream] = found;
    }
  }
  if (mode.reliable() && data_messages != sent.messages.size()) {
    return "only " + std::to_string(data_messages) + " of " + std::to_string(sent.messages.size()) + " arrived";
  }
  return "";
}

TEST_P(UsrsctpMatrix, BothWaysThenResetAndShutdown) {
  const Mode mode = GetParam().mode;
  Harness h({}, GetParam().interleaving);
  ASSERT_EQ(h.theirs.interleaving_set, GetParam().interleaving) << "usrsctp refused SCTP_INTERLEAVING_SUPPORTED";
  h.rng.seed(GetParam().seed * 1000 + uint32_t(GetParam().loss * 100));
  h.loss = GetParam().loss;
  h.reorder = GetParam().loss > 0 ? 0.10 : 0;
  h.ours.connect(0);
  h.theirs.connect();
  ASSERT_TRUE(h.until([&] { return h.ours_up && h.theirs.connected; }, seconds(120)));
  ASSERT_EQ(h.ours.interleaving(), GetParam().interleaving);  // I-DATA only when both offer it

  Sent ours, theirs;
  SendOptions o;
  o.ordered = mode.ordered;
  o.max_retransmits = mode.max_retransmits;
  o.lifetime_ms = mode.lifetime_ms;
  for (int round = 0; round < 2; ++round) {
    for (size_t k = 0; k < std::size(kSizes); ++k) {
      const size_t i = ours.messages.size();
      const uint16_t stream = uint16_t(i % kStreams);
      ours.messages.push_back(pattern(kSizes[k], uint32_t(i)));
      ASSERT_EQ(h.ours.send(h.now, stream, 53, ByteView(ours.messages.back()), o), SendResult::kOk);
      theirs.messages.push_back(pattern(kSizes[k], uint32_t(5000 + i)));
      const auto& m = theirs.messages.back();
      bool ok = mode.lifetime_ms >= 0 ? h.theirs.send_timed(stream, 51, ByteView(m), mode.ordered, mode.lifetime_ms)
                                      : h.theirs.send(stream, 51, ByteView(m), mode.ordered, mode.max_retransmits);
      ASSERT_TRUE(ok) << i;
    }
  }
  // A reliable marker per stream after the data: abandoned messages must not block a stream.
  const uint8_t marker[3] = {'e', 'n', 'd'};
  for (uint16_t s = 0; s < kStreams; ++s) {
    ASSERT_EQ(h.ours.send(h.now, s, kMarkerPpid, ByteView(marker, 3)), SendResult::kOk);
    ASSERT_TRUE(h.theirs.send(s, kMarkerPpid, ByteView(marker, 3)));
  }
  auto markers = [](const auto& got) {
    size_t n = 0;
    for (const auto& g : got) n += g.ppid == kMarkerPpid;
    return n;
  };
  auto all_here = [&] {
    if (markers(h.ours_got) < size_t(kStreams) || markers(h.theirs.received) < size_t(kStreams)) return false;
    if (!mode.reliable() || !mode.ordered) return true;  // unordered: markers may overtake data
    return h.ours_got.size() == ours.messages.size() + kStreams &&
           h.theirs.received.size() == theirs.messages.size() + kStreams;
  };
  ASSERT_TRUE(h.until(all_here, seconds(3000)))
      << "us got " << h.ours_got.size() << " (markers " << markers(h.ours_got) << "), usrsctp got "
      << h.theirs.received.size() << " (markers " << markers(h.theirs.received) << "), abort [" << h.abort_reason
      << "] usrsctp " << h.theirs.status();
  if (mode.reliable()) {
    ASSERT_TRUE(h.until([&] {
      return h.ours_got.size() == ours.messages.size() + kStreams &&
             h.theirs.received.size() == theirs.messages.size() + kStreams;
    }, seconds(3000)));
  }
  EXPECT_EQ(check(theirs, h.ours_got, mode), "") << "usrsctp -> us";
  EXPECT_EQ(check(ours, h.theirs.received, mode), "") << "us -> usrsctp";
  if (!mode.reliable() && GetParam().loss > 0) {
    // At 10% loss some 256 KiB messages (224 fragments) are given up by both stacks.
    EXPECT_GT(h.ours.stats().abandoned, 0u);
    EXPECT_GT(h.ours.stats().forward_tsn_in, 0u);  // usrsctp's FORWARD-TSN reached us
  }

  // Stream reset both ways on stream 1, still under loss; both sides see it and the stream works again.
  ASSERT_TRUE(h.ours.reset_stream(h.now, 1));
  h.theirs.reset_stream(2);
  ASSERT_TRUE(h.until([&] {
    return std::count(h.resets.begin(), h.resets.end(), "outgoing:1") == 1 &&
           std::count(h.resets.begin(), h.resets.end(), "incoming:2") == 1 &&
           std::count(h.theirs.reset_streams_seen.begin(), h.theirs.reset_streams_seen.end(), 1) >= 1;
  }, seconds(600)));
  auto again = pattern(3000, 77);
  ASSERT_EQ(h.ours.send(h.now, 1, 53, ByteView(again)), SendResult::kOk);
  bool sent = false;
  ASSERT_TRUE(h.until([&] { return sent || (sent = h.theirs.send(2, 51, ByteView(again))); }, seconds(60)));
  // (Late pieces of abandoned traffic may still complete around it; look for the message itself.)
  auto has = [&](const auto& got, uint16_t stream) {
    for (const auto& g : got) {
      if (g.stream == stream && g.data == again) return true;
    }
    return false;
  };
  ASSERT_TRUE(h.until([&] { return has(h.ours_got, 2) && has(h.theirs.received, 1); }, seconds(600)))
      << "us " << has(h.ours_got, 2) << " usrsctp " << has(h.theirs.received, 1) << " held " << h.ours.received_bytes_held()
      << " usrsctp " << h.theirs.status();

  // Graceful shutdown from our side, under loss.
  h.ours.shutdown(h.now);
  ASSERT_TRUE(h.until([&] { return h.ours_closed && h.theirs.closed; }, seconds(600))) << h.abort_reason;
  EXPECT_TRUE(h.abort_reason.empty()) << h.abort_reason;
}

const Mode kModes[] = {
    {"reliable_ordered", true, -1, -1},     {"reliable_unordered", false, -1, -1},
    {"rexmit1_ordered", true, 1, -1},       {"rexmit1_unordered", false, 1, -1},
    {"lifetime300_ordered", true, -1, 300}, {"lifetime300_unordered", false, -1, 300},
};

std::vector<Case> cases() {
  std::vector<Case> v;
  for (const Mode& m : kModes) {
    v.push_back({m, 0.0, 1});
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      v.push_back({m, 0.10, seed});
      if (m.reliable()) v.push_back({m, 0.20, seed});
    }
    v.push_back({m, 0.0, 1, true});
    // Not unordered partial reliability under loss with I-DATA: usrsctp's I-FORWARD-TSN handler
    // (sctp_handle_forward_tsn) sets the stream's last delivered ordered MID from every entry,
    // U flag or not, so an unordered skip moves the ordered sequence, and usrsctp then aborts us
    // with a protocol violation when that stream's next ordered message comes ("Delivered MID=2,
    // got TSN=..., SID=0002, MID=00000000"). Seen with both seeds at 10%; our end handles its own
    // unordered skips right (sctp_interleaving_test.cc). usrsctp does not offer I-DATA by default.
    // Nor timed ordered messages under loss with I-DATA: usrsctp then fails in some runs, by
    // seed (2 of seeds 1-40 at 10% while we dropped expired messages before sending them, 5 of 40
    // once each was sent once and more were given up after sending, 2 of 40 (seeds 1 and 40) since
    // our reset request waits for the peer to have the stream's data and carries the FORWARD-TSN).
    // Its I-FORWARD-TSN lists the MID of a reliable marker on the same stream (entry 2:6 with a new
    // cumulative TSN below the marker's TSN) and it never retransmits that lost marker, though it
    // still counts it unacknowledged (no T3-rtx in 3000 s). (The other way it failed, answering
    // our stream reset "in progress" for ever once its cumulative TSN reached the request's last
    // TSN through our I-FORWARD-TSN instead of DATA, is gone: see send_reconfig_request.) Without
    // I-DATA all 40 seeds pass.
    if ((m.ordered && m.lifetime_ms < 0) || m.reliable()) {
      for (uint32_t seed = 1; seed <= 2; ++seed) v.push_back({m, 0.10, seed, true});
    }
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Modes, UsrsctpMatrix, ::testing::ValuesIn(cases()), [](const auto& i) {
  return std::string(i.param.mode.name) + "_loss" + std::to_string(int(i.param.loss * 100)) + "_seed" +
         std::to_string(i.param.seed) + (i.param.interleaving ? "_idata" : "");
});

}  // namespace
}  // namespace wasmrtc::sctp

#endif
