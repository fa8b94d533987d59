// libFuzzer, stateful: a peer connection hosted by an endpoint takes fuzzed
// remote descriptions, candidates, channel commands, datagrams and timer
// steps in any order — first against a fresh peer, then with a real peer
// (our own) connected on the other side. Nothing may crash, hang, throw or
// grow without bound.
#include <cstdint>
#include <memory>
#include <string>

#include "crypto/seeded_provider.h"
#include "endpoint/endpoint.h"
#include "peer/peer_connection.h"

using namespace wasmrtc;

namespace {

struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t u8() { return n ? (--n, *p++) : 0; }
  uint16_t u16() { return uint16_t(u8() << 8 | u8()); }
  std::string text(size_t max) {
    size_t len = std::min<size_t>(u16() % (max + 1), n);
    std::string s(reinterpret_cast<const char*>(p), len);
    p += len;
    n -= len;
    return s;
  }
};

void drain(Endpoint& ep, std::vector<std::pair<bool, std::vector<uint8_t>>>* wire, bool from_a,
           std::vector<peer::PeerEvent>* sdp_out = nullptr) {
  while (const Transmit* t = ep.peek_transmit()) {
    if (wire && wire->size() < 4096) wire->push_back({from_a, t->data});
    ep.pop_transmit();
  }
  while (const EndpointEvent* e = ep.peek_event()) {
    if (sdp_out && (e->type == EndpointEventType::kPeerLocalDescription || e->type == EndpointEventType::kPeerLocalCandidate)) {
      peer::PeerEvent pe;
      pe.type = e->type == EndpointEventType::kPeerLocalDescription ? peer::PeerEvent::Type::kLocalDescription
                                                                    : peer::PeerEvent::Type::kLocalCandidate;
      if (pe.type == peer::PeerEvent::Type::kLocalDescription) {
        pe.code = e->payload[0];
        pe.text.assign(e->payload.begin() + 1, e->payload.end());
      } else {
        size_t mid = e->payload[2];
        pe.text.assign(e->payload.begin() + 3 + mid, e->payload.end());
      }
      sdp_out->push_back(std::move(pe));
    }
    ep.pop_event();
  }
}

