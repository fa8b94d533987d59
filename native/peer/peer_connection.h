// A WebRTC peer connection for data channels, sans-IO: signaling (JSEP offer /
// answer for one m=application section, RFC 9429 / 8841), one ICE agent, and
// once ICE has a route the data transport (DTLS → SCTP → data channels).
//
// The endpoint that hosts it routes datagrams to agent() and then calls
// process(); the peer turns what the agent produced into its own events and
// feeds DTLS. States and enums use Godot's numbers so they cross unchanged.
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
#include "dcep/data_channel_manager.h"
#include "dtls/certificate.h"
#include "ice/ice_agent.h"
#include "peer/data_transport.h"
#include "sdp/session_description.h"

namespace wasmrtc::peer {

enum class SignalingState : uint8_t {
  kStable = 0, kHaveLocalOffer = 1, kHaveRemoteOffer = 2, kHaveLocalPranswer = 3, kHaveRemotePranswer = 4, kClosed = 5,
};
enum class ConnectionState : uint8_t {
  kNew = 0, kConnecting = 1, kConnected = 2, kDisconnected = 3, kFailed = 4, kClosed = 5,
};
enum class DescriptionType : uint8_t { kOffer = 0, kAnswer = 1, kPranswer = 2, kRollback = 3 };

struct PeerConfig {
  ice::IceConfig ice;
  uint32_t max_message_size = 262144;  // what we advertise (a=max-message-size)
  uint32_t receive_window = 1024 * 1024;
  size_t max_early_candidates = 100;   // remote candidates kept until the remote description
  size_t max_early_datagrams = 32;     // DTLS that arrives before the remote description
  // The host binds its sockets asynchronously: gathering waits for release_gathering() (candidates then trickle).
  bool defer_gathering = false;
};

struct PeerEvent {
  enum class Type : uint8_t {
    kLocalDescription,  // code = DescriptionType, text = SDP
    kLocalCandidate,    // text = "candidate:...", mid, mline_index
    kGatheringState,    // code = ice::GatheringState
    kSignalingState,    // code = SignalingState
    kConnectionState,   // code = ConnectionState, text = reason
    kChannelOpen,       // channel, stream
    kChannelReceived,   // channel, stream, options (an in-band channel the remote opened)
    kChannelMessage,    // channel, data, is_string
    kChannelClosing,    // channel
    kChannelClosed,     // channel
    kBufferedAmountLow, // channel
    kResolve,           // text = a host name (".local") to resolve; answer with resolved()
  };
  PeerEvent(Type t = Type::kLocalDescription) : type(t) {}  // NOLINT: implicit for brace init
  Type type;
  uint8_t code = 0;
  uint32_t channel = 0;
  int stream = -1;
  std::string text;
  std::string mid;
  uint16_t mline_index = 0;
  std::vector<uint8_t> data;
  bool is_string = false;
  dcep::ChannelOptions options;  // kChannelReceived
};

class PeerConnection {
 public:
  PeerConnection(crypto::Provider& crypto, const dtls::Certificate& certificate, PeerConfig config, Timestamp now);
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  ice::IceAgent& agent() { return *agent_; }

  // --- signaling. False (with last_error()) when refused; nothing changes then.
  bool create_offer(Timestamp now);
  bool set_remote_description(Timestamp now, DescriptionType type, const std::string& sdp);
  // 0 added (or kept until the remote description), -2 malformed, -3 not usable (TCP, limit, ...).
  int add_remote_candidate(Timestamp now, const std::string& mid, const std::string& line);
  void resolved(Timestamp now, const std::string& hostname, const SocketAddress& ip);
  // The host candidates are in: gathering may start (at once if an offer/answer already asked for it).
  void release_gathering(Timestamp now);
  const std::string& last_error() const { return error_; }
  // W3C restartIce(): the next offer restarts ICE (RFC 8445 §9) even while connected. An offer made
  // while the connection is disconnected restarts ICE by itself (the Godot way to recover).
  void restart_ice() { restart_wanted_ = !closed_; }
  // Completed ICE restarts (either side's).
  uint32_t ice_restarts() const { return agent_->restarts(); }

