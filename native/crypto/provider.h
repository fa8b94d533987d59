// The one door to cryptography. The core never implements a cipher, curve or
// hash itself: natively the provider is OpenSSL, in WebAssembly it is imported
// from the host (node:crypto, or audited @noble/* libraries).
//
// Keys are plain bytes so they can cross the WebAssembly boundary: EC private
// keys are 32-byte scalars, P-256 public keys are 65-byte uncompressed points
// (0x04 || X || Y), X25519 keys are 32 bytes. AEAD keys are registered once and
// referred to by a handle, because the host keeps a prepared key object and the
// per-record cost must stay small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bytes.h"

namespace wasmrtc::crypto {

enum class Hash : uint8_t { kSha1 = 1, kSha256 = 2, kSha384 = 3, kMd5 = 4 };
size_t hash_size(Hash h);  // 20, 32, 48, 16

enum class Curve : uint8_t { kX25519 = 1, kP256 = 2 };
size_t curve_public_size(Curve c);  // 32 or 65

enum class Aead : uint8_t { kAes128Gcm = 1, kAes256Gcm = 2 };
constexpr size_t kGcmTagSize = 16;
constexpr size_t kGcmNonceSize = 12;

using AeadKeyHandle = int32_t;  // > 0 when valid

class Provider {
 public:
  virtual ~Provider() = default;

  // Cryptographically secure random bytes.
  virtual void random(uint8_t* out, size_t len) = 0;

  // out must hold hash_size(h) bytes.
  virtual bool digest(Hash h, ByteView data, uint8_t* out) = 0;
  virtual bool hmac(Hash h, ByteView key, ByteView data, uint8_t* out) = 0;

  // AES-GCM with a 12-byte nonce and a 16-byte tag appended to the ciphertext.
  virtual AeadKeyHandle aead_key_new(Aead alg, ByteView key) = 0;
  virtual void aead_key_free(AeadKeyHandle key) = 0;
  // out receives plaintext.size + 16 bytes.
  virtual bool aead_seal(AeadKeyHandle key, ByteView nonce, ByteView aad, ByteView plaintext,
                         uint8_t* out) = 0;
  // out receives ciphertext.size - 16 bytes; false when the tag does not verify.
  virtual bool aead_open(AeadKeyHandle key, ByteView nonce, ByteView aad, ByteView ciphertext,
                         uint8_t* out) = 0;

  // Fresh key pair. priv is 32 bytes, pub is curve_public_size(c) bytes.
  virtual bool ecdh_generate(Curve c, uint8_t* priv, uint8_t* pub) = 0;
  // Shared secret (32 bytes for both curves). False for an invalid peer key.
  virtual bool ecdh_shared(Curve c, ByteView priv, ByteView peer_pub, uint8_t* out) = 0;

  // ECDSA P-256. priv: 32 bytes, pub: 65 bytes. Signatures are DER
  // (SEQUENCE of two INTEGERs, at most 72 bytes) over hash h of msg.
  virtual bool ecdsa_p256_generate(uint8_t* priv, uint8_t* pub) = 0;
  virtual bool ecdsa_p256_sign(ByteView priv, Hash h, ByteView msg, std::vector<uint8_t>& der) = 0;
  virtual bool ecdsa_p256_verify(ByteView pub, Hash h, ByteView msg, ByteView der) = 0;

  // RSA PKCS#1 v1.5 (pss=false) or PSS (pss=true, salt = hash length) verification
  // with a DER SubjectPublicKeyInfo. Providers without RSA return false and
  // report has_rsa() == false.
  virtual bool has_rsa() const { return false; }
  virtual bool rsa_verify(ByteView spki_der, Hash h, bool pss, ByteView msg, ByteView sig) {
    (void)spki_der, (void)h, (void)pss, (void)msg, (void)sig;
    return false;
  }

  // Checksums (not cryptography, but every provider offers them so the host
  // may accelerate them). Defaults are the portable table versions.
  virtual uint32_t crc32(ByteView data);   // ISO-HDLC, as STUN FINGERPRINT uses
  virtual uint32_t crc32c(ByteView data);  // Castagnoli, as SCTP uses
};

// Portable table-driven checksums (native/crypto/crc32.cc).
uint32_t crc32_portable(ByteView data);
uint32_t crc32c_portable(ByteView data);

// The provider for this build: OpenSSL natively, the host import in WebAssembly.
Provider& default_provider();

}  // namespace wasmrtc::crypto