const char* kSdpPieces[] = {
    "v=0\r\n", "o=- 1 2 IN IP4 127.0.0.1\r\n", "s=-\r\nt=0 0\r\n", "a=group:BUNDLE 0\r\n",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "c=IN IP4 0.0.0.0\r\n",
    "a=ice-ufrag:abcd\r\n", "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n", "a=ice-lite\r\n",
    "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n",
    "a=setup:actpass\r\n", "a=setup:active\r\n", "a=setup:passive\r\n", "a=mid:0\r\n", "a=sctp-port:5000\r\n",
    "a=max-message-size:0\r\n", "a=max-message-size:1\r\n", "a=candidate:1 1 udp 2130706431 10.0.0.2 6000 typ host\r\n",
    "a=candidate:2 1 tcp 1 10.0.0.2 9 typ host tcptype active\r\n", "a=candidate:3 1 udp 1 x.local 6000 typ host\r\n",
    "a=end-of-candidates\r\n", "a=sctpmap:5000 webrtc-datachannel 1024\r\n",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crypto::SeededProvider p(0x9E3779B97F4A7C15ull ^ size);  // a finding replays exactly
  Reader r{data, size};
  EndpointConfig ec;
  Endpoint ea(p, ec), eb(p, ec);
  uint32_t ia = ea.create_peer(0, peer::PeerConfig{});
  uint32_t ib = eb.create_peer(0, peer::PeerConfig{});
  if (!ia || !ib) return 0;
  const SocketAddress addr_a = SocketAddress::v4(10, 0, 0, 1, 5000), addr_b = SocketAddress::v4(10, 0, 0, 2, 6000);
  ea.peer(ia)->agent().add_host_candidate(0, addr_a);
  eb.peer(ib)->agent().add_host_candidate(0, addr_b);
  std::vector<std::pair<bool, std::vector<uint8_t>>> wire;
  std::vector<peer::PeerEvent> from_a, from_b;
  std::vector<uint32_t> channels_a{0};
  Timestamp now = 0;
  bool linked = (r.u8() & 1) != 0;  // a real peer answers a's offer, or b only ever sees fuzz
  for (int step = 0; step < 256 && r.n; ++step) {
    peer::PeerConnection* a = ea.peer(ia);
    peer::PeerConnection* b = eb.peer(ib);
    if (!a || !b) break;
    uint8_t op = r.u8();
    switch (op % 10) {
      case 0: {  // a remote description assembled from pieces and raw fuzz
        std::string sdp;
        for (int k = r.u8() % 24; k > 0; --k) sdp += kSdpPieces[r.u8() % (sizeof kSdpPieces / sizeof *kSdpPieces)];
        sdp += r.text(256);
        b->set_remote_description(now, peer::DescriptionType(r.u8() % 4), sdp);
        eb.collect_peer(ib);
        break;
      }
      case 1:
        b->add_remote_candidate(now, r.text(8), r.text(200));
        eb.collect_peer(ib);
        break;
      case 2: {
        dcep::ChannelOptions o;
        o.label = r.text(64);
        o.protocol = r.text(16);
        uint8_t f = r.u8();
        o.ordered = f & 1;
        o.negotiated = f & 2;
        o.id = o.negotiated ? int(r.u16()) : -1;
        o.max_retransmits = (f & 4) ? int(r.u16()) : -1;
        o.max_lifetime_ms = (f & 8) ? int(r.u16()) : -1;
        uint32_t h = a->create_channel(now, o);
        if (h) channels_a.push_back(h);
        ea.collect_peer(ia);
        break;
      }
      case 3: {
        std::string m = r.text(4000);
        uint32_t h = channels_a[r.u8() % channels_a.size()];
        a->send(now, h, ByteView(std::string_view(m)), r.u8() & 1);
        ea.collect_peer(ia);
        break;
      }
      case 4:
        a->close_channel(now, channels_a[r.u8() % channels_a.size()]);
        ea.collect_peer(ia);
        break;
      case 5:
        if (linked) {
          a->create_offer(now);
        } else {
          b->create_offer(now);
        }
        ea.collect_peer(ia);
        eb.collect_peer(ib);
        break;
      case 6: {  // a raw datagram to b (STUN, DTLS, anything), from a's address or another
        std::string d = r.text(1500);
        SocketAddress from = (op & 0x80) ? addr_a : SocketAddress::v4(10, 0, 0, 9, uint16_t(r.u16()));
        eb.handle_datagram(now, 0, from, ByteView(std::string_view(d)));
        break;
      }
      case 7:
        a->consume(now, r.u16());
        b->set_buffered_amount_low_threshold(r.u8(), r.u16());
        ea.collect_peer(ia);
        eb.collect_peer(ib);
        break;
      case 8: {
        now += Duration(r.u16()) * 100 + 1;
        ea.handle_timeout(now);
        eb.handle_timeout(now);
        break;
      }
      default:
        if (r.u8() == 0xFF) {
          ea.close_peer(now, ia);
        }
        break;
    }
    drain(ea, &wire, true, linked ? &from_a : nullptr);
    drain(eb, &wire, false, linked ? &from_b : nullptr);
    // Signaling between the two, when linked: a's offer and candidates reach b and back.
    for (auto& e : from_a) {
      if (!eb.peer(ib)) break;
      if (e.type == peer::PeerEvent::Type::kLocalDescription) {
        eb.peer(ib)->set_remote_description(now, peer::DescriptionType(e.code), e.text);
      } else {
        eb.peer(ib)->add_remote_candidate(now, "0", e.text);
      }
      eb.collect_peer(ib);
    }
    for (auto& e : from_b) {
      if (!ea.peer(ia)) break;
      if (e.type == peer::PeerEvent::Type::kLocalDescription) {
        ea.peer(ia)->set_remote_description(now, peer::DescriptionType(e.code), e.text);
      } else {
        ea.peer(ia)->add_remote_candidate(now, "0", e.text);
      }
      ea.collect_peer(ia);
    }
    from_a.clear();
    from_b.clear();
    // The wire delivers everything, in order.
    auto batch = std::move(wire);
    wire.clear();
    for (auto& [to_b, d] : batch) {
      if (to_b) {
        eb.handle_datagram(now, 0, addr_a, ByteView(d));
      } else {
        ea.handle_datagram(now, 0, addr_b, ByteView(d));
      }
    }
    drain(ea, &wire, true, linked ? &from_a : nullptr);
    drain(eb, &wire, false, linked ? &from_b : nullptr);
    for (Endpoint* ep : {&ea, &eb}) {
      // Timers that fell behind catch up a step per call (retransmissions keep their schedule);
      // one that does not move at all is a busy loop.
      Timestamp d = ep->next_deadline();
      for (int k = 0; k < 200 && d != kNever && d < now; ++k) {
        ep->handle_timeout(now);
        Timestamp nd = ep->next_deadline();
        if (nd == d) __builtin_trap();
        d = nd;
      }
    }
  }
  return 0;
}
