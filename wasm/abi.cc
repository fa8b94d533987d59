// The C ABI: the only way into the WebAssembly module. Objects cross as
// handles (slot index + generation), never pointers, and every handle is
// checked. Times are microseconds carried as doubles (exact below 2^53), so
// JavaScript needs no BigInt. Datagrams and outputs move as packed records
// (native/endpoint/io_batch.h), many per call.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/provider.h"
#include "endpoint/endpoint.h"
#include "endpoint/io_batch.h"

#define WR_EXPORT(name) extern "C" __attribute__((export_name(#name), used))

namespace {

using wasmrtc::Endpoint;
using wasmrtc::EndpointConfig;
using wasmrtc::Timestamp;

template <typename T>
class HandleTable {
 public:
  uint32_t insert(std::unique_ptr<T> obj) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].obj) return place(i, std::move(obj));
    }
    if (slots_.size() >= 0xFFFF) return 0;
    slots_.push_back({});
    return place(slots_.size() - 1, std::move(obj));
  }
  T* get(uint32_t h) {
    size_t idx = (h & 0xFFFF);
    if (idx == 0 || idx > slots_.size()) return nullptr;
    Slot& s = slots_[idx - 1];
    if (!s.obj || s.generation != (h >> 16)) return nullptr;
    return s.obj.get();
  }
  bool erase(uint32_t h) {
    if (!get(h)) return false;
    Slot& s = slots_[(h & 0xFFFF) - 1];
    s.obj.reset();
    s.generation = uint16_t(s.generation + 1) ? uint16_t(s.generation + 1) : 1;
    return true;
  }
  size_t count() const {
    size_t n = 0;
    for (const auto& s : slots_) n += s.obj ? 1 : 0;
    return n;
  }

 private:
  struct Slot {
    std::unique_ptr<T> obj;
    uint16_t generation = 1;
  };
  uint32_t place(size_t i, std::unique_ptr<T> obj) {
    slots_[i].obj = std::move(obj);
    return (uint32_t(slots_[i].generation) << 16) | uint32_t(i + 1);
  }
  std::vector<Slot> slots_;
};

HandleTable<Endpoint>& endpoints() {
  static HandleTable<Endpoint> table;
  return table;
}

Timestamp to_time(double us) {
  if (!(us >= 0)) return 0;  // also catches NaN
  if (us > 9.0e15) return Timestamp(9.0e15);
  return Timestamp(us);
}

}  // namespace

WR_EXPORT(wr_alloc) void* wr_alloc(size_t n) { return std::malloc(n ? n : 1); }
WR_EXPORT(wr_free) void wr_free(void* p) { std::free(p); }

WR_EXPORT(wr_endpoint_new) uint32_t wr_endpoint_new(const char* cfg, size_t len) {
  EndpointConfig config;
  if (!EndpointConfig::parse(std::string_view(cfg ? cfg : "", cfg ? len : 0), config)) return 0;
  return endpoints().insert(std::make_unique<Endpoint>(wasmrtc::crypto::default_provider(), config));
}

WR_EXPORT(wr_endpoint_free) int wr_endpoint_free(uint32_t h) { return endpoints().erase(h) ? 0 : -1; }

WR_EXPORT(wr_endpoint_count) int wr_endpoint_count() { return int(endpoints().count()); }

WR_EXPORT(wr_endpoint_input)
int wr_endpoint_input(uint32_t h, double now_us, const uint8_t* data, size_t len) {
  Endpoint* ep = endpoints().get(h);
  if (!ep || (!data && len)) return -1;
  wasmrtc::io::InputBatchReader reader(data, len);
  wasmrtc::io::InputDatagram d;
  int n = 0;
  Timestamp now = to_time(now_us);
  while (reader.next(d)) {
    ep->handle_datagram(now, d.socket, d.from, d.data);
    ++n;
  }
  return reader.ok() ? n : -2;
}

WR_EXPORT(wr_endpoint_timeout) int wr_endpoint_timeout(uint32_t h, double now_us) {
  Endpoint* ep = endpoints().get(h);
  if (!ep) return -1;
  ep->handle_timeout(to_time(now_us));
  return 0;
}

