#include "ice/ice_agent.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "stun/message_builder.h"

namespace wasmrtc::ice {

namespace {

const char kIceChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string random_ice_string(crypto::Provider& crypto, size_t n) {
  std::vector<uint8_t> r(n);
  crypto.random(r.data(), n);
  std::string s;
  for (uint8_t b : r) s += kIceChars[b & 63];
  return s;
}

// RFC 8839 §5.4: ufrag 4..256, pwd 22..256 ice-chars.
bool valid_credentials(const std::string& ufrag, const std::string& pwd) {
  auto ok = [](const std::string& s, size_t min) {
    if (s.size() < min || s.size() > 256) return false;
    for (char c : s) {
      if (!std::strchr(kIceChars, c) || c == 0) return false;
    }
    return true;
  };
  return ok(ufrag, 4) && ok(pwd, 22);
}

}  // namespace

const char* to_string(IceState s) {
  switch (s) {
    case IceState::kNew: return "new";
    case IceState::kChecking: return "checking";
    case IceState::kConnected: return "connected";
    case IceState::kDisconnected: return "disconnected";
    case IceState::kFailed: return "failed";
    case IceState::kClosed: return "closed";
  }
  return "?";
}

struct IceAgent::Pair {
  enum class State { kFrozen, kWaiting, kInProgress, kSucceeded, kFailed };
  size_t local = 0;
  size_t remote = 0;
  uint64_t priority = 0;
  State state = State::kFrozen;
  bool valid = false;
  bool nominated = false;
  bool nominating = false;  // a USE-CANDIDATE check is in flight
  bool remote_nominated = false;  // controlled: the peer sent USE-CANDIDATE
  bool answered = false;  // the peer sent an authenticated check on it: it may already be sending data
  bool sent_controlling = false;  // our role when the check in txn went out (§7.2.5.1)
  std::unique_ptr<stun::ClientTransaction> txn;
};

struct IceAgent::Gather {
  uint16_t socket = 0;
  SocketAddress base;
  SocketAddress server;
  stun::ClientTransaction txn;
};

IceAgent::IceAgent(crypto::Provider& crypto, IceConfig config, Timestamp now)
    : crypto_(crypto), config_(std::move(config)), created_(now) {
  if (config_.local_ufrag.size() < 4) config_.local_ufrag = random_ice_string(crypto_, 8);
  if (config_.local_pwd.size() < 22) config_.local_pwd = random_ice_string(crypto_, 24);
  if (config_.lite) config_.controlling = false;
  crypto_.random(reinterpret_cast<uint8_t*>(&tie_breaker_), sizeof tie_breaker_);
}

IceAgent::~IceAgent() = default;

Duration IceAgent::jitter(Duration base) {
  // RFC 7675 §5.1: randomise the interval to 0.8..1.2 of its base.
  uint16_t r = 0;
  crypto_.random(reinterpret_cast<uint8_t*>(&r), sizeof r);
  return base * 8 / 10 + Duration(double(base) * 0.4 * (r / 65535.0));
}

void IceAgent::emit_local(const Candidate& c) {
  if (log_enabled(LogLayer::kIce, LogLevel::kDebug)) {
    log_message(LogLayer::kIce, LogLevel::kDebug, "ICE " + config_.local_ufrag + ": local candidate " + c.to_sdp_line());
  }
  local_cands_.push_back(c);
  IceEvent ev;
  ev.type = IceEvent::Type::kLocalCandidate;
  ev.candidate = c;
  events_.push_back(std::move(ev));
}

void IceAgent::add_host_candidate(uint16_t socket, const SocketAddress& address) {
  if (!address.valid() || state_ == IceState::kClosed) return;
  for (size_t i = 0; i < locals_.size(); ++i) {
    LocalCand& l = locals_[i];
    if (l.base != address || l.socket != socket) continue;
    if (l.retired && !config_.relay_only) {  // the address came back
      l.retired = false;
      emit_local(l.cand);
      for (size_t r = 0; r < remotes_.size(); ++r) add_pair(i, r);
    }
    return;
  }
  LocalCand l;
  l.socket = socket;
  l.base = address;
  l.cand.foundation = std::to_string(locals_.size() + 1);
  l.cand.component = 1;
  // Local preference: earlier sockets first, IPv4 and IPv6 interleaved evenly.
  uint16_t local_pref = uint16_t(65535 - std::min<size_t>(locals_.size(), 1000));
  l.cand.priority = compute_priority(CandidateType::kHost, local_pref, 1);
  l.cand.address = address;
  l.cand.type = CandidateType::kHost;
  locals_.push_back(l);
  if (config_.relay_only) return;  // kept as a base for TURN, never announced or paired
  emit_local(l.cand);
  for (size_t r = 0; r < remotes_.size(); ++r) add_pair(locals_.size() - 1, r);
  // Remote candidates that came before the socket was bound are paired only now: start checking (as for a relayed one).
  if (state_ == IceState::kNew && !pairs_.empty()) {
    set_state(IceState::kChecking);
    next_pace_ = std::min(next_pace_, last_now_);
  }
}

void IceAgent::retire_host_candidate(uint16_t socket, const SocketAddress& address) {
  for (auto& l : locals_) {
    if (l.cand.type != CandidateType::kHost || l.base != address || l.socket != socket || l.retired) continue;
    l.retired = true;
    local_cands_.erase(std::remove_if(local_cands_.begin(), local_cands_.end(),
                                      [&](const Candidate& c) { return c.type == CandidateType::kHost && c.address == address; }),
                       local_cands_.end());
  }
}

void IceAgent::add_stun_server(const SocketAddress& server) {
  if (server.valid()) stun_servers_.push_back(server);
}

void IceAgent::add_turn_server(const SocketAddress& server, const std::string& username, const std::string& password) {
  if (server.valid() && turn_servers_.size() < 8) turn_servers_.push_back({server, username, password});
}

void IceAgent::out(uint16_t socket, const SocketAddress& to, std::vector<uint8_t> data) {
  if (socket >= kRelaySocketBase) {
    size_t i = socket - kRelaySocketBase;
    if (i < turns_.size()) {
      turns_[i]->ensure_peer(last_now_, to);
      turns_[i]->send_to(to, ByteView(data));
    }
    return;
  }
  transmits_.push_back({socket, to, std::move(data)});
}

void IceAgent::process_inner(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data) {
  stun::Message m;
  if (stun::looks_like_stun(data) && stun::Message::parse(data, m)) {
    handle_stun(now, socket, from, m);
  } else {
    handle_data(now, socket, from, data);
  }
}

void IceAgent::on_turn_change(Timestamp now, size_t index) {
  TurnClient& t = *turns_[index];
  if (t.state() == TurnClient::State::kAllocated) {
    LocalCand l;
    l.socket = uint16_t(kRelaySocketBase + index);
    l.base = t.relayed();
    l.cand.foundation = "r" + std::to_string(index + 1);
    l.cand.priority = compute_priority(CandidateType::kRelayed, uint16_t(65535 - index), 1);
    l.cand.address = t.relayed();
    l.cand.type = CandidateType::kRelayed;
    l.cand.related = t.mapped();
    locals_.push_back(l);
    emit_local(l.cand);
    for (size_t r = 0; r < remotes_.size(); ++r) add_pair(locals_.size() - 1, r);
    if (state_ == IceState::kNew && !pairs_.empty()) set_state(IceState::kChecking);
    next_pace_ = std::min(next_pace_, now);
  } else if (t.state() == TurnClient::State::kFailed) {
    IceEvent ev;
    ev.type = IceEvent::Type::kTurnError;
    ev.reason = "TURN server " + t.server().to_string() + ": " + t.error();
    events_.push_back(std::move(ev));
  }
  check_gathering_done(now);
}

void IceAgent::check_gathering_done(Timestamp now) {
  if (gathering_ != GatheringState::kGathering) return;
  for (const auto& g : gathers_) {
    if (!g->txn.done()) return;
  }
  for (const auto& t : turns_) {
    if (t->state() == TurnClient::State::kAllocating || t->state() == TurnClient::State::kIdle) return;
  }
  gathering_ = GatheringState::kComplete;
  IceEvent ev;
  ev.type = IceEvent::Type::kGatheringComplete;
  events_.push_back(std::move(ev));
  update_failed(now);
}

void IceAgent::start_gathering(Timestamp now) {
  if (gathering_ != GatheringState::kNew || state_ == IceState::kClosed) return;
  gathering_ = GatheringState::kGathering;
  last_now_ = now;
  for (const auto& ts : turn_servers_) {
    for (const auto& l : locals_) {
      if (l.cand.type != CandidateType::kHost || l.base.family != ts.server.family) continue;
      turns_.push_back(std::make_unique<TurnClient>(crypto_, l.socket, ts.server, ts.username, ts.password));
      turns_.back()->start(now);
      break;  // one allocation per server
    }
  }
  for (const auto& server : stun_servers_) {
    if (config_.relay_only) break;
    for (const auto& l : locals_) {
      if (l.cand.type != CandidateType::kHost || l.base.family != server.family) continue;
      stun::TransactionId id = stun::new_transaction_id(crypto_);
      stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kRequest, id);
      b.add_fingerprint(crypto_);
      stun::RetransmitConfig rc;
      rc.rto = ms(500);
      rc.max_transmissions = 5;
      rc.final_wait_factor = 4;
      auto g = std::unique_ptr<Gather>(new Gather{l.socket, l.base, server, stun::ClientTransaction(id, b.take(), rc)});
      g->txn.start(now);
      gathers_.push_back(std::move(g));
    }
  }
  check_gathering_done(now);
}

