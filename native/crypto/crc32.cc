// Table-driven CRC-32 (reflected 0xEDB88320) and CRC-32C (reflected 0x82F63B78).
#include <array>

#include "crypto/provider.h"

namespace wasmrtc::crypto {

namespace {

std::array<uint32_t, 256> make_table(uint32_t poly) {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (poly ^ (c >> 1)) : (c >> 1);
    t[i] = c;
  }
  return t;
}

uint32_t run(const std::array<uint32_t, 256>& t, ByteView d) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < d.size; ++i) c = t[(c ^ d.data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace

uint32_t crc32_portable(ByteView data) {
  static const auto table = make_table(0xEDB88320u);
  return run(table, data);
}

uint32_t crc32c_portable(ByteView data) {
  static const auto table = make_table(0x82F63B78u);
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
