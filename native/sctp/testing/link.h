// Two of our associations over a simulated lossy link on virtual time (header-only test helper).
// Each end's application either reads every message at once (consume() right away) or, with
// paused[i], leaves them unread until read_all(i).
#pragma once

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sctp/socket/sctp_association.h"

namespace wasmrtc::sctp::testing {

inline crypto::Provider& P() { return crypto::default_provider(); }

// A config that offers I-DATA (RFC 8260) or not.
inline SctpConfig with_interleaving(bool on) {
  SctpConfig c;
  c.enable_interleaving = on;
  return c;
}

struct Link {
  struct InFlight {
    Timestamp at;
    int to;
    std::vector<uint8_t> data;
  };
  std::unique_ptr<SctpAssociation> end[2];
  std::vector<InFlight> wire;
  std::mt19937 rng;
  double loss = 0, dup = 0, reorder = 0;
  Duration latency = ms(10);
  Timestamp now = 0;
  std::vector<SctpMessage> got[2];
  bool up[2] = {false, false};
  bool closed[2] = {false, false};
  std::string aborted[2];
  std::vector<std::string> resets[2];
  std::vector<uint16_t> low[2];   // kBufferedAmountLow streams, in order
  bool paused[2] = {false, false};  // the application does not read (consume) messages
  size_t unread[2] = {0, 0};        // bytes delivered while paused, not yet consumed
  std::function<void(int from, const std::vector<uint8_t>&)> tap;  // sees every packet sent
  // A test double's filter: true drops the packet silently (after tap saw it), as a peer that
  // refuses what it cannot parse would.
  std::function<bool(int from, const std::vector<uint8_t>&)> drop;

  explicit Link(uint32_t seed, SctpConfig cfg = {}) : rng(seed) {
    end[0] = std::make_unique<SctpAssociation>(P(), cfg);
    end[1] = std::make_unique<SctpAssociation>(P(), cfg);
  }
  double u() { return std::uniform_real_distribution<double>(0, 1)(rng); }
  void pump() {
    for (int i = 0; i < 2; ++i) {
      std::vector<uint8_t> d;
      while (end[i]->poll_transmit(d)) {
        if (tap) tap(i, d);
        if (drop && drop(i, d)) continue;
        if (u() < loss) continue;
        Duration extra = u() < reorder ? ms(15) : 0;
        if (u() < dup) wire.push_back({now + latency + extra + 1, 1 - i, d});
        wire.push_back({now + latency + extra, 1 - i, std::move(d)});
      }
      SctpEvent e;
      while (end[i]->poll_event(e)) {
        if (e.type == SctpEvent::Type::kConnected) up[i] = true;
        if (e.type == SctpEvent::Type::kMessage) {
          if (paused[i]) {
            unread[i] += e.message.data.size();
          } else {
            end[i]->consume(now, e.message.data.size());
          }
          got[i].push_back(std::move(e.message));
        }
        if (e.type == SctpEvent::Type::kBufferedAmountLow) low[i].push_back(e.message.stream);
        if (e.type == SctpEvent::Type::kClosed) closed[i] = true;
        if (e.type == SctpEvent::Type::kAborted) aborted[i] = e.reason;
        if (e.type == SctpEvent::Type::kStreamReset) resets[i].push_back(e.reason + ":" + std::to_string(e.message.stream));
      }
    }
  }
  // The paused application reads everything it holds (and keeps reading from now on).
  void read_all(int i) {
    paused[i] = false;
    end[i]->consume(now, unread[i]);
    unread[i] = 0;
    pump();
  }
  template <typename Done>
  bool run(Done done, Timestamp limit) {
    pump();
    for (int steps = 0; steps < 2000000 && !done(); ++steps) {
      Timestamp next = std::min(end[0]->next_deadline(), end[1]->next_deadline());
      for (const auto& w : wire) next = std::min(next, w.at);
      if (next == kNever || next > limit) break;
      now = std::max(now, next);
      std::vector<InFlight> due, later;
      for (auto& w : wire) (w.at <= now ? due : later).push_back(std::move(w));
      wire.swap(later);
      for (auto& d : due) end[d.to]->handle_packet(now, ByteView(d.data));
      end[0]->handle_timeout(now);
      end[1]->handle_timeout(now);
      pump();
    }
    return done();
  }
};

inline std::vector<uint8_t> message(std::mt19937& rng, size_t size, uint32_t seq) {
  std::vector<uint8_t> m(size);
  for (size_t i = 0; i < size; ++i) m[i] = uint8_t(rng() ^ seq);
  if (size >= 4) std::memcpy(m.data(), &seq, 4);
  return m;
}

}  // namespace wasmrtc::sctp::testing
