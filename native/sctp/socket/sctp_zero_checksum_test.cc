// Zero checksum (RFC 9653) without losing the stacks that cannot parse its INIT parameter.
// pion/sctp 1.8.6 (pion/webrtc 3.1.56) refuses a whole INIT or INIT-ACK carrying a parameter it
// does not know ("failed to unmarshal INIT body: ... Unknown ParamType: 32769") and drops the
// packet without a word, although RFC 9260 §3.2.1 says to skip a parameter whose type starts
// with the bits 10. The test double here is another of our associations, offering nothing,
// behind a link that drops such packets the way pion does.
#include "sctp/packet/chunks.h"
#include "sctp/socket/sctp_association.h"
#include "sctp/testing/link.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

namespace wasmrtc::sctp {
namespace {

using testing::Link;
using testing::P;

constexpr uint16_t kZeroChecksumParam = 0x8001;

// The INIT or INIT-ACK of a packet (its first chunk), if it is one.
bool init_of(const std::vector<uint8_t>& d, uint8_t type, InitChunk& out) {
  SctpPacket p;
  if (!SctpPacket::parse(ByteView(d), P(), false, p) || p.chunks().empty() || p.chunks()[0].type != type) return false;
  return InitChunk::parse(p.chunks()[0], out);
}

// What a pion-like peer cannot parse: an INIT or INIT-ACK with Zero Checksum Acceptable.
bool carries_zca(const std::vector<uint8_t>& d) {
  InitChunk i;
  return (init_of(d, chunk_type::kInit, i) || init_of(d, chunk_type::kInitAck, i)) && i.zero_checksum_acceptable;
}

uint32_t checksum_of(const std::vector<uint8_t>& d) { return load_be32(d.data() + 8); }

SctpConfig offering(uint32_t edmid) {
  SctpConfig c;
  c.zero_checksum_edmid = edmid;
  return c;
}

// Every INIT / INIT-ACK one end sent, in order: whether it carried the parameter.
struct HandshakeLog {
  std::vector<bool> inits[2], init_acks[2];
  void see(int from, const std::vector<uint8_t>& d) {
    InitChunk i;
    if (init_of(d, chunk_type::kInit, i)) inits[from].push_back(i.zero_checksum_acceptable);
    if (init_of(d, chunk_type::kInitAck, i)) init_acks[from].push_back(i.zero_checksum_acceptable);
  }
};

// Data both ways and a stream reset: the association is whole, not just up.
void exercise(Link& l) {
  std::vector<uint8_t> big(70000, 0x5a), small(300, 0x11);
  ASSERT_EQ(l.end[0]->send(l.now, 1, 53, ByteView(big)), SendResult::kOk);
  ASSERT_EQ(l.end[1]->send(l.now, 2, 51, ByteView(small)), SendResult::kOk);
  ASSERT_TRUE(l.run([&] { return l.got[1].size() == 1 && l.got[0].size() == 1; }, l.now + seconds(10)));
  EXPECT_EQ(l.got[1][0].data, big);
  EXPECT_EQ(l.got[0][0].data, small);
  ASSERT_TRUE(l.end[0]->reset_stream(l.now, 1));
  ASSERT_TRUE(l.run([&] { return !l.resets[1].empty(); }, l.now + seconds(10)));
  EXPECT_EQ(l.resets[1][0], "incoming:1");
}

// (a) We answer an INIT that does not offer our method without the parameter: it would be of no
// use, and a pion-like INIT sender could not parse our INIT-ACK. One that offers it gets it.
TEST(ZeroChecksum, InitAckOffersItOnlyWhenThePeersInitDid) {
  for (uint32_t peer : {0u, 7u, 1u}) {
    Link l(41, offering(1));
    l.end[1] = std::make_unique<SctpAssociation>(P(), offering(peer));
    HandshakeLog log;
    l.tap = [&](int from, const std::vector<uint8_t>& d) { log.see(from, d); };
    l.end[1]->connect(0);  // it sends the INIT, end 0 (us) answers
    ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5))) << peer;
    ASSERT_EQ(log.init_acks[0].size(), 1u) << peer;
    EXPECT_EQ(log.init_acks[0][0], peer == 1) << "INIT-ACK to a peer offering edmid " << peer;
    EXPECT_EQ(l.end[0]->zero_checksum(), peer == 1);
    EXPECT_EQ(l.end[1]->zero_checksum(), peer == 1);
    EXPECT_FALSE(l.end[0]->init_fallback());  // it sent no INIT
  }
}

