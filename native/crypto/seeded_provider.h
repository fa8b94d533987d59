// A Provider for fuzz targets and deterministic tests: every operation from the real provider
// except randomness, which comes from a seed (xorshift64, not cryptography) so that a run, and a
// crashing input, replays exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "crypto/provider.h"

namespace wasmrtc::crypto {

class SeededProvider : public Provider {
 public:
  explicit SeededProvider(uint64_t seed) : state_(seed | 1) {}
  void random(uint8_t* out, size_t len) override {
    for (size_t i = 0; i < len; ++i) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      out[i] = uint8_t(state_);
    }
  }
  bool digest(Hash h, ByteView d, uint8_t* out) override { return real().digest(h, d, out); }
  bool hmac(Hash h, ByteView k, ByteView d, uint8_t* out) override { return real().hmac(h, k, d, out); }
  AeadKeyHandle aead_key_new(Aead a, ByteView k) override { return real().aead_key_new(a, k); }
  void aead_key_free(AeadKeyHandle k) override { real().aead_key_free(k); }
  bool aead_seal(AeadKeyHandle k, ByteView n, ByteView a, ByteView p, uint8_t* out) override {
    return real().aead_seal(k, n, a, p, out);
  }
  bool aead_open(AeadKeyHandle k, ByteView n, ByteView a, ByteView c, uint8_t* out) override {
    return real().aead_open(k, n, a, c, out);
  }
  bool ecdh_generate(Curve c, uint8_t* priv, uint8_t* pub) override { return real().ecdh_generate(c, priv, pub); }
  bool ecdh_shared(Curve c, ByteView priv, ByteView pub, uint8_t* out) override {
    return real().ecdh_shared(c, priv, pub, out);
  }
  bool ecdsa_p256_generate(uint8_t* priv, uint8_t* pub) override { return real().ecdsa_p256_generate(priv, pub); }
  bool ecdsa_p256_sign(ByteView priv, Hash h, ByteView m, std::vector<uint8_t>& der) override {
    return real().ecdsa_p256_sign(priv, h, m, der);
  }
  bool ecdsa_p256_verify(ByteView pub, Hash h, ByteView m, ByteView der) override {
    return real().ecdsa_p256_verify(pub, h, m, der);
  }

 private:
  static Provider& real() { return default_provider(); }
  uint64_t state_;
};

}  // namespace wasmrtc::crypto
