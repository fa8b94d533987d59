// An ICE agent (RFC 8445) for one data stream with one component, sans-IO.
// Inputs: STUN messages and other datagrams the endpoint routed here, time,
// commands (candidates, credentials). Outputs: transmits, events, a deadline.
// Consent freshness follows RFC 7675; trickle ICE follows RFC 8838.
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
#include "ice/candidate.h"
#include "ice/turn_client.h"
#include "stun/client_transaction.h"
#include "stun/message.h"

namespace wasmrtc::ice {

struct IceConfig {
  std::string local_ufrag;  // empty: generated (4+ ice-chars, RFC 8445 §5.3)
  std::string local_pwd;    // empty: generated (22+ ice-chars)
  bool controlling = false;
  Duration ta = ms(50);                  // pacing of new checks (§14.2)
  Duration check_rto = ms(250);          // first retransmission of a check
  int check_max_transmissions = 7;
  Duration nomination_delay = ms(100);   // wait for better pairs before nominating
  Duration consent_interval = seconds(5);   // RFC 7675: 4..6 s randomised
  Duration disconnected_after = ms(7500);   // no consent response for this long
  Duration failed_after = seconds(30);      // consent expiry (RFC 7675 §5.1)
  Duration checking_timeout = seconds(30);  // no valid pair at all
  size_t max_remote_candidates = 100;
  size_t max_pairs = 500;
  std::string software;
  // Gather and pair only relayed candidates (iceTransportPolicy "relay").
  bool relay_only = false;
  // ICE-lite (RFC 8445 §2.5): only answer checks, never send them; the peer controls and nominates.
  bool lite = false;
  size_t max_pending_resolutions = 16;
};

enum class IceState : uint8_t { kNew = 0, kChecking = 1, kConnected = 2, kDisconnected = 3, kFailed = 4, kClosed = 5 };
enum class GatheringState : uint8_t { kNew = 0, kGathering = 1, kComplete = 2 };

struct IceEvent {
  enum class Type : uint8_t {
    kLocalCandidate, kGatheringComplete, kStateChanged, kSelectedPair, kData, kTurnError,
    kResolveRequest,  // reason = the host name (".local") the embedder must resolve
  };
  Type type;
  Candidate candidate;       // kLocalCandidate
  IceState state = IceState::kNew;  // kStateChanged
  std::string reason;        // kStateChanged to failed, kTurnError
  std::vector<uint8_t> data; // kData (non-STUN datagram on a known path)
};

struct IceTransmit {
  uint16_t socket = 0;
  SocketAddress to;
  std::vector<uint8_t> data;
};

struct IceStats {
  uint64_t checks_sent = 0;
  uint64_t checks_received = 0;
  uint64_t dropped_bad_integrity = 0;
  uint64_t dropped_unknown_user = 0;
  uint64_t role_conflicts = 0;
  uint64_t remote_candidates_refused = 0;
};

class IceAgent {
 public:
  IceAgent(crypto::Provider& crypto, IceConfig config, Timestamp now);
  ~IceAgent();

  const std::string& local_ufrag() const { return config_.local_ufrag; }
  const std::string& local_pwd() const { return config_.local_pwd; }
  const std::string& remote_ufrag() const { return remote_ufrag_; }
  const std::string& remote_pwd() const { return remote_pwd_; }
  bool controlling() const { return config_.controlling; }

  // --- ICE restart (RFC 8445 §9): new local credentials on the same sockets and candidates, the
  // remote side's candidates and every pair forgotten, checks from scratch. The offerer prepares (its
  // offer carries the new credentials, and checks for them are answered from then on) and commits
  // when the answer brings the peer's new credentials; the answerer commits at once. Until a new
  // pair is selected, data keeps going out on the previously selected path.
  void prepare_restart();
  void cancel_restart();
  bool restart_pending() const { return !pending_ufrag_.empty(); }
  // False when the credentials are malformed (nothing changes then). Roles follow the new offer/answer.
  bool commit_restart(Timestamp now, const std::string& remote_ufrag, const std::string& remote_pwd, bool controlling);
  // What a new description announces: the pending credentials during a restart.
  const std::string& announced_ufrag() const { return restart_pending() ? pending_ufrag_ : config_.local_ufrag; }
  const std::string& announced_pwd() const { return restart_pending() ? pending_pwd_ : config_.local_pwd; }
  // Grows whenever the set of local ufrags checks may carry changes (hosts re-index their demultiplexer).
  uint32_t credentials_generation() const { return credentials_generation_; }
  uint32_t restarts() const { return restarts_; }

  // --- gathering
  void add_host_candidate(uint16_t socket, const SocketAddress& address);
  // The host lost this address (it moved to another network): the candidate is no longer announced
  // (descriptions, a restart's re-announcement) nor paired with new remote candidates. Adding it again
  // brings it back.
  void retire_host_candidate(uint16_t socket, const SocketAddress& address);
  void add_stun_server(const SocketAddress& server);
  void add_turn_server(const SocketAddress& server, const std::string& username, const std::string& password);
  void start_gathering(Timestamp now);
  GatheringState gathering_state() const { return gathering_; }
  const std::vector<Candidate>& local_candidates() const { return local_cands_; }

  // --- remote side (trickle: any time, any order)
  bool set_remote_credentials(const std::string& ufrag, const std::string& pwd);
  // False when refused (malformed, not UDP, limit reached, unresolved name).
  bool add_remote_candidate(Timestamp now, const Candidate& c);
  void end_of_remote_candidates(Timestamp now);
  // The peer is an ICE-lite agent (a=ice-lite): we must be the controlling side (§6.1.1).
  void set_remote_lite(bool lite);
  // The role from offer/answer (RFC 8445 §6.1.1: the offerer controls); set before checks start.
  void set_controlling(Timestamp now, bool controlling);
  // The answer to a kResolveRequest; an invalid address drops the waiting candidates.
  void resolved(Timestamp now, const std::string& hostname, const SocketAddress& ip);

