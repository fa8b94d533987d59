#include "ice/turn_client.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "stun/message_builder.h"

namespace wasmrtc::ice {

namespace {
constexpr Duration kPermissionLifetime = seconds(300);
constexpr Duration kChannelLifetime = seconds(600);
constexpr Duration kRefreshMargin = seconds(60);
constexpr size_t kMaxPeers = 256;
constexpr uint32_t kUdp = 17u << 24;  // REQUESTED-TRANSPORT (RFC 8656 §18.7)
}  // namespace

TurnClient::TurnClient(crypto::Provider& crypto, uint16_t socket, SocketAddress server, std::string username,
                       std::string password)
    : crypto_(crypto), socket_(socket), server_(server), username_(std::move(username)), password_(std::move(password)) {}

TurnClient::~TurnClient() = default;

void TurnClient::fail(std::string why) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  state_ = State::kFailed;
  state_changed_ = true;
  error_ = std::move(why);
  log_message(LogLayer::kTurn, LogLevel::kWarning, "TURN " + server_.to_string() + ": " + error_);
}

void TurnClient::start(Timestamp now) {
  if (state_ != State::kIdle) return;
  state_ = State::kAllocating;
  send_request(now, Kind::kAllocate, SocketAddress(), 0, lifetime_, 0);
}

void TurnClient::send_request(Timestamp now, Kind kind, const SocketAddress& peer, uint16_t channel, uint32_t lifetime,
                              int auth_retries) {
  static const uint16_t methods[] = {stun::method::kAllocate, stun::method::kRefresh, stun::method::kCreatePermission,
                                     stun::method::kChannelBind};
  stun::TransactionId id = stun::new_transaction_id(crypto_);
  stun::MessageBuilder b(methods[int(kind)], stun::MessageClass::kRequest, id);
  switch (kind) {
    case Kind::kAllocate:
      b.add_u32(stun::attr::kRequestedTransport, kUdp);
      b.add_u32(stun::attr::kLifetime, lifetime);
      break;
    case Kind::kRefresh:
      b.add_u32(stun::attr::kLifetime, lifetime);
      break;
    case Kind::kPermission:
      b.add_xor_address(stun::attr::kXorPeerAddress, peer);
      break;
    case Kind::kChannelBind:
      b.add_channel_number(channel);
      b.add_xor_address(stun::attr::kXorPeerAddress, peer);
      break;
  }
  if (have_auth_) {
    // RFC 8489 §9.2.4: long-term credentials on every request after the first challenge.
    b.add_string(stun::attr::kUsername, username_);
    b.add_string(stun::attr::kRealm, realm_);
    b.add_string(stun::attr::kNonce, nonce_);
    b.add_message_integrity(crypto_, ByteView(key_.data(), key_.size()));
  }
  b.add_fingerprint(crypto_);
  auto req = std::make_unique<Request>();
  req->kind = kind;
  req->peer = peer;
  req->channel = channel;
  req->lifetime = lifetime;
  req->auth_retries = auth_retries;
  req->txn = std::make_unique<stun::ClientTransaction>(id, b.take());
  req->txn->start(now);
  while (req->txn->poll_transmit()) out_.push_back(req->txn->request());
  requests_.push_back(std::move(req));
}

