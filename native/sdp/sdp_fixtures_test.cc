// Real offers and answers (captured from Chromium, werift, @roamhq/wrtc and
// libdatachannel; hand-written Firefox- and Pion-style shapes) parse, and
// yield exactly the ICE credentials, fingerprint, DTLS role, SCTP port, max
// message size and candidates that are in the text. See testdata/README.md.
#include "sdp/session_description.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace wasmrtc::sdp {
namespace {

std::string read_fixture(const std::string& name) {
  std::ifstream f(std::string(WASMRTC_SOURCE_DIR) + "/native/sdp/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << "missing fixture " << name;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct Expected {
  const char* file;
  const char* ufrag;
  const char* pwd;
  const char* fingerprint;
  Setup setup;
  uint16_t sctp_port;
  uint32_t max_message_size;
  bool max_message_size_present;
  std::vector<std::string> candidates;
  bool end_of_candidates;
};

const std::vector<Expected>& fixtures() {
  static const std::vector<Expected> all = {
      {"chromium-offer.sdp", "Zkrv", "Eu0FcC9FaSHVCaKo9iUanUWW",
       "27:8C:CE:C8:53:56:62:EE:44:6A:3E:58:D9:76:A5:EF:1D:6A:CF:A1:F6:B9:3D:79:3C:38:80:AD:A8:CE:CF:F0",
       Setup::kActpass, 5000, 262144, true,
       {"candidate:1236431271 1 udp 2122260223 127.0.0.1 55248 typ host generation 0 network-id 1 network-cost 50",
        "candidate:3071845683 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50"},
       false},
      {"chromium-answer.sdp", "jJ5+", "6PGc0+SWF7XKI6AHk2hUqYoF",
       "10:A3:05:E0:04:17:34:A0:93:09:FD:64:1E:92:07:D7:5A:1A:5D:44:2A:D5:15:89:B3:95:14:20:22:0F:2F:AD",
       Setup::kActive, 5000, 262144, true,
       {"candidate:521468331 1 udp 2122260223 127.0.0.1 52498 typ host generation 0 network-id 1 network-cost 50"}, false},
      {"werift-offer.sdp", "c697", "7c2b0804e4806d62ff86e8",
       "CA:41:0F:C7:A9:B1:1F:F5:15:69:3A:34:F6:3A:C7:E8:F6:76:F3:60:B5:00:A7:5F:DB:84:B5:4B:BA:45:D5:C2",
       Setup::kActpass, 5000, 65536, true,
       {"candidate:626da4e5384a0ce2d0d93678a 1 udp 2116026367 127.0.0.1 44801 typ host generation 0 ufrag c697"}, true},
      {"werift-answer.sdp", "5778", "56a19576d5218589e1241e",
       "CA:41:0F:C7:A9:B1:1F:F5:15:69:3A:34:F6:3A:C7:E8:F6:76:F3:60:B5:00:A7:5F:DB:84:B5:4B:BA:45:D5:C2",
       Setup::kActive, 5000, 65536, true,
       {"candidate:626da4e5384a0ce2d0d93678a 1 udp 2116026367 127.0.0.1 38993 typ host generation 0 ufrag 5778"}, true},
      {"wrtc-offer.sdp", "yqWL", "U7bV8z7gjHGBruERhwbbCT3L",
       "28:1F:13:0F:0D:2E:AD:6E:40:BC:69:50:25:35:D6:32:42:DB:D5:B9:41:44:E4:40:61:3D:40:EB:B7:72:48:64",
       Setup::kActpass, 5000, 262144, true,
       {"candidate:559267639 1 udp 2122267903 ::1 47737 typ host generation 0 network-id 2",
        "candidate:1510613869 1 udp 2122194687 127.0.0.1 59368 typ host generation 0 network-id 1",
        "candidate:1876313031 1 tcp 1518288127 ::1 56701 typ host tcptype passive generation 0 network-id 2",
        "candidate:344579997 1 tcp 1518214911 127.0.0.1 58223 typ host tcptype passive generation 0 network-id 1"},
       false},
      {"wrtc-answer.sdp", "ON27", "9ygNnEmmy53ZW/QFO34PPe6j",
       "47:3B:07:C0:5C:97:98:69:78:F1:8B:A5:69:5D:E1:2C:FC:50:6C:96:C1:83:34:E6:13:A6:D0:78:74:68:9D:3D",
       Setup::kActive, 5000, 262144, true,
       {"candidate:559267639 1 udp 2122267903 ::1 57772 typ host generation 0 network-id 2",
        "candidate:1510613869 1 udp 2122194687 127.0.0.1 43882 typ host generation 0 network-id 1"},
       false},
      {"libdatachannel-offer.sdp", "90P6", "E2Ns7+x2l1gSH4M7vo+LDI",
       "84:32:0B:84:5C:B2:FB:5F:20:AD:8E:F5:0D:CC:53:13:CB:7A:66:EA:D9:07:02:C6:53:A7:35:60:7A:28:19:95",
       Setup::kActpass, 5000, 262144, true, {"candidate:1 1 UDP 2114977791 127.0.0.1 53574 typ host"}, true},
      {"libdatachannel-answer.sdp", "7Zbe", "L3BFHKajHjomHXll5X9ivI",
       "4B:F2:1D:D6:CE:0E:EE:D4:A6:22:C8:84:ED:C9:FF:DD:ED:AF:B5:BA:EF:B4:CD:16:28:C7:D4:EB:C5:E3:A4:41",
       Setup::kActive, 5000, 262144, true, {"candidate:1 1 UDP 2114977791 127.0.0.1 55461 typ host"}, true},
      // Hand-written shapes (see testdata/README.md).
      {"firefox-style-offer.sdp", "3a1b2c4d", "b5d1a4a0b4ba0c7b9b2c3a5d0e1f2a3b",
       "5C:10:9F:6B:2A:E1:0D:48:77:3B:C2:91:AF:64:0E:D5:38:1C:9B:E2:47:FA:6D:03:82:5E:B9:C4:16:7A:F0:2D",
       Setup::kActpass, 5000, 1073741823, true,
       {"candidate:0 1 UDP 2122252543 127.0.0.1 54321 typ host",
        "candidate:1 1 TCP 2105524479 127.0.0.1 9 typ host tcptype active"},
       true},
      {"firefox-style-answer.sdp", "9e8d7c6b", "6f0e1d2c3b4a59687766554433221100",
       "E4:71:0A:3C:9D:52:B8:16:F0:2E:6B:A7:C3:58:94:1D:0F:E2:7A:B6:45:D9:83:2C:61:F8:1E:B0:57:9A:C4:3D",
       Setup::kActive, 5000, 1073741823, true, {"candidate:0 1 UDP 2122252543 127.0.0.1 40123 typ host"}, true},
      {"pion-style-offer.sdp", "XAMkNGfSBkNYzsWb", "qsJqgwVNhnXgTzFjTQIbvDUVcXYOGRpl",
       "3B:8E:91:0C:A2:47:D5:6F:18:E3:B0:7C:29:F4:55:A1:6D:C8:02:9B:E7:43:1F:B6:70:DA:25:8C:E1:04:9F:36",
       Setup::kActpass, 5000, 65536, false,  // RFC 8841 §6: 64 KiB when absent
       {"candidate:1966762133 1 udp 2130706431 127.0.0.1 51234 typ host",
        "candidate:1966762133 2 udp 2130706431 127.0.0.1 51234 typ host"},
       true},
      {"pion-style-answer.sdp", "hhgkESlHqcdXSyMl", "INlrzEelLDOoIkMDOyxNLDHejSKfPQRB",
       "A7:52:3E:C9:10:6B:F4:88:2D:E5:71:0A:B3:96:4C:1F:D8:27:60:5E:A9:13:C4:7B:08:F2:3D:95:6E:B1:4A:C0",
       Setup::kActive, 5000, 65535, true, {"candidate:3885250869 1 udp 2130706431 127.0.0.1 60810 typ host"}, true},
  };
  return all;
}

class SdpFixture : public ::testing::TestWithParam<Expected> {};

TEST_P(SdpFixture, ParsesWithTheValuesInTheText) {
  const Expected& e = GetParam();
  std::string text = read_fixture(e.file);
  ASSERT_FALSE(text.empty());
  ASSERT_NE(text.find("\r\n"), std::string::npos) << "fixtures keep the CRLF line ends the stack wrote";
  SessionDescription d;
  std::string error;
  ASSERT_TRUE(SessionDescription::parse(text, d, &error)) << e.file << ": " << error;
  EXPECT_EQ(d.ice_ufrag, e.ufrag);
  EXPECT_EQ(d.ice_pwd, e.pwd);
  EXPECT_EQ(d.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(d.fingerprint, e.fingerprint);
  EXPECT_EQ(d.setup, e.setup) << to_string(d.setup);
  EXPECT_EQ(d.mid, "0");
  EXPECT_EQ(d.mline_index, 0u);
  EXPECT_EQ(d.sctp_port, e.sctp_port);
  EXPECT_EQ(d.max_message_size, e.max_message_size);
  EXPECT_EQ(d.max_message_size_present, e.max_message_size_present);
  EXPECT_EQ(d.candidates, e.candidates);
  EXPECT_EQ(d.end_of_candidates, e.end_of_candidates);
  EXPECT_FALSE(d.ice_lite);
}

// The same text with bare LF line ends means the same.
TEST_P(SdpFixture, LfOnlyGivesTheSameResult) {
  const Expected& e = GetParam();
  std::string crlf = read_fixture(e.file), lf;
  for (char c : crlf)
    if (c != '\r') lf += c;
  SessionDescription a, b;
  ASSERT_TRUE(SessionDescription::parse(crlf, a));
  ASSERT_TRUE(SessionDescription::parse(lf, b));
  EXPECT_EQ(a.ice_ufrag, b.ice_ufrag);
  EXPECT_EQ(a.ice_pwd, b.ice_pwd);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.candidates, b.candidates);
  EXPECT_EQ(a.max_message_size, b.max_message_size);
}

// Every fixture loses its data channel ability without its credentials: parse must refuse, not guess.
TEST_P(SdpFixture, RefusesTheTextWithoutItsFingerprintOrCredentials) {
  const Expected& e = GetParam();
  std::string text = read_fixture(e.file);
  auto without = [&](const std::string& prefix) {
    std::string out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(prefix, 0) != 0) out += line + "\n";
    return out;
  };
  SessionDescription d;
  std::string error;
  EXPECT_FALSE(SessionDescription::parse(without("a=fingerprint:"), d, &error)) << e.file;
  EXPECT_FALSE(SessionDescription::parse(without("a=ice-ufrag:"), d, &error)) << e.file;
  EXPECT_FALSE(SessionDescription::parse(without("a=ice-pwd:"), d, &error)) << e.file;
  EXPECT_FALSE(SessionDescription::parse(without("m=application"), d, &error)) << e.file;
}

// What we write from a parsed fixture parses back to the same values (we echo nothing unknown).
TEST_P(SdpFixture, RoundTripsThroughOurWriter) {
  const Expected& e = GetParam();
  SessionDescription d, back;
  ASSERT_TRUE(SessionDescription::parse(read_fixture(e.file), d));
  std::string ours = d.to_string();
  ASSERT_TRUE(SessionDescription::parse(ours, back)) << ours;
  EXPECT_EQ(back.ice_ufrag, d.ice_ufrag);
  EXPECT_EQ(back.ice_pwd, d.ice_pwd);
  EXPECT_EQ(back.fingerprint, d.fingerprint);
  EXPECT_EQ(back.setup, d.setup);
  EXPECT_EQ(back.max_message_size, d.max_message_size);
  EXPECT_EQ(back.candidates, d.candidates);
  EXPECT_EQ(ours.find("extmap"), std::string::npos);
  EXPECT_EQ(ours.find("SDPARTA"), std::string::npos);
}

std::string fixture_name(const ::testing::TestParamInfo<Expected>& info) {
  std::string n = info.param.file;
  n = n.substr(0, n.find('.'));
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(RealStacks, SdpFixture, ::testing::ValuesIn(fixtures()), fixture_name);

}  // namespace
}  // namespace wasmrtc::sdp
