// Flow control seen by the application: the receive window follows what the application has
// read (consume), and bufferedAmount per stream with its low-threshold event.
#include <gtest/gtest.h>

#include "sctp/socket/sctp_association.h"
#include "sctp/testing/link.h"

namespace wasmrtc::sctp {
namespace {

using testing::Link;
using testing::message;

SctpConfig app_owned(uint32_t window) {
  SctpConfig c;
  c.app_owns_delivered = true;
  c.receive_window = window;
  return c;
}

class SlowReader : public ::testing::TestWithParam<double> {};

// A reader that never consumes stops the sender: the sender keeps its data buffered, the
// receiver holds no more than its window, and once the reader reads everything arrives intact.
TEST_P(SlowReader, StopsTheSenderAndResumesAfterReading) {
  const uint32_t kWindow = 64 * 1024;
  Link l(41 + uint32_t(GetParam() * 100), app_owned(kWindow));
  l.loss = GetParam();
  l.reorder = GetParam();
  l.end[0]->connect(0);
  l.end[1]->connect(0);
  ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(60)));
  l.paused[1] = true;
  std::mt19937 rng(7);
  std::vector<std::vector<uint8_t>> sent;
  size_t total = 0;
  for (uint32_t i = 0; i < 150; ++i) {
    sent.push_back(message(rng, 1 + rng() % 6000, i));
    total += sent.back().size();
    ASSERT_EQ(l.end[0]->send(l.now, uint16_t(i % 2), 53, ByteView(sent.back())), SendResult::kOk);
  }
  size_t max_held = 0;
  l.run([&] {
    max_held = std::max(max_held, l.end[1]->received_bytes_held());
    return false;
  }, l.now + seconds(30));
  size_t got_bytes = 0;
  for (auto& m : l.got[1]) got_bytes += m.data.size();
  EXPECT_LE(max_held, kWindow + 1200u);             // memory bounded by the window (plus one packet)
  EXPECT_LE(got_bytes, size_t(kWindow) + 1200u);    // nothing beyond the window was delivered
  EXPECT_GT(got_bytes, size_t(kWindow) / 2);        // but the window was used
  EXPECT_LT(l.got[1].size(), sent.size());
  EXPECT_GT(l.end[0]->buffered_amount(), total / 2);  // the sender holds the rest
  EXPECT_EQ(l.end[0]->state(), SctpAssociation::State::kEstablished);