// Both ends offer it (Chromium's dcSCTP, libdatachannel's usrsctp, ours): nothing changes. One INIT
// each way with the parameter, INIT-ACKs with it, zero checksums on every packet after the handshake.
TEST(ZeroChecksum, StillNegotiatedWhenBothOfferIt) {
  for (bool simultaneous : {true, false}) {
    Link l(42, offering(1));
    HandshakeLog log;
    size_t zero[2] = {0, 0}, total[2] = {0, 0};
    l.tap = [&](int from, const std::vector<uint8_t>& d) {
      log.see(from, d);
      ++total[from];
      if (checksum_of(d) == 0) ++zero[from];
    };
    l.end[0]->connect(0);
    if (simultaneous) l.end[1]->connect(0);
    ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
    for (int i = 0; i < 2; ++i) {
      EXPECT_TRUE(l.end[i]->zero_checksum()) << i;
      EXPECT_FALSE(l.end[i]->init_fallback()) << i;
      for (bool z : log.inits[i]) EXPECT_TRUE(z) << "INIT from " << i;
      for (bool z : log.init_acks[i]) EXPECT_TRUE(z) << "INIT-ACK from " << i;
    }
    EXPECT_EQ(l.end[0]->stats().inits_out, 1u);
    EXPECT_EQ(log.init_acks[0].size() + log.init_acks[1].size(), simultaneous ? 2u : 1u);
    exercise(l);
    EXPECT_GT(zero[0], total[0] / 2);
    EXPECT_GT(zero[1], total[1] / 2);
    EXPECT_EQ(l.end[0]->stats().zero_checksum_out, zero[0]);
    EXPECT_LE(l.end[1]->stats().zero_checksum_in, zero[0]);  // all but what is still on the wire
    EXPECT_GT(l.end[1]->stats().zero_checksum_in, zero[0] / 2);
    EXPECT_EQ(l.end[1]->stats().zero_checksum_out, zero[1]);
  }
}

// (b) As the INIT sender towards a peer that silently drops INITs with the parameter (and never
// sends its own, as a passive end would): the first T1-init expiry sends the INIT again without it,
// and every later INIT of the association leaves it out too, also when that one is lost. I-DATA,
// FORWARD-TSN and RE-CONFIG are still offered and negotiated.
TEST(ZeroChecksum, FallbackInitAfterT1WhenThePeerDropsInitsCarryingIt) {
  for (int lost_fallbacks : {0, 1}) {
    Link l(43, offering(1));
    l.end[1] = std::make_unique<SctpAssociation>(P(), offering(0));
    HandshakeLog log;
    int dropped = 0;
    l.tap = [&](int from, const std::vector<uint8_t>& d) { log.see(from, d); };
    l.drop = [&](int from, const std::vector<uint8_t>& d) {
      if (from == 0 && carries_zca(d)) return ++dropped, true;
      InitChunk i;
      if (from == 0 && init_of(d, chunk_type::kInit, i) && lost_fallbacks > 0) return --lost_fallbacks, true;  // plain loss
      return false;
    };
    const int lost = lost_fallbacks;
    l.end[0]->connect(0);
    ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(10))) << lost;
    // T1-init starts at RTO.Initial (1 s) and doubles: up after 1 s, or 3 s when the fallback INIT was lost too.
    EXPECT_GE(l.now, seconds(lost ? 3 : 1));
    EXPECT_LT(l.now, seconds(lost ? 3 : 1) + ms(100));
    ASSERT_EQ(log.inits[0].size(), size_t(2 + lost));
    EXPECT_TRUE(log.inits[0][0]);
    for (size_t k = 1; k < log.inits[0].size(); ++k) EXPECT_FALSE(log.inits[0][k]) << "INIT " << k;
    EXPECT_EQ(dropped, 1);
    EXPECT_TRUE(l.end[0]->init_fallback());
    EXPECT_EQ(l.end[0]->init_fallback_reason(), "T1-init expired");
    EXPECT_EQ(l.end[0]->stats().inits_out, uint64_t(2 + lost));
    EXPECT_FALSE(l.end[0]->zero_checksum());
    EXPECT_FALSE(l.end[1]->zero_checksum());
    EXPECT_TRUE(l.end[0]->interleaving());  // I-DATA still offered and taken
    EXPECT_TRUE(l.end[1]->interleaving());
    exercise(l);
  }
}

// The pion case itself: data channels open SCTP from both ends at once (RFC 8841 §6), and pion
// drops our INIT and, before the fix, our INIT-ACK. Now the INIT-ACK answering its INIT has no
// parameter and the association comes up in one round trip, long before any T1-init expiry.
TEST(ZeroChecksum, SimultaneousOpenWithAPeerThatRefusesTheParameterBothWays) {
  Link l(44, offering(1));
  l.end[1] = std::make_unique<SctpAssociation>(P(), offering(0));
  HandshakeLog log;
  int dropped = 0;
  l.tap = [&](int from, const std::vector<uint8_t>& d) { log.see(from, d); };
  l.drop = [&](int from, const std::vector<uint8_t>& d) { return from == 0 && carries_zca(d) && ++dropped; };
  l.end[0]->connect(0);
  l.end[1]->connect(0);
  ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
  EXPECT_LT(l.now, ms(100));
  EXPECT_EQ(dropped, 1);  // our first INIT only
  ASSERT_FALSE(log.init_acks[0].empty());
  for (bool z : log.init_acks[0]) EXPECT_FALSE(z);
  // Its INIT offered nothing: our INITs would leave the parameter out from now on.
  EXPECT_TRUE(l.end[0]->init_fallback());
  EXPECT_EQ(l.end[0]->init_fallback_reason(), "the peer's INIT does not offer it");
  EXPECT_FALSE(l.end[0]->zero_checksum());
  exercise(l);
}

