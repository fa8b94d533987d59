#include "endpoint/io_batch.h"

#include <cstring>

namespace wasmrtc::io {

namespace {

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}

bool decode_address(uint8_t family, uint16_t port, const uint8_t* ip, SocketAddress& out) {
  out = SocketAddress();
  if (family == 4) {
    out.family = SocketAddress::Family::kIPv4;
    std::memcpy(out.ip, ip, 4);
  } else if (family == 6) {
    out.family = SocketAddress::Family::kIPv6;
    std::memcpy(out.ip, ip, 16);
  } else if (family != 0) {
    return false;
  }
  out.port = port;
  return true;
}

}  // namespace

bool InputBatchReader::next(InputDatagram& out) {
  if (!ok_ || p_ == end_) return false;
  if (size_t(end_ - p_) < kInputHeaderSize) {
    ok_ = false;
    return false;
  }
  uint16_t len = le16(p_);
  size_t total = kInputHeaderSize + pad4(len);
  if (size_t(end_ - p_) < kInputHeaderSize + len) {
    ok_ = false;
    return false;
  }
  out.socket = le16(p_ + 2);
  if (!decode_address(p_[4], le16(p_ + 6), p_ + 8, out.from) || !out.from.valid()) {
    ok_ = false;
    return false;
  }
  out.data = ByteView(p_ + kInputHeaderSize, len);
  p_ += total <= size_t(end_ - p_) ? total : size_t(end_ - p_);
  return true;
}

void append_input(std::vector<uint8_t>& buf, uint16_t socket, const SocketAddress& from, ByteView data) {
  size_t at = buf.size();
  buf.resize(at + kInputHeaderSize + pad4(data.size), 0);
  uint8_t* p = buf.data() + at;
  put16(p, uint16_t(data.size));
  put16(p + 2, socket);
  p[4] = uint8_t(from.family);
  put16(p + 6, from.port);
  std::memcpy(p + 8, from.ip, 16);
  if (data.size) std::memcpy(p + kInputHeaderSize, data.data, data.size);
}

bool OutputBatchWriter::write(const OutputRecord& r) {
  size_t need = record_size(r.payload.size);
  if (need > cap_ - size_) return false;
  uint8_t* p = data_ + size_;
  std::memset(p, 0, kOutputHeaderSize);
  p[0] = r.kind;
  p[1] = uint8_t(r.address.family);
  put16(p + 2, r.socket);
  put16(p + 4, r.address.port);
  put16(p + 6, r.code);
  put32(p + 8, r.id);
  put32(p + 12, uint32_t(r.payload.size));
  std::memcpy(p + 16, r.address.ip, 16);
  if (r.payload.size) std::memcpy(p + kOutputHeaderSize, r.payload.data, r.payload.size);
  size_t padded = pad4(r.payload.size);
  if (padded > r.payload.size) std::memset(p + kOutputHeaderSize + r.payload.size, 0, padded - r.payload.size);
  size_ += need;
  return true;
}

bool read_output(const uint8_t*& p, const uint8_t* end, OutputRecord& out) {
  if (size_t(end - p) < kOutputHeaderSize) return false;
  uint32_t len = le32(p + 12);
  if (size_t(end - p) - kOutputHeaderSize < len) return false;
  out.kind = p[0];
  out.socket = le16(p + 2);
  out.code = le16(p + 6);
  out.id = le32(p + 8);
  if (!decode_address(p[1], le16(p + 4), p + 16, out.address)) return false;
  out.payload = ByteView(p + kOutputHeaderSize, len);
  size_t total = kOutputHeaderSize + pad4(len);
  p += total <= size_t(end - p) ? total : size_t(end - p);
  return true;
}

}  // namespace wasmrtc::io
