// Runs the shared published vectors (testdata/vectors.txt) against the native
// OpenSSL provider, plus round trips and negative cases.
#include "crypto/openssl_provider.h"

#include <gtest/gtest.h>

#include <cstdio>
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
  const std::string& s(const std::string& k) const { return f.at(k); }
  bool has(const std::string& k) const { return f.count(k) != 0; }
  // msg, repeated `repeat` times when the vector says so (one million 'a').
  std::vector<uint8_t> message() const {
    std::vector<uint8_t> unit = b("msg");
    if (!has("repeat")) return unit;
    std::vector<uint8_t> out;
    size_t n = std::stoul(s("repeat"));
    out.reserve(unit.size() * n);
    for (size_t i = 0; i < n; ++i) out.insert(out.end(), unit.begin(), unit.end());
    return out;
  }
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

// Runs one vector; returns false for an op this runner does not know.
bool run_vector(Provider& p, const Vector& v) {
  uint8_t out[64];
  if (v.op == "sha1" || v.op == "sha256" || v.op == "sha384" || v.op == "md5") {
    Hash h = hash_named(v.op);
    auto msg = v.message();
    EXPECT_TRUE(p.digest(h, ByteView(msg), out));
    EXPECT_EQ(hex(out, hash_size(h)), v.s("out"));
  } else if (v.op.rfind("hmac-", 0) == 0) {
    Hash h = hash_named(v.op.substr(5));
    auto key = v.b("key"), msg = v.b("msg");
    EXPECT_TRUE(p.hmac(h, ByteView(key), ByteView(msg), out));
    size_t n = v.has("trunc") ? std::stoul(v.s("trunc")) : hash_size(h);
    EXPECT_EQ(hex(out, n), v.s("out"));
  } else if (v.op == "aes-128-gcm" || v.op == "aes-256-gcm") {
    auto key = v.b("key"), iv = v.b("iv"), aad = v.b("aad"), pt = v.b("pt"), ct = v.b("ct");
    AeadKeyHandle k = p.aead_key_new(v.op == "aes-128-gcm" ? Aead::kAes128Gcm : Aead::kAes256Gcm, ByteView(key));
    EXPECT_GT(k, 0);
    std::vector<uint8_t> sealed(pt.size() + kGcmTagSize);
    EXPECT_TRUE(p.aead_seal(k, ByteView(iv), ByteView(aad), ByteView(pt), sealed.data()));
    EXPECT_EQ(hex(sealed.data(), sealed.size()), v.s("ct"));
    std::vector<uint8_t> opened(pt.size() + 1);
    EXPECT_TRUE(p.aead_open(k, ByteView(iv), ByteView(aad), ByteView(ct), opened.data()));
    EXPECT_EQ(hex(opened.data(), pt.size()), v.s("pt"));
    // The same key seals again with the same result (the prepared context is reusable).
    EXPECT_TRUE(p.aead_seal(k, ByteView(iv), ByteView(aad), ByteView(pt), sealed.data()));
    EXPECT_EQ(hex(sealed.data(), sealed.size()), v.s("ct"));
    auto longer_aad = aad;
    longer_aad.push_back(0);
    EXPECT_FALSE(p.aead_open(k, ByteView(iv), ByteView(longer_aad), ByteView(ct), opened.data()));
    ct.back() ^= 1;  // a flipped tag bit must fail
    EXPECT_FALSE(p.aead_open(k, ByteView(iv), ByteView(aad), ByteView(ct), opened.data()));
    p.aead_key_free(k);
  } else if (v.op == "x25519") {
    auto priv = v.b("priv"), peer = v.b("peer");
    EXPECT_TRUE(p.ecdh_shared(Curve::kX25519, ByteView(priv), ByteView(peer), out));
    EXPECT_EQ(hex(out, 32), v.s("out"));
  } else if (v.op == "x25519-iterate") {
    // RFC 7748 §5.2: k = X25519(k, u), u = old k, starting from k = u = 9.
    std::vector<uint8_t> k(32, 0), u(32, 0);
    k[0] = u[0] = 9;
    for (int i = 0, n = std::stoi(v.s("n")); i < n; ++i) {
      EXPECT_TRUE(p.ecdh_shared(Curve::kX25519, ByteView(k), ByteView(u), out));
      u = k;
      k.assign(out, out + 32);
    }
    EXPECT_EQ(hex(k.data(), 32), v.s("out"));
  } else if (v.op == "x25519-reject") {
    auto priv = v.b("priv"), peer = v.b("peer");
    EXPECT_FALSE(p.ecdh_shared(Curve::kX25519, ByteView(priv), ByteView(peer), out));
  } else if (v.op == "p256-ecdh") {
    auto priv = v.b("priv"), peer = v.b("peer");
    EXPECT_TRUE(p.ecdh_shared(Curve::kP256, ByteView(priv), ByteView(peer), out));
    EXPECT_EQ(hex(out, 32), v.s("out"));
  } else if (v.op == "p256-ecdh-reject") {
    auto priv = v.b("priv"), peer = v.b("peer");
    EXPECT_FALSE(p.ecdh_shared(Curve::kP256, ByteView(priv), ByteView(peer), out));
  } else if (v.op == "ecdsa-p256-verify") {
    auto pub = v.b("pub"), msg = v.b("msg"), sig = v.b("sig");
    EXPECT_EQ(p.ecdsa_p256_verify(ByteView(pub), hash_named(v.s("hash")), ByteView(msg), ByteView(sig)),
              v.s("valid") == "1");
  } else if (v.op == "p256-keypair") {
    // The provider has no "public from private"; a signature made with priv that
    // verifies under pub (and not under another key) shows they belong together.
    auto priv = v.b("priv"), pub = v.b("pub");
    std::vector<uint8_t> der;
    const uint8_t msg[] = {1, 2, 3};
    EXPECT_TRUE(p.ecdsa_p256_sign(ByteView(priv), Hash::kSha256, ByteView(msg, 3), der));
    EXPECT_TRUE(p.ecdsa_p256_verify(ByteView(pub), Hash::kSha256, ByteView(msg, 3), ByteView(der)));
    uint8_t other_priv[32], other_pub[65];
    EXPECT_TRUE(p.ecdsa_p256_generate(other_priv, other_pub));
    EXPECT_FALSE(p.ecdsa_p256_verify(ByteView(other_pub, 65), Hash::kSha256, ByteView(msg, 3), ByteView(der)));
  } else if (v.op == "rsa-verify") {
    auto spki = v.b("spki"), msg = v.b("msg"), sig = v.b("sig");
    EXPECT_EQ(p.rsa_verify(ByteView(spki), hash_named(v.s("hash")), v.s("pss") == "1", ByteView(msg), ByteView(sig)),
              v.s("valid") == "1");
  } else if (v.op == "crc32" || v.op == "crc32c") {
    auto msg = v.b("msg");
    uint32_t c = v.op == "crc32" ? p.crc32(ByteView(msg)) : p.crc32c(ByteView(msg));
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", c);
    EXPECT_EQ(std::string(buf), v.s("out"));
  } else {
    return false;
  }
  return true;
}