// Writes as many pending outputs as fit; returns the bytes written (0 = none left), or
// -(bytes needed) when the next record alone is larger than `cap` (the caller grows its area).
WR_EXPORT(wr_endpoint_poll) int wr_endpoint_poll(uint32_t h, uint8_t* out, size_t cap) {
  Endpoint* ep = endpoints().get(h);
  if (!ep || !out) return -1;
  wasmrtc::io::OutputBatchWriter w(out, cap);
  auto too_big = [&](size_t payload) {
    size_t need = wasmrtc::io::OutputBatchWriter::record_size(payload);
    return w.size() == 0 && need > cap ? -int(need) : int(w.size());
  };
  while (const wasmrtc::Transmit* t = ep->peek_transmit()) {
    wasmrtc::io::OutputRecord r;
    r.kind = wasmrtc::io::kKindTransmit;
    r.socket = t->socket;
    r.address = t->to;
    r.payload = wasmrtc::ByteView(t->data);
    if (!w.write(r)) return too_big(t->data.size());
    ep->pop_transmit();
  }
  while (const wasmrtc::EndpointEvent* e = ep->peek_event()) {
    wasmrtc::io::OutputRecord r;
    r.kind = wasmrtc::io::kKindEvent;
    r.code = uint16_t(e->type);
    r.id = e->id;
    r.address = e->address;
    r.payload = wasmrtc::ByteView(e->payload);
    if (!w.write(r)) return too_big(e->payload.size());
    ep->pop_event();
  }
  return int(w.size());
}

WR_EXPORT(wr_endpoint_next_deadline) double wr_endpoint_next_deadline(uint32_t h) {
  Endpoint* ep = endpoints().get(h);
  if (!ep) return -1;
  Timestamp t = ep->next_deadline();
  return t == wasmrtc::kNever ? -1.0 : double(t);
}

WR_EXPORT(wr_endpoint_stun_request)
uint32_t wr_endpoint_stun_request(uint32_t h, double now_us, uint32_t socket, uint32_t family, uint32_t port,
                                  const uint8_t* ip) {
  Endpoint* ep = endpoints().get(h);
  if (!ep || !ip || port == 0 || port > 0xFFFF || socket > 0xFFFF) return 0;
  wasmrtc::SocketAddress server;
  if (family == 4) {
    server = wasmrtc::SocketAddress::v4(ip[0], ip[1], ip[2], ip[3], uint16_t(port));
  } else if (family == 6) {
    server = wasmrtc::SocketAddress::v6(ip, uint16_t(port));
  } else {
    return 0;
  }
  return ep->start_binding_request(to_time(now_us), uint16_t(socket), server);
}

// Writes the endpoint's counters as f64 (LE) at out: datagrams_in, stun_in,
// stun_requests_answered, dropped_malformed, dropped_unhandled, transmits_out,
// transmits_dropped, then the last answered STUN client as family, port and 16 ip bytes.
WR_EXPORT(wr_endpoint_stats) int wr_endpoint_stats(uint32_t h, uint8_t* out) {
  Endpoint* ep = endpoints().get(h);
  if (!ep || !out) return -1;
  const wasmrtc::EndpointStats& s = ep->stats();
  const double values[] = {double(s.datagrams_in), double(s.stun_in), double(s.stun_requests_answered),
                           double(s.dropped_malformed), double(s.dropped_unhandled), double(s.transmits_out),
                           double(s.transmits_dropped), double(uint8_t(s.last_stun_client.family)),
                           double(s.last_stun_client.port)};
  std::memcpy(out, values, sizeof values);
  std::memcpy(out + sizeof values, s.last_stun_client.ip, 16);
  return int(sizeof values + 16);
}