bool IceAgent::set_remote_credentials(const std::string& ufrag, const std::string& pwd) {
  if (!valid_credentials(ufrag, pwd)) return false;
  bool first = remote_pwd_.empty();
  remote_ufrag_ = ufrag;
  remote_pwd_ = pwd;
  if (first && !restart_pending()) learn_pending_sources(last_now_);
  return true;
}

void IceAgent::announce_candidates_again() {
  // A new ICE generation: the peer forgets what it had, so every local candidate is announced again.
  for (const auto& c : local_cands_) {
    IceEvent ev;
    ev.type = IceEvent::Type::kLocalCandidate;
    ev.candidate = c;
    events_.push_back(std::move(ev));
  }
  if (gathering_ == GatheringState::kComplete) {
    IceEvent ev;
    ev.type = IceEvent::Type::kGatheringComplete;
    events_.push_back(std::move(ev));
  }
}

void IceAgent::prepare_restart() {
  if (state_ == IceState::kClosed || restart_pending()) return;
  // RFC 8445 §9 / RFC 8839 §4.4.1.1.1: a restart changes both the ufrag and the password.
  do pending_ufrag_ = random_ice_string(crypto_, 8);
  while (pending_ufrag_ == config_.local_ufrag);
  pending_pwd_ = random_ice_string(crypto_, 24);
  ++credentials_generation_;
  announce_candidates_again();
}

void IceAgent::cancel_restart() {
  if (!restart_pending()) return;
  pending_ufrag_.clear();
  pending_pwd_.clear();
  pending_sources_.clear();
  ++credentials_generation_;
}

