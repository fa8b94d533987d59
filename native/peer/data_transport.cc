#include "peer/data_transport.h"

#include <algorithm>

namespace wasmrtc::peer {

DataTransport::DataTransport(crypto::Provider& crypto, const dtls::Certificate& local, bool dtls_client,
                             std::string remote_fingerprint, uint32_t remote_max_message_size,
                             uint32_t receive_window)
    : crypto_(crypto), remote_max_message_size_(remote_max_message_size) {
  dtls::DtlsConfig dc;
  dc.role = dtls_client ? dtls::Role::kClient : dtls::Role::kServer;
  dc.remote_fingerprint = std::move(remote_fingerprint);
  // RFC 6347 §4.2.1's cookie proves the client can receive at its address; ICE connectivity checks
  // (RFC 8445, consent per RFC 7675) proved that already, so the exchange would only cost a round trip.
  dc.server_cookie = false;
  dtls_ = std::make_unique<dtls::DtlsEndpoint>(crypto_, dc, local);
  sctp::SctpConfig sc;
  // DESIGN: a message up to the remote's max-message-size is accepted; larger ones are refused, never cut.
  sc.max_message_size = remote_max_message_size_ ? remote_max_message_size_ : 65536;
  sc.receive_window = receive_window;
  sc.zero_checksum_edmid = 1;  // RFC 9653 §10: SCTP over DTLS; DTLS's AEAD already protects every packet
  // DESIGN: what the application has not read yet stays in the advertised window (a slow reader slows the sender).
  sc.app_owns_delivered = true;
  sctp_ = std::make_unique<sctp::SctpAssociation>(crypto_, sc);
  channels_ = std::make_unique<dcep::DataChannelManager>(*sctp_, dtls_client);
}

DataTransport::~DataTransport() = default;

void DataTransport::start(Timestamp now, Duration path_rtt) {
  // RFC 6347 §4.2.4.1 asks for 1 s when nothing is known; ICE measured the path, so (as libwebrtc does)
  // twice its RTT, 50 ms .. 1 s: a first flight the peer was not ready for is resent in time.
  if (path_rtt > 0) dtls_->set_initial_rto(std::clamp<Duration>(2 * path_rtt, ms(50), seconds(1)));
  dtls_->start(now);
  pump(now);
}

void DataTransport::path_changed(Timestamp now, Duration path_rtt) {
  sctp_->path_changed(now, path_rtt);
  pump(now);
}

void DataTransport::handle_datagram(Timestamp now, ByteView datagram) {
  dtls_->handle_datagram(now, datagram);
  pump(now);
}

void DataTransport::handle_timeout(Timestamp now) {
  dtls_->handle_timeout(now);
  sctp_->handle_timeout(now);
  pump(now);
}

Timestamp DataTransport::next_deadline() const {
  return std::min(dtls_->next_deadline(), sctp_->next_deadline());
}

void DataTransport::pump(Timestamp now) {
  for (int round = 0; round < 64; ++round) {
    bool progress = false;
    dtls::DtlsEvent de;
    while (dtls_->poll_event(de)) {
      progress = true;
      switch (de.type) {
        case dtls::DtlsEvent::Type::kConnected:
          // Both ends open the association at once (RFC 8841 §6; SCTP handles the simultaneous open).
          sctp_->connect(now);
          break;
        case dtls::DtlsEvent::Type::kData:
          sctp_->handle_packet(now, ByteView(de.data));
          break;
        case dtls::DtlsEvent::Type::kClosed:
          if (!finished_) events_.push_back({TransportEvent::Type::kClosed, de.reason, {}});
          finished_ = true;
          break;
        case dtls::DtlsEvent::Type::kFailed:
          if (!finished_) events_.push_back({TransportEvent::Type::kFailed, "DTLS: " + de.reason, {}});
          finished_ = true;
          break;
      }
    }
    sctp::SctpEvent se;
    while (sctp_->poll_event(se)) {
      progress = true;
      if (se.type == sctp::SctpEvent::Type::kConnected && !connected_) {
        connected_ = true;
        events_.push_back({TransportEvent::Type::kConnected, {}, {}});
      } else if (se.type == sctp::SctpEvent::Type::kAborted && !finished_) {
        // An ABORT from the peer is how WebRTC stacks close a connection; anything else is a failure.
        events_.push_back({se.by_peer ? TransportEvent::Type::kClosed : TransportEvent::Type::kFailed,
                           "SCTP: " + se.reason, {}});
        finished_ = true;
      } else if (se.type == sctp::SctpEvent::Type::kClosed && !finished_) {
        events_.push_back({TransportEvent::Type::kClosed, "SCTP: " + se.reason, {}});
        finished_ = true;
      }
      channels_->handle(now, std::move(se));  // a message's bytes move on, not copied
    }
    dcep::ChannelEvent ce;
    while (channels_->poll_event(ce)) {
      progress = true;
      TransportEvent te{TransportEvent::Type::kChannel, {}, {}};
      te.channel = std::move(ce);
      events_.push_back(std::move(te));
    }
    std::vector<uint8_t> pkt;
    while (sctp_->poll_transmit(pkt)) {
      progress = true;
      dtls_->send(ByteView(pkt));  // RFC 8261: one SCTP packet per DTLS record
    }
    while (dtls_->poll_datagram(pkt)) out_.push_back(std::move(pkt));
    if (!progress) break;
  }
}

bool DataTransport::poll_datagram(std::vector<uint8_t>& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

bool DataTransport::poll_event(TransportEvent& out) {
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

uint32_t DataTransport::create_channel(Timestamp now, const dcep::ChannelOptions& options) {
  uint32_t h = channels_->create(now, options);
  pump(now);
  return h;
}

sctp::SendResult DataTransport::send(Timestamp now, uint32_t channel, ByteView data, bool is_string) {
  auto r = channels_->send(now, channel, data, is_string);
  pump(now);
  return r;
}

void DataTransport::close_channel(Timestamp now, uint32_t channel) {
  channels_->close(now, channel);
  pump(now);
}

size_t DataTransport::channel_buffered_amount(uint32_t channel) const {
  return channels_->buffered_amount(channel);
}

void DataTransport::set_channel_low_threshold(uint32_t channel, size_t bytes) {
  channels_->set_buffered_amount_low_threshold(channel, bytes);
}

void DataTransport::consume(Timestamp now, size_t bytes) {
  channels_->consume(now, bytes);
  pump(now);
}

void DataTransport::close(Timestamp now) {
  if (connected_) {
    sctp_->abort("closed");
    pump(now);  // the ABORT goes into a DTLS record before close_notify
  }
  dtls_->close();
  pump(now);
  finished_ = true;
}

}  // namespace wasmrtc::peer
