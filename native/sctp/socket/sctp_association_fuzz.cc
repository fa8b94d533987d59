// libFuzzer, stateful: two of our associations are brought up over an in-memory link, then the
// input picks operations: inject a mutated packet (bit flips, truncation, chunk splices of real
// captured packets, or raw chunks under a real header; the CRC32c is fixed up so the packet is
// not simply rejected), deliver / drop / duplicate what is in flight, send a message (stream,
// size and options from the input), advance time and fire timers, reset a stream, consume,
// change a threshold, shut down. After every step it checks that memory stays bounded: bytes
// queued for sending, bytes held for reassembly and delivery, packets and events waiting.
// The first input byte also picks whether each end offers I-DATA (RFC 8260), so the same
// operations run with I-DATA / I-FORWARD-TSN negotiated, with DATA, and with one end offering it.
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "crypto/seeded_provider.h"
#include "sctp/socket/sctp_association.h"

using namespace wasmrtc;
using namespace wasmrtc::sctp;

namespace {


struct Input {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t u8() {
    if (!n) return 0;
    --n;
    return *p++;
  }
  uint16_t u16() { return uint16_t(u8() << 8 | u8()); }
  uint32_t u32() { return uint32_t(u16()) << 16 | u16(); }
  ByteView bytes(size_t k) {
    k = std::min(k, n);
    ByteView v(p, k);
    p += k;
    n -= k;
    return v;
  }
};

void fix_crc(std::vector<uint8_t>& pkt, crypto::Provider& c) {
  if (pkt.size() < kCommonHeaderSize) return;
  std::memset(pkt.data() + 8, 0, 4);
  uint32_t crc = c.crc32c(ByteView(pkt));
  pkt[8] = uint8_t(crc);
  pkt[9] = uint8_t(crc >> 8);
  pkt[10] = uint8_t(crc >> 16);
  pkt[11] = uint8_t(crc >> 24);
}

// Offsets of the chunks of a packet (header-only walk, tolerant of junk).
std::vector<std::pair<size_t, size_t>> chunk_spans(const std::vector<uint8_t>& pkt) {
  std::vector<std::pair<size_t, size_t>> v;
  for (size_t off = kCommonHeaderSize; off + 4 <= pkt.size() && v.size() < 64;) {
    size_t len = size_t(pkt[off + 2]) << 8 | pkt[off + 3];
    if (len < 4) break;
    size_t padded = (len + 3) & ~size_t(3);
    v.push_back({off, std::min(padded, pkt.size() - off)});
    off += padded;
  }
  return v;
}

constexpr size_t kMaxCaptured = 32;

struct World {
  crypto::SeededProvider prov;
  SctpConfig cfg;
  std::unique_ptr<SctpAssociation> end[2];
  std::deque<std::vector<uint8_t>> wire[2];  // packets towards end[i]
  std::deque<std::vector<uint8_t>> captured;
  Timestamp now = 0;
  size_t unread[2] = {0, 0};