bool IceAgent::commit_restart(Timestamp now, const std::string& ufrag, const std::string& pwd, bool controlling) {
  if (state_ == IceState::kClosed || !valid_credentials(ufrag, pwd)) return false;
  bool answerer = !restart_pending();
  if (answerer) {
    do pending_ufrag_ = random_ice_string(crypto_, 8);
    while (pending_ufrag_ == config_.local_ufrag);
    pending_pwd_ = random_ice_string(crypto_, 24);
  }
  if (selected_) {
    previous_path_valid_ = true;
    previous_socket_ = locals_[selected_->local].socket;
    previous_remote_ = remotes_[selected_->remote].address;
  }
  if (log_enabled(LogLayer::kIce, LogLevel::kInfo)) {
    log_message(LogLayer::kIce, LogLevel::kInfo, "ICE " + config_.local_ufrag + ": restart, now " + pending_ufrag_);
  }
  config_.local_ufrag = std::move(pending_ufrag_);
  config_.local_pwd = std::move(pending_pwd_);
  pending_ufrag_.clear();
  pending_pwd_.clear();
  remote_ufrag_ = ufrag;
  remote_pwd_ = pwd;
  config_.controlling = config_.lite ? false : controlling;
  // Everything learned about the peer belonged to the old generation; local candidates and TURN
  // allocations stay (§9: an agent may reuse them).
  selected_ = nullptr;
  triggered_.clear();
  pairs_.clear();
  remotes_.clear();
  unresolved_.clear();
  consent_txns_.clear();
  first_valid_at_ = kNever;
  nominate_at_ = kNever;
  next_consent_ = kNever;
  remote_ended_ = false;
  created_ = now;
  next_pace_ = now;
  last_now_ = now;
  ++restarts_;
  ++credentials_generation_;
  if (answerer) announce_candidates_again();
  set_state(IceState::kChecking);
  learn_pending_sources(now);
  return true;
}

uint64_t IceAgent::pair_priority(const LocalCand& l, const Candidate& r) const {
  // RFC 8445 §6.1.2.3, G = controlling agent's candidate priority.
  uint64_t g = config_.controlling ? l.cand.priority : r.priority;
  uint64_t d = config_.controlling ? r.priority : l.cand.priority;
  return (std::min(g, d) << 32) + 2 * std::max(g, d) + (g > d ? 1 : 0);
}

void IceAgent::add_pair(size_t local, size_t remote) {
  const LocalCand& l = locals_[local];
  const Candidate& r = remotes_[remote];
  if (l.retired) return;
  // Host and relayed candidates are paired (a server-reflexive one is replaced by its base, §6.1.2.4).
  bool relayed = l.cand.type == CandidateType::kRelayed;
  if ((!relayed && (l.cand.type != CandidateType::kHost || config_.relay_only)) || l.base.family != r.address.family) {
    return;
  }
  for (const auto& p : pairs_) {
    if (locals_[p->local].base == l.base && remotes_[p->remote].address == r.address) return;  // pruned duplicate
  }
  if (pairs_.size() >= config_.max_pairs) return;
  auto p = std::make_unique<Pair>();
  p->local = local;
  p->remote = remote;
  p->priority = pair_priority(l, r);
  // §6.1.2.6: the first pair of each foundation starts Waiting, the rest Frozen.
  std::string foundation = l.cand.foundation + "|" + r.foundation;
  bool seen = false;
  for (const auto& q : pairs_) {
    if (locals_[q->local].cand.foundation + "|" + remotes_[q->remote].foundation == foundation) seen = true;
  }
  p->state = seen ? Pair::State::kFrozen : Pair::State::kWaiting;
  if (relayed) turns_[l.socket - kRelaySocketBase]->ensure_peer(last_now_, r.address);
  pairs_.push_back(std::move(p));
  std::stable_sort(pairs_.begin(), pairs_.end(), [](const auto& a, const auto& b) { return a->priority > b->priority; });
}

void IceAgent::pair_new_remote(size_t remote_index) {
  for (size_t l = 0; l < locals_.size(); ++l) add_pair(l, remote_index);
}

void IceAgent::set_remote_lite(bool lite) {
  if (lite && !config_.controlling && !config_.lite) switch_role(last_now_);
}

void IceAgent::set_controlling(Timestamp now, bool controlling) {
  if (config_.lite || config_.controlling == controlling) return;
  switch_role(now);
}

