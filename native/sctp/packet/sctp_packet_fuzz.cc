// libFuzzer: SCTP packets (checksum off, so the chunk parsers are reached) and
// every typed chunk parser; what parses re-serialises and parses again.
#include <cstdint>
#include <vector>

#include "sctp/packet/chunks.h"

using namespace wasmrtc;
using namespace wasmrtc::sctp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SctpPacket p;
  if (!SctpPacket::parse(ByteView(data, size), crypto::default_provider(), false, p)) return 0;
  for (const ChunkView& c : p.chunks()) {
    std::vector<uint8_t> v;
    DataChunk d;
    if (DataChunk::parse(c, d)) {
      d.serialize(v);
      ChunkView again{c.type, c.flags, ByteView(v)};
      DataChunk d2;
      if (!DataChunk::parse(again, d2) || d2.tsn != d.tsn || !d2.payload.equals(d.payload)) __builtin_trap();
    }
    InitChunk i;
    if (InitChunk::parse(c, i)) {
      v.clear();
      i.serialize(v);
      InitChunk i2;
      if (!InitChunk::parse({c.type, 0, ByteView(v)}, i2) || i2.initiate_tag != i.initiate_tag) __builtin_trap();
    }
    SackChunk s;
    if (SackChunk::parse(c, s)) {
      v.clear();
      s.serialize(v);
      SackChunk s2;
      if (!SackChunk::parse({c.type, 0, ByteView(v)}, s2) || s2.gaps.size() != s.gaps.size()) __builtin_trap();
    }
    ForwardTsnChunk f;
    if (ForwardTsnChunk::parse(c, f)) {
      v.clear();
      f.serialize(v);
      ForwardTsnChunk f2;
      if (!ForwardTsnChunk::parse({c.type, 0, ByteView(v)}, f2) || f2.skipped.size() != f.skipped.size()) __builtin_trap();
    }
    ReConfigChunk r;
    ReConfigChunk::parse(c, r);
    HeartbeatChunk h;
    HeartbeatChunk::parse(c, h);
    ErrorCauses e;
    ErrorCauses::parse(c.value, e);
    uint32_t cum;
    parse_shutdown(c, cum);
  }
  return 0;
}
