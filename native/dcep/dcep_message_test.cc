#include "dcep/dcep_message.h"

#include <gtest/gtest.h>

namespace wasmrtc::dcep {
namespace {

TEST(Dcep, OpenMessageWireFormat) {
  OpenMessage m;
  m.channel_type = ChannelType::kPartialReliableRexmitUnordered;
  m.priority = 512;
  m.reliability = 3;
  m.label = "chat";
  m.protocol = "p";
  auto b = m.serialize();
  // RFC 8832 §5.1: type, channel type, priority, reliability, label length, protocol length, label, protocol.
  const std::vector<uint8_t> expected = {0x03, 0x81, 0x02, 0x00, 0, 0, 0, 3, 0, 4, 0, 1, 'c', 'h', 'a', 't', 'p'};
  EXPECT_EQ(b, expected);
  OpenMessage back;
  ASSERT_TRUE(OpenMessage::parse(ByteView(b), back));
  EXPECT_EQ(back.label, "chat");
  EXPECT_EQ(back.protocol, "p");
  EXPECT_FALSE(back.ordered());
  EXPECT_EQ(back.reliability, 3u);
}

TEST(Dcep, MalformedOpenMessagesAreRefused) {
  OpenMessage m;
  m.label = "x";
  auto b = m.serialize();
  OpenMessage out;
  for (size_t cut = 0; cut < b.size(); ++cut) EXPECT_FALSE(OpenMessage::parse(ByteView(b.data(), cut), out));
  auto extra = b;
  extra.push_back(0);
  EXPECT_FALSE(OpenMessage::parse(ByteView(extra), out));
  auto bad_type = b;
  bad_type[1] = 0x03;
  EXPECT_FALSE(OpenMessage::parse(ByteView(bad_type), out));
  EXPECT_TRUE(is_ack(ByteView(ack_message())));
  const uint8_t pion_ack[] = {kMessageAck, 0, 0, 0};  // pion/datachannel 1.5.5
  EXPECT_TRUE(is_ack(ByteView(pion_ack, 4)));
  EXPECT_FALSE(is_ack(ByteView()));
  EXPECT_FALSE(is_ack(ByteView(b)));
}

}  // namespace
}  // namespace wasmrtc::dcep
