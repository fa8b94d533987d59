// Runs the shared published vectors (testdata/vectors.txt) against the native
// OpenSSL provider, plus round trips and negative cases.
#include "crypto/openssl_provider.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace wasmrtc::crypto {
namespace {

std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(uint8_t(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

struct Vector {
  std::string op;
  std::map<std::string, std::string> f;
  int line = 0;
  std::vector<uint8_t> b(const std::string& k) const { return unhex(f.at(k)); }
};

std::vector<Vector> load_vectors() {
  std::ifstream in(std::string(WASMRTC_SOURCE_DIR) + "/native/crypto/testdata/vectors.txt");
  std::vector<Vector> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    Vector v;
    v.line = n;
    ss >> v.op;
    std::string kv;
    while (ss >> kv) {
      size_t eq = kv.find('=');
      v.f[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    out.push_back(v);
  }
  return out;
}

Hash hash_named(const std::string& s) {
  if (s == "sha1") return Hash::kSha1;
  if (s == "sha384") return Hash::kSha384;
  if (s == "md5") return Hash::kMd5;
  return Hash::kSha256;
}

TEST(OpenSslProvider, PublishedVectors) {
  Provider& p = default_provider();
  auto vectors = load_vectors();
  ASSERT_GE(vectors.size(), 25u);
  int checked = 0;
  for (const Vector& v : vectors) {
    SCOPED_TRACE("vectors.txt line " + std::to_string(v.line) + " (" + v.op + ")");
    uint8_t out[64];
    if (v.op == "sha1" || v.op == "sha256" || v.op == "sha384" || v.op == "md5") {
      Hash h = hash_named(v.op);
      auto msg = v.b("msg");
      ASSERT_TRUE(p.digest(h, ByteView(msg), out));
      EXPECT_EQ(hex(out, hash_size(h)), v.f.at("out"));
    } else if (v.op.rfind("hmac-", 0) == 0) {
      Hash h = hash_named(v.op.substr(5));
      auto key = v.b("key"), msg = v.b("msg");
      ASSERT_TRUE(p.hmac(h, ByteView(key), ByteView(msg), out));
      EXPECT_EQ(hex(out, hash_size(h)), v.f.at("out"));
    } else if (v.op == "aes-128-gcm" || v.op == "aes-256-gcm") {
      auto key = v.b("key"), iv = v.b("iv"), aad = v.b("aad"), pt = v.b("pt"), ct = v.b("ct");
      AeadKeyHandle k = p.aead_key_new(v.op == "aes-128-gcm" ? Aead::kAes128Gcm : Aead::kAes256Gcm, ByteView(key));
      ASSERT_GT(k, 0);
      std::vector<uint8_t> sealed(pt.size() + kGcmTagSize);
      ASSERT_TRUE(p.aead_seal(k, ByteView(iv), ByteView(aad), ByteView(pt), sealed.data()));
      EXPECT_EQ(hex(sealed.data(), sealed.size()), v.f.at("ct"));
      std::vector<uint8_t> opened(pt.size() + 1);
      ASSERT_TRUE(p.aead_open(k, ByteView(iv), ByteView(aad), ByteView(ct), opened.data()));
      EXPECT_EQ(hex(opened.data(), pt.size()), v.f.at("pt"));
      ct.back() ^= 1;  // a flipped tag bit must fail
      EXPECT_FALSE(p.aead_open(k, ByteView(iv), ByteView(aad), ByteView(ct), opened.data()));
      p.aead_key_free(k);
    } else if (v.op == "x25519") {
      auto priv = v.b("priv"), peer = v.b("peer");
      ASSERT_TRUE(p.ecdh_shared(Curve::kX25519, ByteView(priv), ByteView(peer), out));
      EXPECT_EQ(hex(out, 32), v.f.at("out"));
    } else if (v.op == "x25519-reject") {
      auto priv = v.b("priv"), peer = v.b("peer");
      EXPECT_FALSE(p.ecdh_shared(Curve::kX25519, ByteView(priv), ByteView(peer), out));
    } else if (v.op == "ecdsa-p256-verify") {
      auto pub = v.b("pub"), msg = v.b("msg"), sig = v.b("sig");
      EXPECT_EQ(p.ecdsa_p256_verify(ByteView(pub), hash_named(v.f.at("hash")), ByteView(msg), ByteView(sig)),
                v.f.at("valid") == "1");
    } else if (v.op == "p256-keypair") {
      auto priv = v.b("priv"), pub = v.b("pub");
      std::vector<uint8_t> der;
      const uint8_t msg[] = {1, 2, 3};
      ASSERT_TRUE(p.ecdsa_p256_sign(ByteView(priv), Hash::kSha256, ByteView(msg, 3), der));
      EXPECT_TRUE(p.ecdsa_p256_verify(ByteView(pub), Hash::kSha256, ByteView(msg, 3), ByteView(der)));
    } else if (v.op == "crc32" || v.op == "crc32c") {
      auto msg = v.b("msg");
      uint32_t c = v.op == "crc32" ? p.crc32(ByteView(msg)) : p.crc32c(ByteView(msg));
      char buf[9];
      std::snprintf(buf, sizeof buf, "%08x", c);
      EXPECT_EQ(std::string(buf), v.f.at("out"));
    } else {
      ADD_FAILURE() << "unknown vector op " << v.op;
      continue;
    }
    ++checked;
  }
  EXPECT_EQ(checked, int(vectors.size()));
}

TEST(OpenSslProvider, EcdhBothSidesAgree) {
  Provider& p = default_provider();
  for (Curve c : {Curve::kX25519, Curve::kP256}) {
    uint8_t a_priv[32], b_priv[32], a_pub[65], b_pub[65], s1[32], s2[32];
    ASSERT_TRUE(p.ecdh_generate(c, a_priv, a_pub));
    ASSERT_TRUE(p.ecdh_generate(c, b_priv, b_pub));
    size_t n = curve_public_size(c);
    ASSERT_TRUE(p.ecdh_shared(c, ByteView(a_priv, 32), ByteView(b_pub, n), s1));
    ASSERT_TRUE(p.ecdh_shared(c, ByteView(b_priv, 32), ByteView(a_pub, n), s2));
    EXPECT_EQ(hex(s1, 32), hex(s2, 32));
  }
}

TEST(OpenSslProvider, RejectsInvalidP256Point) {
  Provider& p = default_provider();
  uint8_t priv[32], pub[65], out[32];
  ASSERT_TRUE(p.ecdh_generate(Curve::kP256, priv, pub));
  pub[40] ^= 0x55;  // no longer on the curve
  EXPECT_FALSE(p.ecdh_shared(Curve::kP256, ByteView(priv, 32), ByteView(pub, 65), out));
  EXPECT_FALSE(p.ecdh_shared(Curve::kP256, ByteView(priv, 32), ByteView(pub, 64), out));
}

TEST(OpenSslProvider, EcdsaSignVerifyRoundTrip) {
  Provider& p = default_provider();
  uint8_t priv[32], pub[65];
  ASSERT_TRUE(p.ecdsa_p256_generate(priv, pub));
  const uint8_t msg[] = "handshake transcript";
  std::vector<uint8_t> der;
  for (Hash h : {Hash::kSha256, Hash::kSha384}) {
    ASSERT_TRUE(p.ecdsa_p256_sign(ByteView(priv, 32), h, ByteView(msg, sizeof msg), der));
    EXPECT_LE(der.size(), 72u);
    EXPECT_TRUE(p.ecdsa_p256_verify(ByteView(pub, 65), h, ByteView(msg, sizeof msg), ByteView(der)));
    der[der.size() / 2] ^= 1;
    EXPECT_FALSE(p.ecdsa_p256_verify(ByteView(pub, 65), h, ByteView(msg, sizeof msg), ByteView(der)));
  }
}

TEST(OpenSslProvider, AeadRejectsBadHandlesAndShortInput) {
  Provider& p = default_provider();
  uint8_t out[64];
  uint8_t nonce[12] = {};
  EXPECT_FALSE(p.aead_seal(999, ByteView(nonce, 12), ByteView(), ByteView(), out));
  uint8_t key[16] = {};
  AeadKeyHandle k = p.aead_key_new(Aead::kAes128Gcm, ByteView(key, 16));
  EXPECT_FALSE(p.aead_open(k, ByteView(nonce, 12), ByteView(), ByteView(out, 10), out));
  EXPECT_FALSE(p.aead_seal(k, ByteView(nonce, 11), ByteView(), ByteView(), out));
  EXPECT_EQ(p.aead_key_new(Aead::kAes128Gcm, ByteView(key, 15)), 0);
  p.aead_key_free(k);
  EXPECT_FALSE(p.aead_seal(k, ByteView(nonce, 12), ByteView(), ByteView(), out));
}

}  // namespace
}  // namespace wasmrtc::crypto
