// DTLS 1.2 records (RFC 6347 §4.1): the 13-byte header, AES-GCM protection
// (RFC 5288) and the anti-replay window (§4.1.2.6).
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "crypto/provider.h"

namespace wasmrtc::dtls {

enum ContentType : uint8_t { kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kApplicationData = 23 };
constexpr size_t kRecordHeaderSize = 13;
constexpr uint16_t kDtls12 = 0xFEFD;
constexpr uint16_t kDtls10 = 0xFEFF;
constexpr size_t kMaxPlaintext = 16384;               // RFC 6347 / RFC 5246 §6.2.1
constexpr size_t kGcmOverhead = 8 + 16;               // explicit nonce + tag
constexpr uint64_t kMaxSequence = (uint64_t(1) << 48) - 1;

struct RecordHeader {
  uint8_t type = 0;
  uint16_t version = 0;
  uint16_t epoch = 0;
  uint64_t sequence = 0;  // 48 bits
  ByteView fragment;
};

// Splits the next record off a datagram (several may share one). False on framing errors.
bool read_record(ByteReader& r, RecordHeader& out);
void write_record_header(std::vector<uint8_t>& out, uint8_t type, uint16_t epoch, uint64_t seq, uint16_t length);

// RFC 6347 §4.1.2.6: a 64-record sliding window per epoch.
class ReplayWindow {
 public:
  bool is_replay(uint64_t seq) const;
  void accept(uint64_t seq);

 private:
  uint64_t top_ = 0;
  uint64_t bits_ = 0;
  bool any_ = false;
};

// AES-GCM record protection for one direction (RFC 5288 §3).
class RecordCipher {
 public:
  RecordCipher() = default;
  RecordCipher(crypto::Provider* crypto, crypto::Aead alg, ByteView key, ByteView salt);
  ~RecordCipher();
  RecordCipher(const RecordCipher&) = delete;
  RecordCipher& operator=(const RecordCipher&) = delete;
  RecordCipher(RecordCipher&& o) noexcept { *this = std::move(o); }
  RecordCipher& operator=(RecordCipher&& o) noexcept;

  bool valid() const { return key_ > 0; }
  // Appends a complete protected record to out.
  bool seal(uint8_t type, uint16_t epoch, uint64_t seq, ByteView plaintext, std::vector<uint8_t>& out);
  bool open(const RecordHeader& h, std::vector<uint8_t>& plaintext);

 private:
  crypto::Provider* crypto_ = nullptr;
  crypto::AeadKeyHandle key_ = 0;
  uint8_t salt_[4] = {};
};

}  // namespace wasmrtc::dtls
