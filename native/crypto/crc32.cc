// Table-driven CRC-32 (reflected 0xEDB88320) and CRC-32C (reflected 0x82F63B78),
// eight bytes per step ("slicing-by-8": eight tables, each the previous one
// advanced by one zero byte), since every SCTP packet is checksummed.
#include <array>

#include "crypto/provider.h"

namespace wasmrtc::crypto {

namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

Tables make_tables(uint32_t poly) {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (poly ^ (c >> 1)) : (c >> 1);
    t[0][i] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}

inline uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

uint32_t run(const Tables& t, ByteView d) {
  uint32_t c = 0xFFFFFFFFu;
  const uint8_t* p = d.data;
  size_t n = d.size;
  for (; n >= 8; n -= 8, p += 8) {
    uint32_t lo = c ^ le32(p), hi = le32(p + 4);
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][hi & 0xFF] ^
        t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
  }
  for (; n > 0; --n, ++p) c = t[0][(c ^ *p) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace

uint32_t crc32_portable(ByteView data) {
  static const Tables table = make_tables(0xEDB88320u);
  return run(table, data);
}

uint32_t crc32c_portable(ByteView data) {
  static const Tables table = make_tables(0x82F63B78u);
  return run(table, data);
}

uint32_t Provider::crc32(ByteView data) { return crc32_portable(data); }
uint32_t Provider::crc32c(ByteView data) { return crc32c_portable(data); }

size_t hash_size(Hash h) {
  switch (h) {
    case Hash::kSha1: return 20;
    case Hash::kSha256: return 32;
    case Hash::kSha384: return 48;
    case Hash::kMd5: return 16;
  }
  return 0;
}

size_t curve_public_size(Curve c) { return c == Curve::kP256 ? 65 : 32; }

}  // namespace wasmrtc::crypto
