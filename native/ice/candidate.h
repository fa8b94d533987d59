// ICE candidates (RFC 8445 §5.1) and their SDP attribute form (RFC 8839 §5.1):
//   candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
//             [raddr <addr> rport <port>] *(<extension name> <value>)
// Godot passes the line without the "a=" prefix; both forms are accepted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/socket_address.h"

namespace wasmrtc::ice {

enum class CandidateType : uint8_t { kHost = 0, kServerReflexive = 1, kPeerReflexive = 2, kRelayed = 3 };

const char* to_string(CandidateType t);

struct Candidate {
  std::string foundation;  // 1..32 ice-chars
  uint16_t component = 1;
  std::string transport = "udp";  // we use UDP; others parse but are not paired
  uint32_t priority = 0;
  // The connection address: an IP, or an mDNS name (".local") the host must resolve.
  SocketAddress address;
  std::string hostname;  // set instead of address.ip when the address is a name
  CandidateType type = CandidateType::kHost;
  SocketAddress related;  // raddr/rport, when present
  std::vector<std::pair<std::string, std::string>> extensions;  // e.g. generation, ufrag, network-id

  bool is_udp() const;
  bool needs_resolution() const { return !hostname.empty(); }
  // "candidate:..." without the "a=" prefix, as trickled in Godot's ice_candidate_created.
  std::string to_sdp_line() const;
};

// RFC 8445 §5.1.2.1: priority = 2^24 * type_pref + 2^8 * local_pref + (256 - component).
uint32_t compute_priority(CandidateType type, uint16_t local_preference, uint16_t component);
// Recommended type preferences (§5.1.2.2).
uint16_t type_preference(CandidateType type);

// Parses one candidate attribute value. Rejects anything malformed: missing
// fields, bad numbers, ports out of range, foundations that are not 1..32
// ice-chars, over-long lines, too many extensions. Never throws.
bool parse_candidate(std::string_view line, Candidate& out, std::string* error = nullptr);

}  // namespace wasmrtc::ice
