#include "peer/peer_connection.h"

#include <algorithm>
#include <cctype>

#include "ice/candidate.h"

namespace wasmrtc::peer {

namespace {
constexpr size_t kMaxQueuedToAgent = 1024;  // DTLS datagrams waiting for ICE to select a pair
}

const char* to_string(ConnectionState s) {
  switch (s) {
    case ConnectionState::kNew: return "new";
    case ConnectionState::kConnecting: return "connecting";
    case ConnectionState::kConnected: return "connected";
    case ConnectionState::kDisconnected: return "disconnected";
    case ConnectionState::kFailed: return "failed";
    case ConnectionState::kClosed: return "closed";
  }
  return "?";
}

PeerConnection::PeerConnection(crypto::Provider& crypto, const dtls::Certificate& certificate, PeerConfig config,
                               Timestamp now)
    : crypto_(crypto), certificate_(certificate), config_(std::move(config)) {
  agent_ = std::make_unique<ice::IceAgent>(crypto_, config_.ice, now);
  gathering_held_ = config_.defer_gathering;
  crypto_.random(reinterpret_cast<uint8_t*>(&session_id_), sizeof session_id_);
  session_id_ &= 0x3FFFFFFFFFFFFFFFull;  // RFC 9429 §5.2.1: fits in 63 bits
}

PeerConnection::~PeerConnection() = default;

bool PeerConnection::fail(std::string why) {
  error_ = std::move(why);
  return false;
}

void PeerConnection::set_signaling(SignalingState s) {
  if (signaling_ == s) return;
  signaling_ = s;
  PeerEvent e{PeerEvent::Type::kSignalingState};
  e.code = uint8_t(s);
  emit(std::move(e));
}

void PeerConnection::set_connection(ConnectionState s, std::string reason) {
  if (connection_ == s || connection_ == ConnectionState::kClosed) return;
  // FAILED is final until close(): a late ICE event must not bring it back.
  if (connection_ == ConnectionState::kFailed && s != ConnectionState::kClosed) return;
  connection_ = s;
  PeerEvent e{PeerEvent::Type::kConnectionState};
  e.code = uint8_t(s);
  e.text = std::move(reason);
  emit(std::move(e));
  if (s == ConnectionState::kFailed || s == ConnectionState::kClosed) {
    for (auto& [h, c] : channels_) {
      PeerEvent ce{PeerEvent::Type::kChannelClosed};
      ce.channel = h;
      emit(std::move(ce));
    }
    channels_.clear();
    inner_to_outer_.clear();
  }
}

sdp::SessionDescription PeerConnection::describe_local(sdp::Setup setup, const std::string& mid,
                                                       uint32_t mline_index) const {
  sdp::SessionDescription d;
  d.ice_ufrag = agent_->announced_ufrag();
  d.ice_pwd = agent_->announced_pwd();
  d.ice_lite = config_.ice.lite;
  d.fingerprint_algorithm = "sha-256";
  d.fingerprint = certificate_.fingerprint;
  d.setup = setup;
  d.mid = mid;
  d.mline_index = mline_index;
  d.sctp_port = 5000;
  d.max_message_size = config_.max_message_size;
  d.session_id = session_id_;
  d.session_version = session_version_;
  // Host candidates are known at once; they go in the SDP (for peers that do not trickle) and are trickled too.
  for (const auto& c : agent_->local_candidates()) d.candidates.push_back(c.to_sdp_line());
  return d;
}

void PeerConnection::emit_local_description(DescriptionType type) {
  PeerEvent e{PeerEvent::Type::kLocalDescription};
  e.code = uint8_t(type);
  e.text = local_sdp_;
  emit(std::move(e));
}

void PeerConnection::emit_gathering() {
  PeerEvent g{PeerEvent::Type::kGatheringState};
  g.code = uint8_t(ice::GatheringState::kGathering);
  emit(std::move(g));
}

bool PeerConnection::create_offer(Timestamp now) {
  if (closed_) return fail("the connection is closed");
  if (connection_ == ConnectionState::kFailed) {
    return fail("the connection failed; create a new one (an offer made while it is disconnected restarts ICE)");
  }
  if (signaling_ != SignalingState::kStable) return fail("an offer/answer exchange is already under way");
  if (have_remote_) return create_subsequent_offer(now);
  if (have_local_) return fail("the offer was already created");
  offerer_ = true;
  agent_->set_controlling(now, true);  // RFC 8445 §6.1.1: the offerer controls (unless the peer is lite-only)
  mid_ = "0";
  mline_index_ = 0;
  start_gathering(now);
  local_sdp_ = describe_local(sdp::Setup::kActpass, mid_, 0).to_string();
  have_local_ = true;
  PeerEvent e{PeerEvent::Type::kLocalDescription};
  e.code = uint8_t(DescriptionType::kOffer);
  e.text = local_sdp_;
  emit(std::move(e));
  set_signaling(SignalingState::kHaveLocalOffer);
  PeerEvent g{PeerEvent::Type::kGatheringState};
  g.code = uint8_t(ice::GatheringState::kGathering);
  emit(std::move(g));
  process(now);
  return true;
}

bool PeerConnection::apply_remote(Timestamp now, const sdp::SessionDescription& remote) {
  if (!agent_->set_remote_credentials(remote.ice_ufrag, remote.ice_pwd)) return fail("bad ICE credentials");
  if (remote.ice_lite) agent_->set_remote_lite(true);
  remote_fingerprint_ = remote.fingerprint;
  have_remote_ = true;
  apply_candidates(now, remote);
  return true;
}

void PeerConnection::apply_candidates(Timestamp now, const sdp::SessionDescription& remote) {
  remote_max_message_size_ = remote.max_message_size;
  for (const auto& line : remote.candidates) add_remote_candidate(now, remote.mid, line);
  std::vector<std::string> early;
  early.swap(early_candidates_);
  for (const auto& line : early) add_remote_candidate(now, remote.mid, line);
  if (remote.end_of_candidates) agent_->end_of_remote_candidates(now);
}

namespace {
bool same_fingerprint(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}
}  // namespace

bool PeerConnection::check_subsequent(const sdp::SessionDescription& remote, bool offer) {
  (void)offer;  // an answer's actpass (not allowed, RFC 8842 §5.3) is taken as keeping the roles
  if (!same_fingerprint(remote.fingerprint, remote_fingerprint_)) {
    return fail("remote description: the DTLS certificate changed; that needs a new connection");
  }
  if (remote.mid != mid_) return fail("remote description: the data channel section is now mid '" + remote.mid + "', it was '" + mid_ + "'");
  // RFC 8842 §5.5: the DTLS association stays, so the roles stay.
  bool keeps = remote.setup == sdp::Setup::kActpass || (remote.setup == sdp::Setup::kActive && !dtls_client_) ||
               (remote.setup == sdp::Setup::kPassive && dtls_client_);
  if (!keeps || remote.setup == sdp::Setup::kHoldconn) {
    return fail(std::string("remote description: a=setup:") + sdp::to_string(remote.setup) +
                " would change the DTLS role; that needs a new connection");
  }
  return true;
}

void PeerConnection::describe_again(DescriptionType type) {
  // RFC 8842 §5.5: the DTLS association stays, so our role is stated as it is.
  ++session_version_;
  local_sdp_ = describe_local(dtls_client_ ? sdp::Setup::kActive : sdp::Setup::kPassive, mid_, mline_index_).to_string();
  emit_local_description(type);
}

void PeerConnection::drop_subsequent_offer() {
  if (offered_restart_) agent_->cancel_restart();
  offered_restart_ = false;
  early_candidates_.clear();  // the peer's candidates for the restart that will not happen
  set_signaling(SignalingState::kStable);
}

bool PeerConnection::create_subsequent_offer(Timestamp now) {
  // JSEP §5.2.2: a new offer of the same session. It restarts ICE when asked to, or when the path is
  // gone (disconnected): RFC 8445 §9, new credentials, candidates announced again.
  bool restart = restart_wanted_ || connection_ == ConnectionState::kDisconnected;
  restart_wanted_ = false;
  if (restart) agent_->prepare_restart();
  offered_restart_ = restart;
  describe_again(DescriptionType::kOffer);
  set_signaling(SignalingState::kHaveLocalOffer);
  if (restart) emit_gathering();
  process(now);
  return true;
}

bool PeerConnection::apply_subsequent_offer(Timestamp now, const sdp::SessionDescription& remote) {
  if (!check_subsequent(remote, true)) return false;
  bool restart = remote.ice_ufrag != agent_->remote_ufrag() || remote.ice_pwd != agent_->remote_pwd();
  // Glare: as for the first offer, ours is rolled back and the remote one wins.
  if (signaling_ == SignalingState::kHaveLocalOffer) drop_subsequent_offer();
  if (restart && !agent_->commit_restart(now, remote.ice_ufrag, remote.ice_pwd, false)) {
    return fail("remote description: bad ICE credentials");
  }
  apply_candidates(now, remote);
  set_signaling(SignalingState::kHaveRemoteOffer);
  describe_again(DescriptionType::kAnswer);
  set_signaling(SignalingState::kStable);
  if (restart) emit_gathering();
  process(now);
  return true;
}

bool PeerConnection::apply_subsequent_answer(Timestamp now, const sdp::SessionDescription& remote) {
  if (!check_subsequent(remote, false)) return false;
  bool changed = remote.ice_ufrag != agent_->remote_ufrag() || remote.ice_pwd != agent_->remote_pwd();
  if ((offered_restart_ || changed) && !agent_->commit_restart(now, remote.ice_ufrag, remote.ice_pwd, true)) {
    return fail("remote description: bad ICE credentials");
  }
  offered_restart_ = false;
  apply_candidates(now, remote);
  std::vector<std::string> early;
  early.swap(early_candidates_);  // the peer's new candidates that came before its answer
  for (const auto& line : early) add_remote_candidate(now, remote.mid, line);
  return true;
}

bool PeerConnection::set_remote_description(Timestamp now, DescriptionType type, const std::string& text) {
  if (closed_) return fail("the connection is closed");
  if (type == DescriptionType::kRollback) {
    // JSEP §4.1.10: only a pending offer can be rolled back; we keep the gathered candidates.
    if (signaling_ == SignalingState::kHaveLocalOffer) {
      if (have_remote_) {
        drop_subsequent_offer();  // what was negotiated stays
      } else {
        set_signaling(SignalingState::kStable);
        have_local_ = false;
      }
      return true;
    }
    return signaling_ == SignalingState::kStable ? true : fail("nothing to roll back");
  }
  sdp::SessionDescription remote;
  std::string why;
  if (!sdp::SessionDescription::parse(text, remote, &why)) return fail("remote description: " + why);
  if (type == DescriptionType::kOffer) {
    if (have_remote_) return apply_subsequent_offer(now, remote);
    if (signaling_ == SignalingState::kHaveLocalOffer) {
      // Glare: as Native, our offer is rolled back and the remote one wins.
      have_local_ = false;
      set_signaling(SignalingState::kStable);
    }
    if (remote.setup == sdp::Setup::kHoldconn) return fail("remote description: a=setup:holdconn");
    offerer_ = false;
    agent_->set_controlling(now, false);
    mid_ = remote.mid;
    mline_index_ = uint16_t(std::min<uint32_t>(remote.mline_index, 65535));
    if (!apply_remote(now, remote)) return false;
    set_signaling(SignalingState::kHaveRemoteOffer);
    // RFC 8842 §5.3: the answerer picks; we take the DTLS client role when the offerer lets us.
    bool client = remote.setup != sdp::Setup::kActive;
    make_transport(now, client);
    start_gathering(now);
    local_sdp_ = describe_local(client ? sdp::Setup::kActive : sdp::Setup::kPassive, mid_, mline_index_).to_string();
    have_local_ = true;
    // Native: the answer is generated and applied in the same call.
    PeerEvent e{PeerEvent::Type::kLocalDescription};
    e.code = uint8_t(DescriptionType::kAnswer);
    e.text = local_sdp_;
    emit(std::move(e));
    set_signaling(SignalingState::kStable);
    PeerEvent g{PeerEvent::Type::kGatheringState};
    g.code = uint8_t(ice::GatheringState::kGathering);
    emit(std::move(g));
    process(now);
    return true;
  }
  // answer / pranswer
  if (signaling_ != SignalingState::kHaveLocalOffer && signaling_ != SignalingState::kHaveRemotePranswer) {
    return fail("an answer needs a local offer first");
  }
  if (remote.setup == sdp::Setup::kHoldconn) return fail("remote description: a=setup:holdconn");
  if (!transport_) {
    if (!apply_remote(now, remote)) return false;
    // RFC 8842 §5.2: the answerer said active (it is the DTLS client) or passive (we are).
    make_transport(now, remote.setup == sdp::Setup::kPassive);
  } else if (!apply_subsequent_answer(now, remote)) {
    return false;
  }
  set_signaling(type == DescriptionType::kPranswer ? SignalingState::kHaveRemotePranswer : SignalingState::kStable);
  process(now);
  return true;
}

int PeerConnection::add_remote_candidate(Timestamp now, const std::string& mid, const std::string& line_in) {
  (void)mid;  // one m-line, bundled: every candidate belongs to it
  if (closed_) return -3;
  std::string line = line_in;
  if (line.rfind("a=", 0) == 0) line.erase(0, 2);
  if (line.rfind("candidate:", 0) != 0) line = "candidate:" + line;
  ice::Candidate c;
  if (!ice::parse_candidate(line, c)) return -2;
  if (!have_remote_ || agent_->restart_pending()) {
    // Decisions table: a candidate before the remote description is kept and applied with it (also the
    // peer's candidates for an ICE restart we offered, when they overtake its answer).
    if (early_candidates_.size() >= config_.max_early_candidates) return -3;
    early_candidates_.push_back(line);
    return 0;
  }
  int r = agent_->add_remote_candidate(now, c) ? 0 : -3;
  process(now);
  return r;
}

void PeerConnection::start_gathering(Timestamp now) {
  gathering_wanted_ = true;
  if (!gathering_held_) agent_->start_gathering(now);
}

void PeerConnection::release_gathering(Timestamp now) {
  if (closed_ || !gathering_held_) return;
  gathering_held_ = false;
  if (gathering_wanted_) agent_->start_gathering(now);
  process(now);
}

void PeerConnection::resolved(Timestamp now, const std::string& hostname, const SocketAddress& ip) {
  if (closed_) return;
  agent_->resolved(now, hostname, ip);
  process(now);
}

void PeerConnection::make_transport(Timestamp now, bool dtls_client) {
  dtls_client_ = dtls_client;
  transport_ = std::make_unique<DataTransport>(crypto_, certificate_, dtls_client, remote_fingerprint_,
                                               remote_max_message_size_, config_.receive_window);
  // Channels created before the description exist now on the wire side, in creation order.
  for (auto& [h, c] : channels_) {
    c.inner = transport_->create_channel(now, c.options);
    if (!c.inner) continue;
    inner_to_outer_[c.inner] = h;
    if (c.low_threshold) transport_->set_channel_low_threshold(c.inner, c.low_threshold);
  }
}

uint32_t PeerConnection::outer_of(uint32_t inner) const {
  auto it = inner_to_outer_.find(inner);
  return it == inner_to_outer_.end() ? 0 : it->second;
}

uint32_t PeerConnection::create_channel(Timestamp now, const dcep::ChannelOptions& o) {
  if (closed_ || connection_ == ConnectionState::kFailed || connection_ == ConnectionState::kClosed) return 0;
  if (o.max_retransmits >= 0 && o.max_lifetime_ms >= 0) return 0;
  if (o.negotiated != (o.id >= 0) || o.id > 65534 || o.label.size() > 65535 || o.protocol.size() > 65535) return 0;
  if (o.negotiated) {
    for (const auto& [h, c] : channels_) {
      if (c.options.negotiated && c.options.id == o.id) return 0;
    }
  }
  uint32_t h = next_channel_++;
  Channel& c = channels_[h];
  c.options = o;
  if (transport_) {
    c.inner = transport_->create_channel(now, o);
    if (!c.inner) {
      channels_.erase(h);
      return 0;
    }
    inner_to_outer_[c.inner] = h;
    process(now);
  }
  return h;
}

sctp::SendResult PeerConnection::send(Timestamp now, uint32_t channel, ByteView data, bool is_string) {
  auto it = channels_.find(channel);
  if (closed_ || it == channels_.end() || !transport_ || !it->second.inner) return sctp::SendResult::kNotConnected;
  auto r = transport_->send(now, it->second.inner, data, is_string);
  drain_transport(now);
  return r;
}

void PeerConnection::close_channel(Timestamp now, uint32_t channel) {
  auto it = channels_.find(channel);
  if (closed_ || it == channels_.end()) return;
  if (transport_ && it->second.inner) {
    transport_->close_channel(now, it->second.inner);
    drain_transport(now);
  } else {
    // Never reached the wire: it is closed at once.
    channels_.erase(it);
    PeerEvent e{PeerEvent::Type::kChannelClosed};
    e.channel = channel;
    emit(std::move(e));
  }
}

size_t PeerConnection::buffered_amount(uint32_t channel) const {
  auto it = channels_.find(channel);
  if (it == channels_.end() || !transport_ || !it->second.inner) return 0;
  return transport_->channel_buffered_amount(it->second.inner);
}

void PeerConnection::set_buffered_amount_low_threshold(uint32_t channel, size_t bytes) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  it->second.low_threshold = bytes;
  if (transport_ && it->second.inner) transport_->set_channel_low_threshold(it->second.inner, bytes);
}

