#include "crypto/openssl_provider.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstring>

namespace wasmrtc::crypto {

namespace {

const EVP_MD* md_for(Hash h) {
  switch (h) {
    case Hash::kSha1: return EVP_sha1();
    case Hash::kSha256: return EVP_sha256();
    case Hash::kSha384: return EVP_sha384();
    case Hash::kMd5: return EVP_md5();
  }
  return nullptr;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct PctxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pctx = std::unique_ptr<EVP_PKEY_CTX, PctxDeleter>;
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// Builds a P-256 key from raw bytes (public point and/or private scalar).
Pkey p256_key(ByteView priv, ByteView pub) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (!bld) return nullptr;
  BIGNUM* d = nullptr;
  bool ok = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1;
  if (ok && pub.size) ok = OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data, pub.size) == 1;
  if (ok && priv.size) {
    d = BN_bin2bn(priv.data, int(priv.size), nullptr);
    ok = d && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) == 1;
  }
  OSSL_PARAM* params = ok ? OSSL_PARAM_BLD_to_param(bld) : nullptr;
  EVP_PKEY* key = nullptr;
  if (params) {
    Pctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1) {
      EVP_PKEY_fromdata(ctx.get(), &key, priv.size ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
    }
  }
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_clear_free(d);
  Pkey out(key);
  if (!out) return nullptr;
  // fromdata validates neither the point nor the scalar; check both so an
  // invalid peer key or a private scalar outside [1, n-1] fails here.
  Pctx check(EVP_PKEY_CTX_new(out.get(), nullptr));
  if (!check) return nullptr;
  if (pub.size && EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  if (priv.size && EVP_PKEY_private_check(check.get()) != 1) return nullptr;
  return out;
}

bool p256_export(EVP_PKEY* key, uint8_t* priv, uint8_t* pub) {
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, &len) != 1 || len != 65) return false;
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) return false;
  bool ok = BN_bn2binpad(d, priv, 32) == 32;
  BN_clear_free(d);
  return ok;
}

Pkey generate(const char* alg, const char* group) {
  Pctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, alg, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return nullptr;
  if (group) {
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_PKEY_CTX_set_params(ctx.get(), params) != 1) return nullptr;
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &key) != 1) return nullptr;
  return Pkey(key);
}

bool derive(EVP_PKEY* mine, EVP_PKEY* peer, uint8_t* out) {
  Pctx ctx(EVP_PKEY_CTX_new(mine, nullptr));
  size_t len = 32;
  return ctx && EVP_PKEY_derive_init(ctx.get()) == 1 && EVP_PKEY_derive_set_peer(ctx.get(), peer) == 1 &&
         EVP_PKEY_derive(ctx.get(), out, &len) == 1 && len == 32;
}

}  // namespace

struct OpenSslProvider::AeadKey {
  EVP_CIPHER_CTX* seal = nullptr;
  EVP_CIPHER_CTX* open = nullptr;
  ~AeadKey() {
    EVP_CIPHER_CTX_free(seal);
    EVP_CIPHER_CTX_free(open);
  }
};

OpenSslProvider::OpenSslProvider() = default;
OpenSslProvider::~OpenSslProvider() = default;

void OpenSslProvider::random(uint8_t* out, size_t len) {
  if (len && RAND_bytes(out, int(len)) != 1) std::abort();  // no entropy: nothing safe to do
}

bool OpenSslProvider::digest(Hash h, ByteView data, uint8_t* out) {
  unsigned int len = 0;
  if (!md_for(h)) return false;
  return EVP_Digest(data.data, data.size, out, &len, md_for(h), nullptr) == 1;
}

bool OpenSslProvider::hmac(Hash h, ByteView key, ByteView data, uint8_t* out) {
  unsigned int len = 0;
  static const uint8_t empty = 0;
  if (!md_for(h)) return false;
  return HMAC(md_for(h), key.size ? key.data : &empty, int(key.size), data.data, data.size, out, &len) != nullptr;
}

AeadKeyHandle OpenSslProvider::aead_key_new(Aead alg, ByteView key) {
  if (alg != Aead::kAes128Gcm && alg != Aead::kAes256Gcm) return 0;
  const EVP_CIPHER* cipher = alg == Aead::kAes128Gcm ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  if (key.size != size_t(EVP_CIPHER_get_key_length(cipher))) return 0;
  auto k = std::make_unique<AeadKey>();
  k->seal = EVP_CIPHER_CTX_new();
  k->open = EVP_CIPHER_CTX_new();
  if (!k->seal || !k->open || EVP_EncryptInit_ex(k->seal, cipher, nullptr, key.data, nullptr) != 1 ||
      EVP_DecryptInit_ex(k->open, cipher, nullptr, key.data, nullptr) != 1) {
    return 0;
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (!keys_[i]) {
      keys_[i] = std::move(k);
      return AeadKeyHandle(i + 1);
    }
  }
  keys_.push_back(std::move(k));
  return AeadKeyHandle(keys_.size());
}

void OpenSslProvider::aead_key_free(AeadKeyHandle key) {
  if (key > 0 && size_t(key) <= keys_.size()) keys_[size_t(key) - 1].reset();
}

