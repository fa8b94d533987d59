#include "endpoint/endpoint.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "stun/binding_server.h"
#include "stun/message_builder.h"

namespace wasmrtc {

struct Endpoint::DtlsSession {
  uint32_t id = 0;
  uint16_t socket = 0;
  SocketAddress remote;
  std::unique_ptr<dtls::Certificate> cert;
  std::unique_ptr<dtls::DtlsEndpoint> ep;
};

struct Endpoint::ClientRequest {
  uint32_t id = 0;
  uint16_t socket = 0;
  SocketAddress server;
  stun::ClientTransaction txn;
};

Endpoint::Endpoint(crypto::Provider& crypto, EndpointConfig config) : crypto_(crypto), config_(std::move(config)) {}
Endpoint::~Endpoint() = default;

void Endpoint::queue_transmit(uint16_t socket, const SocketAddress& to, std::vector<uint8_t> data) {
  // Bounded: a flood of requests cannot make us queue answers without limit.
  if (transmits_.size() >= config_.max_queued_transmits) {
    ++stats_.transmits_dropped;
    return;
  }
  ++stats_.transmits_out;
  transmits_.push_back({socket, to, std::move(data)});
}

void Endpoint::handle_datagram(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data) {
  ++stats_.datagrams_in;
  if (data.empty()) {
    ++stats_.dropped_malformed;
    return;
  }
  // RFC 7983 §7: the first byte tells STUN (0..3), DTLS (20..63), TURN ChannelData (64..79), RTP (128..191).
  uint8_t first = data[0];
  if (first <= 3) {
    handle_stun(now, socket, from, data);
    return;
  }
  if (first >= 20 && first <= 63) {
    // RFC 7983: DTLS. Exact remote first, then a server session still waiting for its peer.
    DtlsSession* target = nullptr;
    for (auto& d : dtls_) {
      if (d->socket == socket && d->remote == from) target = d.get();
    }
    if (!target) {
      for (auto& d : dtls_) {
        if (!target && d->socket == socket && d->remote.port == 0) {
          target = d.get();
          target->remote = from;
        }
      }
    }
    if (target) {
      target->ep->handle_datagram(now, data);
      collect_dtls(*target);
      return;
    }
  }
  if (route_to_peers(now, socket, from, data)) return;
  if (!route_to_agents(now, socket, from, data)) ++stats_.dropped_unhandled;
}

// ---------------------------------------------------------------- peer connections
const dtls::Certificate* Endpoint::peer_certificate() {
  if (peer_cert_) return peer_cert_.get();
  // Generating a key and signing a certificate per connection would dominate connection setup.
  static std::shared_ptr<const dtls::Certificate> process_wide;
  if (!config_.own_certificate && process_wide) {
    peer_cert_ = process_wide;
    return peer_cert_.get();
  }
  auto c = std::make_shared<dtls::Certificate>();
  if (!dtls::Certificate::generate(crypto_, "wasmrtc", *c)) return nullptr;
  peer_cert_ = c;
  if (!config_.own_certificate) process_wide = c;
  return peer_cert_.get();
}

uint32_t Endpoint::create_peer(Timestamp now, peer::PeerConfig config) {
  if (peers_.size() >= config_.max_peers) return 0;
  const dtls::Certificate* cert = peer_certificate();
  if (!cert) return 0;
  auto slot = std::make_unique<PeerSlot>();
  slot->pc = std::make_unique<peer::PeerConnection>(crypto_, *cert, std::move(config), now);
  const std::string& ufrag = slot->pc->agent().local_ufrag();
  if (peer_by_ufrag_.count(ufrag)) return 0;  // the ufrag is the demultiplexing key
  for (const auto& [id, a] : agents_) {
    if (a->local_ufrag() == ufrag) return 0;
  }
  slot->id = next_agent_id_++;
  uint32_t id = slot->id;
  peer_by_ufrag_[ufrag] = id;
  slot->ufrags = {ufrag};
  slot->credentials_generation = slot->pc->agent().credentials_generation();
  PeerSlot& filed = *slot;
  peers_[id] = std::move(slot);
  file_deadline(filed);
  return id;
}

Endpoint::PeerSlot* Endpoint::peer_slot(uint32_t id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

peer::PeerConnection* Endpoint::peer(uint32_t id) {
  PeerSlot* s = peer_slot(id);
  return s ? s->pc.get() : nullptr;
}

bool Endpoint::close_peer(Timestamp now, uint32_t id) {
  PeerSlot* s = peer_slot(id);
  if (!s) return false;
  s->pc->close(now);
  ice::IceTransmit t;
  while (s->pc->poll_transmit(t)) queue_transmit(t.socket, t.to, std::move(t.data));
  events_.erase(std::remove_if(events_.begin(), events_.end(),
                               [id](const EndpointEvent& e) { return e.id == id && uint16_t(e.type) >= 30; }),
                events_.end());
  for (const auto& u : s->ufrags) {
    auto it = peer_by_ufrag_.find(u);
    if (it != peer_by_ufrag_.end() && it->second == id) peer_by_ufrag_.erase(it);
  }
  if (s->deadline != kNever) peer_deadlines_.erase({s->deadline, id});
  for (auto it = peer_routes_.begin(); it != peer_routes_.end();) {
    it = it->second == id ? peer_routes_.erase(it) : std::next(it);
  }
  peers_.erase(id);
  return true;
}

void Endpoint::collect_peer(uint32_t id) {
  if (PeerSlot* s = peer_slot(id)) collect_peer(*s);
}

namespace {
void put_u32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
}
void put_u16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(uint8_t(v));
  b.push_back(uint8_t(v >> 8));
}
void put_text(std::vector<uint8_t>& b, const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }
}  // namespace

