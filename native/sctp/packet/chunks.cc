#include "sctp/packet/chunks.h"

namespace wasmrtc::sctp {

namespace {
constexpr uint16_t kParamStateCookie = 7;
constexpr uint16_t kParamSupportedExtensions = 0x8008;
constexpr uint16_t kParamForwardTsnSupported = 0xC000;
constexpr uint16_t kParamZeroChecksum = 0x8001;
constexpr uint16_t kParamOutgoingReset = 13;
constexpr uint16_t kParamIncomingReset = 14;
constexpr uint16_t kParamReconfigResponse = 16;
constexpr size_t kMaxParameters = 64;

void put_param(std::vector<uint8_t>& out, uint16_t type, ByteView value) {
  ByteWriter w(out);
  w.u16(type);
  w.u16(uint16_t(value.size + 4));
  w.bytes(value);
  w.zeros((4 - value.size % 4) % 4);
}

// Walks TLV parameters (§3.2.1); false on framing errors.
template <typename Fn>
bool for_each_param(ByteView v, Fn fn) {
  ByteReader r(v);
  size_t n = 0;
  while (r.remaining() > 0) {
    uint16_t type, len;
    if (!r.u16(type) || !r.u16(len) || len < 4) return false;
    ByteView value;
    if (!r.bytes(len - 4, value)) return false;
    size_t pad = (4 - len % 4) % 4;
    if (pad) r.skip(pad < r.remaining() ? pad : r.remaining());
    if (++n > kMaxParameters || !fn(type, value)) return false;
  }
  return true;
}
}  // namespace

bool DataChunk::parse(const ChunkView& c, DataChunk& out) {
  DataChunk d;
  d.i_data = c.type == chunk_type::kIData;
  if (c.type != chunk_type::kData && !d.i_data) return false;
  d.flags = c.flags;
  ByteReader r(c.value);
  if (!r.u32(d.tsn) || !r.u16(d.stream)) return false;
  if (d.i_data) {
    uint16_t reserved;
    uint32_t ppid_or_fsn;
    if (!r.u16(reserved) || !r.u32(d.mid) || !r.u32(ppid_or_fsn)) return false;
    if (d.flags & kBeginning) d.ppid = ppid_or_fsn;
    else d.fsn = ppid_or_fsn;
  } else {
    if (!r.u16(d.ssn) || !r.u32(d.ppid)) return false;
  }
  d.payload = r.rest();
  if (d.payload.empty()) return false;  // §3.3.1: a DATA chunk carries at least one byte
  out = d;
  return true;
}

void DataChunk::serialize(std::vector<uint8_t>& v) const {
  ByteWriter w(v);
  w.u32(tsn);
  w.u16(stream);
  if (i_data) {
    w.u16(0);
    w.u32(mid);
    w.u32((flags & kBeginning) ? ppid : fsn);
  } else {
    w.u16(ssn);
    w.u32(ppid);
  }
  w.bytes(payload);
}

size_t DataChunk::serialize_header(uint8_t (&h)[16]) const {
  store_be32(h, tsn);
  h[4] = uint8_t(stream >> 8);
  h[5] = uint8_t(stream);
  if (i_data) {
    h[6] = h[7] = 0;
    store_be32(h + 8, mid);
    store_be32(h + 12, (flags & kBeginning) ? ppid : fsn);
    return 16;
  }
  h[6] = uint8_t(ssn >> 8);
  h[7] = uint8_t(ssn);
  store_be32(h + 8, ppid);
  return 12;
}

bool DataChunk::add_to(SctpPacketBuilder& b) const {
  uint8_t head[16];
  const size_t n = serialize_header(head);
  return b.add_with_header(type(), flags, ByteView(head, n), payload);
}

bool InitChunk::parse(const ChunkView& c, InitChunk& out) {
  if (c.type != chunk_type::kInit && c.type != chunk_type::kInitAck) return false;
  InitChunk i;
  ByteReader r(c.value);
  if (!r.u32(i.initiate_tag) || !r.u32(i.a_rwnd) || !r.u16(i.outbound_streams) || !r.u16(i.inbound_streams) ||
      !r.u32(i.initial_tsn)) {
    return false;
  }
  // §3.3.2: a zero tag or zero stream counts are protocol violations.
  if (i.initiate_tag == 0 || i.outbound_streams == 0 || i.inbound_streams == 0) return false;
  bool ok = for_each_param(r.rest(), [&i](uint16_t type, ByteView value) {
    switch (type) {
      case kParamStateCookie:
        i.state_cookie = value.to_vector();
        break;
      case kParamSupportedExtensions:
        i.supported_extensions = value.to_vector();
        break;
      case kParamForwardTsnSupported:
        i.forward_tsn_supported = true;
        break;
      case kParamZeroChecksum:
        if (value.size != 4) return false;
        i.zero_checksum_acceptable = true;
        i.zero_checksum_edmid = load_be32(value.data);
        break;
      default:
        i.unknown.emplace_back(type, value);
        break;
    }
    return true;
  });
  if (!ok) return false;
  out = std::move(i);
  return true;
}

void InitChunk::serialize(std::vector<uint8_t>& v) const {
  ByteWriter w(v);
  w.u32(initiate_tag);
  w.u32(a_rwnd);
  w.u16(outbound_streams);
  w.u16(inbound_streams);
  w.u32(initial_tsn);
  if (!state_cookie.empty()) put_param(v, kParamStateCookie, ByteView(state_cookie));
  if (!supported_extensions.empty()) put_param(v, kParamSupportedExtensions, ByteView(supported_extensions));
  if (forward_tsn_supported) put_param(v, kParamForwardTsnSupported, ByteView());
  if (zero_checksum_acceptable) {
    uint8_t edmid[4];
    store_be32(edmid, zero_checksum_edmid);
    put_param(v, kParamZeroChecksum, ByteView(edmid, 4));
  }
}

bool SackChunk::parse(const ChunkView& c, SackChunk& out) {
  if (c.type != chunk_type::kSack) return false;
  SackChunk s;
  uint16_t ngaps, ndups;
  ByteReader r(c.value);
  if (!r.u32(s.cumulative_tsn) || !r.u32(s.a_rwnd) || !r.u16(ngaps) || !r.u16(ndups)) return false;
  if (size_t(ngaps) * 4 + size_t(ndups) * 4 != r.remaining()) return false;
  for (uint16_t i = 0; i < ngaps; ++i) {
    Gap g;
    r.u16(g.start);
    r.u16(g.end);
    if (g.start == 0 || g.end < g.start) return false;  // §3.3.4: offsets are 1-based ranges
    s.gaps.push_back(g);
  }
  for (uint16_t i = 0; i < ndups; ++i) {
    uint32_t d;
    r.u32(d);
    s.duplicates.push_back(d);
  }
  out = std::move(s);
  return true;
}

void SackChunk::serialize(std::vector<uint8_t>& v) const {
  ByteWriter w(v);
  w.u32(cumulative_tsn);
  w.u32(a_rwnd);
  w.u16(uint16_t(gaps.size()));
  w.u16(uint16_t(duplicates.size()));
  for (const auto& g : gaps) {
    w.u16(g.start);
    w.u16(g.end);
  }
  for (uint32_t d : duplicates) w.u32(d);
}

bool ForwardTsnChunk::parse(const ChunkView& c, ForwardTsnChunk& out) {
  ForwardTsnChunk f;
  f.i_forward = c.type == chunk_type::kIForwardTsn;
  if (c.type != chunk_type::kForwardTsn && !f.i_forward) return false;
  ByteReader r(c.value);
  if (!r.u32(f.new_cumulative_tsn)) return false;
  size_t entry = f.i_forward ? 8 : 4;
  if (r.remaining() % entry) return false;
  while (r.remaining() > 0) {
    Skip s;
    if (f.i_forward) {
      uint16_t flags = 0;
      r.u16(s.stream);
      r.u16(flags);
      s.unordered = flags & 1;
      r.u32(s.ssn_or_mid);
    } else {
      uint16_t ssn = 0;
      r.u16(s.stream);
      r.u16(ssn);
      s.ssn_or_mid = ssn;
    }
    f.skipped.push_back(s);
  }
  out = std::move(f);
  return true;
}

void ForwardTsnChunk::serialize(std::vector<uint8_t>& v) const {
  ByteWriter w(v);
  w.u32(new_cumulative_tsn);
  for (const auto& s : skipped) {
    w.u16(s.stream);
    if (i_forward) {
      w.u16(s.unordered ? 1 : 0);
      w.u32(s.ssn_or_mid);
    } else {
      w.u16(uint16_t(s.ssn_or_mid));
    }
  }
}

bool ReConfigChunk::parse(const ChunkView& c, ReConfigChunk& out) {
  if (c.type != chunk_type::kReConfig) return false;
  ReConfigChunk rc;
  bool ok = for_each_param(c.value, [&rc](uint16_t type, ByteView v) {
    ByteReader r(v);
    if (type == kParamOutgoingReset) {
      OutgoingResetRequest o;
      if (!r.u32(o.request_seq) || !r.u32(o.response_seq) || !r.u32(o.sender_last_tsn) || r.remaining() % 2) {
        return false;
      }
      while (r.remaining() > 0) {
        uint16_t s;
        r.u16(s);
        o.streams.push_back(s);
      }
      rc.outgoing = std::move(o);
    } else if (type == kParamIncomingReset) {
      IncomingResetRequest i;
      if (!r.u32(i.request_seq) || r.remaining() % 2) return false;
      while (r.remaining() > 0) {
        uint16_t s;
        r.u16(s);
        i.streams.push_back(s);
      }
      rc.incoming = std::move(i);
    } else if (type == kParamReconfigResponse) {
      Response resp;
      if (!r.u32(resp.response_seq) || !r.u32(resp.result)) return false;
      rc.response = resp;
    }
    return true;  // other RE-CONFIG parameters are not used by data channels
  });
  if (!ok) return false;
  out = std::move(rc);
  return true;
}

void ReConfigChunk::serialize(std::vector<uint8_t>& v) const {
  if (outgoing) {
    std::vector<uint8_t> p;
    ByteWriter w(p);
    w.u32(outgoing->request_seq);
    w.u32(outgoing->response_seq);
    w.u32(outgoing->sender_last_tsn);
    for (uint16_t s : outgoing->streams) w.u16(s);
    put_param(v, kParamOutgoingReset, ByteView(p));
  }
  if (incoming) {
    std::vector<uint8_t> p;
    ByteWriter w(p);
    w.u32(incoming->request_seq);
    for (uint16_t s : incoming->streams) w.u16(s);
    put_param(v, kParamIncomingReset, ByteView(p));
  }
  if (response) {
    std::vector<uint8_t> p;
    ByteWriter w(p);
    w.u32(response->response_seq);
    w.u32(response->result);
    put_param(v, kParamReconfigResponse, ByteView(p));
  }
}

bool HeartbeatChunk::parse(const ChunkView& c, HeartbeatChunk& out) {
  if (c.type != chunk_type::kHeartbeat && c.type != chunk_type::kHeartbeatAck) return false;
  ByteReader r(c.value);
  uint16_t type, len;
  if (!r.u16(type) || !r.u16(len) || type != 1 || len < 4) return false;  // Heartbeat Info (§3.3.5)
  ByteView info;
  if (!r.bytes(len - 4, info)) return false;
  out.info = info;
  return true;
}

void HeartbeatChunk::serialize(ByteView info, std::vector<uint8_t>& v) { put_param(v, 1, info); }

bool ErrorCauses::parse(ByteView value, ErrorCauses& out) {
  ErrorCauses e;
  bool ok = for_each_param(value, [&e](uint16_t code, ByteView v) {
    e.causes.emplace_back(code, v);
    return true;
  });
  if (!ok) return false;
  out = std::move(e);
  return true;
}

void ErrorCauses::append(std::vector<uint8_t>& value, uint16_t code, ByteView cause_value) {
  put_param(value, code, cause_value);
}

bool parse_shutdown(const ChunkView& c, uint32_t& cumulative_tsn) {
  if (c.type != chunk_type::kShutdown || c.value.size != 4) return false;
  cumulative_tsn = load_be32(c.value.data);
  return true;
}

}  // namespace wasmrtc::sctp
