#include "dtls/testing/openssl_peer.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

namespace wasmrtc::dtls::testing {

namespace {

OpenSslPeer* peer_of(BIO* b) { return static_cast<OpenSslPeer*>(BIO_get_data(b)); }

int dgram_write(BIO* b, const char* data, int len) {
  peer_of(b)->out_.emplace_back(data, data + len);
  return len;
}

int dgram_read(BIO* b, char* data, int len) {
  OpenSslPeer* p = peer_of(b);
  BIO_clear_retry_flags(b);
  if (p->in_.empty()) {
    BIO_set_retry_read(b);
    return -1;
  }
  std::vector<uint8_t> d = std::move(p->in_.front());
  p->in_.pop_front();
  int n = std::min<int>(len, int(d.size()));
  std::memcpy(data, d.data(), size_t(n));
  return n;
}

long dgram_ctrl(BIO* b, int cmd, long num, void* ptr) {
  (void)num;
  (void)ptr;
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_MTU:
      return peer_of(b)->mtu_;
    case BIO_CTRL_DGRAM_SET_MTU:
      return num;
    case BIO_CTRL_WPENDING:
      return 0;
    case BIO_CTRL_PENDING:
      return peer_of(b)->in_.empty() ? 0 : long(peer_of(b)->in_.front().size());
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      return 28;
    default:
      return 0;
  }
}

int dgram_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* dgram_method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* x = BIO_meth_new(BIO_TYPE_SOURCE_SINK | 0x80, "wasmrtc test datagrams");
    BIO_meth_set_write(x, dgram_write);
    BIO_meth_set_read(x, dgram_read);
    BIO_meth_set_ctrl(x, dgram_ctrl);
    BIO_meth_set_create(x, dgram_create);
    return x;
  }();
  return m;
}

unsigned int short_timer(SSL* ssl, unsigned int previous_us) {
  (void)ssl;
  // First timeout 50 ms, then doubling (RFC 6347 shape, faster for tests).
  return previous_us == 0 ? 50000 : std::min(previous_us * 2, 400000u);
}

int cookie_generate(SSL* ssl, unsigned char* cookie, unsigned int* len) {
  (void)ssl;
  std::memcpy(cookie, "wasmrtc-test-cookie-0123", 24);
  *len = 24;
  return 1;
}

int cookie_verify(SSL* ssl, const unsigned char* cookie, unsigned int len) {
  (void)ssl;
  return len == 24 && std::memcmp(cookie, "wasmrtc-test-cookie-0123", 24) == 0;
}

int accept_any(int, X509_STORE_CTX*) { return 1; }  // WebRTC checks the fingerprint instead

std::string fp_of(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  static const char* hex = "0123456789ABCDEF";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    if (i) s += ':';
    s += hex[md[i] >> 4];
    s += hex[md[i] & 15];
  }
  return s;
}

}  // namespace

OpenSslPeer::OpenSslPeer(OpenSslPeerConfig cfg) : mtu_(cfg.mtu) {
  ctx_ = SSL_CTX_new(DTLS_method());
  SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx_, DTLS1_2_VERSION);
  EVP_PKEY* key = cfg.rsa_key ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600 * 24);
  X509_set_pubkey(x, key);
  X509_NAME* nm = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("openssl-peer"), -1, -1, 0);
  X509_set_issuer_name(x, nm);
  X509_sign(x, key, EVP_sha256());
  SSL_CTX_use_certificate(ctx_, x);
  SSL_CTX_use_PrivateKey(ctx_, key);
  fingerprint_ = fp_of(x);
  X509_free(x);
  EVP_PKEY_free(key);
  if (cfg.rsa_key) {
    SSL_CTX_set_cipher_list(ctx_, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
  } else {
    SSL_CTX_set_cipher_list(ctx_, cfg.ciphers.c_str());
  }
  SSL_CTX_set1_groups_list(ctx_, cfg.groups.c_str());
  if (!cfg.srtp_profiles.empty()) SSL_CTX_set_tlsext_use_srtp(ctx_, cfg.srtp_profiles.c_str());  // returns 0 on success
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
  SSL_CTX_set_options(ctx_, SSL_OP_NO_QUERY_MTU);
  if (cfg.server && cfg.cookie) {
    SSL_CTX_set_cookie_generate_cb(ctx_, cookie_generate);
    SSL_CTX_set_cookie_verify_cb(ctx_, cookie_verify);
    SSL_CTX_set_options(ctx_, SSL_OP_COOKIE_EXCHANGE);
  }
  // OpenSSL's own NSS key log lines: what ours must equal (the same handshake, the same master secret).
  SSL_CTX_set_keylog_callback(ctx_, [](const SSL* ssl, const char* line) {
    auto* self = static_cast<OpenSslPeer*>(SSL_get_app_data(ssl));
    if (self) self->keylog.emplace_back(line);
  });
  ssl_ = SSL_new(ctx_);
  SSL_set_app_data(ssl_, this);
  BIO* bio = BIO_new(dgram_method());
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_mtu(ssl_, cfg.mtu);
  DTLS_set_link_mtu(ssl_, cfg.mtu);
  DTLS_set_timer_cb(ssl_, short_timer);
  if (cfg.server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

OpenSslPeer::~OpenSslPeer() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

void OpenSslPeer::feed(ByteView d) { in_.push_back(d.to_vector()); }

void OpenSslPeer::step() {
  if (failed_) return;
  DTLSv1_handle_timeout(ssl_);
  if (!connected_) {
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      connected_ = true;
    } else {
      int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        failed_ = true;
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
        error_ = buf;
        return;
      }
    }
  }
  if (connected_) {
    unsigned char buf[65536];
    for (int i = 0; i < 1000; ++i) {
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      received.emplace_back(buf, buf + n);
    }
  }
}

bool OpenSslPeer::take_datagram(std::vector<uint8_t>& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

std::string OpenSslPeer::peer_fingerprint() const {
  X509* c = SSL_get1_peer_certificate(ssl_);
  if (!c) return "";
  std::string f = fp_of(c);
  X509_free(c);
  return f;
}

std::string OpenSslPeer::cipher() const { return SSL_get_cipher_name(ssl_); }

std::string OpenSslPeer::group() const {
  int nid = SSL_get_shared_group(ssl_, 0);
  (void)nid;
  EVP_PKEY* k = nullptr;
  if (SSL_get_peer_tmp_key(ssl_, &k) != 1 || !k) return "";
  std::string name = EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "";
  if (name == "EC") name = "P-256";
  EVP_PKEY_free(k);
  return name;
}

bool OpenSslPeer::write(ByteView data) { return SSL_write(ssl_, data.data, int(data.size)) == int(data.size); }

bool OpenSslPeer::got_close_notify() const { return (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0; }

void OpenSslPeer::shutdown() { SSL_shutdown(ssl_); }

uint16_t OpenSslPeer::srtp_profile() const {
  const SRTP_PROTECTION_PROFILE* p = ssl_ ? SSL_get_selected_srtp_profile(ssl_) : nullptr;
  return p ? uint16_t(p->id) : 0;
}

}  // namespace wasmrtc::dtls::testing