void PeerConnection::consume(Timestamp now, size_t bytes) {
  if (closed_ || !transport_) return;
  transport_->consume(now, bytes);
  drain_transport(now);
}

void PeerConnection::handle_timeout(Timestamp now) {
  if (closed_) return;
  if (agent_->next_deadline() <= now) agent_->handle_timeout(now);
  if (transport_ && transport_->next_deadline() <= now) transport_->handle_timeout(now);
  process(now);
}

Timestamp PeerConnection::next_deadline() const {
  if (closed_) return kNever;
  Timestamp t = agent_->next_deadline();
  if (transport_) t = std::min(t, transport_->next_deadline());
  return t;
}

void PeerConnection::process(Timestamp now) {
  if (closed_) return;
  // Each side may feed the other (ICE data → DTLS → ICE sends); a few rounds settle it.
  for (int round = 0; round < 8; ++round) {
    size_t before = events_.size();
    drain_agent(now);
    drain_transport(now);
    if (events_.size() == before && to_agent_.empty()) break;
  }
}

void PeerConnection::drain_agent(Timestamp now) {
  ice::IceEvent e;
  while (agent_->poll_event(e)) {
    switch (e.type) {
      case ice::IceEvent::Type::kLocalCandidate: {
        PeerEvent c{PeerEvent::Type::kLocalCandidate};
        c.text = e.candidate.to_sdp_line();
        c.mid = mid_;
        c.mline_index = mline_index_;
        emit(std::move(c));
        break;
      }
      case ice::IceEvent::Type::kGatheringComplete: {
        PeerEvent g{PeerEvent::Type::kGatheringState};
        g.code = uint8_t(ice::GatheringState::kComplete);
        emit(std::move(g));
        break;
      }
      case ice::IceEvent::Type::kStateChanged:
        switch (e.state) {
          case ice::IceState::kChecking:
            if (connection_ == ConnectionState::kNew) set_connection(ConnectionState::kConnecting);
            break;
          case ice::IceState::kConnected:
            if (connection_ == ConnectionState::kNew) set_connection(ConnectionState::kConnecting);
            if (connection_ == ConnectionState::kDisconnected && transport_ && transport_->connected()) {
              set_connection(ConnectionState::kConnected);  // consent came back (RFC 7675)
            }
            break;
          case ice::IceState::kDisconnected:
            if (connection_ == ConnectionState::kConnected || connection_ == ConnectionState::kConnecting) {
              set_connection(ConnectionState::kDisconnected, e.reason);
            }
            break;
          case ice::IceState::kFailed:
            set_connection(ConnectionState::kFailed, "ICE: " + e.reason);
            break;
          default:
            break;
        }
        break;
      case ice::IceEvent::Type::kSelectedPair:
        // The first pair after an ICE restart: SCTP's timers backed off while the old path was dead.
        if (transport_ && transport_started_ && agent_->restarts() != path_generation_) {
          path_generation_ = agent_->restarts();
          transport_->path_changed(now, agent_->selected_rtt());
        }
        break;
      case ice::IceEvent::Type::kData:
        if (transport_) {
          transport_->handle_datagram(now, ByteView(e.data));
        } else if (early_datagrams_.size() < config_.max_early_datagrams) {
          early_datagrams_.push_back(std::move(e.data));  // the peer's DTLS beat its answer to us
        }
        break;
      case ice::IceEvent::Type::kTurnError:
        break;
      case ice::IceEvent::Type::kResolveRequest: {
        PeerEvent r{PeerEvent::Type::kResolve};
        r.text = e.reason;
        emit(std::move(r));
        break;
      }
    }
  }
  // DTLS starts once ICE has a route (RFC 8842 §4: DTLS runs over the selected pair).
  if (transport_ && !transport_started_ && agent_->state() == ice::IceState::kConnected) {
    transport_started_ = true;
    transport_->start(now, agent_->selected_rtt());
    std::vector<std::vector<uint8_t>> early;
    early.swap(early_datagrams_);
    for (const auto& d : early) transport_->handle_datagram(now, ByteView(d));
  }
}

