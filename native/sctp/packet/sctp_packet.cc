#include "sctp/packet/sctp_packet.h"

#include <algorithm>

namespace wasmrtc::sctp {

bool SctpPacket::parse(ByteView data, crypto::Provider& crypto, bool verify_checksum, SctpPacket& out) {
  if (data.size < kCommonHeaderSize || data.size % 4 != 0) return false;
  ByteReader r(data);
  SctpPacket p;
  uint32_t checksum = 0;
  r.u16(p.header_.source_port);
  r.u16(p.header_.destination_port);
  r.u32(p.header_.verification_tag);
  r.u32(checksum);
  if (verify_checksum) {
    // CRC32c over the packet with the checksum field zeroed; stored little-endian on the wire (Appendix A).
    std::vector<uint8_t> copy = data.to_vector();
    copy[8] = copy[9] = copy[10] = copy[11] = 0;
    uint32_t crc = crypto.crc32c(ByteView(copy));
    uint32_t wire = uint32_t(data[8]) | (uint32_t(data[9]) << 8) | (uint32_t(data[10]) << 16) | (uint32_t(data[11]) << 24);
    if (crc != wire) return false;
  }
  while (r.remaining() > 0) {
    uint8_t type, flags;
    uint16_t length;
    if (!r.u8(type) || !r.u8(flags) || !r.u16(length) || length < kChunkHeaderSize) return false;
    ByteView value;
    if (!r.bytes(length - kChunkHeaderSize, value)) return false;
    size_t pad = (4 - length % 4) % 4;
    if (pad && !r.skip(pad < r.remaining() ? pad : r.remaining())) return false;
    if (p.chunks_.size() >= kMaxChunksPerPacket) return false;
    p.chunks_.push_back({type, flags, value});
  }
  if (p.chunks_.empty()) return false;
  out = std::move(p);
  return true;
}

SctpPacketBuilder::SctpPacketBuilder(const CommonHeader& h, size_t max_size) : max_(max_size) {
  buf_.reserve(std::min<size_t>(max_size, 65536));  // one allocation per packet
  ByteWriter w(buf_);
  w.u16(h.source_port);
  w.u16(h.destination_port);
  w.u32(h.verification_tag);
  w.u32(0);
}

size_t SctpPacketBuilder::room() const {
  size_t used = buf_.size() + kChunkHeaderSize;
  return used >= max_ ? 0 : max_ - used;
}

bool SctpPacketBuilder::add(uint8_t type, uint8_t flags, ByteView value) {
  size_t padded = (value.size + 3) & ~size_t(3);
  if (value.size > 0xFFFF - kChunkHeaderSize || buf_.size() + kChunkHeaderSize + padded > max_) return false;
  ByteWriter w(buf_);
  w.u8(type);
  w.u8(flags);
  w.u16(uint16_t(value.size + kChunkHeaderSize));
  w.bytes(value);
  w.zeros(padded - value.size);
  return true;
}

bool SctpPacketBuilder::add_with_header(uint8_t type, uint8_t flags, ByteView head, ByteView body) {
  const size_t size = head.size + body.size;
  size_t padded = (size + 3) & ~size_t(3);
  if (size > 0xFFFF - kChunkHeaderSize || buf_.size() + kChunkHeaderSize + padded > max_) return false;
  ByteWriter w(buf_);
  w.u8(type);
  w.u8(flags);
  w.u16(uint16_t(size + kChunkHeaderSize));
  w.bytes(head);
  w.bytes(body);
  w.zeros(padded - size);
  return true;
}

std::vector<uint8_t> SctpPacketBuilder::finish(crypto::Provider& crypto, bool zero_checksum) {
  if (!zero_checksum) {
    uint32_t crc = crypto.crc32c(ByteView(buf_));
    buf_[8] = uint8_t(crc);
    buf_[9] = uint8_t(crc >> 8);
    buf_[10] = uint8_t(crc >> 16);
    buf_[11] = uint8_t(crc >> 24);
  }
  return std::move(buf_);
}

}  // namespace wasmrtc::sctp