void IceAgent::resolved(Timestamp now, const std::string& hostname, const SocketAddress& ip) {
  std::vector<Candidate> ready;
  for (auto it = unresolved_.begin(); it != unresolved_.end();) {
    if (it->hostname == hostname) {
      if (ip.valid()) {
        Candidate c = *it;
        uint16_t port = c.address.port;
        c.address = ip;
        c.address.port = port;
        c.hostname.clear();
        ready.push_back(c);
      }
      it = unresolved_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& c : ready) add_remote_candidate(now, c);
}

bool IceAgent::add_remote_candidate(Timestamp now, const Candidate& c) {
  if (state_ != IceState::kClosed && c.is_udp() && c.component == 1 && c.needs_resolution() && c.address.port != 0) {
    // The core asks, the host answers (mDNS names are resolved outside the sans-IO core).
    if (unresolved_.size() >= config_.max_pending_resolutions) {
      ++stats_.remote_candidates_refused;
      return false;
    }
    bool asked = false;
    for (const auto& u : unresolved_) asked |= u.hostname == c.hostname;
    unresolved_.push_back(c);
    if (!asked) {
      IceEvent ev;
      ev.type = IceEvent::Type::kResolveRequest;
      ev.reason = c.hostname;
      events_.push_back(std::move(ev));
    }
    return true;
  }
  if (state_ == IceState::kClosed || !c.is_udp() || c.component != 1 || c.needs_resolution() || !c.address.valid() ||
      c.address.port == 0) {
    ++stats_.remote_candidates_refused;
    return false;
  }
  for (const auto& r : remotes_) {
    if (r.address == c.address) return true;  // already known (maybe as prflx)
  }
  if (remotes_.size() >= config_.max_remote_candidates) {
    ++stats_.remote_candidates_refused;
    return false;
  }
  last_now_ = now;
  remotes_.push_back(c);
  pair_new_remote(remotes_.size() - 1);
  if (state_ == IceState::kNew && !pairs_.empty()) {
    set_state(IceState::kChecking);
    next_pace_ = now;
  }
  return true;
}

void IceAgent::end_of_remote_candidates(Timestamp now) {
  remote_ended_ = true;
  update_failed(now);
}

std::vector<uint8_t> IceAgent::build_check(const stun::TransactionId& id, bool nominate, uint32_t prflx_priority) {
  // RFC 8445 §7.2.2: USERNAME, PRIORITY, role + tie-breaker, USE-CANDIDATE, integrity with the peer's password.
  stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kRequest, id);
  b.add_string(stun::attr::kUsername, remote_ufrag_ + ":" + config_.local_ufrag);
  b.add_u32(stun::attr::kPriority, prflx_priority);
  b.add_u64(config_.controlling ? stun::attr::kIceControlling : stun::attr::kIceControlled, tie_breaker_);
  if (nominate) b.add_flag(stun::attr::kUseCandidate);
  b.add_message_integrity(crypto_, ByteView(std::string_view(remote_pwd_)));
  b.add_fingerprint(crypto_);
  return b.take();
}

void IceAgent::start_check(Timestamp now, Pair& p, bool nominate) {
  const LocalCand& l = locals_[p.local];
  uint32_t prflx = compute_priority(CandidateType::kPeerReflexive, uint16_t((l.cand.priority >> 8) & 0xFFFF), 1);
  stun::TransactionId id = stun::new_transaction_id(crypto_);
  stun::RetransmitConfig rc;
  rc.rto = config_.check_rto;
  rc.max_transmissions = config_.check_max_transmissions;
  rc.final_wait_factor = 2;
  p.txn = std::make_unique<stun::ClientTransaction>(id, build_check(id, nominate, prflx), rc);
  p.txn->start(now);
  p.nominating = nominate;
  p.sent_controlling = config_.controlling;
  if (p.state != Pair::State::kSucceeded) p.state = Pair::State::kInProgress;
  ++stats_.checks_sent;
}

IceAgent::Pair* IceAgent::find_pair(uint16_t socket, const SocketAddress& remote) {
  for (auto& p : pairs_) {
    if (locals_[p->local].socket == socket && remotes_[p->remote].address == remote) return p.get();
  }
  return nullptr;
}

bool IceAgent::knows_remote(uint16_t socket, const SocketAddress& from) const {
  // Sources that checked us with our password before we could check back (the remote description, or
  // the answer to our restart, is still on its way): the peer may already start DTLS from there.
  for (const auto& p : pending_sources_) {
    if (p.socket == socket && p.from == from) return true;
  }
  if (previous_path_valid_ && previous_socket_ == socket && previous_remote_ == from) return true;
  // A peer whose check we answered may send data before our own check on the pair succeeds (libjuice
  // and browsers start DTLS on their first valid pair): RFC 8445 §12.1 has us ready to receive it.
  for (const auto& p : pairs_) {
    if ((p->valid || p->answered) && locals_[p->local].socket == socket && remotes_[p->remote].address == from) {
      return true;
    }
  }
  return false;
}

