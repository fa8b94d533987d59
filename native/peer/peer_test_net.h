// Test harness: two peer connections, each hosted by its own endpoint, over an
// in-memory link on virtual time, with the test doing the signaling as an
// application would. Shared by the peer tests (test-only header).
#pragma once

#include <gtest/gtest.h>

#include <random>

#include "endpoint/endpoint.h"
#include "peer/peer_connection.h"

namespace wasmrtc::peer {
namespace {

crypto::Provider& P() { return crypto::default_provider(); }

struct Side {
  std::unique_ptr<Endpoint> ep;
  uint32_t id = 0;
  SocketAddress addr;
  std::vector<EndpointEvent> events;
  PeerConnection& pc() { return *ep->peer(id); }
};

struct Net {
  Side a, b;
  Timestamp now = 1000;
  double loss = 0;
  std::mt19937 rng{11};
  struct InFlight {
    Timestamp at;
    bool to_b;
    SocketAddress from;
    std::vector<uint8_t> data;
  };
  std::vector<InFlight> wire;
  bool trickle = true;
  int drop_dtls = 0;  // this many DTLS datagrams are lost, whichever side sends them
  // Deliver only what is sent to the other side's current address (a side that moved no longer gets
  // what is sent to its old one).
  bool route_by_address = false;
  bool blackout = false;  // nothing gets through (a network switch in progress)
  bool auto_signal = true;  // descriptions and candidates go to the other side at once

  Net() {
    for (Side* s : {&a, &b}) {
      s->ep = std::make_unique<Endpoint>(P(), EndpointConfig{});
      PeerConfig pc;
      s->id = s->ep->create_peer(now, pc);
    }
    a.addr = SocketAddress::v4(10, 0, 0, 1, 5000);
    b.addr = SocketAddress::v4(10, 0, 0, 2, 6000);
    a.pc().agent().add_host_candidate(0, a.addr);
    b.pc().agent().add_host_candidate(0, b.addr);
  }
  Side& other(Side& s) { return &s == &a ? b : a; }
  void collect(Side& s) {
    std::uniform_real_distribution<double> u(0, 1);
    while (const Transmit* t = s.ep->peek_transmit()) {
      bool dtls = !t->data.empty() && t->data[0] >= 20 && t->data[0] <= 63;
      if (blackout || (route_by_address && t->to != other(s).addr)) {
        // nobody is there any more
      } else if (dtls && drop_dtls > 0) {
        --drop_dtls;
      } else if (u(rng) >= loss) {
        wire.push_back({now + ms(5), &s == &a, s.addr, t->data});
      }
      s.ep->pop_transmit();
    }
    while (const EndpointEvent* e = s.ep->peek_event()) {
      EndpointEvent copy = *e;
      s.ep->pop_event();
      // Signaling, done by the test as an application would: descriptions and candidates to the other side.
      Side& o = other(s);
      if (copy.type == EndpointEventType::kPeerLocalDescription) {
        std::string sdp(copy.payload.begin() + 1, copy.payload.end());
        if (trickle && auto_signal) {
          o.pc().set_remote_description(now, DescriptionType(copy.payload[0]), sdp);
          o.ep->collect_peer(o.id);
        }
      } else if (copy.type == EndpointEventType::kPeerLocalCandidate && trickle && auto_signal) {
        size_t mid_len = copy.payload[2];
        std::string mid(copy.payload.begin() + 3, copy.payload.begin() + 3 + mid_len);
        std::string line(copy.payload.begin() + 3 + mid_len, copy.payload.end());
        EXPECT_EQ(o.pc().add_remote_candidate(now, mid, line), 0) << line;
        o.ep->collect_peer(o.id);
      }
      s.events.push_back(std::move(copy));
    }
  }
  void step() {
    collect(a);
    collect(b);
    Timestamp next = std::min(a.ep->next_deadline(), b.ep->next_deadline());
    for (auto& w : wire) next = std::min(next, w.at);
    if (next == kNever) return;
    now = std::max(now, next);
    std::vector<InFlight> due;
    for (auto it = wire.begin(); it != wire.end();) {
      if (it->at <= now) {
        due.push_back(std::move(*it));
        it = wire.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& w : due) (w.to_b ? b : a).ep->handle_datagram(now, 0, w.from, ByteView(w.data));
    a.ep->handle_timeout(now);
    b.ep->handle_timeout(now);
  }
  template <typename F>
  bool until(F f, Duration limit) {
    Timestamp end = now + limit;
    for (int i = 0; i < 500000 && !f() && now < end; ++i) step();
    collect(a);
    collect(b);
    return f();
  }
  static uint32_t u32(const std::vector<uint8_t>& p, size_t at = 0) {
    return uint32_t(p[at]) | uint32_t(p[at + 1]) << 8 | uint32_t(p[at + 2]) << 16 | uint32_t(p[at + 3]) << 24;
  }
  static std::vector<std::vector<uint8_t>> messages(const Side& s, uint32_t ch) {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& e : s.events) {
      if (e.type == EndpointEventType::kPeerChannelMessage && u32(e.payload) == ch) {
        out.emplace_back(e.payload.begin() + 5, e.payload.end());
      }
    }
    return out;
  }
  static bool has(const Side& s, EndpointEventType t, uint32_t ch = 0) {
    for (const auto& e : s.events) {
      if (e.type == t && (ch == 0 || (e.payload.size() >= 4 && u32(e.payload) == ch))) return true;
    }
    return false;
  }
  static std::vector<uint8_t> states(const Side& s, EndpointEventType t) {
    std::vector<uint8_t> out;
    for (const auto& e : s.events) {
      if (e.type == t) out.push_back(e.payload[0]);
    }
    return out;
  }
};

dcep::ChannelOptions negotiated(int id) {
  dcep::ChannelOptions o;
  o.label = "chat";
  o.negotiated = true;
  o.id = id;
  return o;
}

}  // namespace
}  // namespace wasmrtc::peer
