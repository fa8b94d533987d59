// Bounded big-endian reader and writer used by every wire codec.
// A reader never reads past its end: every accessor reports failure instead,
// so a malformed datagram can only make a parse fail, never overrun memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace wasmrtc {

// Non-owning view of bytes (C++17 has no std::span).
struct ByteView {
  const uint8_t* data = nullptr;
  size_t size = 0;

  ByteView() = default;
  ByteView(const uint8_t* d, size_t n) : data(d), size(n) {}
  ByteView(const std::vector<uint8_t>& v) : data(v.data()), size(v.size()) {}  // NOLINT
  explicit ByteView(std::string_view s)
      : data(reinterpret_cast<const uint8_t*>(s.data())), size(s.size()) {}

  bool empty() const { return size == 0; }
  const uint8_t* begin() const { return data; }
  const uint8_t* end() const { return data + size; }
  uint8_t operator[](size_t i) const { return data[i]; }
  ByteView sub(size_t off, size_t n) const {
    if (off > size) return {};
    if (n > size - off) n = size - off;
    return {data + off, n};
  }
  std::vector<uint8_t> to_vector() const { return {data, data + size}; }
  bool equals(ByteView o) const {
    return size == o.size && (size == 0 || std::memcmp(data, o.data, size) == 0);
  }
};

class ByteReader {
 public:
  explicit ByteReader(ByteView v) : v_(v) {}
  ByteReader(const uint8_t* d, size_t n) : v_(d, n) {}

  size_t remaining() const { return v_.size - pos_; }
  size_t position() const { return pos_; }
  bool ok() const { return ok_; }

  bool u8(uint8_t& out) {
    if (!need(1)) return false;
    out = v_.data[pos_++];
    return true;
  }
  bool u16(uint16_t& out) {
    if (!need(2)) return false;
    out = static_cast<uint16_t>((v_.data[pos_] << 8) | v_.data[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u24(uint32_t& out) {
    if (!need(3)) return false;
    out = (uint32_t(v_.data[pos_]) << 16) | (uint32_t(v_.data[pos_ + 1]) << 8) | v_.data[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool u32(uint32_t& out) {
    if (!need(4)) return false;
    out = (uint32_t(v_.data[pos_]) << 24) | (uint32_t(v_.data[pos_ + 1]) << 16) |
          (uint32_t(v_.data[pos_ + 2]) << 8) | v_.data[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool u48(uint64_t& out) {
    uint16_t hi;
    uint32_t lo;
    if (!u16(hi) || !u32(lo)) return false;
    out = (uint64_t(hi) << 32) | lo;
    return true;
  }
  bool u64(uint64_t& out) {
    uint32_t hi, lo;
    if (!u32(hi) || !u32(lo)) return false;
    out = (uint64_t(hi) << 32) | lo;
    return true;
  }
  bool bytes(size_t n, ByteView& out) {
    if (!need(n)) return false;
    out = ByteView(v_.data + pos_, n);
    pos_ += n;
    return true;
  }
  bool copy(uint8_t* dst, size_t n) {
    if (!need(n)) return false;
    if (n) std::memcpy(dst, v_.data + pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (!need(n)) return false;
    pos_ += n;
    return true;
  }
  ByteView rest() const { return ByteView(v_.data + pos_, v_.size - pos_); }

 private:
  bool need(size_t n) {
    if (!ok_ || n > v_.size - pos_) {
      ok_ = false;
      return false;
    }
    return true;
  }
  ByteView v_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Appends to a caller-owned vector. Writers cannot fail; callers bound sizes.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(uint8_t(v >> 8));
    out_.push_back(uint8_t(v));
  }
  void u24(uint32_t v) {
    out_.push_back(uint8_t(v >> 16));
    out_.push_back(uint8_t(v >> 8));
    out_.push_back(uint8_t(v));
  }
  void u32(uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out_.push_back(uint8_t(v >> s));
  }
  void u48(uint64_t v) {
    for (int s = 40; s >= 0; s -= 8) out_.push_back(uint8_t(v >> s));
  }
  void u64(uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) out_.push_back(uint8_t(v >> s));
  }
  void bytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void bytes(const uint8_t* d, size_t n) { out_.insert(out_.end(), d, d + n); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  size_t size() const { return out_.size(); }
  // Overwrites a big-endian u16 at an earlier offset (length fields).
  void patch_u16(size_t at, uint16_t v) {
    out_[at] = uint8_t(v >> 8);
    out_[at + 1] = uint8_t(v);
  }
  void patch_u24(size_t at, uint32_t v) {
    out_[at] = uint8_t(v >> 16);
    out_[at + 1] = uint8_t(v >> 8);
    out_[at + 2] = uint8_t(v);
  }
  void patch_u32(size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) out_[at + i] = uint8_t(v >> (24 - 8 * i));
  }
  std::vector<uint8_t>& buffer() { return out_; }

 private:
  std::vector<uint8_t>& out_;
};

inline uint16_t load_be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

}  // namespace wasmrtc
