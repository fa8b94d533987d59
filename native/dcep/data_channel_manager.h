// Data channels on one SCTP association (RFC 8831, RFC 8832): stream ids by
// DTLS role (client even, server odd), in-band DATA_CHANNEL_OPEN/ACK,
// negotiated channels, PPIDs for string/binary/empty, the channel's
// reliability as per-message SCTP options, and close by stream reset.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/time.h"
#include "dcep/dcep_message.h"
#include "sctp/socket/sctp_association.h"

namespace wasmrtc::dcep {

struct ChannelOptions {
  std::string label;
  std::string protocol;
  bool ordered = true;
  int max_retransmits = -1;   // -1: not set
  int max_lifetime_ms = -1;   // -1: not set
  bool negotiated = false;
  int id = -1;                // required when negotiated
  uint16_t priority = 256;
};

enum class ChannelState : uint8_t { kConnecting, kOpen, kClosing, kClosed };

struct ChannelEvent {
  // kClosing: the channel started closing (our close() or the peer's stream reset); kClosed follows.
  // kBufferedAmountLow: buffered_amount(channel) fell to at most the channel's threshold.
  enum class Type : uint8_t { kOpen, kRemoteCreated, kMessage, kClosed, kBufferedAmountLow, kClosing };
  Type type;
  uint32_t channel = 0;   // handle (not the stream id, which may be assigned later)
  std::vector<uint8_t> data;
  bool is_string = false;
};

class DataChannelManager {
 public:
  static constexpr uint32_t kNoChannel = 0;

  DataChannelManager(sctp::SctpAssociation& association, bool dtls_client);

  // A handle > 0, or kNoChannel when the options are invalid (or a negotiated id is taken).
  uint32_t create(Timestamp now, const ChannelOptions& options);
  // Call once the association is up (and after create() calls made before that).
  void on_association_up(Timestamp now);
  // Feed every SCTP event here; the ones that belong to channels become channel events.
  void handle(Timestamp now, sctp::SctpEvent&& event);  // a message's bytes are moved into its channel event
  void handle(Timestamp now, const sctp::SctpEvent& event) { handle(now, sctp::SctpEvent(event)); }

  sctp::SendResult send(Timestamp now, uint32_t channel, ByteView data, bool is_string);
  void close(Timestamp now, uint32_t channel);

  // The application read `bytes` of received messages (data.size() of kMessage events): the
  // SCTP receive window opens by that much (SctpConfig::app_owns_delivered). DCEP messages and
  // the placeholder byte of empty messages never reach the application; they are consumed here.
  void consume(Timestamp now, size_t bytes);
  // Bytes of application messages on the channel not yet handed to SCTP packets.
  size_t buffered_amount(uint32_t channel) const;
  // kBufferedAmountLow fires on every fall from above `bytes` to at most it (default 0).
  void set_buffered_amount_low_threshold(uint32_t channel, size_t bytes);

  bool poll_event(ChannelEvent& out);
  ChannelState state(uint32_t channel) const;
  int stream_id(uint32_t channel) const;  // -1 until assigned
  const ChannelOptions* options(uint32_t channel) const;

 private:
  struct Channel {
    ChannelOptions options;
    int stream = -1;
    ChannelState state = ChannelState::kConnecting;
    bool local_reset_done = false;
    bool remote_reset_done = false;
    bool app_sent = false;       // the application sent on it (DCEP OPEN/ACK alone is not its buffer)
    size_t low_threshold = 0;
  };
  void start_closing(uint32_t handle, Channel& c);
  void bind_stream(Channel& c);
  bool assign_stream(Channel& c);
  void send_open(Timestamp now, Channel& c);
  uint32_t by_stream(uint16_t stream) const;
  sctp::SendOptions send_options(const Channel& c) const;

  sctp::SctpAssociation& assoc_;
  bool dtls_client_;
  bool up_ = false;
  uint32_t next_handle_ = 1;
  std::map<uint32_t, Channel> channels_;
  std::deque<ChannelEvent> events_;
};

}  // namespace wasmrtc::dcep
