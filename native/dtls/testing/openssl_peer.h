// OpenSSL's DTLS 1.2 as an in-process peer for tests: datagrams in and out
// through a custom BIO that keeps datagram boundaries, timers shortened by
// DTLS_set_timer_cb so lossy handshakes finish quickly in real time.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "common/bytes.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace wasmrtc::dtls::testing {

struct OpenSslPeerConfig {
  bool server = false;
  std::string ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384";
  std::string groups = "X25519:P-256";
  bool rsa_key = false;  // sign with an RSA-2048 certificate instead of ECDSA P-256
  unsigned timer_initial_us = 50000;
  bool cookie = true;
  long mtu = 1200;
  std::string srtp_profiles;  // e.g. "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80" (use_srtp, RFC 5764)
};

class OpenSslPeer {
 public:
  explicit OpenSslPeer(OpenSslPeerConfig cfg);
  ~OpenSslPeer();

  void feed(ByteView datagram);
  // Drives the handshake / reads application data; call after feed() and on timer expiry.
  void step();
  bool take_datagram(std::vector<uint8_t>& out);
  bool connected() const { return connected_; }
  uint16_t srtp_profile() const;  // the RFC 5764 profile the handshake agreed on (0: none)
  bool failed() const { return failed_; }
  std::string error() const { return error_; }
  std::string fingerprint() const { return fingerprint_; }       // of its own certificate
  std::string peer_fingerprint() const;                          // of the certificate we presented
  std::string cipher() const;
  std::string group() const;
  bool write(ByteView data);
  std::vector<std::vector<uint8_t>> received;
  std::vector<std::string> keylog;  // OpenSSL's key log lines (SSL_CTX_set_keylog_callback)
  bool got_close_notify() const;
  void shutdown();
  SSL* ssl() const { return ssl_; }

  // BIO plumbing (used by the BIO callbacks).
  std::deque<std::vector<uint8_t>> in_, out_;
  long mtu_;

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  bool failed_ = false;
  std::string error_;
  std::string fingerprint_;
};

}  // namespace wasmrtc::dtls::testing