// 1 when the core already trusts `from` on `socket` (an ICE-authenticated peer route, a DTLS session's
// bound remote, a STUN server we are asking, an agent's valid pair: Endpoint::knows_route), 0 when not,
// -1 for a bad handle or address.
// The receive path's rate limiter asks it only when a source runs out of budget.
WR_EXPORT(wr_endpoint_knows_route)
int wr_endpoint_knows_route(uint32_t h, uint32_t socket, uint32_t family, uint32_t port, const uint8_t* ip) {
  const Endpoint* ep = endpoints().get(h);
  if (!ep || !ip || port > 0xFFFF || socket > 0xFFFF) return -1;
  wasmrtc::SocketAddress from;
  if (family == 4) {
    from = wasmrtc::SocketAddress::v4(ip[0], ip[1], ip[2], ip[3], uint16_t(port));
  } else if (family == 6) {
    from = wasmrtc::SocketAddress::v6(ip, uint16_t(port));
  } else {
    return -1;
  }
  return ep->knows_route(uint16_t(socket), from) ? 1 : 0;
}

// ---------------------------------------------------------------- ICE agents
namespace {

bool read_address(uint32_t family, uint32_t port, const uint8_t* ip, wasmrtc::SocketAddress& out) {
  if (!ip || port > 0xFFFF) return false;
  if (family == 4) {
    out = wasmrtc::SocketAddress::v4(ip[0], ip[1], ip[2], ip[3], uint16_t(port));
  } else if (family == 6) {
    out = wasmrtc::SocketAddress::v6(ip, uint16_t(port));
  } else {
    return false;
  }
  return true;
}

std::string text(const char* p, size_t n) { return p ? std::string(p, n) : std::string(); }

// Both handles checked: the endpoint's, then the agent's id within it.
wasmrtc::ice::IceAgent* agent_of(uint32_t h, uint32_t id, Endpoint*& ep) {
  ep = endpoints().get(h);
  return ep ? ep->agent(id) : nullptr;
}

// kind 0 = STUN, 1 = TURN (username/password used); 0 or -1.
int add_server(wasmrtc::ice::IceAgent* a, uint32_t kind, uint32_t family, uint32_t port, const uint8_t* ip,
               const char* user, size_t user_len, const char* pass, size_t pass_len) {
  wasmrtc::SocketAddress addr;
  if (!a || port == 0 || !read_address(family, port, ip, addr) || user_len > 512 || pass_len > 512) return -1;
  if (kind == 0) {
    a->add_stun_server(addr);
  } else if (kind == 1) {
    a->add_turn_server(addr, text(user, user_len), text(pass, pass_len));
  } else {
    return -1;
  }
  return 0;
}

}  // namespace

WR_EXPORT(wr_ice_new) uint32_t wr_ice_new(uint32_t h, double now_us, const char* cfg, size_t len) {
  Endpoint* ep = endpoints().get(h);
  wasmrtc::ice::IceConfig config;
  if (!ep || !wasmrtc::parse_ice_config(std::string_view(cfg ? cfg : "", cfg ? len : 0), config)) return 0;
  return ep->create_agent(to_time(now_us), std::move(config));
}

// Writes "ufrag\npwd" at out; returns the length, or -1.
WR_EXPORT(wr_ice_local_credentials) int wr_ice_local_credentials(uint32_t h, uint32_t id, char* out, size_t cap) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  if (!a || !out) return -1;
  std::string s = a->local_ufrag() + "\n" + a->local_pwd();
  if (s.size() > cap) return -1;
  std::memcpy(out, s.data(), s.size());
  return int(s.size());
}

WR_EXPORT(wr_ice_add_host)
int wr_ice_add_host(uint32_t h, uint32_t id, uint32_t socket, uint32_t family, uint32_t port, const uint8_t* ip) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  wasmrtc::SocketAddress addr;
  if (!a || socket >= 0x8000 || !read_address(family, port, ip, addr)) return -1;
  a->add_host_candidate(uint16_t(socket), addr);
  ep->collect_agent(id);
  return 0;
}

// kind 0 = STUN, 1 = TURN (username/password used).
WR_EXPORT(wr_ice_add_server)
int wr_ice_add_server(uint32_t h, uint32_t id, uint32_t kind, uint32_t family, uint32_t port, const uint8_t* ip,
                      const char* user, size_t user_len, const char* pass, size_t pass_len) {
  Endpoint* ep = nullptr;
  return add_server(agent_of(h, id, ep), kind, family, port, ip, user, user_len, pass, pass_len);
}