  // The reader catches up: the window update lets everything through, in order, intact.
  const Timestamp resumed = l.now;
  l.read_all(1);
  ASSERT_TRUE(l.run([&] {
    max_held = std::max(max_held, l.end[1]->received_bytes_held());
    return l.got[1].size() == sent.size();
  }, l.now + seconds(300)))
      << l.got[1].size();
  if (GetParam() == 0) EXPECT_LT(l.now - resumed, seconds(2));  // no timer had to notice the window
  EXPECT_LE(max_held, kWindow + 1200u);
  std::vector<std::vector<uint8_t>> per_sent[2], per_got[2];
  for (size_t i = 0; i < sent.size(); ++i) per_sent[i % 2].push_back(sent[i]);
  for (auto& m : l.got[1]) per_got[m.stream].push_back(m.data);
  EXPECT_EQ(per_got[0], per_sent[0]);
  EXPECT_EQ(per_got[1], per_sent[1]);
  EXPECT_EQ(l.end[1]->received_bytes_held(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Loss, SlowReader, ::testing::Values(0.0, 0.05),
                         [](const ::testing::TestParamInfo<double>& i) { return "pct" + std::to_string(int(i.param * 100)); });

// Reading in small steps reopens the window step by step; the sender never stalls for a timer.
TEST(ReceiveWindow, ReadingOneMessageAtATimeKeepsDataFlowing) {
  const uint32_t kWindow = 32 * 1024;
  Link l(43, app_owned(kWindow));
  l.end[0]->connect(0);
  l.end[1]->connect(0);
  ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
  l.paused[1] = true;
  std::vector<uint8_t> m(4000, 9);
  const size_t kCount = 100;
  for (size_t i = 0; i < kCount; ++i) ASSERT_EQ(l.end[0]->send(l.now, 0, 53, ByteView(m)), SendResult::kOk);
  size_t read = 0;
  const Timestamp start = l.now;
  for (int round = 0; round < 10000 && read < kCount; ++round) {
    l.run([&] { return l.got[1].size() > read; }, l.now + seconds(5));
    if (l.got[1].size() <= read) break;
    // Read one message every 5 ms.
    l.run([] { return false; }, l.now + ms(5));
    l.end[1]->consume(l.now, l.got[1][read].data.size());
    l.unread[1] -= l.got[1][read].data.size();
    ++read;
    l.pump();
    EXPECT_LE(l.end[1]->received_bytes_held(), kWindow + 1200u);
  }
  EXPECT_EQ(read, kCount);
  // 100 reads 5 ms apart plus the link delay: no timer-driven stall (RTO is >= 200 ms).
  EXPECT_LT(l.now - start, seconds(3));
  EXPECT_EQ(l.end[0]->stats().t3_expiries, 0u);
}

// Without app_owns_delivered, consume() does nothing and delivery does not wait for it.
TEST(ReceiveWindow, DefaultModeIgnoresTheReader) {
  SctpConfig cfg;
  cfg.receive_window = 16 * 1024;
  Link l(44, cfg);
  l.end[0]->connect(0);
  l.end[1]->connect(0);
  ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
  l.paused[1] = true;
  std::vector<uint8_t> m(3000, 1);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(l.end[0]->send(l.now, 0, 53, ByteView(m)), SendResult::kOk);
  ASSERT_TRUE(l.run([&] { return l.got[1].size() == 40; }, l.now + seconds(10)));
  EXPECT_EQ(l.end[1]->received_bytes_held(), 0u);
}

// ------------------------------------------------------------------ bufferedAmount per stream

struct Connected {
  Link l;
  explicit Connected(uint32_t seed) : l(seed) {
    l.end[0]->connect(0);
    l.end[1]->connect(0);
    EXPECT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
  }
  size_t lows(uint16_t stream) const { return size_t(std::count(l.low[0].begin(), l.low[0].end(), stream)); }
};

TEST(BufferedAmount, SingleSmallMessageAtThresholdZeroFiresOnce) {
  Connected c(51);
  std::vector<uint8_t> m(100, 1);
  ASSERT_EQ(c.l.end[0]->send(c.l.now, 5, 53, ByteView(m)), SendResult::kOk);
  c.l.pump();
  EXPECT_EQ(c.l.end[0]->buffered_amount(5), 0u);  // handed to a packet at once
  EXPECT_EQ(c.lows(5), 1u);
  ASSERT_TRUE(c.l.run([&] { return c.l.got[1].size() == 1; }, c.l.now + seconds(1)));
  EXPECT_EQ(c.lows(5), 1u);  // acknowledgements do not fire it again
  // Every crossing fires, also for the next single message.
  ASSERT_EQ(c.l.end[0]->send(c.l.now, 5, 53, ByteView(m)), SendResult::kOk);
  c.l.pump();
  EXPECT_EQ(c.lows(5), 2u);
}

TEST(BufferedAmount, PerStreamAmountsFallAsPacketsGoOut) {
  Connected c(52);
  std::vector<uint8_t> big(200000, 2), small(3000, 3);
  ASSERT_EQ(c.l.end[0]->send(c.l.now, 1, 53, ByteView(big)), SendResult::kOk);
  ASSERT_EQ(c.l.end[0]->send(c.l.now, 2, 53, ByteView(small)), SendResult::kOk);
  // cwnd (10 packets) and Max.Burst hold back most of it: it is buffered, per stream and in total.
  const size_t b1 = c.l.end[0]->buffered_amount(1), b2 = c.l.end[0]->buffered_amount(2);
  EXPECT_GT(b1, 100000u);
  EXPECT_LE(b2, small.size());  // with I-DATA part of it may go out in the room the big one left
  EXPECT_EQ(c.l.end[0]->buffered_amount(), b1 + b2);
  EXPECT_EQ(c.l.end[0]->buffered_amount(9), 0u);  // a stream never used
  ASSERT_TRUE(c.l.run([&] { return c.l.got[1].size() == 2; }, c.l.now + seconds(10)));
  EXPECT_EQ(c.l.end[0]->buffered_amount(1), 0u);
  EXPECT_EQ(c.l.end[0]->buffered_amount(2), 0u);
  EXPECT_EQ(c.lows(1), 1u);
  EXPECT_EQ(c.lows(2), 1u);
}

TEST(BufferedAmount, ThresholdFiresOnEveryDownwardCrossing) {
  Connected c(53);
  const size_t kThreshold = 50000;
  c.l.end[0]->set_buffered_amount_low_threshold(7, kThreshold);
  std::vector<uint8_t> big(200000, 4);
  size_t at_event = 0;
  for (int round = 1; round <= 3; ++round) {
    ASSERT_EQ(c.l.end[0]->send(c.l.now, 7, 53, ByteView(big)), SendResult::kOk);
    EXPECT_GT(c.l.end[0]->buffered_amount(7), kThreshold);
    ASSERT_TRUE(c.l.run([&] {
      if (c.lows(7) == size_t(round) && at_event == 0) at_event = c.l.end[0]->buffered_amount(7) + 1;
      return c.lows(7) == size_t(round);
    }, c.l.now + seconds(10)));
    EXPECT_LE(at_event - 1, kThreshold);
    at_event = 0;
    ASSERT_TRUE(c.l.run([&] { return c.l.got[1].size() == size_t(round); }, c.l.now + seconds(10)));
    EXPECT_EQ(c.lows(7), size_t(round));  // exactly one per crossing
  }
  // Below the threshold from the start: a small message never crosses it, so nothing fires.
  std::vector<uint8_t> small(1000, 5);
  ASSERT_EQ(c.l.end[0]->send(c.l.now, 7, 53, ByteView(small)), SendResult::kOk);
  ASSERT_TRUE(c.l.run([&] { return c.l.got[1].size() == 4; }, c.l.now + seconds(10)));
  EXPECT_EQ(c.lows(7), 3u);
}

TEST(BufferedAmount, ExpiredMessagesLeaveTheBuffer) {
  Connected c(54);
  c.l.loss = 1.0;  // nothing gets through, so the queue cannot drain by sending
  std::vector<uint8_t> big(100000, 6);
  SendOptions o;
  o.lifetime_ms = 100;
  ASSERT_EQ(c.l.end[0]->send(c.l.now, 3, 53, ByteView(big)), SendResult::kOk);
  ASSERT_EQ(c.l.end[0]->send(c.l.now, 3, 53, ByteView(big), o), SendResult::kOk);
  EXPECT_GT(c.l.end[0]->buffered_amount(3), big.size());
  c.l.run([] { return false; }, c.l.now + seconds(5));
  c.l.loss = 0;
  ASSERT_TRUE(c.l.run([&] { return c.l.end[0]->buffered_amount(3) == 0; }, c.l.now + seconds(60)));
  ASSERT_TRUE(c.l.run([&] { return !c.l.got[1].empty(); }, c.l.now + seconds(60)));
  EXPECT_EQ(c.lows(3), 1u);
}

}  // namespace
}  // namespace wasmrtc::sctp
