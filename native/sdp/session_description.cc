#include "sdp/session_description.h"

#include <cctype>
#include <cstdlib>

namespace wasmrtc::sdp {

namespace {

constexpr size_t kMaxSdp = 64 * 1024;
constexpr size_t kMaxLines = 4096;
constexpr size_t kMaxCandidates = 256;

bool fail(std::string* e, const char* why) {
  if (e) *e = why;
  return false;
}

bool parse_u64(const std::string& s, uint64_t max, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t next = v * 10 + uint64_t(c - '0');
    if (next < v) return false;
    v = next;
  }
  if (v > max) return false;
  out = v;
  return true;
}

bool ice_chars(const std::string& s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const char* to_string(Setup s) {
  switch (s) {
    case Setup::kActpass: return "actpass";
    case Setup::kActive: return "active";
    case Setup::kPassive: return "passive";
    case Setup::kHoldconn: return "holdconn";
  }
  return "actpass";
}

bool SessionDescription::parse(const std::string& text, SessionDescription& out, std::string* error) {
  if (text.size() > kMaxSdp) return fail(error, "description too large");
  if (text.compare(0, 4, "v=0\n") != 0 && text.compare(0, 5, "v=0\r\n") != 0) return fail(error, "no v=0 line");
  SessionDescription d;
  // Session-level values apply to every section unless a section overrides them (RFC 8839 §5.4).
  std::string s_ufrag, s_pwd, s_fp_alg, s_fp;
  bool s_lite = false;
  int section = -1;          // current m-line index
  int app_section = -1;      // the application section we use
  bool in_app = false;
  bool have_setup = false;
  size_t lines = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (++lines > kMaxLines) return fail(error, "too many lines");
    if (line.size() < 2 || line[1] != '=') return fail(error, "malformed line");
    char type = line[0];
    std::string value = line.substr(2);
    if (type == 'o') {
      // o=<username> <sess-id> <sess-version> IN IP4 <addr>
      size_t a = value.find(' ');
      size_t b = a == std::string::npos ? a : value.find(' ', a + 1);
      if (a != std::string::npos && b != std::string::npos) parse_u64(value.substr(a + 1, b - a - 1), UINT64_MAX, d.session_id);
      continue;
    }
    if (type == 'm') {
      ++section;
      in_app = false;
      // m=application 9 UDP/DTLS/SCTP webrtc-datachannel (RFC 8841), or the older DTLS/SCTP 5000 form.
      if (app_section < 0 && value.compare(0, 12, "application ") == 0 &&
          (value.find("UDP/DTLS/SCTP") != std::string::npos || value.find("DTLS/SCTP") != std::string::npos)) {
        app_section = section;
        in_app = true;
        d.mline_index = uint32_t(section);
      }
      continue;
    }
    if (type != 'a') continue;
    size_t colon = value.find(':');
    std::string name = value.substr(0, colon);
    std::string arg = colon == std::string::npos ? "" : value.substr(colon + 1);
    bool session_level = section < 0;
    if (!session_level && !in_app) continue;  // attributes of other sections are not ours
    if (name == "ice-ufrag") {
      (session_level ? s_ufrag : d.ice_ufrag) = arg;
    } else if (name == "ice-pwd") {
      (session_level ? s_pwd : d.ice_pwd) = arg;
    } else if (name == "ice-lite") {
      s_lite = true;
    } else if (name == "fingerprint") {
      size_t sp = arg.find(' ');
      if (sp == std::string::npos) return fail(error, "malformed fingerprint");
      std::string alg = arg.substr(0, sp), fp = arg.substr(sp + 1);
      for (auto& c : alg) c = char(std::tolower(static_cast<unsigned char>(c)));
      // We check SHA-256 fingerprints (RFC 8122); others are kept only if nothing better is offered.
      if (session_level) {
        if (s_fp_alg != "sha-256") {
          s_fp_alg = alg;
          s_fp = fp;
        }
      } else if (d.fingerprint_algorithm != "sha-256") {
        d.fingerprint_algorithm = alg;
        d.fingerprint = fp;
      }
    } else if (name == "setup") {
      if (arg == "actpass") d.setup = Setup::kActpass;
      else if (arg == "active") d.setup = Setup::kActive;
      else if (arg == "passive") d.setup = Setup::kPassive;
      else if (arg == "holdconn") d.setup = Setup::kHoldconn;
      else return fail(error, "unknown a=setup value");
      have_setup = true;
    } else if (name == "mid" && !session_level) {
      if (arg.empty() || arg.size() > 32) return fail(error, "bad a=mid");
      d.mid = arg;
    } else if (name == "sctp-port" && !session_level) {
      uint64_t p;
      if (!parse_u64(arg, 65535, p) || p == 0) return fail(error, "bad a=sctp-port");
      d.sctp_port = uint16_t(p);
    } else if (name == "sctpmap" && !session_level) {
      uint64_t p;  // legacy: a=sctpmap:5000 webrtc-datachannel 1024
      if (parse_u64(arg.substr(0, arg.find(' ')), 65535, p) && p) d.sctp_port = uint16_t(p);
    } else if (name == "max-message-size" && !session_level) {
      uint64_t m;
      if (!parse_u64(arg, UINT32_MAX, m)) return fail(error, "bad a=max-message-size");
      // RFC 8841 §6: 0 means "no limit"; we still never exceed our own 256 KiB.
      d.max_message_size = m == 0 ? 262144 : uint32_t(m);
      d.max_message_size_present = true;
    } else if (name == "candidate") {
      if (d.candidates.size() >= kMaxCandidates) return fail(error, "too many candidates");
      d.candidates.push_back("candidate:" + arg);
    } else if (name == "end-of-candidates") {
      d.end_of_candidates = true;
    }
    // Everything else (rtcp-mux, extmap, ssrc, msid, ...) is ignored and never echoed.
  }
  if (app_section < 0) return fail(error, "no m=application section for data channels");
  if (d.ice_ufrag.empty()) d.ice_ufrag = s_ufrag;
  if (d.ice_pwd.empty()) d.ice_pwd = s_pwd;
  if (d.fingerprint.empty()) {
    d.fingerprint_algorithm = s_fp_alg;
    d.fingerprint = s_fp;
  }
  d.ice_lite = s_lite;
  if (!ice_chars(d.ice_ufrag, 4, 256) || !ice_chars(d.ice_pwd, 22, 256)) return fail(error, "missing or bad ICE credentials");
  if (d.fingerprint.empty()) return fail(error, "missing a=fingerprint");
  if (d.fingerprint_algorithm != "sha-256") return fail(error, "only sha-256 fingerprints are checked");
  if (!have_setup) d.setup = Setup::kActpass;  // RFC 8842 §5.2: absent means actpass
  out = std::move(d);
  return true;
}

std::string SessionDescription::to_string() const {
  std::string s;
  s += "v=0\r\n";
  s += "o=- " + std::to_string(session_id) + " " + std::to_string(session_version) + " IN IP4 127.0.0.1\r\n";
  s += "s=-\r\nt=0 0\r\n";
  s += "a=group:BUNDLE " + mid + "\r\n";
  s += "a=msid-semantic: WMS\r\n";
  if (ice_lite) s += "a=ice-lite\r\n";
  s += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
  s += "c=IN IP4 0.0.0.0\r\n";
  for (const auto& c : candidates) s += "a=" + c + "\r\n";
  if (end_of_candidates) s += "a=end-of-candidates\r\n";
  s += "a=ice-ufrag:" + ice_ufrag + "\r\n";
  s += "a=ice-pwd:" + ice_pwd + "\r\n";
  s += "a=ice-options:trickle\r\n";
  s += "a=fingerprint:sha-256 " + fingerprint + "\r\n";
  s += std::string("a=setup:") + sdp::to_string(setup) + "\r\n";
  s += "a=mid:" + mid + "\r\n";
  s += "a=sctp-port:" + std::to_string(sctp_port) + "\r\n";
  s += "a=max-message-size:" + std::to_string(max_message_size) + "\r\n";
  return s;
}

}  // namespace wasmrtc::sdp