  World(uint64_t seed, const SctpConfig& c, bool interleave0, bool interleave1) : prov(seed), cfg(c) {
    SctpConfig c0 = cfg, c1 = cfg;
    c0.enable_interleaving = interleave0;
    c1.enable_interleaving = interleave1;
    end[0] = std::make_unique<SctpAssociation>(prov, c0);
    end[1] = std::make_unique<SctpAssociation>(prov, c1);
  }
  void pump() {
    for (int i = 0; i < 2; ++i) {
      std::vector<uint8_t> d;
      while (end[i]->poll_transmit(d)) {
        captured.push_back(d);
        if (captured.size() > kMaxCaptured) captured.pop_front();
        if (wire[1 - i].size() < 4096) wire[1 - i].push_back(std::move(d));
      }
      SctpEvent e;
      while (end[i]->poll_event(e)) {
        if (e.type == SctpEvent::Type::kMessage) unread[i] += e.message.data.size();
      }
    }
  }
  void deliver(int to, size_t max) {
    for (size_t k = 0; k < max && !wire[to].empty(); ++k) {
      auto pkt = std::move(wire[to].front());
      wire[to].pop_front();
      end[to]->handle_packet(now, ByteView(pkt));
    }
    pump();
  }
  void advance(Duration dt) {
    now += dt;
    Timestamp next = std::min(end[0]->next_deadline(), end[1]->next_deadline());
    if (next != kNever && next > now && next - now < seconds(120)) now = next;  // jump to a timer now and then
    end[0]->handle_timeout(now);
    end[1]->handle_timeout(now);
    pump();
  }
  void check() const {
    for (int i = 0; i < 2; ++i) {
      // Sending: everything queued or unacknowledged stays within the send buffer (one message may
      // exceed it when the buffer was empty).
      if (end[i]->buffered_amount() > cfg.max_send_buffer + cfg.max_message_size) __builtin_trap();
      // Receiving: reassembly plus unread delivered bytes within the window, one maximal message
      // and one oversized injected chunk.
      if (end[i]->received_bytes_held() > size_t(cfg.receive_window) + cfg.max_message_size + 65536) __builtin_trap();
      if (wire[i].size() > 4096) __builtin_trap();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  SctpConfig cfg;
  const uint8_t mode = in.u8();
  cfg.app_owns_delivered = mode & 1;
  cfg.receive_window = (mode & 2) ? 16 * 1024 : 256 * 1024;
  cfg.max_send_buffer = 512 * 1024;
  // Mostly both ends offer I-DATA (negotiated); sometimes neither, sometimes only one.
  const int inter = (mode >> 2) & 3;
  World w(in.u32(), cfg, inter != 1, inter != 2 && inter != 1);
  w.end[0]->connect(0);
  w.end[1]->connect(0);
  for (int i = 0; i < 50 && (w.end[0]->state() != SctpAssociation::State::kEstablished ||
                             w.end[1]->state() != SctpAssociation::State::kEstablished); ++i) {
    w.pump();
    w.deliver(0, 64);
    w.deliver(1, 64);
    w.advance(ms(1));
  }
  for (int ops = 0; ops < 256 && !in.empty(); ++ops) {
    const uint8_t op = in.u8();
    const int side = op & 1;
    switch ((op >> 1) % 12) {
      case 0:
      case 1: {  // a captured packet, mutated, to one side
        if (w.captured.empty()) break;
        std::vector<uint8_t> pkt = w.captured[in.u8() % w.captured.size()];
        const uint8_t how = in.u8();
        if (how & 1) {  // bit flips
          for (int k = in.u8() % 8; k >= 0 && !pkt.empty(); --k) pkt[in.u16() % pkt.size()] ^= uint8_t(1 << (in.u8() % 8));
        }
        if (how & 2 && pkt.size() > kCommonHeaderSize) pkt.resize(kCommonHeaderSize + in.u16() % (pkt.size() - kCommonHeaderSize));
        if (how & 4 && !w.captured.empty()) {  // splice a chunk of another captured packet
          const auto& other = w.captured[in.u8() % w.captured.size()];
          auto spans = chunk_spans(other);
          if (!spans.empty()) {
            auto [off, len] = spans[in.u8() % spans.size()];
            pkt.insert(pkt.end(), other.begin() + long(off), other.begin() + long(off + len));
          }
        }
        if (how & 8 && pkt.size() > kCommonHeaderSize) {  // overwrite some bytes with input
          size_t at = kCommonHeaderSize + in.u16() % (pkt.size() - kCommonHeaderSize);
          ByteView b = in.bytes(in.u8() % 16);
          for (size_t k = 0; k < b.size && at + k < pkt.size(); ++k) pkt[at + k] = b[k];
        }
        if (!(how & 16)) fix_crc(pkt, w.prov);
        w.end[side]->handle_packet(w.now, ByteView(pkt));
        w.pump();
        break;
      }
      case 2: {  // raw chunks from the input under a real header to that side
        if (w.captured.empty()) break;
        std::vector<uint8_t> pkt;
        for (const auto& c : w.captured) {  // a header the other side sent to this one carries the right tag
          if (c.size() >= kCommonHeaderSize) pkt.assign(c.begin(), c.begin() + kCommonHeaderSize);
        }
        ByteView body = in.bytes(in.u16() % 1500);
        pkt.insert(pkt.end(), body.begin(), body.end());
        fix_crc(pkt, w.prov);
        w.end[side]->handle_packet(w.now, ByteView(pkt));
        w.pump();
        break;
      }
      case 3:
      case 4: {  // send a message
        const uint16_t stream = in.u16() % 8;
        size_t n = 1 + (in.u8() & 0x80 ? in.u32() % (cfg.max_message_size + 2) : in.u16() % 4000);
        std::vector<uint8_t> m(n, uint8_t(ops));
        SendOptions o;
        const uint8_t f = in.u8();
        o.ordered = !(f & 1);
        if (f & 2) o.max_retransmits = f >> 5;
        if (f & 4) o.lifetime_ms = in.u8() * 4;
        w.end[side]->send(w.now, stream, 53, ByteView(m), o);
        w.pump();
        break;
      }
      case 5:
      case 6: {  // move packets: deliver some, drop one, or duplicate one
        const uint8_t k = in.u8();
        if (k < 200) {
          w.deliver(side, 1 + k % 16);
        } else if (k < 230 && !w.wire[side].empty()) {
          w.wire[side].pop_front();
        } else if (!w.wire[side].empty() && w.wire[side].size() < 4096) {
          w.wire[side].push_back(w.wire[side].front());
        }
        break;
      }
      case 7:
      case 8:  // time passes, timers fire
        w.advance(ms(in.u16() % 3000));
        break;
      case 9:
        w.end[side]->reset_stream(w.now, in.u16() % 8);
        w.pump();
        break;
      case 10: {  // the application reads, or changes a threshold
        if (in.u8() & 1) {
          size_t n = std::min<size_t>(w.unread[side], in.u32() % 100000);
          w.unread[side] -= n;
          w.end[side]->consume(w.now, n);
        } else {
          w.end[side]->set_buffered_amount_low_threshold(in.u16() % 8, in.u16());
        }
        w.pump();
        break;
      }
      case 11:
        if (in.u8() < 16) {
          w.end[side]->shutdown(w.now);
        } else if (in.u8() < 4) {
          w.end[side]->abort("fuzz");
        }
        w.pump();
        break;
    }
    w.check();
  }
  return 0;
}
