#include "stun/message.h"

#include <gtest/gtest.h>

#include "stun/binding_server.h"
#include "stun/message_builder.h"

namespace wasmrtc::stun {
namespace {

crypto::Provider& P() { return crypto::default_provider(); }

// RFC 5769 §2.1 sample request (short-term credentials, space padding).
const std::vector<uint8_t> kRequest = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87,
    0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
    0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f,
    0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
    0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

// RFC 5769 §2.2 sample IPv4 response.
const std::vector<uint8_t> kIpv4Response = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87,
    0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91,
    0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

// RFC 5769 §2.4 sample request with long-term authentication (NUL padding).
const std::vector<uint8_t> kLongTermRequest = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda,
    0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83,
    0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39,
    0x6b, 0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79,
    0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
    0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71,
    0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66};

const std::string kShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";

TransactionId txid_of(const std::vector<uint8_t>& v) {
  TransactionId id;
  std::copy(v.begin() + 8, v.begin() + 20, id.begin());
  return id;
}

TEST(Rfc5769, SampleRequestParsesAndVerifies) {
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(kRequest), m));
  EXPECT_EQ(m.method(), method::kBinding);
  EXPECT_EQ(m.message_class(), MessageClass::kRequest);
  std::string s;
  ASSERT_TRUE(m.get_string(attr::kSoftware, s));
  EXPECT_EQ(s, "STUN test client");
  ASSERT_TRUE(m.get_string(attr::kUsername, s));
  EXPECT_EQ(s, "evtj:h6vY");
  uint32_t prio = 0;
  ASSERT_TRUE(m.get_u32(attr::kPriority, prio));
  EXPECT_EQ(prio, 0x6e0001ffu);
  uint64_t tie = 0;
  ASSERT_TRUE(m.get_u64(attr::kIceControlled, tie));
  EXPECT_EQ(tie, 0x932ff9b151263b36ull);
  EXPECT_EQ(m.check_integrity(P(), ByteView(kShortTermPassword)), IntegrityResult::kValid);
  EXPECT_EQ(m.check_integrity(P(), ByteView(std::string_view("wrong"))), IntegrityResult::kInvalid);
  EXPECT_EQ(m.check_fingerprint(P()), IntegrityResult::kValid);
  EXPECT_TRUE(m.unknown_required().empty());
}

TEST(Rfc5769, SampleRequestRebuiltByteExact) {
  MessageBuilder b(method::kBinding, MessageClass::kRequest, txid_of(kRequest));
  b.set_padding_byte(0x20)
      .add_string(attr::kSoftware, "STUN test client")
      .add_u32(attr::kPriority, 0x6e0001ff)
      .add_u64(attr::kIceControlled, 0x932ff9b151263b36ull)
      .add_string(attr::kUsername, "evtj:h6vY")
      .add_message_integrity(P(), ByteView(kShortTermPassword))
      .add_fingerprint(P());
  EXPECT_EQ(b.bytes(), kRequest);
}

TEST(Rfc5769, SampleIpv4ResponseParsesAndRebuilds) {
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(kIpv4Response), m));
  EXPECT_EQ(m.message_class(), MessageClass::kSuccess);
  SocketAddress mapped;
  ASSERT_TRUE(m.get_xor_address(attr::kXorMappedAddress, mapped));
  EXPECT_EQ(mapped.to_string(), "192.0.2.1:32853");
  EXPECT_EQ(m.check_integrity(P(), ByteView(kShortTermPassword)), IntegrityResult::kValid);
  EXPECT_EQ(m.check_fingerprint(P()), IntegrityResult::kValid);

  MessageBuilder b(method::kBinding, MessageClass::kSuccess, txid_of(kIpv4Response));
  b.set_padding_byte(0x20)
      .add_string(attr::kSoftware, "test vector")
      .add_xor_address(attr::kXorMappedAddress, mapped)
      .add_message_integrity(P(), ByteView(kShortTermPassword))
      .add_fingerprint(P());
  EXPECT_EQ(b.bytes(), kIpv4Response);
}

TEST(Rfc5769, Ipv6XorMappedAddress) {
  // RFC 5769 §2.3: [2001:db8:1234:5678:11:2233:4455:6677]:32853 with the sample transaction id.
  SocketAddress a;
  ASSERT_TRUE(SocketAddress::parse_ip("2001:db8:1234:5678:11:2233:4455:6677", 32853, a));
  MessageBuilder b(method::kBinding, MessageClass::kSuccess, txid_of(kIpv4Response));
  b.add_xor_address(attr::kXorMappedAddress, a);
  const std::vector<uint8_t> expected_value = {0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3,
                                               0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9};
  ASSERT_EQ(b.bytes().size(), 20u + 4 + 20);
  EXPECT_EQ(std::vector<uint8_t>(b.bytes().begin() + 24, b.bytes().end()), expected_value);
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(b.bytes()), m));
  SocketAddress back;
  ASSERT_TRUE(m.get_xor_address(attr::kXorMappedAddress, back));
  EXPECT_EQ(back, a);
}

