#include "dtls/dtls_endpoint.h"

#include <algorithm>
#include <iterator>
#include <cstring>

#include "common/keylog.h"
#include "common/log.h"
#include "dtls/asn1.h"
#include "dtls/prf.h"

namespace wasmrtc::dtls {

namespace {

enum HandshakeType : uint8_t {
  kClientHello = 1,
  kServerHello = 2,
  kHelloVerifyRequest = 3,
  kCertificate = 11,
  kServerKeyExchange = 12,
  kCertificateRequest = 13,
  kServerHelloDone = 14,
  kCertificateVerify = 15,
  kClientKeyExchange = 16,
  kFinished = 20,
};
constexpr uint8_t kCcsMarker = 0xFF;
constexpr size_t kHandshakeHeader = 12;
constexpr size_t kMaxMessageLength = 128 * 1024;  // bounded reassembly
constexpr int kMaxBufferedMessages = 16;

enum Alert : uint8_t {
  kCloseNotify = 0,
  kUnexpectedMessage = 10,
  kBadRecordMac = 20,
  kHandshakeFailure = 40,
  kBadCertificate = 42,
  kIllegalParameter = 47,
  kDecodeError = 50,
  kDecryptError = 51,
  kInternalError = 80,
};

enum Ext : uint16_t {
  kSupportedGroups = 10,
  kEcPointFormats = 11,
  kSignatureAlgorithms = 13,
  kUseSrtp = 14,
  kExtendedMasterSecret = 23,
  kRenegotiationInfo = 0xFF01,
};

// RFC 5764 §4.1.2 profiles, our preference first. Data channels carry no SRTP, but WebRTC peers
// (browsers, werift) negotiate a profile on every DTLS association and some refuse one without it.
constexpr uint16_t kSrtpProfiles[] = {0x0007 /* AEAD_AES_128_GCM */, 0x0001 /* AES128_CM_HMAC_SHA1_80 */};

// RFC 5764 §4.1.1: UseSRTPData = SRTPProtectionProfiles profiles<2..2^16-1> + opaque srtp_mki<0..255>.
bool parse_use_srtp(ByteView v, std::vector<uint16_t>& profiles) {
  ByteReader r(v);
  uint16_t n;
  if (!r.u16(n) || n < 2 || (n & 1) || r.remaining() < size_t(n) + 1) return false;
  for (uint16_t i = 0; i < n; i += 2) {
    uint16_t p;
    r.u16(p);
    profiles.push_back(p);
  }
  uint8_t mki;
  return r.u8(mki) && r.remaining() >= mki;
}

constexpr uint16_t kEcdsaSha256 = 0x0403;
constexpr uint16_t kEcdsaSha384 = 0x0503;
constexpr uint16_t kRsaPkcs1Sha256 = 0x0401;
constexpr uint16_t kRsaPkcs1Sha384 = 0x0501;
constexpr uint16_t kRsaPssSha256 = 0x0804;

bool is_ecdsa_suite(uint16_t s) { return s == suite::kEcdheEcdsaAes128GcmSha256 || s == suite::kEcdheEcdsaAes256GcmSha384; }
bool is_sha384_suite(uint16_t s) { return s == suite::kEcdheEcdsaAes256GcmSha384 || s == suite::kEcdheRsaAes256GcmSha384; }

void put_vec8(ByteWriter& w, ByteView v) {
  w.u8(uint8_t(v.size));
  w.bytes(v);
}
void put_vec16(ByteWriter& w, ByteView v) {
  w.u16(uint16_t(v.size));
  w.bytes(v);
}
void put_vec24(ByteWriter& w, ByteView v) {
  w.u24(uint32_t(v.size));
  w.bytes(v);
}
bool get_vec8(ByteReader& r, ByteView& out) {
  uint8_t n;
  return r.u8(n) && r.bytes(n, out);
}
bool get_vec16(ByteReader& r, ByteView& out) {
  uint16_t n;
  return r.u16(n) && r.bytes(n, out);
}
bool get_vec24(ByteReader& r, ByteView& out) {
  uint32_t n;
  return r.u24(n) && r.bytes(n, out);
}

}  // namespace

struct DtlsEndpoint::Incoming {
  uint8_t type = 0;
  uint32_t length = 0;
  std::vector<uint8_t> body;
  std::vector<uint8_t> have;  // one flag per byte (bounded by kMaxMessageLength)
  uint32_t received = 0;
};

DtlsEndpoint::DtlsEndpoint(crypto::Provider& crypto, DtlsConfig config, const Certificate& local)
    : crypto_(crypto), config_(std::move(config)), local_(local) {
  crypto_.random(cookie_secret_, sizeof cookie_secret_);
  if (config_.mtu < 256) config_.mtu = 256;
  rto_ = config_.initial_rto;
}

DtlsEndpoint::~DtlsEndpoint() = default;

// ------------------------------------------------------------------ output plumbing

void DtlsEndpoint::fail(uint8_t alert, std::string reason) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  send_alert(2, alert);
  state_ = State::kFailed;
  retransmit_at_ = kNever;
  log_message(LogLayer::kDtls, LogLevel::kWarning, "DTLS: " + reason);
  events_.push_back({DtlsEvent::Type::kFailed, {}, std::move(reason)});
}

void DtlsEndpoint::send_alert(uint8_t level, uint8_t desc) {
  uint8_t body[2] = {level, desc};
  std::vector<uint8_t> dg;
  uint16_t e = write_epoch_;
  if (e == 1 && write_cipher_.valid()) {
    write_cipher_.seal(kAlert, 1, write_seq_[1]++, ByteView(body, 2), dg);
  } else {
    write_record_header(dg, kAlert, 0, write_seq_[0]++, 2);
    dg.insert(dg.end(), body, body + 2);
  }
  ++stats_.records_out;
  out_.push_back(std::move(dg));
}