  // --- input
  // True when the message belonged to this agent (checks for our ufrag, answers to our transactions).
  bool handle_stun(Timestamp now, uint16_t socket, const SocketAddress& from, const stun::Message& msg);
  // A non-STUN datagram: accepted (as a kData event) only from a remote on a valid pair.
  bool handle_data(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data);
  void handle_timeout(Timestamp now);
  void close();

  // --- output
  bool poll_transmit(IceTransmit& out);
  bool poll_event(IceEvent& out);
  Timestamp next_deadline() const;

  // Sends application bytes on the selected pair; false when there is none.
  bool send(ByteView data);
  IceState state() const { return state_; }
  bool selected_path(uint16_t& socket, SocketAddress& remote) const;
  std::string selected_description() const;
  // Round-trip time of the check that validated the selected pair (0 when unknown).
  Duration selected_rtt() const;
  const IceStats& stats() const { return stats_; }
  // True if `from` on `socket` is the remote side of any valid pair (for endpoint demux).
  bool knows_remote(uint16_t socket, const SocketAddress& from) const;

 private:
  struct LocalCand {
    Candidate cand;
    uint16_t socket = 0;
    SocketAddress base;
    bool retired = false;  // the host no longer has this address: not announced or paired again
  };
  struct Pair;
  struct Gather;

  void pair_new_remote(size_t remote_index);
  void add_pair(size_t local, size_t remote);
  uint64_t pair_priority(const LocalCand& l, const Candidate& r) const;
  void start_check(Timestamp now, Pair& p, bool nominate);
  void on_check_response(Timestamp now, Pair& p, const stun::Message& msg, const SocketAddress& from);
  void answer_check(Timestamp now, uint16_t socket, const SocketAddress& from, const stun::Message& msg);
  // A check for the pending (not yet committed) credentials: answered, nothing else until the commit.
  void answer_pending_check(uint16_t socket, const SocketAddress& from, const stun::Message& msg);
  void announce_candidates_again();
  void remember_source(uint16_t socket, const SocketAddress& from, const stun::Message& msg);
  void learn_pending_sources(Timestamp now);
  void maybe_nominate(Timestamp now);
  void switch_role(Timestamp now);
  void select(Timestamp now, Pair& p);
  void set_state(IceState s, std::string reason = {});
  void update_failed(Timestamp now);
  void run_consent(Timestamp now);
  void emit_local(const Candidate& c);
  // Every outgoing datagram goes through here: relayed candidates wrap it for their TURN server.
  void out(uint16_t socket, const SocketAddress& to, std::vector<uint8_t> data);
  void process_inner(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data);
  void on_turn_change(Timestamp now, size_t index);
  void check_gathering_done(Timestamp now);
  static constexpr uint16_t kRelaySocketBase = 0x8000;
  Pair* find_pair(uint16_t socket, const SocketAddress& remote);
  std::vector<uint8_t> build_check(const stun::TransactionId& id, bool nominate, uint32_t prflx_priority);
  Duration jitter(Duration base);

  crypto::Provider& crypto_;
  IceConfig config_;
  uint64_t tie_breaker_ = 0;
  Timestamp created_ = 0;
  Timestamp next_pace_ = 0;
  IceState state_ = IceState::kNew;
  GatheringState gathering_ = GatheringState::kNew;
  std::string remote_ufrag_, remote_pwd_;
  bool remote_ended_ = false;
  std::vector<LocalCand> locals_;
  std::vector<Candidate> local_cands_;  // as announced
  std::vector<Candidate> remotes_;
  std::vector<std::unique_ptr<Pair>> pairs_;
  std::vector<std::unique_ptr<Gather>> gathers_;
  std::vector<SocketAddress> stun_servers_;
  struct TurnServer {
    SocketAddress server;
    std::string username, password;
  };
  std::vector<TurnServer> turn_servers_;
  std::vector<std::unique_ptr<TurnClient>> turns_;
  Timestamp last_now_ = 0;
  std::vector<Candidate> unresolved_;  // remote candidates waiting for name resolution
  Fifo<Pair*> triggered_;
  Pair* selected_ = nullptr;
  // The path selected before a restart: data goes out on it until a new pair is selected, and the
  // peer's data from it is still accepted.
  bool previous_path_valid_ = false;
  uint16_t previous_socket_ = 0;
  SocketAddress previous_remote_;
  std::string pending_ufrag_, pending_pwd_;
  // Sources of checks answered for the pending credentials: peer-reflexive candidates of the new
  // generation (§7.3.1.3), learned at the commit. The peer may have nothing else that reaches us.
  struct PendingSource {
    uint16_t socket;
    SocketAddress from;
    uint32_t priority;
  };
  std::vector<PendingSource> pending_sources_;
  uint32_t credentials_generation_ = 0;
  uint32_t restarts_ = 0;
  Timestamp first_valid_at_ = kNever;
  Timestamp nominate_at_ = kNever;  // controlling: when to (re)try nominating
  Timestamp last_consent_ = 0;
  Timestamp next_consent_ = kNever;
  // Consent checks in flight (a new one every interval; any answer refreshes consent).
  std::vector<std::unique_ptr<stun::ClientTransaction>> consent_txns_;
  Fifo<IceTransmit> transmits_;
  Fifo<IceEvent> events_;
  IceStats stats_;
};

const char* to_string(IceState s);

}  // namespace wasmrtc::ice