bool IceAgent::handle_stun(Timestamp now, uint16_t socket, const SocketAddress& from, const stun::Message& msg) {
  if (state_ == IceState::kClosed) return false;
  last_now_ = now;
  if (socket < kRelaySocketBase) {
    for (size_t i = 0; i < turns_.size(); ++i) {
      TurnClient& t = *turns_[i];
      if (t.server() != from || t.socket() != socket) continue;
      SocketAddress peer;
      std::vector<uint8_t> inner;
      if (!t.handle_stun(now, msg, &peer, &inner)) continue;
      if (t.take_state_change()) on_turn_change(now, i);
      if (peer.valid()) process_inner(now, uint16_t(kRelaySocketBase + i), peer, ByteView(inner));
      return true;
    }
  }
  if (msg.message_class() == stun::MessageClass::kRequest) {
    std::string user;
    if (!msg.get_string(stun::attr::kUsername, user)) return false;
    size_t colon = user.find(':');
    if (colon == std::string::npos) return false;
    std::string_view head(user.data(), colon);
    if (head == config_.local_ufrag) {
      // §7.2.2: the right half is the sender's ufrag. Once we know the peer's, a check naming another one
      // is not from it (a stale generation, or a stranger who read our ufrag somewhere): dropped before the
      // HMAC, the expensive part of a check.
      if (!remote_ufrag_.empty() && std::string_view(user).substr(colon + 1) != remote_ufrag_) {
        ++stats_.dropped_unknown_user;
        return true;
      }
      answer_check(now, socket, from, msg);
      return true;
    }
    if (restart_pending() && head == pending_ufrag_) {
      answer_pending_check(socket, from, msg);
      return true;
    }
    return false;
  }
  if (msg.message_class() != stun::MessageClass::kSuccess && msg.message_class() != stun::MessageClass::kError) {
    return false;
  }
  for (auto& g : gathers_) {
    if (g->server == from && g->socket == socket && g->txn.handle_response(now, msg)) {
      SocketAddress mapped;
      if (g->txn.state() == stun::ClientTransaction::State::kSucceeded &&
          msg.get_xor_address(stun::attr::kXorMappedAddress, mapped) && mapped != g->base) {
        bool dup = false;
        for (const auto& c : local_cands_) dup |= c.type == CandidateType::kServerReflexive && c.address == mapped;
        if (!dup) {
          Candidate c;
          c.foundation = "s" + std::to_string(local_cands_.size() + 1);
          c.priority = compute_priority(CandidateType::kServerReflexive, 65535, 1);
          c.address = mapped;
          c.type = CandidateType::kServerReflexive;
          c.related = g->base;
          emit_local(c);
        }
      }
      check_gathering_done(now);
      return true;
    }
  }
  if (selected_ && from == remotes_[selected_->remote].address) {
    for (auto& txn : consent_txns_) {
      if (txn->done() || txn->id() != msg.transaction_id()) continue;
      if (msg.check_integrity(crypto_, ByteView(std::string_view(remote_pwd_))) != stun::IntegrityResult::kValid) {
        ++stats_.dropped_bad_integrity;
        return true;
      }
      txn->handle_response(now, msg);
      if (txn->state() == stun::ClientTransaction::State::kSucceeded) {
        last_consent_ = now;
        if (state_ == IceState::kDisconnected) set_state(IceState::kConnected);
      }
      return true;
    }
  }
  for (auto& p : pairs_) {
    if (!p->txn || p->txn->done() || p->txn->id() != msg.transaction_id()) continue;
    // Only answers carrying our peer's integrity are acted on (§7.2.5.2.3 via RFC 8489 §9.1.3).
    if (msg.check_integrity(crypto_, ByteView(std::string_view(remote_pwd_))) != stun::IntegrityResult::kValid) {
      ++stats_.dropped_bad_integrity;
      return true;
    }
    // §7.2.5.2.1: the response must come from where the request went, on the socket it left from.
    if (from != remotes_[p->remote].address || socket != locals_[p->local].socket) {
      if (p->txn->handle_response(now, msg)) p->state = Pair::State::kFailed;
      return true;
    }
    on_check_response(now, *p, msg, from);
    return true;
  }
  return false;
}

void IceAgent::on_check_response(Timestamp now, Pair& p, const stun::Message& msg, const SocketAddress& from) {
  (void)from;
  if (!p.txn->handle_response(now, msg)) return;
  if (p.txn->state() == stun::ClientTransaction::State::kErrorResponse) {
    int code = 0;
    std::string reason;
    msg.get_error(code, reason);
    if (code == 487) {
      // §7.2.5.1: role conflict; take the role other than the one the request was sent in (once: a
      // second 487 for a check sent before the switch must not flip it back), and check again.
      ++stats_.role_conflicts;
      if (config_.controlling == p.sent_controlling) switch_role(now);
      p.state = Pair::State::kWaiting;
      triggered_.push_back(&p);
      return;
    }
    p.state = Pair::State::kFailed;
    update_failed(now);
    return;
  }
  bool was_valid = p.valid;
  p.state = Pair::State::kSucceeded;
  p.valid = true;
  if (first_valid_at_ == kNever) {
    first_valid_at_ = now;
    if (config_.controlling) nominate_at_ = now + config_.nomination_delay;
  }
  // Unfreeze pairs sharing the foundation (§7.2.5.3.3).
  const std::string f = locals_[p.local].cand.foundation + "|" + remotes_[p.remote].foundation;
  for (auto& q : pairs_) {
    if (q->state == Pair::State::kFrozen &&
        locals_[q->local].cand.foundation + "|" + remotes_[q->remote].foundation == f) {
      q->state = Pair::State::kWaiting;
    }
  }
  if (p.nominating) {
    p.nominated = true;
    select(now, p);
  } else if (!config_.controlling && p.remote_nominated) {
    p.nominated = true;
    select(now, p);
  } else if (config_.controlling) {
    // Nominate at once when no better pair can still succeed; otherwise nominate_at_ waits for them.
    maybe_nominate(now);
    for (auto& q : pairs_) {
      if (!q->nominating || !q->txn) continue;
      while (q->txn->poll_transmit()) out(locals_[q->local].socket, remotes_[q->remote].address, q->txn->request());
    }
  }
  (void)was_valid;
}

