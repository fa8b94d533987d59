// The native crypto provider: OpenSSL 3 through its EVP interfaces.
#pragma once

#include <memory>
#include <vector>

#include "crypto/provider.h"

namespace wasmrtc::crypto {

class OpenSslProvider : public Provider {
 public:
  OpenSslProvider();
  ~OpenSslProvider() override;

  void random(uint8_t* out, size_t len) override;
  bool digest(Hash h, ByteView data, uint8_t* out) override;
  bool hmac(Hash h, ByteView key, ByteView data, uint8_t* out) override;
  AeadKeyHandle aead_key_new(Aead alg, ByteView key) override;
  void aead_key_free(AeadKeyHandle key) override;
  bool aead_seal(AeadKeyHandle key, ByteView nonce, ByteView aad, ByteView plaintext, uint8_t* out) override;
  bool aead_open(AeadKeyHandle key, ByteView nonce, ByteView aad, ByteView ciphertext, uint8_t* out) override;
  bool ecdh_generate(Curve c, uint8_t* priv, uint8_t* pub) override;
  bool ecdh_shared(Curve c, ByteView priv, ByteView peer_pub, uint8_t* out) override;
  bool ecdsa_p256_generate(uint8_t* priv, uint8_t* pub) override;
  bool ecdsa_p256_sign(ByteView priv, Hash h, ByteView msg, std::vector<uint8_t>& der) override;
  bool ecdsa_p256_verify(ByteView pub, Hash h, ByteView msg, ByteView der) override;
  bool has_rsa() const override { return true; }
  bool rsa_verify(ByteView spki_der, Hash h, bool pss, ByteView msg, ByteView sig) override;

 private:
  struct AeadKey;
  std::vector<std::unique_ptr<AeadKey>> keys_;  // index + 1 = handle
};

}  // namespace wasmrtc::crypto