WR_EXPORT(wr_ice_gather) int wr_ice_gather(uint32_t h, uint32_t id, double now_us) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  if (!a) return -1;
  a->start_gathering(to_time(now_us));
  ep->collect_agent(id);
  return 0;
}

WR_EXPORT(wr_ice_set_remote)
int wr_ice_set_remote(uint32_t h, uint32_t id, const char* ufrag, size_t ulen, const char* pwd, size_t plen) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  if (!a || ulen > 256 || plen > 256) return -1;
  return a->set_remote_credentials(text(ufrag, ulen), text(pwd, plen)) ? 0 : -2;
}

// 0 added, -1 bad handle, -2 malformed line, -3 refused (limit, not UDP, unresolved name).
WR_EXPORT(wr_ice_add_remote_candidate)
int wr_ice_add_remote_candidate(uint32_t h, uint32_t id, double now_us, const char* line, size_t len) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  if (!a) return -1;
  wasmrtc::ice::Candidate c;
  if (!line || !wasmrtc::ice::parse_candidate(std::string_view(line, len), c)) return -2;
  int r = a->add_remote_candidate(to_time(now_us), c) ? 0 : -3;
  ep->collect_agent(id);
  return r;
}

WR_EXPORT(wr_ice_set_remote_lite) int wr_ice_set_remote_lite(uint32_t h, uint32_t id, int lite) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  if (!a) return -1;
  a->set_remote_lite(lite != 0);
  return 0;
}

// The host's answer to a kIceResolve event; family 0 = the name did not resolve.
WR_EXPORT(wr_ice_resolved)
int wr_ice_resolved(uint32_t h, uint32_t id, double now_us, const char* name, size_t len, uint32_t family,
                    const uint8_t* ip) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  if (!a || !name || len > 253) return -1;
  wasmrtc::SocketAddress addr;
  if (family != 0 && !read_address(family, 0, ip, addr)) return -1;
  a->resolved(to_time(now_us), std::string(name, len), addr);
  ep->collect_agent(id);
  return 0;
}

WR_EXPORT(wr_ice_end_remote) int wr_ice_end_remote(uint32_t h, uint32_t id, double now_us) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  if (!a) return -1;
  a->end_of_remote_candidates(to_time(now_us));
  ep->collect_agent(id);
  return 0;
}

WR_EXPORT(wr_ice_send) int wr_ice_send(uint32_t h, uint32_t id, const uint8_t* data, size_t len) {
  Endpoint* ep = nullptr;
  wasmrtc::ice::IceAgent* a = agent_of(h, id, ep);
  if (!a || (!data && len) || len > 65535) return -1;
  bool ok = a->send(wasmrtc::ByteView(data, len));
  ep->collect_agent(id);
  return ok ? 0 : -2;
}

WR_EXPORT(wr_ice_close) int wr_ice_close(uint32_t h, uint32_t id) {
  Endpoint* ep = endpoints().get(h);
  return ep && ep->close_agent(id) ? 0 : -1;
}

// ---------------------------------------------------------------- DTLS sessions
WR_EXPORT(wr_dtls_new)
uint32_t wr_dtls_new(uint32_t h, uint32_t socket, uint32_t family, uint32_t port, const uint8_t* ip, const char* cfg,
                     size_t len) {
  Endpoint* ep = endpoints().get(h);
  wasmrtc::dtls::DtlsConfig config;
  wasmrtc::SocketAddress remote;
  if (!ep || socket > 0x7FFF || !wasmrtc::parse_dtls_config(std::string_view(cfg ? cfg : "", cfg ? len : 0), config)) {
    return 0;
  }
  if (family != 0 && !read_address(family, port, ip, remote)) return 0;
  return ep->create_dtls(uint16_t(socket), remote, std::move(config));
}

