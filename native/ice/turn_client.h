// A TURN client over UDP (RFC 8656), sans-IO: Allocate with long-term
// credentials (the 401 / 438 nonce dance), Refresh, CreatePermission,
// ChannelBind, Send/Data indications and ChannelData. Everything it sends goes
// to the TURN server; the owner routes the server's answers back here.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/fifo.h"
#include "common/socket_address.h"
#include "common/time.h"
#include "crypto/provider.h"
#include "stun/client_transaction.h"
#include "stun/message.h"

namespace wasmrtc::ice {

class TurnClient {
 public:
  enum class State { kIdle, kAllocating, kAllocated, kFailed, kClosed };

  TurnClient(crypto::Provider& crypto, uint16_t socket, SocketAddress server, std::string username,
             std::string password);
  ~TurnClient();

  void start(Timestamp now);
  // Deallocates (Refresh with LIFETIME 0, best effort) and stops.
  void close(Timestamp now);

  // A STUN message from the server: responses to our requests, Data indications.
  // Returns true when it was ours. A Data indication yields (peer, payload).
  bool handle_stun(Timestamp now, const stun::Message& msg, SocketAddress* data_peer, std::vector<uint8_t>* data);
  // ChannelData from the server (RFC 8656 §12.4). False if malformed or unbound.
  bool handle_channel_data(ByteView datagram, SocketAddress& peer, ByteView& payload) const;
  void handle_timeout(Timestamp now);

  // Installs a permission and a channel for the peer (idempotent; refreshed automatically).
  void ensure_peer(Timestamp now, const SocketAddress& peer);
  // Relays data to the peer: ChannelData once the channel is bound, else a Send indication.
  bool send_to(const SocketAddress& peer, ByteView data);

  bool poll_transmit(std::vector<uint8_t>& out);
  Timestamp next_deadline() const;

  State state() const { return state_; }
  uint16_t socket() const { return socket_; }
  const SocketAddress& server() const { return server_; }
  const SocketAddress& relayed() const { return relayed_; }
  const SocketAddress& mapped() const { return mapped_; }
  const std::string& error() const { return error_; }
  // True once per transition to kAllocated / kFailed (for the owner to report).
  bool take_state_change() {
    bool c = state_changed_;
    state_changed_ = false;
    return c;
  }

 private:
  enum class Kind { kAllocate, kRefresh, kPermission, kChannelBind };
  struct Request {
    Kind kind;
    SocketAddress peer;
    uint16_t channel = 0;
    uint32_t lifetime = 0;
    int auth_retries = 0;
    std::unique_ptr<stun::ClientTransaction> txn;
  };
  struct Peer {
    uint16_t channel = 0;
    bool bound = false;
    Timestamp permission_expires = 0;  // refresh before (RFC 8656 §9: 300 s)
    Timestamp channel_expires = 0;     // refresh before (§12: 600 s)
    bool permission_pending = false;
    bool channel_pending = false;
  };

  void send_request(Timestamp now, Kind kind, const SocketAddress& peer, uint16_t channel, uint32_t lifetime,
                    int auth_retries);
  void fail(std::string why);

  crypto::Provider& crypto_;
  uint16_t socket_;
  SocketAddress server_;
  std::string username_, password_, realm_, nonce_;
  std::array<uint8_t, 16> key_{};
  bool have_auth_ = false;
  State state_ = State::kIdle;
  bool state_changed_ = false;
  std::string error_;
  SocketAddress relayed_, mapped_;
  Timestamp refresh_at_ = kNever;
  uint32_t lifetime_ = 600;
  uint16_t next_channel_ = 0x4000;
  std::map<SocketAddress, Peer> peers_;
  std::vector<std::unique_ptr<Request>> requests_;
  Fifo<std::vector<uint8_t>> out_;
};

// RFC 7983 / RFC 8656 §12.4: ChannelData starts with 0b01 (channel numbers 0x4000..0x4FFF).
inline bool looks_like_channel_data(ByteView d) { return d.size >= 4 && d[0] >= 0x40 && d[0] <= 0x4F; }

}  // namespace wasmrtc::ice
