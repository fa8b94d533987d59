#include "ice/candidate.h"

#include <gtest/gtest.h>

namespace wasmrtc::ice {
namespace {

TEST(Candidate, ParsesChromeHostAndSrflxLines) {
  Candidate c;
  ASSERT_TRUE(parse_candidate(
      "candidate:842163049 1 udp 1677729535 203.0.113.7 61209 typ srflx raddr 10.0.0.5 rport 61209 generation 0 "
      "ufrag EsAw network-cost 999",
      c));
  EXPECT_EQ(c.foundation, "842163049");
  EXPECT_EQ(c.component, 1);
  EXPECT_TRUE(c.is_udp());
  EXPECT_EQ(c.priority, 1677729535u);
  EXPECT_EQ(c.address.to_string(), "203.0.113.7:61209");
  EXPECT_EQ(c.type, CandidateType::kServerReflexive);
  EXPECT_EQ(c.related.to_string(), "10.0.0.5:61209");
  ASSERT_EQ(c.extensions.size(), 3u);
  EXPECT_EQ(c.extensions[1].first, "ufrag");
  EXPECT_EQ(c.extensions[1].second, "EsAw");
}

TEST(Candidate, AcceptsAPrefixIPv6AndMdnsNames) {
  Candidate c;
  ASSERT_TRUE(parse_candidate("a=candidate:1 1 UDP 2122260223 ::1 5000 typ host", c));
  EXPECT_TRUE(c.address.is_v6());
  EXPECT_TRUE(c.is_udp());
  ASSERT_TRUE(parse_candidate("candidate:1 1 udp 2122260223 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host", c));
  EXPECT_TRUE(c.needs_resolution());
  EXPECT_EQ(c.hostname, "1f4712db-ea17-4bcf-a596-105139dfd8bf.local");
  EXPECT_EQ(c.address.port, 54321);
}

TEST(Candidate, RoundTripsThroughItsSdpLine) {
  Candidate c;
  c.foundation = "abc+/1";
  c.component = 1;
  c.priority = compute_priority(CandidateType::kRelayed, 65535, 1);
  c.address = SocketAddress::v4(198, 51, 100, 9, 3478);
  c.type = CandidateType::kRelayed;
  c.related = SocketAddress::v4(203, 0, 113, 1, 4000);
  std::string line = c.to_sdp_line();
  EXPECT_EQ(line, "candidate:abc+/1 1 udp " + std::to_string(c.priority) +
                      " 198.51.100.9 3478 typ relay raddr 203.0.113.1 rport 4000");
  Candidate back;
  ASSERT_TRUE(parse_candidate(line, back));
  EXPECT_EQ(back.to_sdp_line(), line);
}

TEST(Candidate, PriorityFollowsRfc8445) {
  // Type preference 126, local preference 65535, component 1 -> 2130706431.
  EXPECT_EQ(compute_priority(CandidateType::kHost, 65535, 1), 2130706431u);
  EXPECT_GT(compute_priority(CandidateType::kHost, 0, 1), compute_priority(CandidateType::kPeerReflexive, 65535, 1));
  EXPECT_GT(compute_priority(CandidateType::kPeerReflexive, 0, 1),
            compute_priority(CandidateType::kServerReflexive, 65535, 1));
  EXPECT_GT(compute_priority(CandidateType::kServerReflexive, 0, 1), compute_priority(CandidateType::kRelayed, 65535, 1));
}

TEST(Candidate, RejectsMalformedLines) {
  Candidate c;
  std::string why;
  const char* bad[] = {
      "",
      "candidate:",
      "candidate:1 1 udp 1 1.2.3.4 5 typ",               // no type
      "candidate:1 1 udp 1 1.2.3.4 5 type host",          // wrong keyword
      "candidate:1 1 udp 1 1.2.3.4 70000 typ host",       // port range
      "candidate:1 0 udp 1 1.2.3.4 5 typ host",           // component 0
      "candidate:1 1 udp 99999999999 1.2.3.4 5 typ host", // priority overflow
      "candidate:1 1 udp -1 1.2.3.4 5 typ host",
      "candidate:f*o 1 udp 1 1.2.3.4 5 typ host",         // foundation char
      "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host",  // 33 chars
      "candidate:1 1 udp 1 example.com 5 typ host",       // non-mDNS name
      "candidate:1 1 udp 1 1.2.3.4 5 typ bogus",
      "candidate:1 1 udp 1 1.2.3.4 5 typ host generation",  // dangling extension
      "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4 rport x",
      "foo:1 1 udp 1 1.2.3.4 5 typ host",
  };
  for (const char* line : bad) EXPECT_FALSE(parse_candidate(line, c, &why)) << line;
  EXPECT_FALSE(parse_candidate(std::string(2000, 'a'), c, &why));
  EXPECT_EQ(why, "candidate line too long");
}

TEST(Candidate, HiddenRelatedAddressIsIgnored) {
  Candidate c;
  ASSERT_TRUE(parse_candidate("candidate:1 1 udp 1 203.0.113.7 9 typ srflx raddr 0.0.0.0 rport 0", c));
  EXPECT_TRUE(c.related.valid());  // 0.0.0.0 is an IP; kept but harmless
  ASSERT_TRUE(parse_candidate("candidate:1 1 udp 1 203.0.113.7 9 typ srflx raddr x.local rport 0", c));
  EXPECT_FALSE(c.related.valid());
}

}  // namespace
}  // namespace wasmrtc::ice

namespace wasmrtc::ice {
namespace {

// Found by candidate_fuzz once the parser itself was instrumented: a line break inside a field
// (or a non-token transport) parsed, printed and re-parsed as something else.
TEST(Candidate, ControlCharactersAndNonTokenTransportsAreRefused) {
  Candidate c;
  EXPECT_FALSE(parse_candidate("candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host raddr\n\nx", c));
  EXPECT_FALSE(parse_candidate(std::string("candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host gen\0 0", 59), c));
  EXPECT_FALSE(parse_candidate("candidate:1 1 \xffp 2130706431 10.0.0.1 5000 typ host", c));
  EXPECT_TRUE(parse_candidate("candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host\r\n", c));  // a trailing CRLF is fine
  EXPECT_TRUE(parse_candidate("candidate:1\t1 udp 2130706431 10.0.0.1 5000 typ host generation 0", c));
  EXPECT_TRUE(parse_candidate("candidate:1 1 tcp 1518280447 10.0.0.1 9 typ host tcptype active", c));
}

}  // namespace
}  // namespace wasmrtc::ice