// Writes the local certificate's SHA-256 fingerprint ("AB:CD:...") at out; returns its length.
WR_EXPORT(wr_dtls_fingerprint) int wr_dtls_fingerprint(uint32_t h, uint32_t id, char* out, size_t cap) {
  Endpoint* ep = endpoints().get(h);
  const wasmrtc::dtls::Certificate* c = ep ? ep->dtls_certificate(id) : nullptr;
  if (!c || !out || c->fingerprint.size() > cap) return -1;
  std::memcpy(out, c->fingerprint.data(), c->fingerprint.size());
  return int(c->fingerprint.size());
}

WR_EXPORT(wr_dtls_start) int wr_dtls_start(uint32_t h, uint32_t id, double now_us) {
  Endpoint* ep = endpoints().get(h);
  wasmrtc::dtls::DtlsEndpoint* d = ep ? ep->dtls_session(id) : nullptr;
  if (!d) return -1;
  d->start(to_time(now_us));
  ep->collect_dtls(id);
  return 0;
}

WR_EXPORT(wr_dtls_send) int wr_dtls_send(uint32_t h, uint32_t id, const uint8_t* data, size_t len) {
  Endpoint* ep = endpoints().get(h);
  wasmrtc::dtls::DtlsEndpoint* d = ep ? ep->dtls_session(id) : nullptr;
  if (!d || (!data && len)) return -1;
  bool ok = d->send(wasmrtc::ByteView(data, len));
  ep->collect_dtls(id);
  return ok ? 0 : -2;
}

WR_EXPORT(wr_dtls_close) int wr_dtls_close(uint32_t h, uint32_t id) {
  Endpoint* ep = endpoints().get(h);
  return ep && ep->close_dtls(id) ? 0 : -1;
}

// ---------------------------------------------------------------- peer connections
namespace {

wasmrtc::peer::PeerConnection* peer_of(uint32_t h, uint32_t id, Endpoint*& ep) {
  ep = endpoints().get(h);
  return ep ? ep->peer(id) : nullptr;
}

// Peer keys (max_message_size, receive_window) plus the ICE agent's keys (parse_ice_config).
bool parse_peer_config(std::string_view text, wasmrtc::peer::PeerConfig& out) {
  std::string ice;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    size_t eq = line.find('=');
    std::string_view key = line.substr(0, eq), value = eq == std::string_view::npos ? "" : line.substr(eq + 1);
    if (key == "defer_gathering") {
      if (value != "0" && value != "1") return false;
      out.defer_gathering = value == "1";
      continue;
    }
    if (key == "max_message_size" || key == "receive_window") {
      uint64_t v = 0;
      if (value.empty() || value.size() > 10) return false;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + uint64_t(c - '0');
      }
      if (key == "max_message_size") {
        if (v < 1 || v > 0x40000000) return false;
        out.max_message_size = uint32_t(v);
      } else {
        if (v < 16384 || v > 0x40000000) return false;
        out.receive_window = uint32_t(v);
      }
      continue;
    }
    ice.append(line.data(), line.size());
    ice.push_back('\n');
  }
  return wasmrtc::parse_ice_config(ice, out.ice);
}

int send_result_code(wasmrtc::sctp::SendResult r) {
  switch (r) {
    case wasmrtc::sctp::SendResult::kOk: return 0;
    case wasmrtc::sctp::SendResult::kTooLarge: return 1;
    case wasmrtc::sctp::SendResult::kBufferFull: return 2;
    case wasmrtc::sctp::SendResult::kNotConnected: return 3;
    case wasmrtc::sctp::SendResult::kStreamResetting: return 4;
  }
  return 3;
}

}  // namespace

WR_EXPORT(wr_peer_new) uint32_t wr_peer_new(uint32_t h, double now_us, const char* cfg, size_t len) {
  Endpoint* ep = endpoints().get(h);
  wasmrtc::peer::PeerConfig config;
  if (!ep || !parse_peer_config(std::string_view(cfg ? cfg : "", cfg ? len : 0), config)) return 0;
  return ep->create_peer(to_time(now_us), std::move(config));
}

WR_EXPORT(wr_peer_count) int wr_peer_count(uint32_t h) {
  Endpoint* ep = endpoints().get(h);
  return ep ? int(ep->peer_count()) : -1;
}

