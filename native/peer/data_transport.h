// The data path of a peer connection once ICE has a route: DTLS (RFC 8261)
// carrying one SCTP association carrying data channels (RFC 8831/8832).
// Sans-IO: datagrams of the selected ICE pair in and out, time, commands.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/fifo.h"
#include "common/time.h"
#include "crypto/provider.h"
#include "dcep/data_channel_manager.h"
#include "dtls/dtls_endpoint.h"
#include "sctp/socket/sctp_association.h"

namespace wasmrtc::peer {

struct TransportEvent {
  enum class Type : uint8_t { kConnected, kFailed, kClosed, kChannel };
  Type type;
  std::string reason;
  dcep::ChannelEvent channel;  // kChannel
};

class DataTransport {
 public:
  // dtls_client follows the SDP a=setup negotiation (RFC 8842); the remote fingerprint comes from its SDP.
  DataTransport(crypto::Provider& crypto, const dtls::Certificate& local, bool dtls_client,
                std::string remote_fingerprint, uint32_t remote_max_message_size = 65536,
                uint32_t receive_window = 1024 * 1024);
  ~DataTransport();

  // Once ICE has selected a pair; `path_rtt` (0: unknown) sets DTLS's first retransmission timer.
  void start(Timestamp now, Duration path_rtt = 0);
  // ICE moved to a new pair (after a restart): SCTP starts over on it at once (sctp path_changed).
  void path_changed(Timestamp now, Duration path_rtt);
  void handle_datagram(Timestamp now, ByteView datagram);
  void handle_timeout(Timestamp now);
  bool poll_datagram(std::vector<uint8_t>& out);
  bool poll_event(TransportEvent& out);
  Timestamp next_deadline() const;
  void close(Timestamp now);

  uint32_t create_channel(Timestamp now, const dcep::ChannelOptions& options);
  sctp::SendResult send(Timestamp now, uint32_t channel, ByteView data, bool is_string);
  void close_channel(Timestamp now, uint32_t channel);
  dcep::DataChannelManager& channels() { return *channels_; }
  size_t buffered_amount() const { return sctp_->buffered_amount(); }
  size_t channel_buffered_amount(uint32_t channel) const;
  void set_channel_low_threshold(uint32_t channel, size_t bytes);
  // The application read `bytes` of delivered messages (the SCTP receive window reopens).
  void consume(Timestamp now, size_t bytes);
  bool connected() const { return connected_; }
  // SCTP packets to the peer carry a zero checksum (RFC 9653 with DTLS as the method, RFC 8261):
  // the peer's INIT or INIT-ACK accepted it. Known once connected.
  bool zero_checksum() const { return sctp_->zero_checksum(); }

 private:
  void pump(Timestamp now);

  crypto::Provider& crypto_;
  std::unique_ptr<dtls::DtlsEndpoint> dtls_;
  std::unique_ptr<sctp::SctpAssociation> sctp_;
  std::unique_ptr<dcep::DataChannelManager> channels_;
  uint32_t remote_max_message_size_;
  bool connected_ = false;
  bool finished_ = false;
  Fifo<std::vector<uint8_t>> out_;
  Fifo<TransportEvent> events_;
};

}  // namespace wasmrtc::peer
