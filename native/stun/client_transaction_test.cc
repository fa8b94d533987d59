#include "stun/client_transaction.h"

#include <gtest/gtest.h>

#include "stun/binding_server.h"
#include "stun/message_builder.h"

namespace wasmrtc::stun {
namespace {

crypto::Provider& P() { return crypto::default_provider(); }

ClientTransaction make(RetransmitConfig cfg = {}) {
  TransactionId id = new_transaction_id(P());
  MessageBuilder b(method::kBinding, MessageClass::kRequest, id);
  b.add_fingerprint(P());
  return ClientTransaction(id, b.take(), cfg);
}

// Runs the transaction on virtual time with no answer and records send instants (ms).
std::vector<int64_t> send_times(ClientTransaction& t, Timestamp& end) {
  std::vector<int64_t> sent;
  Timestamp now = 0;
  t.start(now);
  for (int guard = 0; guard < 100 && !t.done(); ++guard) {
    while (t.poll_transmit()) sent.push_back(now / 1000);
    now = t.next_deadline();
    if (now == kNever) break;
    t.handle_timeout(now);
  }
  while (t.poll_transmit()) sent.push_back(now / 1000);
  end = now;
  return sent;
}

TEST(ClientTransaction, Rfc8489RetransmissionScheduleAndTimeout) {
  // §6.2.1 example: RTO 500 ms, Rc 7, Rm 16.
  ClientTransaction t = make();
  Timestamp end = 0;
  auto sent = send_times(t, end);
  EXPECT_EQ(sent, (std::vector<int64_t>{0, 500, 1500, 3500, 7500, 15500, 31500}));
  EXPECT_EQ(t.state(), ClientTransaction::State::kTimedOut);
  EXPECT_EQ(end, ms(39500));
  EXPECT_EQ(t.next_deadline(), kNever);
}

TEST(ClientTransaction, ConfigurableRtoAndCount) {
  RetransmitConfig cfg;
  cfg.rto = ms(100);
  cfg.max_transmissions = 3;
  cfg.final_wait_factor = 2;
  ClientTransaction t = make(cfg);
  Timestamp end = 0;
  EXPECT_EQ(send_times(t, end), (std::vector<int64_t>{0, 100, 300}));
  EXPECT_EQ(end, ms(500));
}

TEST(ClientTransaction, LateTimerDoesNotShiftTheSchedule) {
  ClientTransaction t = make();
  t.start(0);
  ASSERT_TRUE(t.poll_transmit());
  t.handle_timeout(ms(499));  // early: nothing
  EXPECT_FALSE(t.poll_transmit());
  t.handle_timeout(ms(700));  // late: retransmit, next still based on 500
  EXPECT_TRUE(t.poll_transmit());
  EXPECT_EQ(t.next_deadline(), ms(1500));
}

TEST(ClientTransaction, ResponseEndsItAndMeasuresRtt) {
  ClientTransaction t = make();
  t.start(ms(10));
  ASSERT_TRUE(t.poll_transmit());
  Message req;
  ASSERT_TRUE(Message::parse(ByteView(t.request()), req));
  auto answer = answer_binding_request(P(), req, SocketAddress::v4(9, 9, 9, 9, 9), "");
  Message resp;
  ASSERT_TRUE(Message::parse(ByteView(answer), resp));
  EXPECT_TRUE(t.handle_response(ms(35), resp));
  EXPECT_EQ(t.state(), ClientTransaction::State::kSucceeded);
  EXPECT_EQ(t.rtt(), ms(25));
  EXPECT_EQ(t.next_deadline(), kNever);
  EXPECT_FALSE(t.handle_response(ms(36), resp));  // a duplicate is not taken twice
}

TEST(ClientTransaction, IgnoresOtherTransactionsAndRequests) {
  ClientTransaction t = make();
  t.start(0);
  TransactionId other = new_transaction_id(P());
  MessageBuilder b(method::kBinding, MessageClass::kSuccess, other);
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(b.bytes()), m));
  EXPECT_FALSE(t.handle_response(1, m));
  Message req;
  ASSERT_TRUE(Message::parse(ByteView(t.request()), req));
  EXPECT_FALSE(t.handle_response(1, req));  // our own request echoed back
  EXPECT_EQ(t.state(), ClientTransaction::State::kWaiting);
}

TEST(ClientTransaction, ErrorResponseEndsIt) {
  ClientTransaction t = make();
  t.start(0);
  MessageBuilder b(method::kBinding, MessageClass::kError, t.id());
  b.add_error(401, "Unauthorized");
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(b.bytes()), m));
  EXPECT_TRUE(t.handle_response(5, m));
  EXPECT_EQ(t.state(), ClientTransaction::State::kErrorResponse);
}

}  // namespace
}  // namespace wasmrtc::stun
