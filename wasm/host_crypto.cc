// crypto::Provider in the WebAssembly build: every primitive is imported from
// the JavaScript host (src/engine/host-crypto.ts). Pointers are into this
// module's memory; a zero return means failure.
#include "crypto/provider.h"

#define WR_IMPORT(name) extern "C" __attribute__((import_module("wasmrtc_crypto"), import_name(#name)))

WR_IMPORT(random) void host_random(uint8_t* out, size_t len);
WR_IMPORT(digest) int host_digest(int h, const uint8_t* p, size_t n, uint8_t* out);
WR_IMPORT(hmac) int host_hmac(int h, const uint8_t* k, size_t kn, const uint8_t* d, size_t dn, uint8_t* out);
WR_IMPORT(aead_key_new) int host_aead_key_new(int alg, const uint8_t* k, size_t kn);
WR_IMPORT(aead_key_free) void host_aead_key_free(int key);
WR_IMPORT(aead_seal)
int host_aead_seal(int key, const uint8_t* n, size_t nn, const uint8_t* a, size_t an, const uint8_t* p, size_t pn,
                   uint8_t* out);
WR_IMPORT(aead_open)
int host_aead_open(int key, const uint8_t* n, size_t nn, const uint8_t* a, size_t an, const uint8_t* c, size_t cn,
                   uint8_t* out);
WR_IMPORT(ecdh_generate) int host_ecdh_generate(int curve, uint8_t* priv, uint8_t* pub);
WR_IMPORT(ecdh_shared)
int host_ecdh_shared(int curve, const uint8_t* priv, size_t privn, const uint8_t* pub, size_t pubn, uint8_t* out);
WR_IMPORT(ecdsa_generate) int host_ecdsa_generate(uint8_t* priv, uint8_t* pub);
WR_IMPORT(ecdsa_sign)
int host_ecdsa_sign(const uint8_t* priv, size_t privn, int h, const uint8_t* m, size_t mn, uint8_t* out, size_t cap);
WR_IMPORT(ecdsa_verify)
int host_ecdsa_verify(const uint8_t* pub, size_t pubn, int h, const uint8_t* m, size_t mn, const uint8_t* s,
                      size_t sn);
WR_IMPORT(has_rsa) int host_has_rsa();
WR_IMPORT(rsa_verify)
int host_rsa_verify(const uint8_t* spki, size_t spkin, int h, int pss, const uint8_t* m, size_t mn, const uint8_t* s,
                    size_t sn);

namespace wasmrtc::crypto {

namespace {

class HostProvider : public Provider {
 public:
  void random(uint8_t* out, size_t len) override {
    if (len) host_random(out, len);
  }
  bool digest(Hash h, ByteView d, uint8_t* out) override { return host_digest(int(h), d.data, d.size, out) == 1; }
  bool hmac(Hash h, ByteView k, ByteView d, uint8_t* out) override {
    return host_hmac(int(h), k.data, k.size, d.data, d.size, out) == 1;
  }
  AeadKeyHandle aead_key_new(Aead alg, ByteView key) override {
    return host_aead_key_new(int(alg), key.data, key.size);
  }
  void aead_key_free(AeadKeyHandle key) override { host_aead_key_free(key); }
  bool aead_seal(AeadKeyHandle key, ByteView n, ByteView a, ByteView p, uint8_t* out) override {
    return host_aead_seal(key, n.data, n.size, a.data, a.size, p.data, p.size, out) == 1;
  }
  bool aead_open(AeadKeyHandle key, ByteView n, ByteView a, ByteView c, uint8_t* out) override {
    return host_aead_open(key, n.data, n.size, a.data, a.size, c.data, c.size, out) == 1;
  }
  bool ecdh_generate(Curve c, uint8_t* priv, uint8_t* pub) override {
    return host_ecdh_generate(int(c), priv, pub) == 1;
  }
  bool ecdh_shared(Curve c, ByteView priv, ByteView pub, uint8_t* out) override {
    return host_ecdh_shared(int(c), priv.data, priv.size, pub.data, pub.size, out) == 1;
  }
  bool ecdsa_p256_generate(uint8_t* priv, uint8_t* pub) override { return host_ecdsa_generate(priv, pub) == 1; }
  bool ecdsa_p256_sign(ByteView priv, Hash h, ByteView msg, std::vector<uint8_t>& der) override {
    der.resize(80);
    int n = host_ecdsa_sign(priv.data, priv.size, int(h), msg.data, msg.size, der.data(), der.size());
    if (n <= 0) return false;
    der.resize(size_t(n));
    return true;
  }
  bool ecdsa_p256_verify(ByteView pub, Hash h, ByteView msg, ByteView der) override {
    return host_ecdsa_verify(pub.data, pub.size, int(h), msg.data, msg.size, der.data, der.size) == 1;
  }
  bool has_rsa() const override { return host_has_rsa() == 1; }
  bool rsa_verify(ByteView spki, Hash h, bool pss, ByteView msg, ByteView sig) override {
    return host_rsa_verify(spki.data, spki.size, int(h), pss ? 1 : 0, msg.data, msg.size, sig.data, sig.size) == 1;
  }
};

}  // namespace

Provider& default_provider() {
  static HostProvider provider;
  return provider;
}

}  // namespace wasmrtc::crypto
