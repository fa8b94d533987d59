#include "sctp/packet/chunks.h"

#include <gtest/gtest.h>

namespace wasmrtc::sctp {
namespace {

crypto::Provider& P() { return crypto::default_provider(); }

std::vector<uint8_t> one_chunk_packet(uint8_t type, uint8_t flags, const std::vector<uint8_t>& value) {
  SctpPacketBuilder b({5000, 5000, 0x11223344}, 1200);
  EXPECT_TRUE(b.add(type, flags, ByteView(value)));
  return b.finish(P());
}

TEST(SctpPacket, CommonHeaderAndCrc32c) {
  auto bytes = one_chunk_packet(chunk_type::kCookieAck, 0, {});
  ASSERT_EQ(bytes.size(), 16u);
  SctpPacket p;
  ASSERT_TRUE(SctpPacket::parse(ByteView(bytes), P(), true, p));
  EXPECT_EQ(p.header().source_port, 5000);
  EXPECT_EQ(p.header().verification_tag, 0x11223344u);
  ASSERT_EQ(p.chunks().size(), 1u);
  EXPECT_EQ(p.chunks()[0].type, chunk_type::kCookieAck);
  // Every single-bit corruption is caught by the CRC32c.
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto bad = bytes;
    bad[i] ^= 0x10;
    EXPECT_FALSE(SctpPacket::parse(ByteView(bad), P(), true, p)) << i;
  }
  // With zero checksum (RFC 9653) the field is not checked.
  auto zero = SctpPacketBuilder({1, 2, 3}, 1200);
  zero.add(chunk_type::kCookieAck, 0, ByteView());
  auto z = zero.finish(P(), true);
  EXPECT_TRUE(SctpPacket::parse(ByteView(z), P(), false, p));
  EXPECT_FALSE(SctpPacket::parse(ByteView(z), P(), true, p));
}

TEST(SctpPacket, FramingErrorsAreRefused) {
  SctpPacket p;
  auto bytes = one_chunk_packet(chunk_type::kData, 3, std::vector<uint8_t>(13, 1));
  EXPECT_FALSE(SctpPacket::parse(ByteView(bytes.data(), 12), P(), false, p));  // no chunk
  auto lying = bytes;
  lying[14] = 0x10;  // chunk length beyond the packet
  EXPECT_FALSE(SctpPacket::parse(ByteView(lying), P(), false, p));
  auto tiny = bytes;
  tiny[14] = 0;
  tiny[15] = 2;  // chunk length below 4
  EXPECT_FALSE(SctpPacket::parse(ByteView(tiny), P(), false, p));
}

TEST(SctpPacket, BuilderRespectsTheSizeLimit) {
  SctpPacketBuilder b({1, 2, 3}, 100);
  EXPECT_TRUE(b.add(chunk_type::kData, 0, ByteView(std::vector<uint8_t>(80))));
  EXPECT_FALSE(b.add(chunk_type::kData, 0, ByteView(std::vector<uint8_t>(8))));
  EXPECT_EQ(b.size(), 96u);
}

TEST(SctpChunks, DataAndIDataRoundTrip) {
  const uint8_t payload[] = {1, 2, 3, 4, 5};
  for (bool idata : {false, true}) {
    DataChunk d;
    d.i_data = idata;
    d.flags = DataChunk::kBeginning | DataChunk::kEnd | DataChunk::kUnordered;
    d.tsn = 0xFFFFFFF0;
    d.stream = 7;
    d.ssn = 9;
    d.mid = 12345;
    d.ppid = 51;
    d.payload = ByteView(payload, 5);
    std::vector<uint8_t> v;
    d.serialize(v);
    EXPECT_EQ(v.size(), d.header_size() + 5);
    DataChunk back;
    ASSERT_TRUE(DataChunk::parse({d.type(), d.flags, ByteView(v)}, back));
    EXPECT_EQ(back.tsn, d.tsn);
    EXPECT_EQ(back.stream, 7);
    EXPECT_EQ(back.ppid, 51u);
    EXPECT_TRUE(back.payload.equals(ByteView(payload, 5)));
    if (idata) EXPECT_EQ(back.mid, 12345u);
    else EXPECT_EQ(back.ssn, 9);
  }
  DataChunk empty;
  std::vector<uint8_t> header_only(12);
  EXPECT_FALSE(DataChunk::parse({chunk_type::kData, 3, ByteView(header_only)}, empty));  // no user data
}

TEST(SctpChunks, InitWithParameters) {
  InitChunk i;
  i.initiate_tag = 0xCAFEBABE;
  i.a_rwnd = 1 << 20;
  i.outbound_streams = 65535;
  i.inbound_streams = 65535;
  i.initial_tsn = 42;
  i.state_cookie = {9, 9, 9};
  i.supported_extensions = {chunk_type::kReConfig, chunk_type::kForwardTsn, chunk_type::kIData};
  i.forward_tsn_supported = true;
  i.zero_checksum_acceptable = true;
  i.zero_checksum_edmid = 1;
  std::vector<uint8_t> v;
  i.serialize(v);
  InitChunk back;
  ASSERT_TRUE(InitChunk::parse({chunk_type::kInitAck, 0, ByteView(v)}, back));
  EXPECT_EQ(back.initiate_tag, 0xCAFEBABEu);
  EXPECT_EQ(back.state_cookie, i.state_cookie);
  EXPECT_EQ(back.supported_extensions, i.supported_extensions);
  EXPECT_TRUE(back.forward_tsn_supported);
  EXPECT_TRUE(back.zero_checksum_acceptable);
  EXPECT_TRUE(back.unknown.empty());
  // A zero initiate tag is a protocol violation (§3.3.2).
  auto zero_tag = v;
  zero_tag[0] = zero_tag[1] = zero_tag[2] = zero_tag[3] = 0;
  EXPECT_FALSE(InitChunk::parse({chunk_type::kInit, 0, ByteView(zero_tag)}, back));
}

TEST(SctpChunks, SackGapsAndDuplicates) {
  SackChunk s;
  s.cumulative_tsn = 100;
  s.a_rwnd = 5000;
  s.gaps = {{2, 3}, {5, 9}};
  s.duplicates = {97, 98};
  std::vector<uint8_t> v;
  s.serialize(v);
  SackChunk back;
  ASSERT_TRUE(SackChunk::parse({chunk_type::kSack, 0, ByteView(v)}, back));
  ASSERT_EQ(back.gaps.size(), 2u);
  EXPECT_EQ(back.gaps[1].end, 9);
  EXPECT_EQ(back.duplicates, (std::vector<uint32_t>{97, 98}));
  auto bad = v;
  bad[13] = 0;  // first gap start 0
  EXPECT_FALSE(SackChunk::parse({chunk_type::kSack, 0, ByteView(bad)}, back));
  auto count_lies = v;
  count_lies[9] = 50;  // more gaps than bytes
  EXPECT_FALSE(SackChunk::parse({chunk_type::kSack, 0, ByteView(count_lies)}, back));
}

TEST(SctpChunks, ForwardTsnAndReConfig) {
  for (bool i : {false, true}) {
    ForwardTsnChunk f;
    f.i_forward = i;
    f.new_cumulative_tsn = 77;
    f.skipped = {{3, i, 5}, {4, false, 6}};
    std::vector<uint8_t> v;
    f.serialize(v);
    ForwardTsnChunk back;
    ASSERT_TRUE(ForwardTsnChunk::parse({i ? chunk_type::kIForwardTsn : chunk_type::kForwardTsn, 0, ByteView(v)}, back));
    ASSERT_EQ(back.skipped.size(), 2u);
    EXPECT_EQ(back.skipped[0].ssn_or_mid, 5u);
    EXPECT_EQ(back.skipped[0].unordered, i);
  }
  ReConfigChunk rc;
  rc.outgoing = ReConfigChunk::OutgoingResetRequest{10, 20, 30, {1, 3, 5}};
  rc.response = ReConfigChunk::Response{20, 1};
  std::vector<uint8_t> v;
  rc.serialize(v);
  ReConfigChunk back;
  ASSERT_TRUE(ReConfigChunk::parse({chunk_type::kReConfig, 0, ByteView(v)}, back));
  ASSERT_TRUE(back.outgoing.has_value());
  EXPECT_EQ(back.outgoing->streams, (std::vector<uint16_t>{1, 3, 5}));
  ASSERT_TRUE(back.response.has_value());
  EXPECT_EQ(back.response->result, 1u);
  EXPECT_FALSE(back.incoming.has_value());
}

TEST(SctpChunks, HeartbeatErrorsShutdown) {
  const uint8_t info[] = {1, 2, 3, 4, 5, 6};
  std::vector<uint8_t> v;
  HeartbeatChunk::serialize(ByteView(info, 6), v);
  HeartbeatChunk h;
  ASSERT_TRUE(HeartbeatChunk::parse({chunk_type::kHeartbeat, 0, ByteView(v)}, h));
  EXPECT_TRUE(h.info.equals(ByteView(info, 6)));
  std::vector<uint8_t> causes;
  ErrorCauses::append(causes, cause::kProtocolViolation, ByteView(info, 3));
  ErrorCauses::append(causes, cause::kUserInitiatedAbort, ByteView());
  ErrorCauses e;
  ASSERT_TRUE(ErrorCauses::parse(ByteView(causes), e));
  ASSERT_EQ(e.causes.size(), 2u);
  EXPECT_EQ(e.causes[0].first, cause::kProtocolViolation);
  uint8_t cum[4] = {0, 0, 1, 0};
  uint32_t t = 0;
  ASSERT_TRUE(parse_shutdown({chunk_type::kShutdown, 0, ByteView(cum, 4)}, t));
  EXPECT_EQ(t, 256u);
  EXPECT_EQ(unknown_chunk_action(0xC5), UnknownAction::kSkipReport);
  EXPECT_EQ(unknown_chunk_action(0x3F), UnknownAction::kStopDiscard);
}

}  // namespace
}  // namespace wasmrtc::sctp