bool TurnClient::handle_stun(Timestamp now, const stun::Message& msg, SocketAddress* data_peer,
                             std::vector<uint8_t>* data) {
  if (state_ == State::kClosed) return false;
  if (msg.message_class() == stun::MessageClass::kIndication && msg.method() == stun::method::kData) {
    SocketAddress peer;
    const stun::RawAttribute* d = msg.find(stun::attr::kData);
    if (!d || !msg.get_xor_address(stun::attr::kXorPeerAddress, peer)) return true;
    // Permissions are per IP address (RFC 8656 §9): any port of a permitted IP may send.
    bool permitted = false;
    for (const auto& [addr, p] : peers_) {
      (void)p;
      permitted |= addr.family == peer.family && std::memcmp(addr.ip, peer.ip, addr.ip_size()) == 0;
    }
    if (!permitted) return true;  // not from a peer we opened the relay to
    if (data_peer) *data_peer = peer;
    if (data) *data = msg.value(*d).to_vector();
    return true;
  }
  for (size_t i = 0; i < requests_.size(); ++i) {
    Request& r = *requests_[i];
    if (r.txn->done() || !r.txn->handle_response(now, msg)) continue;
    std::unique_ptr<Request> req = std::move(requests_[i]);
    requests_.erase(requests_.begin() + long(i));
    if (req->txn->state() == stun::ClientTransaction::State::kErrorResponse) {
      int code = 0;
      std::string reason;
      msg.get_error(code, reason);
      if ((code == 401 || code == 438) && req->auth_retries < 2) {
        std::string realm, nonce;
        bool has_realm = msg.get_string(stun::attr::kRealm, realm);
        if (msg.get_string(stun::attr::kNonce, nonce)) nonce_ = nonce;
        if (has_realm) realm_ = realm;
        // A second 401 after we already answered a challenge means the credentials are wrong.
        if (code == 401 && have_auth_ && req->auth_retries >= 1) {
          fail("authentication failed (401 Unauthorized): check the username and credential");
          return true;
        }
        if (realm_.empty() || nonce_.empty()) {
          fail("server challenge without REALM/NONCE");
          return true;
        }
        key_ = stun::long_term_key(crypto_, username_, realm_, password_);
        have_auth_ = true;
        send_request(now, req->kind, req->peer, req->channel, req->lifetime, req->auth_retries + 1);
        return true;
      }
      std::string why = "error " + std::to_string(code) + " " + reason;
      if (req->kind == Kind::kAllocate) {
        fail("allocation refused: " + why + (code == 401 ? " (authentication failed)" : ""));
      } else if (req->kind == Kind::kRefresh && req->lifetime > 0) {
        fail("refresh refused: " + why);
      }
      return true;
    }
    if (req->txn->state() != stun::ClientTransaction::State::kSucceeded) return true;
    // Answers to authenticated requests must carry valid integrity.
    if (have_auth_ && msg.check_integrity(crypto_, ByteView(key_.data(), key_.size())) == stun::IntegrityResult::kInvalid) {
      return true;
    }
    uint32_t lifetime = 0;
    switch (req->kind) {
      case Kind::kAllocate:
        if (!msg.get_xor_address(stun::attr::kXorRelayedAddress, relayed_)) {
          fail("allocation answer without XOR-RELAYED-ADDRESS");
          return true;
        }
        msg.get_xor_address(stun::attr::kXorMappedAddress, mapped_);
        if (msg.get_u32(stun::attr::kLifetime, lifetime) && lifetime > 0) lifetime_ = lifetime;
        refresh_at_ = now + std::max<Duration>(seconds(lifetime_) - kRefreshMargin, seconds(lifetime_) / 2);
        state_ = State::kAllocated;
        if (log_enabled(LogLayer::kTurn, LogLevel::kInfo)) {
          log_message(LogLayer::kTurn, LogLevel::kInfo, "TURN " + server_.to_string() + ": allocated " + relayed_.to_string() + " for " +
                      std::to_string(lifetime_) + " s");
        }
        state_changed_ = true;
        for (auto& [addr, peer] : peers_) {  // peers asked for before the allocation completed
          (void)peer;
          ensure_peer(now, addr);
        }
        break;
      case Kind::kRefresh:
        if (req->lifetime == 0) break;
        if (msg.get_u32(stun::attr::kLifetime, lifetime) && lifetime > 0) lifetime_ = lifetime;
        refresh_at_ = now + std::max<Duration>(seconds(lifetime_) - kRefreshMargin, seconds(lifetime_) / 2);
        break;
      case Kind::kPermission: {
        auto it = peers_.find(req->peer);
        if (it != peers_.end()) {
          it->second.permission_pending = false;
          it->second.permission_expires = now + kPermissionLifetime;
        }
        break;
      }
      case Kind::kChannelBind: {
        auto it = peers_.find(req->peer);
        if (it != peers_.end()) {
          it->second.channel_pending = false;
          it->second.bound = true;
          it->second.channel_expires = now + kChannelLifetime;
          it->second.permission_expires = now + kPermissionLifetime;  // ChannelBind also installs it (§12.2)
        }
        break;
      }
    }
    return true;
  }
  return false;
}

bool TurnClient::handle_channel_data(ByteView d, SocketAddress& peer, ByteView& payload) const {
  if (!looks_like_channel_data(d)) return false;
  uint16_t channel = load_be16(d.data);
  uint16_t len = load_be16(d.data + 2);
  if (size_t(len) + 4 > d.size) return false;
  for (const auto& [addr, p] : peers_) {
    if (p.bound && p.channel == channel) {
      peer = addr;
      payload = ByteView(d.data + 4, len);
      return true;
    }
  }
  return false;
}

