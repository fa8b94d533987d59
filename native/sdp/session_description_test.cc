#include "sdp/session_description.h"

#include <gtest/gtest.h>

namespace wasmrtc::sdp {
namespace {

// Shaped after what Chromium writes for a data-channel-only offer (attributes at media level).
const char* kChromeOffer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=candidate:1467250027 1 udp 2122260223 127.0.0.1 46243 typ host generation 0 network-id 1\r\n"
    "a=ice-ufrag:yPTR\r\n"
    "a=ice-pwd:kAz1nd3BIqAQIXL/Y8KjSaTQ\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 B4:F4:D1:12:0F:6C:E6:A7:4C:01:61:F0:5B:52:CD:F6:DC:7E:96:0C:1F:5D:6B:2A:AE:F6:CE:4E:4A:3A:90:8A\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

// Shaped after Firefox: fingerprint at session level, ice at media level, an unknown attribute.
const char* kFirefoxOffer =
    "v=0\n"
    "o=mozilla...THIS_IS_SDPARTA-99.0 7382918237 0 IN IP4 0.0.0.0\n"
    "s=-\n"
    "t=0 0\n"
    "a=fingerprint:sha-256 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20\n"
    "a=group:BUNDLE 0\n"
    "a=ice-options:trickle\n"
    "a=msid-semantic:WMS *\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
    "c=IN IP4 0.0.0.0\n"
    "a=sendrecv\n"
    "a=ice-pwd:3ab0e4b7c3a1d0f6b0c9e8a7d6c5b4a3\n"
    "a=ice-ufrag:8a7b6c5d\n"
    "a=mid:0\n"
    "a=setup:actpass\n"
    "a=sctp-port:5000\n"
    "a=max-message-size:1073741823\n"
    "a=x-made-up-attribute:whatever\n";

TEST(Sdp, ParsesAChromeStyleOffer) {
  SessionDescription d;
  std::string why;
  ASSERT_TRUE(SessionDescription::parse(kChromeOffer, d, &why)) << why;
  EXPECT_EQ(d.ice_ufrag, "yPTR");
  EXPECT_EQ(d.ice_pwd, "kAz1nd3BIqAQIXL/Y8KjSaTQ");
  EXPECT_EQ(d.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(d.fingerprint.substr(0, 5), "B4:F4");
  EXPECT_EQ(d.setup, Setup::kActpass);
  EXPECT_EQ(d.mid, "0");
  EXPECT_EQ(d.sctp_port, 5000);
  EXPECT_EQ(d.max_message_size, 262144u);
  ASSERT_EQ(d.candidates.size(), 1u);
  EXPECT_EQ(d.candidates[0].substr(0, 20), "candidate:1467250027");
  EXPECT_EQ(d.session_id, 4611731400430051336ull);
}

TEST(Sdp, ParsesAFirefoxStyleOfferWithSessionLevelFingerprint) {
  SessionDescription d;
  std::string why;
  ASSERT_TRUE(SessionDescription::parse(kFirefoxOffer, d, &why)) << why;
  EXPECT_EQ(d.fingerprint.substr(0, 5), "01:02");
  EXPECT_EQ(d.ice_ufrag, "8a7b6c5d");
  EXPECT_EQ(d.max_message_size, 1073741823u);
}

TEST(Sdp, FindsTheApplicationSectionAmongMedia) {
  std::string sdp = std::string("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n") +
                    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
                    "a=fingerprint:sha-256 AA:BB\r\n"
                    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\na=setup:active\r\na=sctp-port:1\r\n"
                    "m=application 9 DTLS/SCTP 5001\r\na=mid:d\r\na=sctpmap:5001 webrtc-datachannel 1024\r\na=setup:passive\r\n";
  SessionDescription d;
  std::string why;
  ASSERT_TRUE(SessionDescription::parse(sdp, d, &why)) << why;
  EXPECT_EQ(d.mline_index, 1u);
  EXPECT_EQ(d.mid, "d");
  EXPECT_EQ(d.sctp_port, 5001);  // legacy sctpmap form
  EXPECT_EQ(d.setup, Setup::kPassive);  // the audio section's attributes do not leak in
  EXPECT_EQ(d.max_message_size, 65536u);  // absent: 64 KiB (RFC 8841 §6)
  EXPECT_FALSE(d.max_message_size_present);
}

TEST(Sdp, RefusesWhatCannotCarryDataChannels) {
  SessionDescription d;
  std::string why;
  EXPECT_FALSE(SessionDescription::parse("", d, &why));
  EXPECT_FALSE(SessionDescription::parse("hello", d, &why));
  std::string no_app = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  EXPECT_FALSE(SessionDescription::parse(no_app, d, &why));
  EXPECT_EQ(why, "no m=application section for data channels");
  std::string no_fp = std::string(kChromeOffer);
  no_fp.erase(no_fp.find("a=fingerprint"), no_fp.find("a=setup") - no_fp.find("a=fingerprint"));
  EXPECT_FALSE(SessionDescription::parse(no_fp, d, &why));
  EXPECT_EQ(why, "missing a=fingerprint");
  std::string bad_port = kChromeOffer;
  bad_port.replace(bad_port.find("sctp-port:5000"), 14, "sctp-port:99999");
  EXPECT_FALSE(SessionDescription::parse(bad_port, d, &why));
  std::string sha1 = kChromeOffer;
  sha1.replace(sha1.find("sha-256"), 7, "sha-1");
  EXPECT_FALSE(SessionDescription::parse(sha1, d, &why));
  EXPECT_FALSE(SessionDescription::parse(std::string(70000, 'v'), d, &why));
}

TEST(Sdp, OursRoundTripsAndNeverEchoesUnknownAttributes) {
  SessionDescription remote;
  ASSERT_TRUE(SessionDescription::parse(kFirefoxOffer, remote));
  SessionDescription ours;
  ours.ice_ufrag = "wxyz";
  ours.ice_pwd = "abcdefghijklmnopqrstuvwx";
  ours.fingerprint = remote.fingerprint;
  ours.fingerprint_algorithm = "sha-256";
  ours.setup = Setup::kActive;
  ours.mid = remote.mid;
  ours.max_message_size = 262144;
  ours.candidates = {"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"};
  ours.end_of_candidates = true;
  std::string text = ours.to_string();
  EXPECT_EQ(text.find("x-made-up"), std::string::npos);
  EXPECT_NE(text.find("a=max-message-size:262144\r\n"), std::string::npos);
  SessionDescription back;
  std::string why;
  ASSERT_TRUE(SessionDescription::parse(text, back, &why)) << why;
  EXPECT_EQ(back.ice_ufrag, "wxyz");
  EXPECT_EQ(back.setup, Setup::kActive);
  EXPECT_EQ(back.candidates, ours.candidates);
  EXPECT_TRUE(back.end_of_candidates);
}

}  // namespace
}  // namespace wasmrtc::sdp