  // --- channels (handles > 0; 0 when refused)
  uint32_t create_channel(Timestamp now, const dcep::ChannelOptions& options);
  sctp::SendResult send(Timestamp now, uint32_t channel, ByteView data, bool is_string);
  void close_channel(Timestamp now, uint32_t channel);
  size_t buffered_amount(uint32_t channel) const;
  void set_buffered_amount_low_threshold(uint32_t channel, size_t bytes);
  // The application read `bytes` of delivered messages: the receive window opens again.
  void consume(Timestamp now, size_t bytes);
  uint32_t remote_max_message_size() const { return remote_max_message_size_; }

  // --- driving
  void process(Timestamp now);  // after the host gave the agent input
  void handle_timeout(Timestamp now);
  Timestamp next_deadline() const;
  bool poll_transmit(ice::IceTransmit& out);
  bool poll_event(PeerEvent& out);
  // Synchronous and final: the SCTP ABORT and DTLS close_notify go out, then nothing more.
  void close(Timestamp now);

  SignalingState signaling_state() const { return signaling_; }
  ConnectionState connection_state() const { return connection_; }
  const std::string& local_description() const { return local_sdp_; }

 private:
  struct Channel {
    dcep::ChannelOptions options;
    uint32_t inner = 0;  // handle in the transport's channel manager, once it exists
    size_t low_threshold = 0;
  };

  bool fail(std::string why);
  sdp::SessionDescription describe_local(sdp::Setup setup, const std::string& mid, uint32_t mline_index) const;
  bool apply_remote(Timestamp now, const sdp::SessionDescription& remote);
  void apply_candidates(Timestamp now, const sdp::SessionDescription& remote);
  // Renegotiation (JSEP §5.2.2, §5.3.2) of the established session: the same section, certificate and
  // DTLS role; new ICE credentials mean an ICE restart. False (with the reason) when it cannot be applied.
  bool check_subsequent(const sdp::SessionDescription& remote, bool offer);
  bool create_subsequent_offer(Timestamp now);
  bool apply_subsequent_offer(Timestamp now, const sdp::SessionDescription& remote);
  bool apply_subsequent_answer(Timestamp now, const sdp::SessionDescription& remote);
  void emit_local_description(DescriptionType type);
  void describe_again(DescriptionType type);  // a new description of the established session
  void drop_subsequent_offer();               // rollback or glare: back to stable, nothing else changes
  void emit_gathering();
  void make_transport(Timestamp now, bool dtls_client);
  void set_signaling(SignalingState s);
  void set_connection(ConnectionState s, std::string reason = {});
  void drain_agent(Timestamp now);
  void drain_transport(Timestamp now);
  void flush_to_agent();
  uint32_t outer_of(uint32_t inner) const;
  void emit(PeerEvent e) { events_.push_back(std::move(e)); }
  void start_gathering(Timestamp now);

  crypto::Provider& crypto_;
  const dtls::Certificate& certificate_;
  PeerConfig config_;
  std::unique_ptr<ice::IceAgent> agent_;
  std::unique_ptr<DataTransport> transport_;
  bool transport_started_ = false;
  bool gathering_held_ = false;
  bool gathering_wanted_ = false;
  bool closed_ = false;
  bool have_local_ = false;
  bool have_remote_ = false;
  bool offerer_ = false;
  bool dtls_client_ = false;
  bool restart_wanted_ = false;   // restart_ice() was called: the next offer restarts
  bool offered_restart_ = false;  // our pending offer restarts ICE
  uint64_t session_version_ = 2;
  uint32_t path_generation_ = 0;  // the ICE restart whose new pair SCTP was told about
  std::string mid_ = "0";
  uint16_t mline_index_ = 0;
  std::string local_sdp_;
  uint64_t session_id_ = 0;
  uint32_t remote_max_message_size_ = 65536;
  std::string remote_fingerprint_;
  SignalingState signaling_ = SignalingState::kStable;
  ConnectionState connection_ = ConnectionState::kNew;
  std::vector<std::string> early_candidates_;
  std::vector<std::vector<uint8_t>> early_datagrams_;
  Fifo<std::vector<uint8_t>> to_agent_;  // DTLS datagrams waiting for a selected pair
  std::map<uint32_t, Channel> channels_;
  std::map<uint32_t, uint32_t> inner_to_outer_;
  uint32_t next_channel_ = 1;
  Fifo<PeerEvent> events_;
  Fifo<ice::IceTransmit> last_words_;  // ABORT and close_notify, kept across the agent's close
  std::string error_;
};

const char* to_string(ConnectionState s);

}  // namespace wasmrtc::peer
