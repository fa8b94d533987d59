// A DTLS 1.2 endpoint (RFC 6347), client or server, sans-IO: datagrams and
// time in; datagrams, events and a deadline out. ECDHE with X25519 or P-256,
// ECDSA P-256 certificates (RSA-signed peers verified where the provider can),
// AES-GCM, extended master secret (RFC 7627) required by default, mutual
// authentication by certificate fingerprint as WebRTC does (RFC 8827).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/fifo.h"
#include "common/time.h"
#include "crypto/provider.h"
#include "dtls/certificate.h"
#include "dtls/record.h"

namespace wasmrtc::dtls {

enum class Role : uint8_t { kClient, kServer };

namespace suite {
constexpr uint16_t kEcdheEcdsaAes128GcmSha256 = 0xC02B;
constexpr uint16_t kEcdheEcdsaAes256GcmSha384 = 0xC02C;
constexpr uint16_t kEcdheRsaAes128GcmSha256 = 0xC02F;
constexpr uint16_t kEcdheRsaAes256GcmSha384 = 0xC030;
}  // namespace suite
namespace group {
constexpr uint16_t kX25519 = 29;
constexpr uint16_t kSecp256r1 = 23;
}  // namespace group

struct DtlsConfig {
  Role role = Role::kClient;
  // "AB:CD:..." (SHA-256) from the remote SDP; empty only if verify_fingerprint is false.
  std::string remote_fingerprint;
  bool verify_fingerprint = true;
  bool require_extended_master_secret = true;
  // Offer use_srtp (RFC 5764) as browsers do; some WebRTC peers refuse a handshake without a profile.
  bool offer_srtp = true;
  bool server_cookie = true;  // HelloVerifyRequest (RFC 6347 §4.2.1)
  size_t mtu = 1200;
  std::vector<uint16_t> suites = {suite::kEcdheEcdsaAes128GcmSha256, suite::kEcdheEcdsaAes256GcmSha384,
                                  suite::kEcdheRsaAes128GcmSha256, suite::kEcdheRsaAes256GcmSha384};
  std::vector<uint16_t> groups = {group::kX25519, group::kSecp256r1};
  Duration initial_rto = seconds(1);  // RFC 6347 §4.2.4.1
  Duration max_rto = seconds(60);
  int max_retransmissions = 8;
};

struct DtlsEvent {
  enum class Type : uint8_t { kConnected, kData, kClosed, kFailed };
  Type type;
  std::vector<uint8_t> data;  // kData
  std::string reason;         // kClosed / kFailed
};

class DtlsEndpoint {
 public:
  enum class State : uint8_t { kIdle, kHandshaking, kConnected, kClosed, kFailed };

  DtlsEndpoint(crypto::Provider& crypto, DtlsConfig config, const Certificate& local);
  ~DtlsEndpoint();

  void start(Timestamp now);  // the client sends its ClientHello; a server waits
  // Before start(): the retransmission timer's first value when the path's RTT is known (e.g. from ICE).
  void set_initial_rto(Duration rto);
  void handle_datagram(Timestamp now, ByteView datagram);
  void handle_timeout(Timestamp now);
  // Application data; false unless connected or when too large for one record.
  bool send(ByteView data);
  void close();  // close_notify

  bool poll_datagram(std::vector<uint8_t>& out);
  bool poll_event(DtlsEvent& out);
  Timestamp next_deadline() const;

  State state() const { return state_; }
  uint16_t negotiated_suite() const { return suite_; }
  uint16_t negotiated_group() const { return group_; }
  // RFC 5764 use_srtp profile agreed in the handshake (0: none); data channels only record it.
  uint16_t negotiated_srtp_profile() const { return srtp_profile_; }
  const std::string& remote_certificate_fingerprint() const { return remote_fp_; }
  // RFC 5705 keying material exporter (e.g. for SRTP-less key derivation).
  bool export_keying_material(std::string_view label, size_t length, std::vector<uint8_t>& out);