void IceAgent::answer_check(Timestamp now, uint16_t socket, const SocketAddress& from, const stun::Message& msg) {
  ++stats_.checks_received;
  if (msg.check_integrity(crypto_, ByteView(std::string_view(config_.local_pwd))) != stun::IntegrityResult::kValid) {
    ++stats_.dropped_bad_integrity;  // §7.3: silently discarded (RFC 8489 §9.1.3 would send 401; ICE drops)
    return;
  }
  // §7.3.1.1: role conflict resolution by tie-breaker.
  uint64_t theirs = 0;
  bool they_control = msg.get_u64(stun::attr::kIceControlling, theirs);
  bool they_are_controlled = !they_control && msg.get_u64(stun::attr::kIceControlled, theirs);
  if ((they_control && config_.controlling) || (they_are_controlled && !config_.controlling)) {
    ++stats_.role_conflicts;
    bool we_win = config_.controlling ? tie_breaker_ >= theirs : tie_breaker_ < theirs;
    if (we_win) {
      stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kError, msg.transaction_id());
      b.add_error(487, "Role Conflict");
      b.add_message_integrity(crypto_, ByteView(std::string_view(config_.local_pwd)));
      b.add_fingerprint(crypto_);
      out(socket, from, b.take());
      return;
    }
    switch_role(now);
  }
  stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kSuccess, msg.transaction_id());
  b.add_xor_address(stun::attr::kXorMappedAddress, from);
  b.add_message_integrity(crypto_, ByteView(std::string_view(config_.local_pwd)));
  b.add_fingerprint(crypto_);
  out(socket, from, b.take());
  if (remote_pwd_.empty()) {
    remember_source(socket, from, msg);  // cannot check back until the remote description arrives
    return;
  }
  // §7.3.1.3: an unknown source is a peer-reflexive remote candidate.
  bool known = false;
  for (size_t i = 0; i < remotes_.size(); ++i) known |= remotes_[i].address == from;
  if (!known) {
    if (remotes_.size() >= config_.max_remote_candidates) return;
    Candidate c;
    uint32_t prio = 0;
    msg.get_u32(stun::attr::kPriority, prio);
    c.foundation = "p" + std::to_string(remotes_.size() + 1);
    c.priority = prio;
    c.address = from;
    c.type = CandidateType::kPeerReflexive;
    remotes_.push_back(c);
    pair_new_remote(remotes_.size() - 1);
    if (state_ == IceState::kNew) set_state(IceState::kChecking);
  }
  Pair* p = find_pair(socket, from);
  if (!p) return;
  p->answered = true;
  bool use_candidate = msg.has(stun::attr::kUseCandidate);
  if (use_candidate && !config_.controlling) {
    p->remote_nominated = true;
    if (config_.lite) p->valid = true;  // §7.3.1.5: a lite agent has no checks of its own to wait for
    if (p->valid) {
      p->nominated = true;
      select(now, *p);
    }
  }
  // §7.3.1.4: triggered check, unless one is already running or done.
  if (p->state != Pair::State::kInProgress && p->state != Pair::State::kSucceeded) {
    p->state = Pair::State::kWaiting;
    if (std::find(triggered_.begin(), triggered_.end(), p) == triggered_.end()) triggered_.push_back(p);
  }
}

void IceAgent::remember_source(uint16_t socket, const SocketAddress& from, const stun::Message& msg) {
  for (const auto& p : pending_sources_) {
    if (p.socket == socket && p.from == from) return;
  }
  uint32_t prio = 0;
  msg.get_u32(stun::attr::kPriority, prio);
  if (pending_sources_.size() < 16) pending_sources_.push_back({socket, from, prio});
}

void IceAgent::learn_pending_sources(Timestamp now) {
  // The peer checked us (with our password) before its description reached us: its sources are remote
  // candidates (peer-reflexive, §7.3.1.3), and a triggered check on each lets both sides validate the
  // pair — the peer's own check on it may already have succeeded, and it may be sending DTLS.
  std::vector<PendingSource> sources;
  sources.swap(pending_sources_);
  for (const auto& src : sources) {
    Candidate c;
    c.foundation = "p" + std::to_string(remotes_.size() + 1);
    c.priority = src.priority;
    c.address = src.from;
    c.type = CandidateType::kPeerReflexive;
    bool known = false;
    for (const auto& r : remotes_) known |= r.address == src.from;
    if (!known) {
      if (remotes_.size() >= config_.max_remote_candidates) continue;
      remotes_.push_back(c);
      pair_new_remote(remotes_.size() - 1);
    }
    if (Pair* p = find_pair(src.socket, src.from)) {
      p->answered = true;
      p->state = Pair::State::kWaiting;
      if (std::find(triggered_.begin(), triggered_.end(), p) == triggered_.end()) triggered_.push_back(p);
    }
  }
  if (state_ == IceState::kNew && !pairs_.empty()) {
    set_state(IceState::kChecking);
    next_pace_ = std::min(next_pace_, now);
  }
}

void IceAgent::answer_pending_check(uint16_t socket, const SocketAddress& from, const stun::Message& msg) {
  // The peer took our restart offer and checks before its answer reached us: answering lets its pairs
  // become valid; our own checks (and any role question) wait for the commit, which brings its password.
  ++stats_.checks_received;
  if (msg.check_integrity(crypto_, ByteView(std::string_view(pending_pwd_))) != stun::IntegrityResult::kValid) {
    ++stats_.dropped_bad_integrity;
    return;
  }
  stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kSuccess, msg.transaction_id());
  b.add_xor_address(stun::attr::kXorMappedAddress, from);
  b.add_message_integrity(crypto_, ByteView(std::string_view(pending_pwd_)));
  b.add_fingerprint(crypto_);
  out(socket, from, b.take());
  remember_source(socket, from, msg);
}

void IceAgent::switch_role(Timestamp now) {
  config_.controlling = !config_.controlling;
  for (auto& q : pairs_) q->priority = pair_priority(locals_[q->local], remotes_[q->remote]);
  std::stable_sort(pairs_.begin(), pairs_.end(), [](const auto& a, const auto& b) { return a->priority > b->priority; });
  nominate_at_ = config_.controlling && first_valid_at_ != kNever ? now : kNever;
}

void IceAgent::maybe_nominate(Timestamp now) {
  if (!config_.controlling || selected_ || first_valid_at_ == kNever) return;
  for (const auto& p : pairs_) {
    if (p->nominating && p->txn && !p->txn->done()) return;  // one nomination at a time
    if (p->nominating && p->txn && p->txn->done() && !p->nominated) {
      p->nominating = false;  // it timed out or failed: try again now
      nominate_at_ = now;
    }
  }
  // Wait a little for better pairs unless every higher-priority pair has finished.
  Pair* best = nullptr;
  bool better_pending = false;
  for (auto& p : pairs_) {  // sorted by priority
    if (p->valid) {
      best = p.get();
      break;
    }
    if (p->state == Pair::State::kWaiting || p->state == Pair::State::kInProgress) better_pending = true;
  }
  if (!best) return;
  if (better_pending && now < nominate_at_) return;
  nominate_at_ = kNever;
  start_check(now, *best, true);
}