void Endpoint::file_deadline(PeerSlot& slot) {
  Timestamp d = slot.pc->next_deadline();
  if (d == slot.deadline) return;
  if (slot.deadline != kNever) peer_deadlines_.erase({slot.deadline, slot.id});
  if (d != kNever) peer_deadlines_.insert({d, slot.id});
  slot.deadline = d;
}

void Endpoint::file_ufrags(PeerSlot& slot) {
  // An ICE restart changed the local credentials: checks for the announced (pending) ufrag must reach
  // the peer at once, and the old one is let go once the restart is committed.
  const ice::IceAgent& a = slot.pc->agent();
  slot.credentials_generation = a.credentials_generation();
  for (const auto& u : slot.ufrags) {
    auto it = peer_by_ufrag_.find(u);
    if (it != peer_by_ufrag_.end() && it->second == slot.id) peer_by_ufrag_.erase(it);
  }
  slot.ufrags.clear();
  for (const std::string* u : {&a.local_ufrag(), &a.announced_ufrag()}) {
    if (std::find(slot.ufrags.begin(), slot.ufrags.end(), *u) != slot.ufrags.end()) continue;
    if (peer_by_ufrag_.emplace(*u, slot.id).second) slot.ufrags.push_back(*u);  // 48 random bits: a clash is not expected
  }
}

