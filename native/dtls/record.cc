#include "dtls/record.h"

#include <cstring>

namespace wasmrtc::dtls {

bool read_record(ByteReader& r, RecordHeader& out) {
  uint8_t type;
  uint16_t version, epoch, length;
  uint64_t seq;
  if (!r.u8(type) || !r.u16(version) || !r.u16(epoch) || !r.u48(seq) || !r.u16(length)) return false;
  if (type < kChangeCipherSpec || type > kApplicationData) return false;
  if ((version >> 8) != 0xFE) return false;
  if (length > kMaxPlaintext + 2048) return false;  // RFC 5246 §6.2.3: larger records are refused
  ByteView frag;
  if (!r.bytes(length, frag)) return false;
  out = {type, version, epoch, seq, frag};
  return true;
}

void write_record_header(std::vector<uint8_t>& out, uint8_t type, uint16_t epoch, uint64_t seq, uint16_t length) {
  ByteWriter w(out);
  w.u8(type);
  w.u16(kDtls12);
  w.u16(epoch);
  w.u48(seq);
  w.u16(length);
}

bool ReplayWindow::is_replay(uint64_t seq) const {
  if (!any_ || seq > top_) return false;
  uint64_t diff = top_ - seq;
  if (diff >= 64) return true;  // too old to tell: treated as a replay
  return (bits_ >> diff) & 1;
}

void ReplayWindow::accept(uint64_t seq) {
  if (!any_) {
    any_ = true;
    top_ = seq;
    bits_ = 1;
    return;
  }
  if (seq > top_) {
    uint64_t shift = seq - top_;
    bits_ = shift >= 64 ? 1 : (bits_ << shift) | 1;
    top_ = seq;
  } else if (top_ - seq < 64) {
    bits_ |= uint64_t(1) << (top_ - seq);
  }
}

RecordCipher::RecordCipher(crypto::Provider* crypto, crypto::Aead alg, ByteView key, ByteView salt) : crypto_(crypto) {
  key_ = crypto_->aead_key_new(alg, key);
  if (salt.size == 4) std::memcpy(salt_, salt.data, 4);
}

RecordCipher::~RecordCipher() {
  if (crypto_ && key_ > 0) crypto_->aead_key_free(key_);
}

RecordCipher& RecordCipher::operator=(RecordCipher&& o) noexcept {
  if (this != &o) {
    if (crypto_ && key_ > 0) crypto_->aead_key_free(key_);
    crypto_ = o.crypto_;
    key_ = o.key_;
    std::memcpy(salt_, o.salt_, 4);
    o.key_ = 0;
  }
  return *this;
}

namespace {
void aad_for(uint8_t* aad, uint8_t type, uint16_t epoch, uint64_t seq, uint16_t length) {
  store_be16(aad, epoch);
  for (int i = 0; i < 6; ++i) aad[2 + i] = uint8_t(seq >> (40 - 8 * i));
  aad[8] = type;
  store_be16(aad + 9, kDtls12);
  store_be16(aad + 11, length);
}
}  // namespace

bool RecordCipher::seal(uint8_t type, uint16_t epoch, uint64_t seq, ByteView pt, std::vector<uint8_t>& out) {
  if (!valid() || pt.size > kMaxPlaintext) return false;
  uint8_t nonce[12];
  std::memcpy(nonce, salt_, 4);
  store_be16(nonce + 4, epoch);
  for (int i = 0; i < 6; ++i) nonce[6 + i] = uint8_t(seq >> (40 - 8 * i));
  uint8_t aad[13];
  aad_for(aad, type, epoch, seq, uint16_t(pt.size));
  size_t at = out.size();
  write_record_header(out, type, epoch, seq, uint16_t(pt.size + kGcmOverhead));
  out.insert(out.end(), nonce + 4, nonce + 12);  // the explicit part of the nonce
  size_t body = out.size();
  out.resize(body + pt.size + crypto::kGcmTagSize);
  if (!crypto_->aead_seal(key_, ByteView(nonce, 12), ByteView(aad, 13), pt, out.data() + body)) {
    out.resize(at);
    return false;
  }
  return true;
}

bool RecordCipher::open(const RecordHeader& h, std::vector<uint8_t>& plaintext) {
  if (!valid() || h.fragment.size < kGcmOverhead) return false;
  size_t len = h.fragment.size - kGcmOverhead;
  uint8_t nonce[12];
  std::memcpy(nonce, salt_, 4);
  std::memcpy(nonce + 4, h.fragment.data, 8);
  uint8_t aad[13];
  aad_for(aad, h.type, h.epoch, h.sequence, uint16_t(len));
  plaintext.resize(len);
  return crypto_->aead_open(key_, ByteView(nonce, 12), ByteView(aad, 13), h.fragment.sub(8, h.fragment.size - 8),
                            plaintext.data());
}

}  // namespace wasmrtc::dtls
