#include "dcep/dcep_message.h"

namespace wasmrtc::dcep {

bool OpenMessage::parse(ByteView data, OpenMessage& out) {
  ByteReader r(data);
  uint8_t type, ct;
  uint16_t prio, label_len, proto_len;
  uint32_t rel;
  if (!r.u8(type) || type != kMessageOpen || !r.u8(ct) || !r.u16(prio) || !r.u32(rel) || !r.u16(label_len) ||
      !r.u16(proto_len)) {
    return false;
  }
  switch (ct) {
    case 0x00: case 0x80: case 0x01: case 0x81: case 0x02: case 0x82:
      break;
    default:
      return false;  // RFC 8832 §5.1: unknown channel types are refused
  }
  ByteView label, proto;
  if (!r.bytes(label_len, label) || !r.bytes(proto_len, proto) || r.remaining() != 0) return false;
  OpenMessage m;
  m.channel_type = ChannelType(ct);
  m.priority = prio;
  m.reliability = rel;
  m.label.assign(reinterpret_cast<const char*>(label.data), label.size);
  m.protocol.assign(reinterpret_cast<const char*>(proto.data), proto.size);
  out = std::move(m);
  return true;
}

std::vector<uint8_t> OpenMessage::serialize() const {
  std::vector<uint8_t> v;
  ByteWriter w(v);
  w.u8(kMessageOpen);
  w.u8(uint8_t(channel_type));
  w.u16(priority);
  w.u32(reliability);
  w.u16(uint16_t(label.size()));
  w.u16(uint16_t(protocol.size()));
  w.bytes(ByteView(std::string_view(label)));
  w.bytes(ByteView(std::string_view(protocol)));
  return v;
}

}  // namespace wasmrtc::dcep