void PeerConnection::flush_to_agent() {
  while (!to_agent_.empty()) {
    if (!agent_->send(ByteView(to_agent_.front()))) return;  // no selected pair yet: keep them
    to_agent_.pop_front();
  }
}

void PeerConnection::drain_transport(Timestamp now) {
  if (!transport_) return;
  std::vector<uint8_t> d;
  while (transport_->poll_datagram(d)) {
    if (to_agent_.size() < kMaxQueuedToAgent) to_agent_.push_back(std::move(d));
  }
  flush_to_agent();
  TransportEvent te;
  while (transport_->poll_event(te)) {
    switch (te.type) {
      case TransportEvent::Type::kConnected:
        set_connection(ConnectionState::kConnected);
        break;
      case TransportEvent::Type::kFailed:
        set_connection(ConnectionState::kFailed, te.reason);
        break;
      case TransportEvent::Type::kClosed:
        set_connection(ConnectionState::kClosed, te.reason);
        break;
      case TransportEvent::Type::kChannel: {
        const dcep::ChannelEvent& ce = te.channel;
        uint32_t outer = outer_of(ce.channel);
        if (ce.type == dcep::ChannelEvent::Type::kRemoteCreated) {
          outer = next_channel_++;
          Channel& c = channels_[outer];
          c.inner = ce.channel;
          if (const auto* o = transport_->channels().options(ce.channel)) c.options = *o;
          inner_to_outer_[ce.channel] = outer;
          PeerEvent r{PeerEvent::Type::kChannelReceived};
          r.channel = outer;
          r.stream = transport_->channels().stream_id(ce.channel);
          r.options = c.options;
          emit(std::move(r));
          break;
        }
        if (!outer) break;
        PeerEvent pe{PeerEvent::Type::kChannelMessage};
        pe.channel = outer;
        switch (ce.type) {
          case dcep::ChannelEvent::Type::kOpen:
            pe.type = PeerEvent::Type::kChannelOpen;
            pe.stream = transport_->channels().stream_id(ce.channel);
            break;
          case dcep::ChannelEvent::Type::kMessage:
            pe.data = std::move(te.channel.data);
            pe.is_string = ce.is_string;
            break;
          case dcep::ChannelEvent::Type::kClosed:
            pe.type = PeerEvent::Type::kChannelClosed;
            channels_.erase(outer);
            inner_to_outer_.erase(ce.channel);
            break;
          case dcep::ChannelEvent::Type::kClosing:
            pe.type = PeerEvent::Type::kChannelClosing;
            break;
          case dcep::ChannelEvent::Type::kBufferedAmountLow:
            pe.type = PeerEvent::Type::kBufferedAmountLow;
            break;
          default:
            continue;
        }
        emit(std::move(pe));
        break;
      }
    }
  }
  (void)now;
}

bool PeerConnection::poll_transmit(ice::IceTransmit& out) {
  if (!last_words_.empty()) {
    out = std::move(last_words_.front());
    last_words_.pop_front();
    return true;
  }
  return agent_->poll_transmit(out);
}

bool PeerConnection::poll_event(PeerEvent& out) {
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

void PeerConnection::close(Timestamp now) {
  if (closed_) return;
  if (transport_) {
    transport_->close(now);
    std::vector<uint8_t> d;
    while (transport_->poll_datagram(d)) to_agent_.push_back(std::move(d));
    flush_to_agent();
    ice::IceTransmit t;
    while (agent_->poll_transmit(t)) last_words_.push_back(std::move(t));
  }
  closed_ = true;
  connection_ = ConnectionState::kClosed;
  signaling_ = SignalingState::kClosed;
  agent_->close();  // the TURN deallocation still goes out through poll_transmit
  events_.clear();
  channels_.clear();
  to_agent_.clear();
  transport_.reset();
}

}  // namespace wasmrtc::peer