void Endpoint::collect_peer(PeerSlot& slot) {
  if (slot.pc->agent().credentials_generation() != slot.credentials_generation) file_ufrags(slot);
  ice::IceTransmit t;
  while (slot.pc->poll_transmit(t)) queue_transmit(t.socket, t.to, std::move(t.data));
  peer::PeerEvent e;
  while (slot.pc->poll_event(e)) {
    EndpointEvent ev;
    ev.id = slot.id;
    auto& b = ev.payload;
    using T = peer::PeerEvent::Type;
    switch (e.type) {
      case T::kLocalDescription:
        ev.type = EndpointEventType::kPeerLocalDescription;
        b.push_back(e.code);
        put_text(b, e.text);
        break;
      case T::kLocalCandidate:
        ev.type = EndpointEventType::kPeerLocalCandidate;
        put_u16(b, e.mline_index);
        b.push_back(uint8_t(std::min<size_t>(e.mid.size(), 255)));
        b.insert(b.end(), e.mid.begin(), e.mid.begin() + std::min<size_t>(e.mid.size(), 255));
        put_text(b, e.text);
        break;
      case T::kGatheringState:
        ev.type = EndpointEventType::kPeerGatheringState;
        b.push_back(e.code);
        break;
      case T::kSignalingState:
        ev.type = EndpointEventType::kPeerSignalingState;
        b.push_back(e.code);
        break;
      case T::kConnectionState:
        ev.type = EndpointEventType::kPeerConnectionState;
        b.push_back(e.code);
        put_text(b, e.text);
        break;
      case T::kResolve:
        ev.type = EndpointEventType::kPeerResolve;
        put_text(b, e.text);
        break;
      case T::kChannelOpen:
        ev.type = EndpointEventType::kPeerChannelOpen;
        put_u32(b, e.channel);
        put_u16(b, uint16_t(e.stream < 0 ? 65535 : e.stream));
        break;
      case T::kChannelReceived: {
        ev.type = EndpointEventType::kPeerChannelReceived;
        const dcep::ChannelOptions& o = e.options;
        put_u32(b, e.channel);
        put_u16(b, uint16_t(e.stream < 0 ? 65535 : e.stream));
        b.push_back(o.ordered ? 1 : 0);
        b.push_back(o.negotiated ? 1 : 0);
        put_u32(b, uint32_t(int32_t(o.max_retransmits)));
        put_u32(b, uint32_t(int32_t(o.max_lifetime_ms)));
        put_u16(b, o.priority);
        put_u32(b, uint32_t(o.label.size()));
        put_text(b, o.label);
        put_text(b, o.protocol);
        break;
      }
      case T::kChannelMessage:
        ev.type = EndpointEventType::kPeerChannelMessage;
        b.reserve(5 + e.data.size());
        put_u32(b, e.channel);
        b.push_back(e.is_string ? 1 : 0);
        b.insert(b.end(), e.data.begin(), e.data.end());
        break;
      case T::kChannelClosing:
        ev.type = EndpointEventType::kPeerChannelClosing;
        put_u32(b, e.channel);
        break;
      case T::kChannelClosed:
        ev.type = EndpointEventType::kPeerChannelClosed;
        put_u32(b, e.channel);
        break;
      case T::kBufferedAmountLow:
        ev.type = EndpointEventType::kPeerBufferedAmountLow;
        put_u32(b, e.channel);
        break;
    }
    events_.push_back(std::move(ev));
  }
  file_deadline(slot);
}

bool Endpoint::route_to_peers(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data) {
  if (peers_.empty()) return false;
  RouteKey key{socket, from};
  auto hit = peer_routes_.find(key);
  if (hit != peer_routes_.end()) {
    PeerSlot* s = peer_slot(hit->second);
    if (s && s->pc->agent().handle_data(now, socket, from, data)) {
      s->pc->process(now);
      collect_peer(*s);
      return true;
    }
  }
  for (auto& [id, s] : peers_) {
    if (s->pc->agent().handle_data(now, socket, from, data)) {
      peer_routes_[key] = id;
      s->pc->process(now);
      collect_peer(*s);
      return true;
    }
  }
  return false;
}

bool Endpoint::knows_route(uint16_t socket, const SocketAddress& from) const {
  if (!peer_routes_.empty()) {
    auto hit = peer_routes_.find(RouteKey{socket, from});
    if (hit != peer_routes_.end() && peers_.count(hit->second)) return true;
  }
  for (const auto& d : dtls_) {
    if (d->socket == socket && d->remote.port != 0 && d->remote == from) return true;
  }
  for (const auto& req : requests_) {
    if (req->socket == socket && req->server == from) return true;  // a STUN server we are asking
  }
  if (!agents_.empty()) {
    auto hit = agent_routes_.find(RouteKey{socket, from});
    if (hit != agent_routes_.end()) {
      for (const auto& [id, a] : agents_) {
        if (id == hit->second) return true;
      }
    }
    for (const auto& [id, a] : agents_) {
      if (a->knows_remote(socket, from)) return true;
    }
  }
  return false;
}