void DtlsEndpoint::queue_handshake(uint8_t type, std::vector<uint8_t> body, uint16_t epoch) {
  uint16_t seq = next_send_seq_++;
  if (type != kHelloVerifyRequest) add_transcript(type, seq, ByteView(body));
  flight_.push_back({type, epoch, std::move(body), seq});
}

void DtlsEndpoint::queue_ccs() { flight_.push_back({kCcsMarker, 0, {1}, 0}); }

void DtlsEndpoint::add_transcript(uint8_t type, uint16_t seq, ByteView body) {
  // The transcript holds each message as if it were sent unfragmented (RFC 6347 §4.2.6).
  ByteWriter w(transcript_);
  w.u8(type);
  w.u24(uint32_t(body.size));
  w.u16(seq);
  w.u24(0);
  w.u24(uint32_t(body.size));
  w.bytes(body);
}

void DtlsEndpoint::flush_flight(Timestamp now) {
  // Pack records into datagrams no larger than the MTU, fragmenting handshake messages (§4.2.3).
  std::vector<uint8_t> dg;
  auto emit = [this, &dg]() {
    if (!dg.empty()) out_.push_back(std::move(dg));
    dg.clear();
  };
  const size_t mtu = config_.mtu;
  for (const OutMessage& m : flight_) {
    const bool encrypted = m.epoch == 1;
    const size_t overhead = kRecordHeaderSize + (encrypted ? kGcmOverhead : 0);
    if (m.type == kCcsMarker) {
      if (dg.size() + kRecordHeaderSize + 1 > mtu) emit();
      write_record_header(dg, kChangeCipherSpec, 0, write_seq_[0]++, 1);
      dg.push_back(1);
      ++stats_.records_out;
      continue;
    }
    size_t offset = 0;
    do {
      if (dg.size() + overhead + kHandshakeHeader + 1 > mtu) emit();
      size_t room = mtu - dg.size() - overhead - kHandshakeHeader;
      size_t n = std::min(room, m.body.size() - offset);
      std::vector<uint8_t> frag;
      ByteWriter w(frag);
      w.u8(m.type);
      w.u24(uint32_t(m.body.size()));
      w.u16(m.seq);
      w.u24(uint32_t(offset));
      w.u24(uint32_t(n));
      w.bytes(m.body.data() + offset, n);
      if (encrypted) {
        write_cipher_.seal(kHandshake, 1, write_seq_[1]++, ByteView(frag), dg);
      } else {
        write_record_header(dg, kHandshake, 0, write_seq_[0]++, uint16_t(frag.size()));
        dg.insert(dg.end(), frag.begin(), frag.end());
      }
      ++stats_.records_out;
      offset += n;
    } while (offset < m.body.size());
  }
  emit();
  arm_timer(now);
}

void DtlsEndpoint::arm_timer(Timestamp now) {
  // The last flight of a handshake is resent only when the peer resends its own (§4.2.4).
  retransmit_at_ = flight_is_final_ || flight_.empty() ? kNever : now + rto_;
}

void DtlsEndpoint::handle_timeout(Timestamp now) {
  if (state_ != State::kHandshaking || now < retransmit_at_) return;
  if (retransmissions_ >= config_.max_retransmissions) {
    fail(kHandshakeFailure, "handshake timed out (no answer after " + std::to_string(retransmissions_) +
                                " retransmissions)");
    return;
  }
  ++retransmissions_;
  ++stats_.retransmissions;
  rto_ = std::min(rto_ * 2, config_.max_rto);  // §4.2.4.1: double on every timeout
  if (log_enabled(LogLayer::kDtls, LogLevel::kDebug)) {
    log_message(LogLayer::kDtls, LogLevel::kDebug, "DTLS: flight retransmitted (" + std::to_string(retransmissions_) + "), next timeout " +
                std::to_string(rto_ / 1000) + " ms");
  }
  flush_flight(now);
}

Timestamp DtlsEndpoint::next_deadline() const { return state_ == State::kHandshaking ? retransmit_at_ : kNever; }

