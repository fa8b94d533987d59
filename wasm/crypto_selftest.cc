// Exports that run crypto::Provider operations from inside the module, so the
// published vectors can be checked through wasm -> host import -> provider.
#include <cstring>
#include <vector>

#include "crypto/provider.h"

#define WR_EXPORT(name) extern "C" __attribute__((export_name(#name), used))

using wasmrtc::ByteView;
using namespace wasmrtc::crypto;

WR_EXPORT(wr_crypto_digest) int wr_crypto_digest(int h, const uint8_t* p, size_t n, uint8_t* out) {
  return default_provider().digest(Hash(h), ByteView(p, n), out) ? int(hash_size(Hash(h))) : 0;
}

WR_EXPORT(wr_crypto_hmac)
int wr_crypto_hmac(int h, const uint8_t* k, size_t kn, const uint8_t* d, size_t dn, uint8_t* out) {
  return default_provider().hmac(Hash(h), ByteView(k, kn), ByteView(d, dn), out) ? int(hash_size(Hash(h))) : 0;
}

// Seals then opens again inside the module; out receives ciphertext||tag. Returns its length, or 0.
WR_EXPORT(wr_crypto_aead_roundtrip)
int wr_crypto_aead_roundtrip(int alg, const uint8_t* k, size_t kn, const uint8_t* iv, const uint8_t* aad, size_t an,
                             const uint8_t* pt, size_t pn, uint8_t* out) {
  Provider& p = default_provider();
  AeadKeyHandle key = p.aead_key_new(Aead(alg), ByteView(k, kn));
  if (key <= 0) return 0;
  bool ok = p.aead_seal(key, ByteView(iv, 12), ByteView(aad, an), ByteView(pt, pn), out);
  std::vector<uint8_t> back(pn + 1);
  ok = ok && p.aead_open(key, ByteView(iv, 12), ByteView(aad, an), ByteView(out, pn + kGcmTagSize), back.data()) &&
       (pn == 0 || std::memcmp(back.data(), pt, pn) == 0);
  // A flipped tag bit must be refused.
  if (ok) {
    std::vector<uint8_t> bad(out, out + pn + kGcmTagSize);
    bad.back() ^= 1;
    ok = !p.aead_open(key, ByteView(iv, 12), ByteView(aad, an), ByteView(bad), back.data());
  }
  p.aead_key_free(key);
  return ok ? int(pn + kGcmTagSize) : 0;
}

WR_EXPORT(wr_crypto_ecdh)
int wr_crypto_ecdh(int curve, const uint8_t* priv, const uint8_t* pub, size_t pubn, uint8_t* out) {
  return default_provider().ecdh_shared(Curve(curve), ByteView(priv, 32), ByteView(pub, pubn), out) ? 32 : 0;
}

WR_EXPORT(wr_crypto_ecdsa_verify)
int wr_crypto_ecdsa_verify(const uint8_t* pub, int h, const uint8_t* m, size_t mn, const uint8_t* sig, size_t sn) {
  return default_provider().ecdsa_p256_verify(ByteView(pub, 65), Hash(h), ByteView(m, mn), ByteView(sig, sn)) ? 1 : 0;
}

// Generates a key pair, signs and verifies inside the module. 1 on success.
WR_EXPORT(wr_crypto_ecdsa_roundtrip) int wr_crypto_ecdsa_roundtrip(const uint8_t* m, size_t mn) {
  Provider& p = default_provider();
  uint8_t priv[32], pub[65];
  std::vector<uint8_t> der;
  if (!p.ecdsa_p256_generate(priv, pub) || !p.ecdsa_p256_sign(ByteView(priv, 32), Hash::kSha256, ByteView(m, mn), der)) {
    return 0;
  }
  return p.ecdsa_p256_verify(ByteView(pub, 65), Hash::kSha256, ByteView(m, mn), ByteView(der)) ? 1 : 0;
}

WR_EXPORT(wr_crypto_crc) uint32_t wr_crypto_crc(int castagnoli, const uint8_t* p, size_t n) {
  return castagnoli ? default_provider().crc32c(ByteView(p, n)) : default_provider().crc32(ByteView(p, n));
}