uint32_t Endpoint::create_dtls(uint16_t socket, const SocketAddress& remote, dtls::DtlsConfig config) {
  if (dtls_.size() >= config_.max_agents) return 0;
  auto s = std::make_unique<DtlsSession>();
  s->cert = std::make_unique<dtls::Certificate>();
  if (!dtls::Certificate::generate(crypto_, "wasmrtc", *s->cert)) return 0;
  s->id = next_agent_id_++;
  s->socket = socket;
  s->remote = remote;
  s->ep = std::make_unique<dtls::DtlsEndpoint>(crypto_, std::move(config), *s->cert);
  uint32_t id = s->id;
  dtls_.push_back(std::move(s));
  return id;
}

dtls::DtlsEndpoint* Endpoint::dtls_session(uint32_t id) {
  for (auto& d : dtls_) {
    if (d->id == id) return d->ep.get();
  }
  return nullptr;
}

const dtls::Certificate* Endpoint::dtls_certificate(uint32_t id) {
  for (auto& d : dtls_) {
    if (d->id == id) return d->cert.get();
  }
  return nullptr;
}

bool Endpoint::close_dtls(uint32_t id) {
  for (auto it = dtls_.begin(); it != dtls_.end(); ++it) {
    if ((*it)->id != id) continue;
    (*it)->ep->close();
    DtlsSession& s = **it;
    std::vector<uint8_t> d;
    while (s.ep->poll_datagram(d)) {
      if (s.remote.port) queue_transmit(s.socket, s.remote, std::move(d));
    }
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [id](const EndpointEvent& e) { return e.id == id && uint16_t(e.type) >= 20; }),
                  events_.end());
    dtls_.erase(it);
    return true;
  }
  return false;
}

void Endpoint::collect_dtls(uint32_t id) {
  for (auto& d : dtls_) {
    if (d->id == id) collect_dtls(*d);
  }
}

void Endpoint::collect_dtls(DtlsSession& s) {
  std::vector<uint8_t> d;
  while (s.ep->poll_datagram(d)) {
    if (s.remote.port) queue_transmit(s.socket, s.remote, std::move(d));
  }
  dtls::DtlsEvent e;
  while (s.ep->poll_event(e)) {
    EndpointEvent ev;
    ev.id = s.id;
    switch (e.type) {
      case dtls::DtlsEvent::Type::kConnected: {
        ev.type = EndpointEventType::kDtlsConnected;
        uint16_t suite = s.ep->negotiated_suite(), group = s.ep->negotiated_group();
        ev.payload = {uint8_t(suite), uint8_t(suite >> 8), uint8_t(group), uint8_t(group >> 8)};
        const std::string& fp = s.ep->remote_certificate_fingerprint();
        ev.payload.insert(ev.payload.end(), fp.begin(), fp.end());
        break;
      }
      case dtls::DtlsEvent::Type::kData:
        ev.type = EndpointEventType::kDtlsData;
        ev.payload = std::move(e.data);
        break;
      case dtls::DtlsEvent::Type::kClosed:
        ev.type = EndpointEventType::kDtlsClosed;
        ev.payload.assign(e.reason.begin(), e.reason.end());
        break;
      case dtls::DtlsEvent::Type::kFailed:
        ev.type = EndpointEventType::kDtlsFailed;
        ev.payload.assign(e.reason.begin(), e.reason.end());
        break;
    }
    events_.push_back(std::move(ev));
  }
}

void Endpoint::learn_agent_route(uint16_t socket, const SocketAddress& from, uint32_t id) {
  if (agent_routes_.size() < 16 * config_.max_agents) agent_routes_[RouteKey{socket, from}] = id;
}

bool Endpoint::route_to_agents(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data) {
  for (auto& [id, a] : agents_) {
    if (a->handle_data(now, socket, from, data)) {
      learn_agent_route(socket, from, id);  // a valid pair's remote, or its TURN server's ChannelData
      collect(id, *a);
      return true;
    }
  }
  return false;
}