bool DtlsEndpoint::poll_datagram(std::vector<uint8_t>& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

bool DtlsEndpoint::poll_event(DtlsEvent& out) {
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

bool DtlsEndpoint::send(ByteView data) {
  if (state_ != State::kConnected || data.size > kMaxPlaintext) return false;
  std::vector<uint8_t> dg;
  if (write_seq_[1] >= kMaxSequence) return false;
  if (!write_cipher_.seal(kApplicationData, 1, write_seq_[1]++, data, dg)) return false;
  ++stats_.records_out;
  out_.push_back(std::move(dg));
  return true;
}

void DtlsEndpoint::close() {
  if (state_ == State::kConnected || state_ == State::kHandshaking) {
    send_alert(1, kCloseNotify);
    state_ = State::kClosed;
    retransmit_at_ = kNever;
    events_.push_back({DtlsEvent::Type::kClosed, {}, "closed locally"});
  }
}

// ------------------------------------------------------------------ input

void DtlsEndpoint::set_initial_rto(Duration rto) {
  if (state_ != State::kIdle || rto <= 0) return;
  config_.initial_rto = std::min(rto, config_.max_rto);
  rto_ = config_.initial_rto;
}

void DtlsEndpoint::start(Timestamp now) {
  if (state_ != State::kIdle) return;
  state_ = State::kHandshaking;
  crypto_.random(config_.role == Role::kClient ? client_random_ : server_random_, 32);
  if (config_.role == Role::kClient) send_client_hello(now, ByteView());
}

void DtlsEndpoint::handle_datagram(Timestamp now, ByteView datagram) {
  if (state_ == State::kIdle && config_.role == Role::kServer) start(now);
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  ByteReader r(datagram);
  RecordHeader h;
  // Several records may share one datagram; a malformed one ends the datagram (§4.1.2.7: drop, do not fail).
  while (r.remaining() > 0 && read_record(r, h)) {
    ++stats_.records_in;
    handle_record(now, h);
    if (state_ == State::kFailed || state_ == State::kClosed) return;
  }
}

void DtlsEndpoint::handle_record(Timestamp now, const RecordHeader& h) {
  if (h.epoch > 1) {
    ++stats_.bad_records;
    return;
  }
  if (replay_[h.epoch].is_replay(h.sequence)) {
    ++stats_.replays_dropped;
    return;
  }
  std::vector<uint8_t> plain;
  ByteView payload = h.fragment;
  if (h.epoch == 1) {
    if (!peer_ccs_ || !read_cipher_.valid()) {
      // Reordered ahead of the peer's ChangeCipherSpec: kept (a few) and read once the keys are in,
      // instead of waiting for a retransmission (for SCTP's INIT that is a whole second).
      if (early_records_.size() < kMaxEarlyRecords && state_ == State::kHandshaking) {
        std::vector<uint8_t> raw;
        write_record_header(raw, h.type, h.epoch, h.sequence, uint16_t(h.fragment.size));
        raw.insert(raw.end(), h.fragment.begin(), h.fragment.end());
        early_records_.push_back(std::move(raw));
      } else {
        ++stats_.bad_records;
      }
      return;
    }
    if (!read_cipher_.open(h, plain)) {
      ++stats_.bad_records;  // §4.1.2.7: invalid records are silently discarded
      return;
    }
    payload = ByteView(plain);
  }
  replay_[h.epoch].accept(h.sequence);
  switch (h.type) {
    case kHandshake:
      handle_handshake_fragment(now, payload, h.epoch);
      return;
    case kChangeCipherSpec:
      if (payload.size != 1 || payload[0] != 1) {
        fail(kDecodeError, "malformed ChangeCipherSpec");
        return;
      }
      if (master_.empty()) return;  // too early (reordered): the peer will retransmit
      if (!peer_ccs_) {
        peer_ccs_ = true;
        replay_early(now);
      }
      return;
    case kAlert:
      if (payload.size < 2) return;
      if (payload[1] == kCloseNotify) {
        state_ = State::kClosed;
        retransmit_at_ = kNever;
        events_.push_back({DtlsEvent::Type::kClosed, {}, "closed by the peer (close_notify)"});
      } else if (payload[0] == 2) {
        state_ = State::kFailed;
        retransmit_at_ = kNever;
        events_.push_back({DtlsEvent::Type::kFailed, {}, "fatal alert " + std::to_string(payload[1]) + " from the peer"});
      }
      return;
    case kApplicationData:
      if (h.epoch == 1 && state_ == State::kHandshaking && early_data_.size() < kMaxEarlyRecords) {
        // Data that overtook the peer's Finished: its sequence number is already accepted, so keep the
        // plaintext and deliver it after the handshake completes.
        early_data_.push_back(payload.to_vector());
        return;
      }
      if (h.epoch != 1 || state_ != State::kConnected) {
        ++stats_.bad_records;
        return;
      }
      events_.push_back({DtlsEvent::Type::kData, payload.to_vector(), {}});
      return;
  }
}

void DtlsEndpoint::replay_early(Timestamp now) {
  std::vector<std::vector<uint8_t>> early;
  early.swap(early_records_);
  for (const auto& raw : early) {
    ByteReader r{ByteView(raw)};
    RecordHeader h;
    if (read_record(r, h)) handle_record(now, h);
    if (state_ == State::kFailed || state_ == State::kClosed) return;
  }
}

void DtlsEndpoint::deliver_early_data() {
  for (auto& d : early_data_) events_.push_back({DtlsEvent::Type::kData, std::move(d), {}});
  early_data_.clear();
}

void DtlsEndpoint::handle_handshake_fragment(Timestamp now, ByteView frag, uint16_t epoch) {
  ByteReader r(frag);
  while (r.remaining() > 0) {
    uint8_t type;
    uint32_t length, offset, flen;
    uint16_t seq;
    ByteView data;
    if (!r.u8(type) || !r.u24(length) || !r.u16(seq) || !r.u24(offset) || !r.u24(flen) || !r.bytes(flen, data) ||
        length > kMaxMessageLength || uint64_t(offset) + flen > length) {
      ++stats_.bad_records;
      return;
    }
    // A ClientHello restarts the server's numbering (cookie exchange); the server accepts it at any seq.
    bool server_hello_phase = config_.role == Role::kServer && type == kClientHello && master_.empty();
    if (!server_hello_phase && seq < next_recv_seq_) {
      // The peer resent a flight we already processed: our answer was lost, resend ours (§4.2.4).
      if (!flight_.empty() && (state_ == State::kHandshaking || state_ == State::kConnected) &&
          retransmit_at_ == kNever && flight_is_final_) {
        ++stats_.retransmissions;
        flush_flight(now);
      }
      continue;
    }
    if (!server_hello_phase && seq > next_recv_seq_ + kMaxBufferedMessages) continue;
    uint16_t key = server_hello_phase ? 0xFFFF : seq;
    auto& slot = incoming_[key];
    if (!slot || slot->type != type || slot->length != length) {
      slot = std::make_unique<Incoming>();
      slot->type = type;
      slot->length = length;
      slot->body.assign(length, 0);
      slot->have.assign(length, 0);
    }
    for (uint32_t i = 0; i < flen; ++i) {
      if (!slot->have[offset + i]) {
        slot->have[offset + i] = 1;
        slot->body[offset + i] = data[i];
        ++slot->received;
      }
    }
    if (server_hello_phase) {
      if (slot->received == slot->length) {
        auto msg = std::move(slot);
        incoming_.erase(key);
        on_client_hello(now, seq, ByteView(msg->body));
      }
      continue;
    }
  }
  (void)epoch;
  // Process complete messages in order.
  for (;;) {
    auto it = incoming_.find(next_recv_seq_);
    if (it == incoming_.end() || it->second->received != it->second->length) break;
    auto msg = std::move(it->second);
    incoming_.erase(it);
    uint16_t seq = next_recv_seq_++;
    process_message(now, msg->type, seq, ByteView(msg->body));
    if (state_ == State::kFailed || state_ == State::kClosed) return;
  }
}

void DtlsEndpoint::process_message(Timestamp now, uint8_t type, uint16_t seq, ByteView body) {
  if (state_ != State::kHandshaking) return;
  if (config_.role == Role::kClient) {
    switch (type) {
      case kHelloVerifyRequest: {
        ByteReader r(body);
        uint16_t version;
        ByteView cookie;
        if (!master_.empty() || !r.u16(version) || !get_vec8(r, cookie) || cookie.size > 255) {
          fail(kDecodeError, "malformed HelloVerifyRequest");
          return;
        }
        std::vector<uint8_t> c = cookie.to_vector();
        send_client_hello(now, ByteView(c));
        return;
      }
      case kServerHello:
        add_transcript(type, seq, body);
        if (!on_server_hello(body)) return;
        flight_.clear();  // the server answered: stop resending the ClientHello
        retransmit_at_ = kNever;
        return;
      case kCertificate:
        add_transcript(type, seq, body);
        on_certificate(body);
        return;
      case kServerKeyExchange:
        if (!on_server_key_exchange(body)) return;
        add_transcript(type, seq, body);
        return;
      case kCertificateRequest:
        add_transcript(type, seq, body);
        on_certificate_request(body);
        return;
      case kServerHelloDone:
        add_transcript(type, seq, body);
        on_server_hello_done(now);
        return;
      case kFinished:
        if (!peer_ccs_) {
          fail(kUnexpectedMessage, "Finished before ChangeCipherSpec");
          return;
        }
        if (on_finished(now, body)) {
          state_ = State::kConnected;
          flight_.clear();
          retransmit_at_ = kNever;
          log_connected();
      events_.push_back({DtlsEvent::Type::kConnected, {}, {}});
          deliver_early_data();
        }
        return;
      default:
        fail(kUnexpectedMessage, "unexpected handshake message " + std::to_string(type));
        return;
    }
  }
  switch (type) {
    case kCertificate:
      add_transcript(type, seq, body);
      on_certificate(body);
      return;
    case kClientKeyExchange:
      add_transcript(type, seq, body);
      on_client_key_exchange(body);
      return;
    case kCertificateVerify:
      if (!on_certificate_verify(body)) return;
      add_transcript(type, seq, body);
      return;
    case kFinished: {
      if (!peer_ccs_) {
        fail(kUnexpectedMessage, "Finished before ChangeCipherSpec");
        return;
      }
      if (!got_peer_certificate_) {
        fail(kHandshakeFailure, "the client sent no certificate (WebRTC requires mutual authentication)");
        return;
      }
      if (!on_finished(now, body)) return;
      add_transcript(type, seq, body);
      // Flight 6: ChangeCipherSpec + Finished, resent if the client resends flight 5.
      flight_.clear();
      queue_ccs();
      write_epoch_ = 1;
      queue_handshake(kFinished, finished_data(false), 1);
      flight_is_final_ = true;
      flush_flight(now);
      state_ = State::kConnected;
      log_connected();
      events_.push_back({DtlsEvent::Type::kConnected, {}, {}});
      deliver_early_data();
      return;
    }
    default:
      fail(kUnexpectedMessage, "unexpected handshake message " + std::to_string(type));
      return;
  }
}

// ------------------------------------------------------------------ client side

void DtlsEndpoint::send_client_hello(Timestamp now, ByteView cookie) {
  std::vector<uint8_t> body;
  ByteWriter w(body);
  w.u16(kDtls12);
  w.bytes(client_random_, 32);
  w.u8(0);  // session id: no resumption
  put_vec8(w, cookie);
  std::vector<uint8_t> suites;
  ByteWriter sw(suites);
  for (uint16_t s : config_.suites) {
    if (!is_ecdsa_suite(s) && !crypto_.has_rsa()) continue;  // RSA-signed servers only where we can verify
    sw.u16(s);
  }
  put_vec16(w, ByteView(suites));
  w.u8(1);
  w.u8(0);  // null compression
  std::vector<uint8_t> ext;
  ByteWriter e(ext);
  // supported_groups, ec_point_formats, signature_algorithms, extended_master_secret, renegotiation_info
  e.u16(kSupportedGroups);
  e.u16(uint16_t(2 + 2 * config_.groups.size()));
  e.u16(uint16_t(2 * config_.groups.size()));
  for (uint16_t g : config_.groups) e.u16(g);
  e.u16(kEcPointFormats);
  e.u16(2);
  e.u8(1);
  e.u8(0);
  std::vector<uint16_t> schemes = {kEcdsaSha256, kEcdsaSha384};
  if (crypto_.has_rsa()) schemes.insert(schemes.end(), {kRsaPssSha256, kRsaPkcs1Sha256, kRsaPkcs1Sha384});
  e.u16(kSignatureAlgorithms);
  e.u16(uint16_t(2 + 2 * schemes.size()));
  e.u16(uint16_t(2 * schemes.size()));
  for (uint16_t s : schemes) e.u16(s);
  e.u16(kExtendedMasterSecret);
  e.u16(0);
  e.u16(kRenegotiationInfo);
  e.u16(1);
  e.u8(0);
  if (config_.offer_srtp) {
    e.u16(kUseSrtp);
    e.u16(uint16_t(2 + 2 * std::size(kSrtpProfiles) + 1));
    e.u16(uint16_t(2 * std::size(kSrtpProfiles)));
    for (uint16_t p : kSrtpProfiles) e.u16(p);
    e.u8(0);  // no MKI
  }
  put_vec16(w, ByteView(ext));
  // RFC 6347 §4.2.1: the ClientHello and HelloVerifyRequest before the cookie are not in the transcript.
  transcript_.clear();
  flight_.clear();
  queue_handshake(kClientHello, std::move(body), 0);
  flush_flight(now);
}

bool DtlsEndpoint::on_server_hello(ByteView body) {
  ByteReader r(body);
  uint16_t version, chosen;
  uint8_t compression;
  ByteView random, session, ext;
  if (!r.u16(version) || !r.bytes(32, random) || !get_vec8(r, session) || !r.u16(chosen) || !r.u8(compression)) {
    fail(kDecodeError, "malformed ServerHello");
    return false;
  }
  if (version != kDtls12) {
    fail(kHandshakeFailure, "the server did not choose DTLS 1.2");
    return false;
  }
  std::memcpy(server_random_, random.data, 32);
  bool offered = std::find(config_.suites.begin(), config_.suites.end(), chosen) != config_.suites.end();
  if (!offered || compression != 0) {
    fail(kIllegalParameter, "the server chose a cipher suite or compression we did not offer");
    return false;
  }
  suite_ = chosen;
  if (r.remaining() >= 2 && get_vec16(r, ext)) {
    ByteReader er(ext);
    while (er.remaining() >= 4) {
      uint16_t t;
      ByteView v;
      if (!er.u16(t) || !get_vec16(er, v)) break;
      if (t == kExtendedMasterSecret) peer_ems_ = true;
      if (t == kUseSrtp) {
        // RFC 5764 §4.1.1: exactly one profile, one we offered.
        std::vector<uint16_t> chosen_profiles;
        bool ours = config_.offer_srtp && parse_use_srtp(v, chosen_profiles) && chosen_profiles.size() == 1 &&
                    std::find(std::begin(kSrtpProfiles), std::end(kSrtpProfiles), chosen_profiles[0]) != std::end(kSrtpProfiles);
        if (!ours) {
          fail(kIllegalParameter, "the server chose an SRTP profile we did not offer");
          return false;
        }
        srtp_profile_ = chosen_profiles[0];
      }
    }
  }
  if (config_.require_extended_master_secret && !peer_ems_) {
    fail(kHandshakeFailure, "the server does not support the extended master secret (RFC 7627), which is required");
    return false;
  }
  return true;
}

bool DtlsEndpoint::on_certificate(ByteView body) {
  ByteReader r(body);
  ByteView list, first;
  if (!get_vec24(r, list)) {
    fail(kDecodeError, "malformed Certificate");
    return false;
  }
  ByteReader lr(list);
  if (!get_vec24(lr, first) || first.size == 0) {
    fail(kBadCertificate, "the peer sent no certificate");
    return false;
  }
  peer_cert_der_ = first.to_vector();
  remote_fp_ = fingerprint_sha256(crypto_, first);
  if (config_.verify_fingerprint && !fingerprint_matches(config_.remote_fingerprint, remote_fp_)) {
    fail(kBadCertificate, "certificate fingerprint mismatch: SDP announced " + config_.remote_fingerprint +
                              ", the peer presented " + remote_fp_);
    return false;
  }
  got_peer_certificate_ = true;
  return true;
}

uint16_t DtlsEndpoint::pick_scheme(const std::vector<uint16_t>& offered) const {
  // We sign with ECDSA P-256 only.
  if (offered.empty() || std::find(offered.begin(), offered.end(), kEcdsaSha256) != offered.end()) return kEcdsaSha256;
  if (std::find(offered.begin(), offered.end(), kEcdsaSha384) != offered.end()) return kEcdsaSha384;
  return 0;
}

bool DtlsEndpoint::verify_peer_signature(uint16_t scheme, ByteView msg, ByteView sig) {
  asn1::CertificateKey key;
  if (!asn1::read_certificate_key(ByteView(peer_cert_der_), key)) return false;
  crypto::Hash h = (scheme >> 8) == 5 ? crypto::Hash::kSha384 : crypto::Hash::kSha256;
  if ((scheme & 0xFF) == 3) return key.is_ec_p256 && crypto_.ecdsa_p256_verify(ByteView(key.ec_point), h, msg, sig);
  if (scheme == kRsaPkcs1Sha256 || scheme == kRsaPkcs1Sha384) {
    return key.is_rsa && crypto_.rsa_verify(ByteView(key.spki_der), h, false, msg, sig);
  }
  if (scheme == kRsaPssSha256) return key.is_rsa && crypto_.rsa_verify(ByteView(key.spki_der), h, true, msg, sig);
  return false;
}

bool DtlsEndpoint::on_server_key_exchange(ByteView body) {
  ByteReader r(body);
  uint8_t curve_type;
  uint16_t named, scheme;
  ByteView point, sig;
  if (!r.u8(curve_type) || !r.u16(named) || !get_vec8(r, point)) {
    fail(kDecodeError, "malformed ServerKeyExchange");
    return false;
  }
  size_t params_len = r.position();
  if (!r.u16(scheme) || !get_vec16(r, sig)) {
    fail(kDecodeError, "malformed ServerKeyExchange signature");
    return false;
  }
  if (curve_type != 3 || std::find(config_.groups.begin(), config_.groups.end(), named) == config_.groups.end()) {
    fail(kIllegalParameter, "the server chose a group we did not offer");
    return false;
  }
  std::vector<uint8_t> signed_data(client_random_, client_random_ + 32);
  signed_data.insert(signed_data.end(), server_random_, server_random_ + 32);
  signed_data.insert(signed_data.end(), body.data, body.data + params_len);
  if (!got_peer_certificate_ || !verify_peer_signature(scheme, ByteView(signed_data), sig)) {
    fail(kDecryptError, "the ServerKeyExchange signature does not verify");
    return false;
  }
  group_ = named;
  peer_ecdh_pub_ = point.to_vector();
  return true;
}

bool DtlsEndpoint::on_certificate_request(ByteView body) {
  ByteReader r(body);
  ByteView types, algs;
  if (!get_vec8(r, types) || !get_vec16(r, algs)) {
    fail(kDecodeError, "malformed CertificateRequest");
    return false;
  }
  peer_sig_schemes_.clear();
  for (size_t i = 0; i + 1 < algs.size; i += 2) peer_sig_schemes_.push_back(load_be16(algs.data + i));
  cert_requested_ = true;
  return true;
}

void DtlsEndpoint::on_server_hello_done(Timestamp now) {
  if (group_ == 0 || peer_ecdh_pub_.empty()) {
    fail(kUnexpectedMessage, "ServerHelloDone before the key exchange");
    return;
  }
  crypto::Curve curve = group_ == group::kX25519 ? crypto::Curve::kX25519 : crypto::Curve::kP256;
  ecdh_priv_.assign(32, 0);
  ecdh_pub_.assign(crypto::curve_public_size(curve), 0);
  if (!crypto_.ecdh_generate(curve, ecdh_priv_.data(), ecdh_pub_.data())) {
    fail(kInternalError, "key generation failed");
    return;
  }
  flight_.clear();
  if (cert_requested_) {
    std::vector<uint8_t> body;
    ByteWriter w(body);
    w.u24(uint32_t(local_.der.size() + 3));
    put_vec24(w, ByteView(local_.der));
    queue_handshake(kCertificate, std::move(body), 0);
  }
  std::vector<uint8_t> cke;
  ByteWriter cw(cke);
  put_vec8(cw, ByteView(ecdh_pub_));
  queue_handshake(kClientKeyExchange, std::move(cke), 0);
  if (!derive_keys()) return;
  if (cert_requested_) {
    uint16_t scheme = pick_scheme(peer_sig_schemes_);
    std::vector<uint8_t> sig;
    crypto::Hash h = scheme == kEcdsaSha384 ? crypto::Hash::kSha384 : crypto::Hash::kSha256;
    if (!scheme || !crypto_.ecdsa_p256_sign(ByteView(local_.private_key, 32), h, ByteView(transcript_), sig)) {
      fail(kHandshakeFailure, "cannot sign CertificateVerify with an algorithm the server accepts");
      return;
    }
    std::vector<uint8_t> cv;
    ByteWriter vw(cv);
    vw.u16(scheme);
    put_vec16(vw, ByteView(sig));
    queue_handshake(kCertificateVerify, std::move(cv), 0);
  }
  queue_ccs();
  write_epoch_ = 1;
  queue_handshake(kFinished, finished_data(true), 1);
  rto_ = config_.initial_rto;
  retransmissions_ = 0;
  flush_flight(now);
}

// ------------------------------------------------------------------ server side

void DtlsEndpoint::on_client_hello(Timestamp now, uint16_t seq, ByteView body) {
  if (!master_.empty() || state_ != State::kHandshaking) return;
  ByteReader r(body);
  uint16_t version;
  ByteView random, session, cookie, suites, compression, ext;
  if (!r.u16(version) || !r.bytes(32, random) || !get_vec8(r, session) || !get_vec8(r, cookie) ||
      !get_vec16(r, suites) || !get_vec8(r, compression)) {
    fail(kDecodeError, "malformed ClientHello");
    return;
  }
  if (r.remaining() >= 2) get_vec16(r, ext);
  // Stateless cookie (§4.2.1): HMAC over the client's random; retransmitted hellos get the same cookie.
  uint8_t expected[32];
  crypto_.hmac(crypto::Hash::kSha256, ByteView(cookie_secret_, 32), random, expected);
  if (config_.server_cookie && !(cookie.size == 32 && std::memcmp(cookie.data, expected, 32) == 0)) {
    std::vector<uint8_t> hvr;
    ByteWriter w(hvr);
    w.u16(kDtls12);
    put_vec8(w, ByteView(expected, 32));
    // The HelloVerifyRequest is stateless: sent once per ClientHello, never retransmitted.
    std::vector<uint8_t> dg, frag;
    ByteWriter fw(frag);
    fw.u8(kHelloVerifyRequest);
    fw.u24(uint32_t(hvr.size()));
    fw.u16(seq);
    fw.u24(0);
    fw.u24(uint32_t(hvr.size()));
    fw.bytes(ByteView(hvr));
    write_record_header(dg, kHandshake, 0, write_seq_[0]++, uint16_t(frag.size()));
    dg.insert(dg.end(), frag.begin(), frag.end());
    out_.push_back(std::move(dg));
    return;
  }
  // DTLS versions count down (1.0 = 0xFEFF, 1.2 = 0xFEFD): a client must offer 1.2 or later.
  if (version > kDtls12) {
    fail(kHandshakeFailure, "the client does not offer DTLS 1.2");
    return;
  }
  if (suite_ != 0 && std::memcmp(random.data, client_random_, 32) == 0) {
    flush_flight(now);  // a retransmitted ClientHello: our flight 4 was lost, resend it unchanged
    return;
  }
  std::memcpy(client_random_, random.data, 32);
  // Our preference order, first offered wins; we hold an ECDSA certificate.
  suite_ = 0;
  for (uint16_t s : config_.suites) {
    if (!is_ecdsa_suite(s)) continue;
    for (size_t i = 0; i + 1 < suites.size; i += 2) {
      if (load_be16(suites.data + i) == s && !suite_) suite_ = s;
    }
  }
  std::vector<uint16_t> client_groups;
  bool ems = false;
  ByteReader er(ext);
  while (er.remaining() >= 4) {
    uint16_t t;
    ByteView v;
    if (!er.u16(t) || !get_vec16(er, v)) break;
    if (t == kExtendedMasterSecret) ems = true;
    if (t == kSupportedGroups && v.size >= 2) {
      for (size_t i = 2; i + 1 < v.size; i += 2) client_groups.push_back(load_be16(v.data + i));
    }
    if (t == kUseSrtp) {
      std::vector<uint16_t> offered;
      srtp_profile_ = 0;
      if (parse_use_srtp(v, offered)) {
        for (uint16_t p : kSrtpProfiles) {
          if (!srtp_profile_ && std::find(offered.begin(), offered.end(), p) != offered.end()) srtp_profile_ = p;
        }
      }
    }
    if (t == kSignatureAlgorithms && v.size >= 2) {
      peer_sig_schemes_.clear();
      for (size_t i = 2; i + 1 < v.size; i += 2) peer_sig_schemes_.push_back(load_be16(v.data + i));
    }
  }
  group_ = 0;
  for (uint16_t g : config_.groups) {
    if (!group_ && std::find(client_groups.begin(), client_groups.end(), g) != client_groups.end()) group_ = g;
  }
  if (!suite_ || !group_) {
    fail(kHandshakeFailure, "no common cipher suite or group with the client");
    return;
  }
  if (config_.require_extended_master_secret && !ems) {
    fail(kHandshakeFailure, "the client does not offer the extended master secret (RFC 7627), which is required");
    return;
  }
  peer_ems_ = ems;
  uint16_t scheme = pick_scheme(peer_sig_schemes_);
  if (!scheme) {
    fail(kHandshakeFailure, "the client accepts no signature algorithm we can produce");
    return;
  }
  // From here on the handshake is stateful: the transcript starts with this ClientHello.
  transcript_.clear();
  next_recv_seq_ = uint16_t(seq + 1);
  next_send_seq_ = seq;
  add_transcript(kClientHello, seq, body);
  crypto_.random(server_random_, 32);

  flight_.clear();
  std::vector<uint8_t> sh;
  ByteWriter w(sh);
  w.u16(kDtls12);
  w.bytes(server_random_, 32);
  w.u8(0);
  w.u16(suite_);
  w.u8(0);
  std::vector<uint8_t> sext;
  ByteWriter e(sext);
  e.u16(kExtendedMasterSecret);
  e.u16(0);
  e.u16(kRenegotiationInfo);
  e.u16(1);
  e.u8(0);
  e.u16(kEcPointFormats);
  e.u16(2);
  e.u8(1);
  e.u8(0);
  if (srtp_profile_) {
    e.u16(kUseSrtp);
    e.u16(5);
    e.u16(2);
    e.u16(srtp_profile_);
    e.u8(0);  // we use no MKI (RFC 5764 §4.1.1: the server echoes its own choice)
  }
  put_vec16(w, ByteView(sext));
  queue_handshake(kServerHello, std::move(sh), 0);

  std::vector<uint8_t> cert;
  ByteWriter cw(cert);
  cw.u24(uint32_t(local_.der.size() + 3));
  put_vec24(cw, ByteView(local_.der));
  queue_handshake(kCertificate, std::move(cert), 0);

  crypto::Curve curve = group_ == group::kX25519 ? crypto::Curve::kX25519 : crypto::Curve::kP256;
  ecdh_priv_.assign(32, 0);
  ecdh_pub_.assign(crypto::curve_public_size(curve), 0);
  if (!crypto_.ecdh_generate(curve, ecdh_priv_.data(), ecdh_pub_.data())) {
    fail(kInternalError, "key generation failed");
    return;
  }
  std::vector<uint8_t> params;
  ByteWriter pw(params);
  pw.u8(3);  // named_curve
  pw.u16(group_);
  put_vec8(pw, ByteView(ecdh_pub_));
  std::vector<uint8_t> signed_data(client_random_, client_random_ + 32);
  signed_data.insert(signed_data.end(), server_random_, server_random_ + 32);
  signed_data.insert(signed_data.end(), params.begin(), params.end());
  std::vector<uint8_t> sig;
  crypto::Hash h = scheme == kEcdsaSha384 ? crypto::Hash::kSha384 : crypto::Hash::kSha256;
  if (!crypto_.ecdsa_p256_sign(ByteView(local_.private_key, 32), h, ByteView(signed_data), sig)) {
    fail(kInternalError, "signing the key exchange failed");
    return;
  }
  std::vector<uint8_t> ske = params;
  ByteWriter kw(ske);
  kw.u16(scheme);
  put_vec16(kw, ByteView(sig));
  queue_handshake(kServerKeyExchange, std::move(ske), 0);

  // WebRTC authenticates both sides: ask for the client's certificate.
  std::vector<uint8_t> cr;
  ByteWriter rw(cr);
  rw.u8(2);
  rw.u8(64);  // ecdsa_sign
  rw.u8(1);   // rsa_sign
  std::vector<uint16_t> accept = {kEcdsaSha256, kEcdsaSha384};
  if (crypto_.has_rsa()) accept.insert(accept.end(), {kRsaPssSha256, kRsaPkcs1Sha256, kRsaPkcs1Sha384});
  rw.u16(uint16_t(2 * accept.size()));
  for (uint16_t s : accept) rw.u16(s);
  rw.u16(0);  // no certificate authorities
  queue_handshake(kCertificateRequest, std::move(cr), 0);
  queue_handshake(kServerHelloDone, {}, 0);
  rto_ = config_.initial_rto;
  retransmissions_ = 0;
  flush_flight(now);
}

bool DtlsEndpoint::on_client_key_exchange(ByteView body) {
  ByteReader r(body);
  ByteView point;
  if (!get_vec8(r, point)) {
    fail(kDecodeError, "malformed ClientKeyExchange");
    return false;
  }
  peer_ecdh_pub_ = point.to_vector();
  if (!derive_keys()) return false;
  flight_.clear();  // the client answered flight 4
  retransmit_at_ = kNever;
  return true;
}

bool DtlsEndpoint::on_certificate_verify(ByteView body) {
  ByteReader r(body);
  uint16_t scheme;
  ByteView sig;
  if (!r.u16(scheme) || !get_vec16(r, sig)) {
    fail(kDecodeError, "malformed CertificateVerify");
    return false;
  }
  if (!got_peer_certificate_ || !verify_peer_signature(scheme, ByteView(transcript_), sig)) {
    fail(kDecryptError, "the client's CertificateVerify does not verify");
    return false;
  }
  return true;
}

// ------------------------------------------------------------------ keys

crypto::Hash DtlsEndpoint::suite_hash() const {
  return is_sha384_suite(suite_) ? crypto::Hash::kSha384 : crypto::Hash::kSha256;
}

std::vector<uint8_t> DtlsEndpoint::transcript_hash(crypto::Hash h) const {
  std::vector<uint8_t> out(crypto::hash_size(h));
  crypto_.digest(h, ByteView(transcript_), out.data());
  return out;
}

void DtlsEndpoint::log_connected() const {
  if (!log_enabled(LogLayer::kDtls, LogLevel::kInfo)) return;
  log_message(LogLayer::kDtls, LogLevel::kInfo, std::string("DTLS: connected as ") + (config_.role == Role::kClient ? "client" : "server") +
              ", suite 0x" + [](uint16_t v) { static const char* h = "0123456789abcdef"; return std::string{h[v >> 12], h[(v >> 8) & 15], h[(v >> 4) & 15], h[v & 15]}; }(suite_) +
              ", group " + std::to_string(group_) + ", " + std::to_string(retransmissions_) + " retransmissions");
}

bool DtlsEndpoint::derive_keys() {
  crypto::Curve curve = group_ == group::kX25519 ? crypto::Curve::kX25519 : crypto::Curve::kP256;
  uint8_t pms[32];
  if (!crypto_.ecdh_shared(curve, ByteView(ecdh_priv_), ByteView(peer_ecdh_pub_), pms)) {
    fail(kIllegalParameter, "invalid ECDH public key from the peer");
    return false;
  }
  crypto::Hash h = suite_hash();
  if (peer_ems_) {
    // RFC 7627 §4: master_secret = PRF(pms, "extended master secret", session_hash), hash up to ClientKeyExchange.
    auto session_hash = transcript_hash(h);
    prf(crypto_, h, ByteView(pms, 32), "extended master secret", ByteView(session_hash), 48, master_);
  } else {
    std::vector<uint8_t> seed(client_random_, client_random_ + 32);
    seed.insert(seed.end(), server_random_, server_random_ + 32);
    prf(crypto_, h, ByteView(pms, 32), "master secret", ByteView(seed), 48, master_);
  }
  std::memset(pms, 0, sizeof pms);
  if (keylog_enabled()) {
    // NSS key log format: Wireshark decrypts the DTLS records (and shows SCTP and DCEP inside) with it.
    static const char* kHex = "0123456789abcdef";
    std::string line = "CLIENT_RANDOM ";
    for (uint8_t b : client_random_) line += {kHex[b >> 4], kHex[b & 15]};
    line += ' ';
    for (uint8_t b : master_) line += {kHex[b >> 4], kHex[b & 15]};
    keylog_line(line);
  }
  size_t key_len = suite_ == suite::kEcdheEcdsaAes128GcmSha256 || suite_ == suite::kEcdheRsaAes128GcmSha256 ? 16 : 32;
  std::vector<uint8_t> seed(server_random_, server_random_ + 32);
  seed.insert(seed.end(), client_random_, client_random_ + 32);
  std::vector<uint8_t> kb;
  prf(crypto_, h, ByteView(master_), "key expansion", ByteView(seed), 2 * key_len + 8, kb);
  ByteView client_key(kb.data(), key_len), server_key(kb.data() + key_len, key_len);
  ByteView client_iv(kb.data() + 2 * key_len, 4), server_iv(kb.data() + 2 * key_len + 4, 4);
  crypto::Aead alg = key_len == 16 ? crypto::Aead::kAes128Gcm : crypto::Aead::kAes256Gcm;
  bool client = config_.role == Role::kClient;
  write_cipher_ = RecordCipher(&crypto_, alg, client ? client_key : server_key, client ? client_iv : server_iv);
  read_cipher_ = RecordCipher(&crypto_, alg, client ? server_key : client_key, client ? server_iv : client_iv);
  if (!write_cipher_.valid() || !read_cipher_.valid()) {
    fail(kInternalError, "the crypto provider refused the record keys");
    return false;
  }
  return true;
}

std::vector<uint8_t> DtlsEndpoint::finished_data(bool from_client) {
  std::vector<uint8_t> out;
  auto hash = transcript_hash(suite_hash());
  prf(crypto_, suite_hash(), ByteView(master_), from_client ? "client finished" : "server finished", ByteView(hash),
      12, out);
  return out;
}

bool DtlsEndpoint::on_finished(Timestamp now, ByteView body) {
  (void)now;
  auto expected = finished_data(config_.role == Role::kServer);
  if (body.size != expected.size() || std::memcmp(body.data, expected.data(), expected.size()) != 0) {
    fail(kDecryptError, "the peer's Finished does not verify");
    return false;
  }
  return true;
}

bool DtlsEndpoint::export_keying_material(std::string_view label, size_t length, std::vector<uint8_t>& out) {
  if (state_ != State::kConnected) return false;
  // RFC 5705 §4 without a context value.
  std::vector<uint8_t> seed(client_random_, client_random_ + 32);
  seed.insert(seed.end(), server_random_, server_random_ + 32);
  return prf(crypto_, suite_hash(), ByteView(master_), label, ByteView(seed), length, out);
}

}  // namespace wasmrtc::dtls
