// An Endpoint is the object the outside world talks to: it owns the local
// sockets' traffic (by index), hosts the connections that share them, and
// turns datagrams, time and commands into transmits, events and one deadline.
//
// Today it serves STUN: it answers Binding requests (RFC 8489 §6.3) when
// configured as a server and runs Binding client transactions. Peer
// connections (ICE/DTLS/SCTP) will be hosted here, demultiplexed per RFC 7983
// and by ICE username fragment.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/fifo.h"
#include "common/socket_address.h"
#include "common/time.h"
#include "crypto/provider.h"
#include "dtls/dtls_endpoint.h"
#include "ice/ice_agent.h"
#include "peer/peer_connection.h"
#include "stun/client_transaction.h"
#include <set>
#include <unordered_map>

namespace wasmrtc {

struct EndpointConfig {
  bool answer_stun = false;
  std::string software = "wasmrtc";
  Duration stun_rto = ms(500);
  size_t max_client_transactions = 64;
  size_t max_queued_transmits = 4096;
  size_t max_agents = 4096;
  size_t max_peers = 16384;
  // Peer connections use one DTLS certificate per process (as libdatachannel does), unless the
  // endpoint asks for its own (then the connections of different endpoints cannot be linked by it).
  bool own_certificate = false;

  // Parses "key=value" lines; unknown keys and bad values are rejected.
  static bool parse(std::string_view text, EndpointConfig& out);
};

// "key=value" lines for an ICE agent: controlling, ufrag, pwd, relay_only,
// ta_ms, consent_ms, disconnected_ms, failed_ms, checking_timeout_ms.
bool parse_ice_config(std::string_view text, ice::IceConfig& out);

// "key=value" lines for a DTLS session: role, remote_fingerprint, verify_fingerprint,
// require_ems, cookie, mtu, rto_ms.
bool parse_dtls_config(std::string_view text, dtls::DtlsConfig& out);

enum class EndpointEventType : uint16_t {
  kStunBindingSuccess = 1,  // address = mapped address, payload = u32 rtt_us (LE)
  kStunBindingError = 2,    // payload = u16 error code (LE) + reason text
  kStunBindingTimeout = 3,
  // ICE agents hosted by the endpoint: id = agent id.
  kIceLocalCandidate = 10,  // payload = candidate line ("candidate:...")
  kIceGatheringComplete = 11,
  kIceState = 12,           // payload = u8 state (ice::IceState) + reason text
  kIceSelectedPair = 13,    // payload = description
  kIceData = 14,            // payload = the datagram
  kIceTurnError = 15,       // payload = reason text
  kIceResolve = 16,         // payload = a host name (".local") to resolve, answered with wr_ice_resolved
  // DTLS sessions directly over a socket path: id = session id.
  kDtlsConnected = 20,      // payload = u16 suite, u16 group (LE), remote fingerprint text
  kDtlsData = 21,           // payload = application data
  kDtlsClosed = 22,         // payload = reason
  kDtlsFailed = 23,         // payload = reason
  // Peer connections: id = peer id. Channel payloads start with u32 channel handle (LE).
  kPeerLocalDescription = 30,  // payload = u8 DescriptionType + SDP
  kPeerLocalCandidate = 31,    // payload = u16 m-line index, u8 mid length, mid, candidate line
  kPeerGatheringState = 32,    // payload = u8 state
  kPeerSignalingState = 33,    // payload = u8 state
  kPeerConnectionState = 34,   // payload = u8 state + reason
  kPeerResolve = 35,           // payload = host name to resolve (wr_peer_resolved answers)
  kPeerChannelOpen = 40,       // payload = u32 channel, u16 stream id
  kPeerChannelReceived = 41,   // payload = u32 channel, u16 stream, u8 ordered, u8 negotiated, i32 max_retransmits,
                               //           i32 max_lifetime_ms, u16 priority, u32 label length, label, protocol
  kPeerChannelMessage = 42,    // payload = u32 channel, u8 is_string, message bytes
  kPeerChannelClosing = 43,    // payload = u32 channel
  kPeerChannelClosed = 44,     // payload = u32 channel
  kPeerBufferedAmountLow = 45, // payload = u32 channel
};

struct Transmit {
  uint16_t socket = 0;
  SocketAddress to;
  std::vector<uint8_t> data;
};

struct EndpointEvent {
  EndpointEventType type{};
  uint32_t id = 0;
  SocketAddress address;
  std::vector<uint8_t> payload;
};

struct EndpointStats {
  uint64_t datagrams_in = 0;
  uint64_t stun_in = 0;
  uint64_t stun_requests_answered = 0;
  uint64_t dropped_malformed = 0;
  uint64_t dropped_unhandled = 0;
  uint64_t transmits_out = 0;
  uint64_t transmits_dropped = 0;
  SocketAddress last_stun_client;  // source of the last Binding request answered
};

class Endpoint {
 public:
  Endpoint(crypto::Provider& crypto, EndpointConfig config);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  void handle_datagram(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data);
  void handle_timeout(Timestamp now);

  // Starts a STUN Binding request to `server`; returns its id (> 0), or 0 when
  // too many are in flight or the address is unusable.
  uint32_t start_binding_request(Timestamp now, uint16_t socket, const SocketAddress& server);