uint32_t Endpoint::create_agent(Timestamp now, ice::IceConfig config) {
  if (agents_.size() >= config_.max_agents) return 0;
  auto a = std::make_unique<ice::IceAgent>(crypto_, std::move(config), now);
  for (const auto& [id, other] : agents_) {
    if (other->local_ufrag() == a->local_ufrag()) return 0;  // the ufrag is the demultiplexing key
  }
  uint32_t id = next_agent_id_++;
  agents_.emplace_back(id, std::move(a));
  return id;
}

ice::IceAgent* Endpoint::agent(uint32_t id) {
  for (auto& [aid, a] : agents_) {
    if (aid == id) return a.get();
  }
  return nullptr;
}

bool Endpoint::close_agent(uint32_t id) {
  for (auto it = agents_.begin(); it != agents_.end(); ++it) {
    if (it->first != id) continue;
    it->second->close();
    collect(id, *it->second);  // the TURN deallocation still goes out
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [id](const EndpointEvent& e) { return e.id == id && uint16_t(e.type) >= 10; }),
                  events_.end());
    for (auto r = agent_routes_.begin(); r != agent_routes_.end();) {
      r = r->second == id ? agent_routes_.erase(r) : std::next(r);
    }
    agents_.erase(it);
    return true;
  }
  return false;
}

void Endpoint::collect_agent(uint32_t id) {
  if (ice::IceAgent* a = agent(id)) collect(id, *a);
}

void Endpoint::collect_all() {
  for (auto& [id, a] : agents_) collect(id, *a);
}

void Endpoint::collect(uint32_t id, ice::IceAgent& a) {
  ice::IceTransmit t;
  while (a.poll_transmit(t)) queue_transmit(t.socket, t.to, std::move(t.data));
  ice::IceEvent e;
  while (a.poll_event(e)) {
    EndpointEvent ev;
    ev.id = id;
    auto text = [&ev](const std::string& s) { ev.payload.insert(ev.payload.end(), s.begin(), s.end()); };
    switch (e.type) {
      case ice::IceEvent::Type::kLocalCandidate:
        ev.type = EndpointEventType::kIceLocalCandidate;
        text(e.candidate.to_sdp_line());
        break;
      case ice::IceEvent::Type::kGatheringComplete:
        ev.type = EndpointEventType::kIceGatheringComplete;
        break;
      case ice::IceEvent::Type::kStateChanged:
        ev.type = EndpointEventType::kIceState;
        ev.payload.push_back(uint8_t(e.state));
        text(e.reason);
        break;
      case ice::IceEvent::Type::kSelectedPair:
        ev.type = EndpointEventType::kIceSelectedPair;
        text(a.selected_description());
        break;
      case ice::IceEvent::Type::kData:
        ev.type = EndpointEventType::kIceData;
        ev.payload = std::move(e.data);
        break;
      case ice::IceEvent::Type::kTurnError:
        ev.type = EndpointEventType::kIceTurnError;
        text(e.reason);
        break;
      case ice::IceEvent::Type::kResolveRequest:
        ev.type = EndpointEventType::kIceResolve;
        text(e.reason);
        break;
    }
    events_.push_back(std::move(ev));
  }
}

