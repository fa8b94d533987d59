// libFuzzer: candidate lines; whatever parses must print and re-parse identically.
#include <cstdint>
#include <string>

#include "ice/candidate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string line(reinterpret_cast<const char*>(data), size);
  wasmrtc::ice::Candidate c;
  if (!wasmrtc::ice::parse_candidate(line, c)) return 0;
  std::string printed = c.to_sdp_line();
  wasmrtc::ice::Candidate again;
  if (!wasmrtc::ice::parse_candidate(printed, again)) __builtin_trap();
  if (again.to_sdp_line() != printed) __builtin_trap();
  return 0;
}
