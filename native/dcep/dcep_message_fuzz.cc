// libFuzzer: DATA_CHANNEL_OPEN parsing; what parses must serialise back to the same bytes.
#include <cstdint>

#include "dcep/dcep_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wasmrtc::dcep::OpenMessage m;
  if (!wasmrtc::dcep::OpenMessage::parse(wasmrtc::ByteView(data, size), m)) return 0;
  auto again = m.serialize();
  if (again.size() != size || !wasmrtc::ByteView(again).equals(wasmrtc::ByteView(data, size))) __builtin_trap();
  return 0;
}