void Endpoint::handle_stun(Timestamp now, uint16_t socket, const SocketAddress& from, ByteView data) {
  stun::Message msg;
  if (!stun::Message::parse(data, msg)) {
    ++stats_.dropped_malformed;
    return;
  }
  ++stats_.stun_in;
  // A FINGERPRINT that is present must be right (RFC 8489 §7.3).
  if (msg.check_fingerprint(crypto_) == stun::IntegrityResult::kInvalid) {
    ++stats_.dropped_malformed;
    return;
  }
  // Connectivity checks carry "ourufrag:theirufrag"; answers match a transaction of one agent.
  if (!peers_.empty()) {
    std::string user;
    RouteKey key{socket, from};
    if (msg.message_class() == stun::MessageClass::kRequest && msg.get_string(stun::attr::kUsername, user)) {
      auto it = peer_by_ufrag_.find(user.substr(0, user.find(':')));
      if (it != peer_by_ufrag_.end()) {
        PeerSlot& s = *peers_[it->second];
        s.pc->agent().handle_stun(now, socket, from, msg);
        // Only an address the agent authenticated (MESSAGE-INTEGRITY with our password, answered) becomes a
        // route: anyone can copy a ufrag from an SDP, and a route is what the receive path's limiter trusts.
        if (peer_routes_.size() < 16 * config_.max_peers && s.pc->agent().knows_remote(socket, from)) {
          peer_routes_[key] = s.id;
        }
        s.pc->process(now);
        collect_peer(s);
        return;
      }
    } else if (msg.message_class() != stun::MessageClass::kRequest) {
      auto hit = peer_routes_.find(key);
      PeerSlot* first = hit != peer_routes_.end() ? peer_slot(hit->second) : nullptr;
      if (first && first->pc->agent().handle_stun(now, socket, from, msg)) {
        first->pc->process(now);
        collect_peer(*first);
        return;
      }
      for (auto& [id, s] : peers_) {
        if (s.get() != first && s->pc->agent().handle_stun(now, socket, from, msg)) {
          // Accepted: an answer to one of its transactions (a 96-bit id only the addressee knows) or a
          // TURN server's message from the server's own address (Data indications carry relayed data).
          if (peer_routes_.size() < 16 * config_.max_peers) peer_routes_[key] = id;
          s->pc->process(now);
          collect_peer(*s);
          return;
        }
      }
    }
  }
  if (!agents_.empty()) {
    std::string user;
    if (msg.message_class() == stun::MessageClass::kRequest && msg.get_string(stun::attr::kUsername, user)) {
      std::string ufrag = user.substr(0, user.find(':'));
      for (auto& [id, a] : agents_) {
        if (a->local_ufrag() == ufrag) {
          a->handle_stun(now, socket, from, msg);
          if (a->knows_remote(socket, from)) learn_agent_route(socket, from, id);
          collect(id, *a);
          return;
        }
      }
    } else if (msg.message_class() != stun::MessageClass::kRequest) {
      for (auto& [id, a] : agents_) {
        if (a->handle_stun(now, socket, from, msg)) {
          learn_agent_route(socket, from, id);  // an answer to its transaction, or its TURN server
          collect(id, *a);
          return;
        }
      }
    }
  }
  switch (msg.message_class()) {
    case stun::MessageClass::kRequest: {
      if (!config_.answer_stun) {
        ++stats_.dropped_unhandled;
        return;
      }
      auto answer = stun::answer_binding_request(crypto_, msg, from, config_.software);
      if (answer.empty()) return;
      ++stats_.stun_requests_answered;
      stats_.last_stun_client = from;
      queue_transmit(socket, from, std::move(answer));
      return;
    }
    case stun::MessageClass::kSuccess:
    case stun::MessageClass::kError: {
      for (auto& req : requests_) {
        // Only the server we asked, on the socket we asked from, may answer.
        if (req->server == from && req->socket == socket && req->txn.handle_response(now, msg)) {
          finish(*req);
          return;
        }
      }
      ++stats_.dropped_unhandled;
      return;
    }
    case stun::MessageClass::kIndication:
      ++stats_.dropped_unhandled;
      return;
  }
}

uint32_t Endpoint::start_binding_request(Timestamp now, uint16_t socket, const SocketAddress& server) {
  if (!server.valid() || server.port == 0 || requests_.size() >= config_.max_client_transactions) return 0;
  stun::TransactionId id = stun::new_transaction_id(crypto_);
  stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kRequest, id);
  if (!config_.software.empty()) b.add_string(stun::attr::kSoftware, config_.software);
  b.add_fingerprint(crypto_);
  stun::RetransmitConfig rc;
  rc.rto = config_.stun_rto;
  auto req = std::unique_ptr<ClientRequest>(
      new ClientRequest{next_request_id_++, socket, server, stun::ClientTransaction(id, b.take(), rc)});
  if (next_request_id_ == 0) next_request_id_ = 1;
  req->txn.start(now);
  if (req->txn.poll_transmit()) queue_transmit(socket, server, req->txn.request());
  uint32_t rid = req->id;
  requests_.push_back(std::move(req));
  return rid;
}