// A lost first INIT in the WebRTC simultaneous open still gets zero checksum both ways: the peer's
// INIT offers it, our INIT-ACK answers with it, and the association comes up before T1-init.
TEST(ZeroChecksum, LostFirstInitInASimultaneousOpenKeepsIt) {
  Link l(45, offering(1));
  bool lost = false;
  l.drop = [&](int from, const std::vector<uint8_t>& d) {
    InitChunk i;
    if (from == 0 && !lost && init_of(d, chunk_type::kInit, i)) return lost = true;
    return false;
  };
  l.end[0]->connect(0);
  l.end[1]->connect(0);
  ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
  EXPECT_TRUE(lost);
  EXPECT_LT(l.now, seconds(1));
  EXPECT_TRUE(l.end[0]->zero_checksum());
  EXPECT_TRUE(l.end[1]->zero_checksum());
  EXPECT_FALSE(l.end[0]->init_fallback());
}

// An ABORT or ERROR answering our INIT with an Unrecognized Parameters cause (RFC 9260 §3.3.10.8)
// naming 0x8001: no association existed yet, so the INIT goes again at once, without it.
TEST(ZeroChecksum, AbortOrErrorNamingTheParameterSendsTheInitAgainWithout) {
  for (uint8_t type : {chunk_type::kAbort, chunk_type::kError}) {
    Link l(46, offering(1));
    std::vector<std::vector<uint8_t>> inits;
    l.drop = [&](int from, const std::vector<uint8_t>& d) {
      InitChunk i;
      if (from == 0 && init_of(d, chunk_type::kInit, i) && inits.empty()) return inits.push_back(d), true;
      return false;
    };
    l.end[0]->connect(0);
    l.pump();
    ASSERT_EQ(inits.size(), 1u);
    InitChunk first;
    ASSERT_TRUE(init_of(inits[0], chunk_type::kInit, first));
    ASSERT_TRUE(first.zero_checksum_acceptable);
    // The refusal, as a stack that reports the parameter would send it: our tag, the parameter copied.
    std::vector<uint8_t> param = {0x80, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01}, causes;
    ErrorCauses::append(causes, cause::kUnrecognizedParameters, ByteView(param));
    SctpPacketBuilder b({5000, 5000, first.initiate_tag}, 1200);
    ASSERT_TRUE(b.add(type, 0, ByteView(causes)));
    l.now = ms(5);
    l.end[0]->handle_packet(l.now, ByteView(b.finish(P())));
    std::vector<uint8_t> again;
    ASSERT_TRUE(l.end[0]->poll_transmit(again));
    InitChunk second;
    ASSERT_TRUE(init_of(again, chunk_type::kInit, second));
    EXPECT_FALSE(second.zero_checksum_acceptable);
    EXPECT_EQ(second.initiate_tag, first.initiate_tag);
    EXPECT_EQ(l.end[0]->state(), SctpAssociation::State::kCookieWait);
    EXPECT_TRUE(l.end[0]->init_fallback());
    l.wire.push_back({l.now + l.latency, 1, std::move(again)});
    ASSERT_TRUE(l.run([&] { return l.up[0] && l.up[1]; }, seconds(5)));
    EXPECT_LT(l.now, seconds(1));
    EXPECT_TRUE(l.aborted[0].empty()) << l.aborted[0];
    // End 1 offers zero checksum too, but answers an INIT without the parameter without it: off both ways.
    EXPECT_FALSE(l.end[0]->zero_checksum());
    EXPECT_FALSE(l.end[1]->zero_checksum());
    exercise(l);
  }
}

// Any other ABORT during the handshake still ends it.
TEST(ZeroChecksum, OtherAbortsInCookieWaitStillAbort) {
  Link l(47, offering(1));
  std::vector<uint8_t> init;
  l.drop = [&](int from, const std::vector<uint8_t>& d) { return from == 0 && (init = d, true); };
  l.end[0]->connect(0);
  l.pump();
  InitChunk first;
  ASSERT_TRUE(init_of(init, chunk_type::kInit, first));
  std::vector<uint8_t> param = {0x80, 0x05, 0x00, 0x04}, causes;  // some other parameter
  ErrorCauses::append(causes, cause::kUnrecognizedParameters, ByteView(param));
  SctpPacketBuilder b({5000, 5000, first.initiate_tag}, 1200);
  ASSERT_TRUE(b.add(chunk_type::kAbort, 0, ByteView(causes)));
  l.end[0]->handle_packet(ms(5), ByteView(b.finish(P())));
  l.pump();
  EXPECT_EQ(l.end[0]->state(), SctpAssociation::State::kClosed);
  EXPECT_FALSE(l.aborted[0].empty());
  EXPECT_FALSE(l.end[0]->init_fallback());
}

}  // namespace
}  // namespace wasmrtc::sctp