  struct Stats {
    uint64_t records_in = 0, records_out = 0, replays_dropped = 0, bad_records = 0, retransmissions = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Incoming;
  struct OutMessage {
    uint8_t type;      // handshake type, or 0xFF for ChangeCipherSpec
    uint16_t epoch;
    std::vector<uint8_t> body;  // handshake body (without the 12-byte header)
    uint16_t seq;
  };

  void fail(uint8_t alert, std::string reason);
  void send_alert(uint8_t level, uint8_t desc);
  void queue_handshake(uint8_t type, std::vector<uint8_t> body, uint16_t epoch);
  void queue_ccs();
  void flush_flight(Timestamp now);
  void arm_timer(Timestamp now);
  void handle_record(Timestamp now, const RecordHeader& h);
  void handle_handshake_fragment(Timestamp now, ByteView frag, uint16_t epoch);
  void process_message(Timestamp now, uint8_t type, uint16_t seq, ByteView body);
  void add_transcript(uint8_t type, uint16_t seq, ByteView body);

  // client
  void send_client_hello(Timestamp now, ByteView cookie);
  bool on_server_hello(ByteView body);
  bool on_certificate(ByteView body);
  bool on_server_key_exchange(ByteView body);
  bool on_certificate_request(ByteView body);
  void on_server_hello_done(Timestamp now);
  // server
  void on_client_hello(Timestamp now, uint16_t seq, ByteView body);
  bool on_client_key_exchange(ByteView body);
  bool on_certificate_verify(ByteView body);
  // both
  bool on_finished(Timestamp now, ByteView body);
  bool derive_keys();
  void log_connected() const;
  std::vector<uint8_t> finished_data(bool from_client);
  crypto::Hash suite_hash() const;
  std::vector<uint8_t> transcript_hash(crypto::Hash h) const;
  bool verify_peer_signature(uint16_t scheme, ByteView msg, ByteView sig);
  uint16_t pick_scheme(const std::vector<uint16_t>& offered) const;

  crypto::Provider& crypto_;
  DtlsConfig config_;
  const Certificate& local_;
  State state_ = State::kIdle;

  // handshake
  uint8_t client_random_[32] = {};
  uint8_t server_random_[32] = {};
  uint16_t suite_ = 0;
  uint16_t group_ = 0;
  bool peer_ems_ = false;
  void replay_early(Timestamp now);
  void deliver_early_data();
  static constexpr size_t kMaxEarlyRecords = 16;
  std::vector<std::vector<uint8_t>> early_records_;  // epoch 1 before the peer's ChangeCipherSpec
  std::vector<std::vector<uint8_t>> early_data_;     // application data before the peer's Finished
  uint16_t srtp_profile_ = 0;
  std::vector<uint8_t> ecdh_priv_, ecdh_pub_, peer_ecdh_pub_;
  std::vector<uint8_t> master_;
  std::vector<uint8_t> transcript_;
  std::vector<uint8_t> peer_cert_der_;
  std::string remote_fp_;
  bool cert_requested_ = false;
  std::vector<uint16_t> peer_sig_schemes_;
  uint8_t cookie_secret_[32] = {};
  uint16_t next_send_seq_ = 0;
  uint16_t next_recv_seq_ = 0;
  std::map<uint16_t, std::unique_ptr<Incoming>> incoming_;
  bool peer_ccs_ = false;
  bool got_peer_certificate_ = false;
  std::vector<uint8_t> pending_client_finished_;  // server: transcript hash point for the client's Finished

  // flights and records
  std::vector<OutMessage> flight_;
  bool flight_is_final_ = false;
  Timestamp retransmit_at_ = kNever;
  Duration rto_ = 0;
  int retransmissions_ = 0;
  uint16_t write_epoch_ = 0;
  uint64_t write_seq_[2] = {0, 0};
  RecordCipher write_cipher_, read_cipher_;
  ReplayWindow replay_[2];
  Fifo<std::vector<uint8_t>> out_;
  Fifo<DtlsEvent> events_;
  Stats stats_;
};

}  // namespace wasmrtc::dtls