TEST(Rfc5769, LongTermRequestVerifiesAndRebuildsByteExact) {
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(kLongTermRequest), m));
  std::string user, realm, nonce;
  ASSERT_TRUE(m.get_string(attr::kUsername, user));
  ASSERT_TRUE(m.get_string(attr::kRealm, realm));
  ASSERT_TRUE(m.get_string(attr::kNonce, nonce));
  EXPECT_EQ(realm, "example.org");
  EXPECT_EQ(nonce, "f//499k954d6OL34oL9FSTvy64sA");
  auto key = long_term_key(P(), user, realm, "TheMatrIX");
  EXPECT_EQ(m.check_integrity(P(), ByteView(key.data(), key.size())), IntegrityResult::kValid);
  auto wrong = long_term_key(P(), user, realm, "thematrix");
  EXPECT_EQ(m.check_integrity(P(), ByteView(wrong.data(), wrong.size())), IntegrityResult::kInvalid);

  MessageBuilder b(method::kBinding, MessageClass::kRequest, txid_of(kLongTermRequest));
  b.add_string(attr::kUsername, user)
      .add_string(attr::kNonce, nonce)
      .add_string(attr::kRealm, realm)
      .add_message_integrity(P(), ByteView(key.data(), key.size()));
  EXPECT_EQ(b.bytes(), kLongTermRequest);
}

TEST(Message, EveryTamperedByteBreaksIntegrityOrFraming) {
  for (size_t i = 0; i < kRequest.size(); ++i) {
    std::vector<uint8_t> v = kRequest;
    v[i] ^= 0x01;
    Message m;
    if (!Message::parse(ByteView(v), m)) continue;
    bool integrity_ok = m.check_integrity(P(), ByteView(kShortTermPassword)) == IntegrityResult::kValid;
    bool fingerprint_ok = m.check_fingerprint(P()) == IntegrityResult::kValid;
    // Username padding (3 bytes at 73..75) is covered by both, so every flip must show.
    EXPECT_FALSE(integrity_ok && fingerprint_ok) << "byte " << i;
  }
}

TEST(Message, HeaderRejections) {
  Message m;
  std::vector<uint8_t> v = kRequest;
  EXPECT_FALSE(Message::parse(ByteView(v.data(), 19), m));  // short
  v[0] = 0x40;                                              // leading bits must be 00
  EXPECT_FALSE(Message::parse(ByteView(v), m));
  v = kRequest;
  v[4] = 0;  // cookie
  EXPECT_FALSE(Message::parse(ByteView(v), m));
  v = kRequest;
  v[3] = 0x59;  // length not a multiple of 4
  EXPECT_FALSE(Message::parse(ByteView(v), m));
  v = kRequest;
  v.push_back(0);  // datagram longer than the message
  EXPECT_FALSE(Message::parse(ByteView(v), m));
  v = kRequest;
  v[23] = 0xF0;  // SOFTWARE length runs past the end
  EXPECT_FALSE(Message::parse(ByteView(v), m));
}

TEST(Message, AttributeCountIsBounded) {
  TransactionId id{};
  MessageBuilder b(method::kBinding, MessageClass::kIndication, id);
  for (int i = 0; i < 65; ++i) b.add_flag(0x8050);
  Message m;
  EXPECT_FALSE(Message::parse(ByteView(b.bytes()), m));
}

TEST(Message, NothingMayFollowFingerprint) {
  TransactionId id{};
  MessageBuilder b(method::kBinding, MessageClass::kRequest, id);
  b.add_fingerprint(P()).add_string(attr::kSoftware, "x");
  Message m;
  EXPECT_FALSE(Message::parse(ByteView(b.bytes()), m));
}

TEST(Message, AttributesAfterIntegrityAreIgnored) {
  TransactionId id{};
  const std::string key = "k";
  MessageBuilder b(method::kBinding, MessageClass::kRequest, id);
  b.add_string(attr::kUsername, "a:b").add_message_integrity(P(), ByteView(key)).add_string(attr::kSoftware, "late");
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(b.bytes()), m));
  EXPECT_FALSE(m.has(attr::kSoftware));
}

TEST(Message, Sha256IntegrityIsPreferredAndChecked) {
  TransactionId id = new_transaction_id(P());
  const std::string key = "secret";
  MessageBuilder b(method::kBinding, MessageClass::kRequest, id);
  b.add_string(attr::kUsername, "u").add_message_integrity_sha256(P(), ByteView(key)).add_fingerprint(P());
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(b.bytes()), m));
  EXPECT_EQ(m.check_integrity(P(), ByteView(key)), IntegrityResult::kValid);
  EXPECT_EQ(m.check_integrity(P(), ByteView(std::string_view("other"))), IntegrityResult::kInvalid);
  EXPECT_EQ(m.check_fingerprint(P()), IntegrityResult::kValid);
}