// add != 0: a host candidate on a local socket; 0: the host lost that address (it moved to another network).
static int peer_host(uint32_t h, uint32_t id, uint32_t socket, uint32_t family, uint32_t port, const uint8_t* ip, bool add) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  wasmrtc::SocketAddress addr;
  if (!pc || socket >= 0x8000 || !read_address(family, port, ip, addr)) return -1;
  if (add) {
    pc->agent().add_host_candidate(uint16_t(socket), addr);
  } else {
    pc->agent().retire_host_candidate(uint16_t(socket), addr);
  }
  ep->collect_peer(id);
  return 0;
}

WR_EXPORT(wr_peer_add_host)
int wr_peer_add_host(uint32_t h, uint32_t id, uint32_t socket, uint32_t family, uint32_t port, const uint8_t* ip) {
  return peer_host(h, id, socket, family, port, ip, true);
}

WR_EXPORT(wr_peer_remove_host)
int wr_peer_remove_host(uint32_t h, uint32_t id, uint32_t socket, uint32_t family, uint32_t port, const uint8_t* ip) {
  return peer_host(h, id, socket, family, port, ip, false);
}


// kind 0 = STUN, 1 = TURN (username/password used).
WR_EXPORT(wr_peer_add_server)
int wr_peer_add_server(uint32_t h, uint32_t id, uint32_t kind, uint32_t family, uint32_t port, const uint8_t* ip,
                       const char* user, size_t user_len, const char* pass, size_t pass_len) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  return add_server(pc ? &pc->agent() : nullptr, kind, family, port, ip, user, user_len, pass, pass_len);
}

WR_EXPORT(wr_peer_release_gathering) int wr_peer_release_gathering(uint32_t h, uint32_t id, double now_us) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc) return -1;
  pc->release_gathering(to_time(now_us));
  ep->collect_peer(id);
  return 0;
}

// Godot-facing states, read synchronously: signaling | connection << 8.
WR_EXPORT(wr_peer_states) int wr_peer_states(uint32_t h, uint32_t id) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc) return -1;
  return int(pc->signaling_state()) | int(pc->connection_state()) << 8;
}

// 0 done, -1 bad handle, -2 refused (wr_peer_error says why).
WR_EXPORT(wr_peer_create_offer) int wr_peer_create_offer(uint32_t h, uint32_t id, double now_us) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc) return -1;
  bool ok = pc->create_offer(to_time(now_us));
  ep->collect_peer(id);
  return ok ? 0 : -2;
}

// W3C restartIce(): the next offer restarts ICE. Returns the number of completed ICE restarts.
WR_EXPORT(wr_peer_restart_ice) int wr_peer_restart_ice(uint32_t h, uint32_t id, uint32_t request) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc) return -1;
  if (request) pc->restart_ice();
  return int(pc->ice_restarts());
}

// type: 0 offer, 1 answer, 2 pranswer, 3 rollback.
WR_EXPORT(wr_peer_set_remote)
int wr_peer_set_remote(uint32_t h, uint32_t id, double now_us, uint32_t type, const char* sdp, size_t len) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc || type > 3 || (!sdp && len) || len > 1024 * 1024) return -1;
  bool ok = pc->set_remote_description(to_time(now_us), wasmrtc::peer::DescriptionType(type), text(sdp, len));
  ep->collect_peer(id);
  return ok ? 0 : -2;
}

WR_EXPORT(wr_peer_error) int wr_peer_error(uint32_t h, uint32_t id, char* out, size_t cap) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc || !out) return -1;
  const std::string& e = pc->last_error();
  size_t n = std::min(e.size(), cap);
  std::memcpy(out, e.data(), n);
  return int(n);
}

// 0 added (or kept until the remote description), -1 bad handle, -2 malformed, -3 not usable.
WR_EXPORT(wr_peer_add_candidate)
int wr_peer_add_candidate(uint32_t h, uint32_t id, double now_us, const char* mid, size_t mid_len, const char* line,
                          size_t len) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc || mid_len > 256 || len > 4096 || (!line && len)) return -1;
  int r = pc->add_remote_candidate(to_time(now_us), text(mid, mid_len), text(line, len));
  ep->collect_peer(id);
  return r;
}