TEST(OpenSslProvider, PublishedVectors) {
  Provider& p = default_provider();
  ASSERT_TRUE(p.has_rsa());
  auto vectors = load_vectors();
  ASSERT_GE(vectors.size(), 90u);
  std::map<std::string, int> per_op;
  for (const Vector& v : vectors) {
    SCOPED_TRACE("vectors.txt line " + std::to_string(v.line) + " (" + v.op + ")");
    if (!run_vector(p, v)) {
      ADD_FAILURE() << "unknown vector op " << v.op;
      continue;
    }
    ++per_op[v.op];
  }
  // Every kind of vector is present, so a truncated file cannot pass quietly.
  for (const char* op : {"sha1", "sha256", "sha384", "md5", "hmac-sha1", "hmac-sha256", "hmac-sha384", "aes-128-gcm",
                         "aes-256-gcm", "x25519", "x25519-iterate", "x25519-reject", "p256-ecdh", "p256-ecdh-reject",
                         "p256-keypair", "ecdsa-p256-verify", "rsa-verify", "crc32", "crc32c"}) {
    EXPECT_GT(per_op[op], 0) << op;
  }
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

TEST(OpenSslProvider, AeadSealsAndOpensInPlaceWithManyKeys) {
  // DTLS seals a record where it lies; the handle keeps its prepared context.
  Provider& p = default_provider();
  uint8_t key_bytes[32];
  p.random(key_bytes, sizeof key_bytes);
  AeadKeyHandle k128 = p.aead_key_new(Aead::kAes128Gcm, ByteView(key_bytes, 16));
  AeadKeyHandle k256 = p.aead_key_new(Aead::kAes256Gcm, ByteView(key_bytes, 32));
  ASSERT_GT(k128, 0);
  ASSERT_GT(k256, 0);
  EXPECT_NE(k128, k256);
  std::vector<uint8_t> record(1200 + kGcmTagSize), copy(1200);
  p.random(record.data(), 1200);
  std::copy(record.begin(), record.begin() + 1200, copy.begin());
  uint8_t nonce[12], aad[13];
  p.random(nonce, 12);
  p.random(aad, 13);
  for (AeadKeyHandle k : {k128, k256}) {
    ASSERT_TRUE(p.aead_seal(k, ByteView(nonce, 12), ByteView(aad, 13), ByteView(record.data(), 1200), record.data()));
    EXPECT_NE(hex(record.data(), 1200), hex(copy.data(), 1200));
    ASSERT_TRUE(p.aead_open(k, ByteView(nonce, 12), ByteView(aad, 13), ByteView(record), record.data()));
    EXPECT_EQ(hex(record.data(), 1200), hex(copy.data(), 1200));
  }
  // A record sealed under one key does not open under the other.
  ASSERT_TRUE(p.aead_seal(k128, ByteView(nonce, 12), ByteView(aad, 13), ByteView(copy), record.data()));
  std::vector<uint8_t> out(1200);
  EXPECT_FALSE(p.aead_open(k256, ByteView(nonce, 12), ByteView(aad, 13), ByteView(record), out.data()));
  // Freed handles are refused and their slots reused.
  p.aead_key_free(k128);
  EXPECT_FALSE(p.aead_open(k128, ByteView(nonce, 12), ByteView(aad, 13), ByteView(record), out.data()));
  AeadKeyHandle again = p.aead_key_new(Aead::kAes128Gcm, ByteView(key_bytes, 16));
  EXPECT_EQ(again, k128);
  EXPECT_TRUE(p.aead_open(again, ByteView(nonce, 12), ByteView(aad, 13), ByteView(record), out.data()));
  p.aead_key_free(again);
  p.aead_key_free(k256);
  p.aead_key_free(0);
  p.aead_key_free(-3);
  p.aead_key_free(1 << 30);
}

TEST(OpenSslProvider, RefusesOutOfRangeEnumsAndScalars) {
  Provider& p = default_provider();
  uint8_t out[72] = {}, pub[65];
  const uint8_t msg[] = {1, 2, 3};
  EXPECT_FALSE(p.digest(Hash(9), ByteView(msg, 3), out));
  EXPECT_FALSE(p.hmac(Hash(0), ByteView(msg, 3), ByteView(msg, 3), out));
  EXPECT_EQ(p.aead_key_new(Aead(7), ByteView(out, 16)), 0);
  EXPECT_FALSE(p.ecdh_generate(Curve(5), out, pub));
  // P-256 private scalars must lie in [1, n-1]: zero and n itself are refused.
  static const char* kOrder = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
  std::vector<uint8_t> zero(32, 0), order = unhex(kOrder);
  std::vector<uint8_t> der;
  uint8_t priv[32];
  ASSERT_TRUE(p.ecdsa_p256_generate(priv, pub));
  for (const auto& bad : {zero, order}) {
    EXPECT_FALSE(p.ecdsa_p256_sign(ByteView(bad), Hash::kSha256, ByteView(msg, 3), der));
    EXPECT_FALSE(p.ecdh_shared(Curve::kP256, ByteView(bad), ByteView(pub, 65), out));
  }
  EXPECT_FALSE(p.ecdsa_p256_sign(ByteView(priv, 32), Hash(0), ByteView(msg, 3), der));
  EXPECT_FALSE(p.rsa_verify(ByteView(pub, 65), Hash::kSha256, false, ByteView(msg, 3), ByteView(msg, 3)));
  EXPECT_FALSE(p.rsa_verify(ByteView(), Hash::kSha256, true, ByteView(), ByteView()));
}

TEST(OpenSslProvider, RandomIsNotConstant) {
  Provider& p = default_provider();
  uint8_t a[32] = {}, b[32] = {};
  p.random(a, 32);
  p.random(b, 32);
  EXPECT_NE(hex(a, 32), hex(b, 32));
  p.random(nullptr, 0);
}

}  // namespace
}  // namespace wasmrtc::crypto