void Endpoint::finish(ClientRequest& req) {
  EndpointEvent ev;
  ev.id = req.id;
  const stun::ClientTransaction& t = req.txn;
  if (t.state() == stun::ClientTransaction::State::kSucceeded) {
    SocketAddress mapped;
    if (t.response().get_xor_address(stun::attr::kXorMappedAddress, mapped) ||
        t.response().get_address(stun::attr::kMappedAddress, mapped)) {
      ev.type = EndpointEventType::kStunBindingSuccess;
      ev.address = mapped;
      uint32_t rtt = uint32_t(std::min<Duration>(t.rtt(), 0xFFFFFFFF));
      ev.payload = {uint8_t(rtt), uint8_t(rtt >> 8), uint8_t(rtt >> 16), uint8_t(rtt >> 24)};
    } else {
      ev.type = EndpointEventType::kStunBindingError;
      const char reason[] = "response without a mapped address";
      ev.payload = {0, 0};
      ev.payload.insert(ev.payload.end(), reason, reason + sizeof reason - 1);
    }
  } else if (t.state() == stun::ClientTransaction::State::kErrorResponse) {
    ev.type = EndpointEventType::kStunBindingError;
    int code = 0;
    std::string reason;
    t.response().get_error(code, reason);
    ev.payload = {uint8_t(code), uint8_t(code >> 8)};
    ev.payload.insert(ev.payload.end(), reason.begin(), reason.end());
  } else {
    ev.type = EndpointEventType::kStunBindingTimeout;
    log_message(LogLayer::kStun, LogLevel::kInfo, "STUN binding to " + req.server.to_string() + " timed out");
  }
  events_.push_back(std::move(ev));
  req.id = 0;  // marks it for removal
  requests_.erase(std::remove_if(requests_.begin(), requests_.end(), [](const auto& r) { return r->id == 0; }),
                  requests_.end());
}

void Endpoint::handle_timeout(Timestamp now) {
  // The due peers first, then each once (a peer that is still behind runs again on the next wake).
  std::vector<uint32_t> due_peers;
  for (auto it = peer_deadlines_.begin(); it != peer_deadlines_.end() && it->first <= now; ++it) due_peers.push_back(it->second);
  for (uint32_t id : due_peers) {
    if (PeerSlot* s = peer_slot(id)) {
      s->pc->handle_timeout(now);
      collect_peer(*s);
    }
  }
  for (auto& d : dtls_) {
    if (d->ep->next_deadline() <= now) d->ep->handle_timeout(now);
    collect_dtls(*d);
  }
  for (auto& [id, a] : agents_) {
    if (a->next_deadline() <= now) a->handle_timeout(now);
    collect(id, *a);
  }
  // Collect first: finish() edits the list.
  std::vector<ClientRequest*> due;
  for (auto& req : requests_) {
    if (req->txn.next_deadline() <= now) due.push_back(req.get());
  }
  for (ClientRequest* req : due) {
    req->txn.handle_timeout(now);
    while (req->txn.poll_transmit()) queue_transmit(req->socket, req->server, req->txn.request());
    if (req->txn.done()) finish(*req);
  }
}

Timestamp Endpoint::next_deadline() const {
  Timestamp t = kNever;
  for (const auto& [id, a] : agents_) t = std::min(t, a->next_deadline());
  for (const auto& d : dtls_) t = std::min(t, d->ep->next_deadline());
  for (const auto& req : requests_) t = std::min(t, req->txn.next_deadline());
  if (!peer_deadlines_.empty()) t = std::min(t, peer_deadlines_.begin()->first);
  return t;
}

}  // namespace wasmrtc