void TurnClient::ensure_peer(Timestamp now, const SocketAddress& peer) {
  if (state_ == State::kFailed || state_ == State::kClosed || !peer.valid()) return;
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    if (peers_.size() >= kMaxPeers || next_channel_ > 0x4FFF) return;
    it = peers_.emplace(peer, Peer{}).first;
    it->second.channel = next_channel_++;
  }
  if (state_ != State::kAllocated) return;  // done when the allocation lands
  Peer& p = it->second;
  if (!p.bound && !p.channel_pending) {
    // A permission first, so Send indications work while the channel binds.
    if (!p.permission_pending && p.permission_expires <= now) {
      p.permission_pending = true;
      send_request(now, Kind::kPermission, peer, 0, 0, have_auth_ ? 1 : 0);
    }
    p.channel_pending = true;
    send_request(now, Kind::kChannelBind, peer, p.channel, 0, have_auth_ ? 1 : 0);
  }
}

bool TurnClient::send_to(const SocketAddress& peer, ByteView data) {
  if (state_ != State::kAllocated || data.size > 65535) return false;
  auto it = peers_.find(peer);
  if (it == peers_.end()) return false;
  std::vector<uint8_t> out;
  if (it->second.bound) {
    out.reserve(4 + data.size);
    ByteWriter w(out);
    w.u16(it->second.channel);
    w.u16(uint16_t(data.size));
    w.bytes(data);
  } else {
    stun::MessageBuilder b(stun::method::kSend, stun::MessageClass::kIndication, stun::new_transaction_id(crypto_));
    b.add_xor_address(stun::attr::kXorPeerAddress, peer);
    b.add(stun::attr::kData, data);
    out = b.take();
  }
  out_.push_back(std::move(out));
  return true;
}

void TurnClient::handle_timeout(Timestamp now) {
  for (auto& r : requests_) {
    r->txn->handle_timeout(now);
    while (r->txn->poll_transmit()) out_.push_back(r->txn->request());
  }
  for (auto it = requests_.begin(); it != requests_.end();) {
    if ((*it)->txn->state() == stun::ClientTransaction::State::kTimedOut) {
      if ((*it)->kind == Kind::kAllocate) fail("no answer from the TURN server");
      if ((*it)->kind == Kind::kChannelBind || (*it)->kind == Kind::kPermission) {
        auto p = peers_.find((*it)->peer);
        if (p != peers_.end()) {
          p->second.channel_pending = false;
          p->second.permission_pending = false;
        }
      }
      it = requests_.erase(it);
    } else {
      ++it;
    }
  }
  if (state_ != State::kAllocated) return;
  if (now >= refresh_at_) {
    refresh_at_ = now + seconds(30);  // retried if the answer is lost
    send_request(now, Kind::kRefresh, SocketAddress(), 0, lifetime_, 1);
  }
  for (auto& [addr, p] : peers_) {
    if (p.bound && now >= p.channel_expires - kRefreshMargin && !p.channel_pending) {
      p.channel_pending = true;
      send_request(now, Kind::kChannelBind, addr, p.channel, 0, 1);
    } else if (p.permission_expires && now >= p.permission_expires - kRefreshMargin && !p.permission_pending) {
      p.permission_pending = true;
      send_request(now, Kind::kPermission, addr, 0, 0, 1);
    }
  }
}

Timestamp TurnClient::next_deadline() const {
  if (state_ == State::kFailed || state_ == State::kClosed) return kNever;
  Timestamp t = kNever;
  for (const auto& r : requests_) t = std::min(t, r->txn->next_deadline());
  if (state_ == State::kAllocated) {
    t = std::min(t, refresh_at_);
    for (const auto& [addr, p] : peers_) {
      (void)addr;
      if (p.bound && !p.channel_pending) t = std::min(t, p.channel_expires - kRefreshMargin);
      else if (p.permission_expires && !p.permission_pending) t = std::min(t, p.permission_expires - kRefreshMargin);
    }
  }
  return t;
}

void TurnClient::close(Timestamp now) {
  if (state_ == State::kAllocated) send_request(now, Kind::kRefresh, SocketAddress(), 0, 0, 1);
  state_ = State::kClosed;
  requests_.clear();
}

bool TurnClient::poll_transmit(std::vector<uint8_t>& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

}  // namespace wasmrtc::ice