void IceAgent::select(Timestamp now, Pair& p) {
  if (selected_ == &p) return;
  selected_ = &p;
  if (log_enabled(LogLayer::kIce, LogLevel::kInfo)) {
    log_message(LogLayer::kIce, LogLevel::kInfo, "ICE " + config_.local_ufrag + ": selected pair " + locals_[p.local].base.to_string() +
                " -> " + remotes_[p.remote].address.to_string());
  }
  last_consent_ = now;
  next_consent_ = now + jitter(config_.consent_interval);
  IceEvent ev;
  ev.type = IceEvent::Type::kSelectedPair;
  events_.push_back(std::move(ev));
  if (state_ != IceState::kConnected) set_state(IceState::kConnected);
}

void IceAgent::set_state(IceState s, std::string reason) {
  if (state_ == s) return;
  if (log_enabled(LogLayer::kIce, LogLevel::kInfo)) {
    static const char* kNames[] = {"new", "checking", "connected", "completed", "disconnected", "failed", "closed"};
    int i = int(s);
    log_message(LogLayer::kIce, LogLevel::kInfo, std::string("ICE ") + config_.local_ufrag + ": " +
                (i >= 0 && i < 7 ? kNames[i] : "?") + (reason.empty() ? "" : " (" + reason + ")"));
  }
  state_ = s;
  IceEvent ev;
  ev.type = IceEvent::Type::kStateChanged;
  ev.state = s;
  ev.reason = std::move(reason);
  events_.push_back(std::move(ev));
}

void IceAgent::update_failed(Timestamp now) {
  if (state_ != IceState::kChecking && state_ != IceState::kNew) return;
  if (now >= created_ + config_.checking_timeout && !selected_ && !pairs_.empty()) {
    set_state(IceState::kFailed, "no connectivity check succeeded before the timeout");
    return;
  }
  if (!remote_ended_ || pairs_.empty() || gathering_ == GatheringState::kGathering) return;
  for (const auto& p : pairs_) {
    if (p->state != Pair::State::kFailed) return;
  }
  set_state(IceState::kFailed, "every candidate pair failed");
}

void IceAgent::run_consent(Timestamp now) {
  if (config_.lite) return;  // a lite agent answers the full agent's consent checks
  if (!selected_ || (state_ != IceState::kConnected && state_ != IceState::kDisconnected)) return;
  if (now - last_consent_ >= config_.failed_after) {
    set_state(IceState::kFailed, "consent expired (RFC 7675)");
    selected_ = nullptr;
    consent_txns_.clear();
    return;
  }
  if (state_ == IceState::kConnected && now - last_consent_ >= config_.disconnected_after) {
    set_state(IceState::kDisconnected);
  }
  const uint16_t socket = locals_[selected_->local].socket;
  const SocketAddress remote = remotes_[selected_->remote].address;
  for (auto& txn : consent_txns_) {
    txn->handle_timeout(now);
    while (txn->poll_transmit()) out(socket, remote, txn->request());
  }
  consent_txns_.erase(std::remove_if(consent_txns_.begin(), consent_txns_.end(), [](const auto& t) { return t->done(); }),
                      consent_txns_.end());
  if (now >= next_consent_) {
    next_consent_ = now + jitter(config_.consent_interval);
    stun::TransactionId id = stun::new_transaction_id(crypto_);
    const LocalCand& l = locals_[selected_->local];
    uint32_t prflx = compute_priority(CandidateType::kPeerReflexive, uint16_t((l.cand.priority >> 8) & 0xFFFF), 1);
    stun::RetransmitConfig rc;
    rc.rto = ms(500);
    rc.max_transmissions = 5;  // 0, 0.5, 1.5, 3.5, 7.5 s: overlaps the next check, so loss rarely costs consent
    rc.final_wait_factor = 2;
    if (consent_txns_.size() < 4) {
      auto txn = std::make_unique<stun::ClientTransaction>(id, build_check(id, false, prflx), rc);
      txn->start(now);
      while (txn->poll_transmit()) out(l.socket, remote, txn->request());
      consent_txns_.push_back(std::move(txn));
    }
  }
}