bool OpenSslProvider::aead_seal(AeadKeyHandle key, ByteView nonce, ByteView aad, ByteView pt, uint8_t* out) {
  if (key <= 0 || size_t(key) > keys_.size() || !keys_[size_t(key) - 1] || nonce.size != kGcmNonceSize) return false;
  EVP_CIPHER_CTX* c = keys_[size_t(key) - 1]->seal;
  int len = 0;
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data) != 1) return false;
  if (aad.size && EVP_EncryptUpdate(c, nullptr, &len, aad.data, int(aad.size)) != 1) return false;
  if (pt.size && EVP_EncryptUpdate(c, out, &len, pt.data, int(pt.size)) != 1) return false;
  if (EVP_EncryptFinal_ex(c, out + pt.size, &len) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, int(kGcmTagSize), out + pt.size) == 1;
}

bool OpenSslProvider::aead_open(AeadKeyHandle key, ByteView nonce, ByteView aad, ByteView ct, uint8_t* out) {
  if (key <= 0 || size_t(key) > keys_.size() || !keys_[size_t(key) - 1] || nonce.size != kGcmNonceSize ||
      ct.size < kGcmTagSize) {
    return false;
  }
  EVP_CIPHER_CTX* c = keys_[size_t(key) - 1]->open;
  size_t body = ct.size - kGcmTagSize;
  int len = 0;
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data) != 1) return false;
  if (aad.size && EVP_DecryptUpdate(c, nullptr, &len, aad.data, int(aad.size)) != 1) return false;
  if (body && EVP_DecryptUpdate(c, out, &len, ct.data, int(body)) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, int(kGcmTagSize), const_cast<uint8_t*>(ct.data + body)) != 1) {
    return false;
  }
  return EVP_DecryptFinal_ex(c, out + body, &len) == 1;
}

bool OpenSslProvider::ecdh_generate(Curve c, uint8_t* priv, uint8_t* pub) {
  if (c == Curve::kP256) return ecdsa_p256_generate(priv, pub);
  if (c != Curve::kX25519) return false;
  Pkey key = generate("X25519", nullptr);
  size_t len = 32;
  return key && EVP_PKEY_get_raw_private_key(key.get(), priv, &len) == 1 && len == 32 &&
         EVP_PKEY_get_raw_public_key(key.get(), pub, &len) == 1 && len == 32;
}

bool OpenSslProvider::ecdh_shared(Curve c, ByteView priv, ByteView peer_pub, uint8_t* out) {
  if (priv.size != 32) return false;
  if (c == Curve::kX25519) {
    if (peer_pub.size != 32) return false;
    Pkey mine(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv.data, 32));
    Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_pub.data, 32));
    if (!mine || !peer || !derive(mine.get(), peer.get(), out)) return false;
    // RFC 7748 §6.1: an all-zero result means a low-order point; reject it.
    uint8_t acc = 0;
    for (int i = 0; i < 32; ++i) acc |= out[i];
    return acc != 0;
  }
  if (c != Curve::kP256 || peer_pub.size != 65 || peer_pub[0] != 4) return false;
  Pkey mine = p256_key(priv, ByteView());
  Pkey peer = p256_key(ByteView(), peer_pub);
  return mine && peer && derive(mine.get(), peer.get(), out);
}

bool OpenSslProvider::ecdsa_p256_generate(uint8_t* priv, uint8_t* pub) {
  Pkey key = generate("EC", "prime256v1");
  return key && p256_export(key.get(), priv, pub);
}

bool OpenSslProvider::ecdsa_p256_sign(ByteView priv, Hash h, ByteView msg, std::vector<uint8_t>& der) {
  if (priv.size != 32) return false;
  Pkey key = p256_key(priv, ByteView());
  MdCtx ctx(EVP_MD_CTX_new());
  if (!md_for(h) || !key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, md_for(h), nullptr, key.get()) != 1) return false;
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, msg.data, msg.size) != 1) return false;
  der.resize(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, msg.data, msg.size) != 1) return false;
  der.resize(len);
  return true;
}

bool OpenSslProvider::ecdsa_p256_verify(ByteView pub, Hash h, ByteView msg, ByteView der) {
  if (pub.size != 65 || pub[0] != 4) return false;
  Pkey key = p256_key(ByteView(), pub);
  MdCtx ctx(EVP_MD_CTX_new());
  if (!md_for(h) || !key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md_for(h), nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), der.data, der.size, msg.data, msg.size) == 1;
}

bool OpenSslProvider::rsa_verify(ByteView spki_der, Hash h, bool pss, ByteView msg, ByteView sig) {
  const unsigned char* p = spki_der.data;
  if (!md_for(h)) return false;
  Pkey key(d2i_PUBKEY(nullptr, &p, long(spki_der.size)));
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md_for(h), nullptr, key.get()) != 1) return false;
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), sig.data, sig.size, msg.data, msg.size) == 1;
}

Provider& default_provider() {
  static OpenSslProvider provider;
  return provider;
}

}  // namespace wasmrtc::crypto
