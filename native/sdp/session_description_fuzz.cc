// libFuzzer: arbitrary text as a remote description; what parses is written and parsed again.
#include <cstdint>
#include <string>

#include "sdp/session_description.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  wasmrtc::sdp::SessionDescription d;
  if (!wasmrtc::sdp::SessionDescription::parse(text, d)) return 0;
  wasmrtc::sdp::SessionDescription again;
  std::string why;
  // Our own output must parse (fingerprints and credentials were validated on the way in).
  if (!wasmrtc::sdp::SessionDescription::parse(d.to_string(), again, &why)) __builtin_trap();
  return 0;
}
