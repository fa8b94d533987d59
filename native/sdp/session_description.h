// The SDP WebRTC data channels need (RFC 8866, RFC 8841, RFC 8839, RFC 8122,
// RFC 9429): one m=application section over UDP/DTLS/SCTP with ICE
// credentials, DTLS fingerprint and role, SCTP port and max message size, and
// candidates. Unknown attributes are ignored on parse and never written back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wasmrtc::sdp {

enum class Setup : uint8_t { kActpass, kActive, kPassive, kHoldconn };

struct SessionDescription {
  std::string ice_ufrag;
  std::string ice_pwd;
  bool ice_lite = false;
  std::string fingerprint_algorithm;  // "sha-256"
  std::string fingerprint;            // "AB:CD:..."
  Setup setup = Setup::kActpass;
  std::string mid = "0";
  uint16_t sctp_port = 5000;
  uint32_t max_message_size = 65536;  // RFC 8841 §6: 64 KiB when the attribute is absent
  bool max_message_size_present = false;
  std::vector<std::string> candidates;  // "candidate:..." (without "a=")
  bool end_of_candidates = false;
  uint32_t mline_index = 0;             // index of the application section among the m-lines
  uint64_t session_id = 0;
  uint64_t session_version = 2;        // RFC 3264 §8: one more in each new description of a session

  // Parses a remote description; false (with a reason) when it cannot carry data channels.
  static bool parse(const std::string& text, SessionDescription& out, std::string* error = nullptr);
  // Writes ours: one m=application section, bundle group, trickle ICE options.
  std::string to_string() const;
};

const char* to_string(Setup s);

}  // namespace wasmrtc::sdp