WR_EXPORT(wr_peer_resolved)
int wr_peer_resolved(uint32_t h, uint32_t id, double now_us, const char* name, size_t len, uint32_t family,
                     const uint8_t* ip) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc || !name || len > 253) return -1;
  wasmrtc::SocketAddress addr;
  if (family != 0 && !read_address(family, 0, ip, addr)) return -1;
  pc->resolved(to_time(now_us), std::string(name, len), addr);
  ep->collect_peer(id);
  return 0;
}

// flags: bit 0 ordered, bit 1 negotiated. stream_id, max_retransmits, max_lifetime_ms: -1 when unset.
WR_EXPORT(wr_peer_channel_new)
uint32_t wr_peer_channel_new(uint32_t h, uint32_t id, double now_us, const char* label, size_t label_len,
                             const char* protocol, size_t protocol_len, uint32_t flags, int stream_id,
                             int max_retransmits, int max_lifetime_ms, uint32_t priority) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc || label_len > 65535 || protocol_len > 65535 || priority > 0xFFFF) return 0;
  wasmrtc::dcep::ChannelOptions o;
  o.label = text(label, label_len);
  o.protocol = text(protocol, protocol_len);
  o.ordered = (flags & 1) != 0;
  o.negotiated = (flags & 2) != 0;
  o.id = stream_id < 0 ? -1 : stream_id;
  o.max_retransmits = max_retransmits < 0 ? -1 : std::min(max_retransmits, 65535);
  o.max_lifetime_ms = max_lifetime_ms < 0 ? -1 : std::min(max_lifetime_ms, 65535);
  o.priority = uint16_t(priority);
  uint32_t ch = pc->create_channel(to_time(now_us), o);
  ep->collect_peer(id);
  return ch;
}

// 0 ok, 1 too large, 2 buffer full, 3 not open, 4 closing; -1 bad handle.
WR_EXPORT(wr_peer_send)
int wr_peer_send(uint32_t h, uint32_t id, double now_us, uint32_t channel, const uint8_t* data, size_t len,
                 int is_string) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc || (!data && len)) return -1;
  int r = send_result_code(pc->send(to_time(now_us), channel, wasmrtc::ByteView(data, len), is_string != 0));
  ep->collect_peer(id);
  return r;
}

WR_EXPORT(wr_peer_channel_close) int wr_peer_channel_close(uint32_t h, uint32_t id, double now_us, uint32_t channel) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc) return -1;
  pc->close_channel(to_time(now_us), channel);
  ep->collect_peer(id);
  return 0;
}

WR_EXPORT(wr_peer_buffered) double wr_peer_buffered(uint32_t h, uint32_t id, uint32_t channel) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  return pc ? double(pc->buffered_amount(channel)) : -1.0;
}

WR_EXPORT(wr_peer_set_low_threshold) int wr_peer_set_low_threshold(uint32_t h, uint32_t id, uint32_t channel, double bytes) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc || !(bytes >= 0) || bytes > 4.0e9) return -1;
  pc->set_buffered_amount_low_threshold(channel, size_t(bytes));
  return 0;
}

// The application read `bytes` of delivered messages; the SCTP receive window reopens.
WR_EXPORT(wr_peer_consume) int wr_peer_consume(uint32_t h, uint32_t id, double now_us, double bytes) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  if (!pc || !(bytes >= 0) || bytes > 4.0e9) return -1;
  pc->consume(to_time(now_us), size_t(bytes));
  ep->collect_peer(id);
  return 0;
}

WR_EXPORT(wr_peer_remote_max_message_size) double wr_peer_remote_max_message_size(uint32_t h, uint32_t id) {
  Endpoint* ep = nullptr;
  wasmrtc::peer::PeerConnection* pc = peer_of(h, id, ep);
  return pc ? double(pc->remote_max_message_size()) : -1.0;
}

WR_EXPORT(wr_peer_close) int wr_peer_close(uint32_t h, uint32_t id, double now_us) {
  Endpoint* ep = endpoints().get(h);
  return ep && ep->close_peer(to_time(now_us), id) ? 0 : -1;
}
