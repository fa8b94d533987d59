// libFuzzer: one chunk value straight into every typed chunk parser, so the parameter parsers
// (INIT / INIT-ACK parameters, RE-CONFIG parameters, error causes) are reached without a valid
// packet around them. Input: type, flags, then the value. What parses re-serialises and parses
// again to the same fields.
#include <cstdint>
#include <vector>

#include "sctp/packet/chunks.h"

using namespace wasmrtc;
using namespace wasmrtc::sctp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const ChunkView c{data[0], data[1], ByteView(data + 2, size - 2)};
  std::vector<uint8_t> v;
  InitChunk i;
  if (InitChunk::parse(c, i)) {
    i.serialize(v);
    InitChunk i2;
    if (!InitChunk::parse({c.type, 0, ByteView(v)}, i2) || i2.initiate_tag != i.initiate_tag ||
        i2.a_rwnd != i.a_rwnd || i2.initial_tsn != i.initial_tsn || i2.state_cookie != i.state_cookie ||
        i2.supported_extensions != i.supported_extensions || i2.forward_tsn_supported != i.forward_tsn_supported) {
      __builtin_trap();
    }
  }
  ReConfigChunk r;
  if (ReConfigChunk::parse(c, r)) {
    v.clear();
    r.serialize(v);
    ReConfigChunk r2;
    if (!ReConfigChunk::parse({chunk_type::kReConfig, 0, ByteView(v)}, r2)) __builtin_trap();
    if (bool(r2.outgoing) != bool(r.outgoing) || bool(r2.response) != bool(r.response)) __builtin_trap();
    if (r.outgoing && r2.outgoing->streams != r.outgoing->streams) __builtin_trap();
  }
  DataChunk d;
  if (DataChunk::parse(c, d)) {
    v.clear();
    d.serialize(v);
    DataChunk d2;
    if (!DataChunk::parse({c.type, c.flags, ByteView(v)}, d2) || d2.tsn != d.tsn || !d2.payload.equals(d.payload)) {
      __builtin_trap();
    }
  }
  SackChunk s;
  if (SackChunk::parse(c, s)) {
    v.clear();
    s.serialize(v);
    SackChunk s2;
    if (!SackChunk::parse({chunk_type::kSack, 0, ByteView(v)}, s2) || s2.cumulative_tsn != s.cumulative_tsn ||
        s2.gaps.size() != s.gaps.size() || s2.duplicates != s.duplicates) {
      __builtin_trap();
    }
  }
  ForwardTsnChunk f;
  if (ForwardTsnChunk::parse(c, f)) {
    v.clear();
    f.serialize(v);
    ForwardTsnChunk f2;
    if (!ForwardTsnChunk::parse({c.type, 0, ByteView(v)}, f2) || f2.new_cumulative_tsn != f.new_cumulative_tsn) __builtin_trap();
  }
  ErrorCauses e;
  ErrorCauses::parse(c.value, e);
  HeartbeatChunk h;
  HeartbeatChunk::parse(c, h);
  uint32_t cum;
  parse_shutdown(c, cum);
  return 0;
}