  // Outputs, drained by the caller after every input or command.
  const Transmit* peek_transmit() const { return transmits_.empty() ? nullptr : &transmits_.front(); }
  void pop_transmit() { transmits_.pop_front(); }
  const EndpointEvent* peek_event() const { return events_.empty() ? nullptr : &events_.front(); }
  void pop_event() { events_.pop_front(); }
  Timestamp next_deadline() const;

  const EndpointStats& stats() const { return stats_; }

  // True when `from` on `socket` is a source the core already trusts: an established peer route
  // (learned only once ICE authenticated the address, or from a TURN server / STUN transaction the
  // peer's agent accepted), the bound remote of a DTLS session, a STUN server with a Binding request of
  // ours in flight, or a valid pair (or accepted TURN/STUN server) of a hosted agent.
  // Cheap (a hash lookup, plus a scan of the few standalone agents/sessions): the receive path's
  // rate limiter asks it when an unknown-looking source exceeds its budget.
  bool knows_route(uint16_t socket, const SocketAddress& from) const;

  // --- ICE agents sharing this endpoint's sockets, told apart by username fragment.
  uint32_t create_agent(Timestamp now, ice::IceConfig config);  // 0 when refused (duplicate ufrag, limit)
  ice::IceAgent* agent(uint32_t id);
  bool close_agent(uint32_t id);
  size_t agent_count() const { return agents_.size(); }
  // Call after any command on an agent: moves its outputs into the endpoint's queues.
  void collect_agent(uint32_t id);

  // --- Peer connections sharing this endpoint's sockets (told apart by ICE ufrag, then by remote address).
  uint32_t create_peer(Timestamp now, peer::PeerConfig config);  // 0 when refused
  peer::PeerConnection* peer(uint32_t id);
  // Final: the last datagrams (SCTP ABORT, DTLS close_notify) are queued, no event for it is left.
  bool close_peer(Timestamp now, uint32_t id);
  // Call after any command on a peer.
  void collect_peer(uint32_t id);
  size_t peer_count() const { return peers_.size(); }

  // --- DTLS sessions over one socket to one remote (a remote with port 0 binds to the
  // first peer that sends a DTLS record: a server waiting for its client).
  uint32_t create_dtls(uint16_t socket, const SocketAddress& remote, dtls::DtlsConfig config);
  dtls::DtlsEndpoint* dtls_session(uint32_t id);
  const dtls::Certificate* dtls_certificate(uint32_t id);
  bool close_dtls(uint32_t id);
  void collect_dtls(uint32_t id);

 private:
  struct ClientRequest;

  void handle_stun(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data);
  void queue_transmit(uint16_t socket, const SocketAddress& to, std::vector<uint8_t> data);
  void finish(ClientRequest& req);
  void collect(uint32_t id, ice::IceAgent& a);
  void collect_all();
  struct DtlsSession;
  void collect_dtls(DtlsSession& s);
  bool route_to_agents(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data);

  struct PeerSlot {
    uint32_t id = 0;
    std::unique_ptr<peer::PeerConnection> pc;
    Timestamp deadline = kNever;  // as filed in peer_deadlines_
    // The ufrags filed in peer_by_ufrag_ for it (two during an ICE restart) and the agent's
    // credentials generation they were read at.
    std::vector<std::string> ufrags;
    uint32_t credentials_generation = 0;
  };
  void file_ufrags(PeerSlot& slot);
  struct RouteKey {
    uint16_t socket;
    SocketAddress from;
    bool operator==(const RouteKey& o) const { return socket == o.socket && from == o.from; }
  };
  struct RouteKeyHash {
    size_t operator()(const RouteKey& k) const { return SocketAddressHash()(k.from) * 31 + k.socket; }
  };
  void collect_peer(PeerSlot& slot);
  void file_deadline(PeerSlot& slot);
  PeerSlot* peer_slot(uint32_t id);
  bool route_to_peers(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data);
  const dtls::Certificate* peer_certificate();

  crypto::Provider& crypto_;
  EndpointConfig config_;
  std::unordered_map<uint32_t, std::unique_ptr<PeerSlot>> peers_;
  std::unordered_map<std::string, uint32_t> peer_by_ufrag_;
  // Every peer's next deadline, earliest first: a timer wake touches only the peers that are due.
  std::set<std::pair<Timestamp, uint32_t>> peer_deadlines_;
  // Remote transport addresses a peer accepted data from: the fast path of the demultiplexer.
  std::unordered_map<RouteKey, uint32_t, RouteKeyHash> peer_routes_;
  // The same for standalone ICE agents (their TURN servers, authenticated remotes): only knows_route reads it.
  std::unordered_map<RouteKey, uint32_t, RouteKeyHash> agent_routes_;
  void learn_agent_route(uint16_t socket, const SocketAddress& from, uint32_t id);
  std::shared_ptr<const dtls::Certificate> peer_cert_;  // shared per process, or this endpoint's own
  std::vector<std::unique_ptr<ClientRequest>> requests_;
  std::vector<std::pair<uint32_t, std::unique_ptr<ice::IceAgent>>> agents_;
  uint32_t next_agent_id_ = 1;
  std::vector<std::unique_ptr<DtlsSession>> dtls_;
  uint32_t next_request_id_ = 1;
  Fifo<Transmit> transmits_;
  Fifo<EndpointEvent> events_;
  EndpointStats stats_;
};

}  // namespace wasmrtc