TEST(Message, ErrorCodeAndUnknownAttributesRoundTrip) {
  TransactionId id{};
  MessageBuilder b(method::kBinding, MessageClass::kError, id);
  b.add_error(420, "Unknown Attribute").add_unknown_attributes({0x0031, 0x7000});
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(b.bytes()), m));
  int code = 0;
  std::string reason;
  ASSERT_TRUE(m.get_error(code, reason));
  EXPECT_EQ(code, 420);
  EXPECT_EQ(reason, "Unknown Attribute");
  std::vector<uint16_t> list;
  ASSERT_TRUE(m.get_unknown_attributes(list));
  EXPECT_EQ(list, (std::vector<uint16_t>{0x0031, 0x7000}));
}

TEST(Message, MalformedTypedAttributesAreRefused) {
  TransactionId id{};
  MessageBuilder b(method::kBinding, MessageClass::kSuccess, id);
  const uint8_t bad_family[8] = {0, 3, 0, 1, 1, 2, 3, 4};
  const uint8_t short_prio[2] = {1, 2};
  const uint8_t bad_error[4] = {0, 0, 7, 0};  // class 7 is outside 3..6
  b.add(attr::kXorMappedAddress, ByteView(bad_family, 8))
      .add(attr::kPriority, ByteView(short_prio, 2))
      .add(attr::kErrorCode, ByteView(bad_error, 4));
  Message m;
  ASSERT_TRUE(Message::parse(ByteView(b.bytes()), m));
  SocketAddress a;
  uint32_t u = 0;
  int code = 0;
  std::string reason;
  EXPECT_FALSE(m.get_xor_address(attr::kXorMappedAddress, a));
  EXPECT_FALSE(m.get_u32(attr::kPriority, u));
  EXPECT_FALSE(m.get_error(code, reason));
}

TEST(Message, MethodAndClassBitsInterleave) {
  // RFC 8489 §5: Binding success = 0x0101, Allocate error = 0x0113, ChannelBind success = 0x0109.
  EXPECT_EQ(message_type(method::kBinding, MessageClass::kSuccess), 0x0101);
  EXPECT_EQ(message_type(method::kAllocate, MessageClass::kError), 0x0113);
  EXPECT_EQ(message_type(method::kChannelBind, MessageClass::kSuccess), 0x0109);
  EXPECT_EQ(message_type(method::kSend, MessageClass::kIndication), 0x0016);
  for (uint16_t m = 0; m < 0x1000; m += 0x37) {
    for (int c = 0; c < 4; ++c) {
      uint16_t t = message_type(m, MessageClass(c));
      EXPECT_EQ(type_method(t), m);
      EXPECT_EQ(type_class(t), MessageClass(c));
    }
  }
}

TEST(BindingServer, AnswersWithXorMappedAddressAndFingerprint) {
  Message req;
  ASSERT_TRUE(Message::parse(ByteView(kRequest), req));
  SocketAddress src = SocketAddress::v4(10, 1, 2, 3, 4567);
  auto out = answer_binding_request(P(), req, src, "wasmrtc");
  Message resp;
  ASSERT_TRUE(Message::parse(ByteView(out), resp));
  EXPECT_EQ(resp.message_class(), MessageClass::kSuccess);
  EXPECT_EQ(resp.transaction_id(), req.transaction_id());
  SocketAddress mapped;
  ASSERT_TRUE(resp.get_xor_address(attr::kXorMappedAddress, mapped));
  EXPECT_EQ(mapped, src);
  EXPECT_EQ(resp.check_fingerprint(P()), IntegrityResult::kValid);
}

TEST(BindingServer, UnknownRequiredAttributeGets420) {
  TransactionId id = new_transaction_id(P());
  MessageBuilder b(method::kBinding, MessageClass::kRequest, id);
  b.add_u32(0x0031, 7).add_u32(0x8031, 7);  // one required, one optional
  Message req;
  ASSERT_TRUE(Message::parse(ByteView(b.bytes()), req));
  EXPECT_EQ(req.unknown_required(), std::vector<uint16_t>{0x0031});
  auto out = answer_binding_request(P(), req, SocketAddress::v4(1, 1, 1, 1, 1), "");
  Message resp;
  ASSERT_TRUE(Message::parse(ByteView(out), resp));
  int code = 0;
  std::string reason;
  ASSERT_TRUE(resp.get_error(code, reason));
  EXPECT_EQ(code, 420);
  std::vector<uint16_t> list;
  ASSERT_TRUE(resp.get_unknown_attributes(list));
  EXPECT_EQ(list, std::vector<uint16_t>{0x0031});
}

TEST(BindingServer, DoesNotAnswerResponsesOrIndications) {
  Message resp;
  ASSERT_TRUE(Message::parse(ByteView(kIpv4Response), resp));
  EXPECT_TRUE(answer_binding_request(P(), resp, SocketAddress::v4(1, 1, 1, 1, 1), "").empty());
}

}  // namespace
}  // namespace wasmrtc::stun