void IceAgent::handle_timeout(Timestamp now) {
  if (state_ == IceState::kClosed) return;
  last_now_ = now;
  for (size_t i = 0; i < turns_.size(); ++i) {
    turns_[i]->handle_timeout(now);
    if (turns_[i]->take_state_change()) on_turn_change(now, i);
  }
  // Gathering transactions.
  bool gathering_done = gathering_ == GatheringState::kGathering;
  for (auto& g : gathers_) {
    g->txn.handle_timeout(now);
    while (g->txn.poll_transmit()) transmits_.push_back({g->socket, g->server, g->txn.request()});
  }
  if (gathering_done) check_gathering_done(now);
  // Check retransmissions and timeouts.
  for (auto& p : pairs_) {
    if (!p->txn || p->txn->done()) continue;
    p->txn->handle_timeout(now);
    while (p->txn->poll_transmit()) {
      out(locals_[p->local].socket, remotes_[p->remote].address, p->txn->request());
    }
    if (p->txn->state() == stun::ClientTransaction::State::kTimedOut && !p->valid) p->state = Pair::State::kFailed;
  }
  // One new check per Ta: triggered first, then the best Waiting pair, else unfreeze one.
  if (!config_.lite && !remote_pwd_.empty() && state_ != IceState::kNew && now >= next_pace_) {
    Pair* next = nullptr;
    while (!triggered_.empty() && !next) {
      Pair* t = triggered_.front();
      triggered_.pop_front();
      if (t->state == Pair::State::kWaiting) next = t;
    }
    if (!next && !selected_) {
      for (auto& p : pairs_) {
        if (p->state == Pair::State::kWaiting) {
          next = p.get();
          break;
        }
      }
      if (!next) {
        for (auto& p : pairs_) {
          if (p->state == Pair::State::kFrozen) {
            p->state = Pair::State::kWaiting;
            next = p.get();
            break;
          }
        }
      }
    }
    if (next) {
      start_check(now, *next, false);
      while (next->txn->poll_transmit()) {
        out(locals_[next->local].socket, remotes_[next->remote].address, next->txn->request());
      }
      next_pace_ = now + config_.ta;
    }
  }
  maybe_nominate(now);
  for (auto& p : pairs_) {  // a nomination check started above sends at once
    if (p->txn) {
      while (p->txn->poll_transmit()) {
        out(locals_[p->local].socket, remotes_[p->remote].address, p->txn->request());
      }
    }
  }
  run_consent(now);
  update_failed(now);
}

Timestamp IceAgent::next_deadline() const {
  if (state_ == IceState::kClosed || state_ == IceState::kFailed) return kNever;
  Timestamp t = kNever;
  for (const auto& g : gathers_) t = std::min(t, g->txn.next_deadline());
  for (const auto& turn : turns_) t = std::min(t, turn->next_deadline());
  for (const auto& p : pairs_) {
    if (p->txn) t = std::min(t, p->txn->next_deadline());
  }
  bool has_work = !triggered_.empty() && !config_.lite;
  for (const auto& p : pairs_) has_work |= p->state == Pair::State::kWaiting || p->state == Pair::State::kFrozen;
  if (!config_.lite && !remote_pwd_.empty() && has_work && !selected_) t = std::min(t, next_pace_);
  if (!config_.lite && !remote_pwd_.empty() && !triggered_.empty()) t = std::min(t, next_pace_);
  if (config_.controlling && !selected_) t = std::min(t, nominate_at_);
  if (selected_ && !config_.lite) {
    t = std::min(t, next_consent_);
    for (const auto& txn : consent_txns_) t = std::min(t, txn->next_deadline());
    if (state_ == IceState::kConnected) t = std::min(t, last_consent_ + config_.disconnected_after);
    t = std::min(t, last_consent_ + config_.failed_after);
  }
  if (state_ == IceState::kChecking && !selected_) t = std::min(t, created_ + config_.checking_timeout);
  return t;
}

bool IceAgent::handle_data(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data) {
  if (state_ == IceState::kClosed) return false;
  if (socket < kRelaySocketBase && looks_like_channel_data(data)) {
    for (size_t i = 0; i < turns_.size(); ++i) {
      SocketAddress peer;
      ByteView payload;
      if (turns_[i]->server() == from && turns_[i]->socket() == socket &&
          turns_[i]->handle_channel_data(data, peer, payload)) {
        process_inner(now, uint16_t(kRelaySocketBase + i), peer, payload);
        return true;
      }
    }
  }
  if (!knows_remote(socket, from)) return false;
  IceEvent ev;
  ev.type = IceEvent::Type::kData;
  ev.data = data.to_vector();
  events_.push_back(std::move(ev));
  return true;
}

bool IceAgent::send(ByteView data) {
  if (state_ == IceState::kFailed || state_ == IceState::kClosed) return false;
  if (!selected_) {
    // During a restart the old path may still work (a restart while connected): keep using it (§9).
    if (!previous_path_valid_) return false;
    out(previous_socket_, previous_remote_, data.to_vector());
    return true;
  }
  out(locals_[selected_->local].socket, remotes_[selected_->remote].address, data.to_vector());
  return true;
}

Duration IceAgent::selected_rtt() const {
  if (!selected_ || !selected_->txn || selected_->txn->state() != stun::ClientTransaction::State::kSucceeded) return 0;
  return selected_->txn->rtt();
}

bool IceAgent::selected_path(uint16_t& socket, SocketAddress& remote) const {
  if (!selected_) return false;
  socket = locals_[selected_->local].socket;
  remote = remotes_[selected_->remote].address;
  return true;
}

std::string IceAgent::selected_description() const {
  if (!selected_) return "";
  const LocalCand& l = locals_[selected_->local];
  const Candidate& r = remotes_[selected_->remote];
  return std::string(to_string(l.cand.type)) + " " + l.base.to_string() + " -> " + to_string(r.type) + " " +
         r.address.to_string();
}

void IceAgent::close() {
  if (state_ == IceState::kClosed) return;
  state_ = IceState::kClosed;
  transmits_.clear();
  for (auto& t : turns_) t->close(last_now_);  // queues the deallocation (LIFETIME 0)
  selected_ = nullptr;
  consent_txns_.clear();
}

bool IceAgent::poll_transmit(IceTransmit& out) {
  for (auto& t : turns_) {
    std::vector<uint8_t> bytes;
    while (t->poll_transmit(bytes)) transmits_.push_back({t->socket(), t->server(), std::move(bytes)});
  }
  if (transmits_.empty()) return false;
  out = std::move(transmits_.front());
  transmits_.pop_front();
  return true;
}

bool IceAgent::poll_event(IceEvent& out) {
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

}  // namespace wasmrtc::ice
