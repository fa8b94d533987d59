// Test harness: our SctpAssociation against an in-process usrsctp peer (header-only).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sctp/packet/chunks.h"
#include "sctp/socket/sctp_association.h"
#include "sctp/testing/usrsctp_peer.h"

namespace wasmrtc::sctp::testing {


inline void trace(const char* dir, Timestamp now, ByteView b, bool dropped) {
  if (!getenv("TRACE")) return;
  SctpPacket p;
  if (!SctpPacket::parse(b, crypto::default_provider(), false, p)) return;
  std::string line;
  for (auto& c : p.chunks()) {
    char buf[200];
    if (c.type == chunk_type::kData) {
      DataChunk d;
      DataChunk::parse(c, d);
      snprintf(buf, sizeof buf, " D%u(%c%c%c s%u n%u %zu)", d.tsn, d.flags & 2 ? 'B' : '-', d.flags & 1 ? 'E' : '-', d.flags & 8 ? 'I' : '-', d.stream, d.ssn, d.payload.size);
    } else if (c.type == chunk_type::kIData) {
      DataChunk d;
      DataChunk::parse(c, d);
      snprintf(buf, sizeof buf, " ID%u(%c%c%c s%u mid%u fsn%u %zu)", d.tsn, d.flags & 2 ? 'B' : '-', d.flags & 1 ? 'E' : '-', d.flags & 4 ? 'U' : '-', d.stream, d.mid, d.fsn, d.payload.size);
    } else if (c.type == chunk_type::kSack) {
      SackChunk s;
      SackChunk::parse(c, s);
      std::string g;
      for (auto& x : s.gaps) g += " " + std::to_string(x.start) + "-" + std::to_string(x.end);
      snprintf(buf, sizeof buf, " SACK(%u w%u gaps[%s] dups%zu)", s.cumulative_tsn, s.a_rwnd, g.c_str(), s.duplicates.size());
    } else if (c.type == chunk_type::kForwardTsn || c.type == chunk_type::kIForwardTsn) {
      ForwardTsnChunk f;
      ForwardTsnChunk::parse(c, f);
      std::string sk;
      for (auto& x : f.skipped) sk += " " + std::to_string(x.stream) + (x.unordered ? "u:" : ":") + std::to_string(x.ssn_or_mid);
      snprintf(buf, sizeof buf, " %sFWD(%u%s)", f.i_forward ? "I-" : "", f.new_cumulative_tsn, sk.c_str());
    } else if (c.type == chunk_type::kReConfig) {
      ReConfigChunk r;
      ReConfigChunk::parse(c, r);
      std::string t;
      if (r.outgoing) {
        t += " out-req seq " + std::to_string(r.outgoing->request_seq) + " resp " + std::to_string(r.outgoing->response_seq) +
             " last " + std::to_string(r.outgoing->sender_last_tsn) + " streams";
        for (auto st : r.outgoing->streams) t += " " + std::to_string(st);
      }
      if (r.response) t += " resp seq " + std::to_string(r.response->response_seq) + " result " + std::to_string(r.response->result);
      snprintf(buf, sizeof buf, " RECONFIG(%s)", t.c_str());
    } else if (c.type == chunk_type::kAbort || c.type == chunk_type::kError) {
      std::string t;
      for (size_t k = 0; k < c.value.size; ++k) t += (c.value[k] >= 32 && c.value[k] < 127) ? char(c.value[k]) : '.';
      snprintf(buf, sizeof buf, " %s/%x(%.150s)", c.type == chunk_type::kAbort ? "ABORT" : "ERROR", c.flags, t.c_str());
    } else {
      snprintf(buf, sizeof buf, " T%u/%x(%zu)", c.type, c.flags, c.value.size);
    }
    line += buf;
  }
  printf("%8.3f %s%s%s\n", now / 1e6, dir, dropped ? " LOST" : "", line.c_str());
}

// Our association and a usrsctp peer on one virtual clock, with loss and reordering both ways.
// TRACE=1 in the environment prints every packet (chunk summary) and usrsctp's status each second.
struct Harness {
  SctpAssociation ours;
  // their_interleaving: usrsctp offers I-DATA too (ours does by default).
  explicit Harness(SctpConfig cfg = {}, bool their_interleaving = false)
      : ours(crypto::default_provider(), cfg), theirs(their_interleaving) {}
  UsrsctpPeer theirs;
  std::mt19937 rng{99};
  double loss = 0, reorder = 0;
  Timestamp now = 0;
  std::vector<SctpMessage> ours_got;
  bool ours_up = false, ours_closed = false;
  std::string abort_reason;
  std::vector<std::string> resets;
  std::vector<std::pair<Timestamp, std::vector<uint8_t>>> to_ours, to_theirs;

  double u() { return std::uniform_real_distribution<double>(0, 1)(rng); }
  void step(Duration dt = ms(10)) {
    now += dt;
    theirs.advance(uint32_t(dt / 1000));
    ours.handle_timeout(now);
    std::vector<uint8_t> d;
    while (ours.poll_transmit(d)) {
      bool lost = u() < loss;
      trace("us->them", now, ByteView(d), lost);
      if (lost) continue;
      to_theirs.emplace_back(now + ms(5) + (u() < reorder ? ms(10) : 0), std::move(d));
    }
    while (!theirs.outgoing.empty()) {
      auto p = std::move(theirs.outgoing.front());
      theirs.outgoing.pop_front();
      bool lost = u() < loss;
      trace("them->us", now, ByteView(p), lost);
      if (lost) continue;
      to_ours.emplace_back(now + ms(5) + (u() < reorder ? ms(10) : 0), std::move(p));
    }
    for (auto* q : {&to_ours, &to_theirs}) {
      for (auto it = q->begin(); it != q->end();) {
        if (it->first <= now) {
          if (q == &to_ours) ours.handle_packet(now, ByteView(it->second));
          else theirs.feed(ByteView(it->second));
          it = q->erase(it);
        } else {
          ++it;
        }
      }
    }
    if (getenv("TRACE") && now % seconds(1) == 0) printf("%8.3f usrsctp %s\n", now / 1e6, theirs.status().c_str());
    SctpEvent e;
    while (ours.poll_event(e)) {
      if (e.type == SctpEvent::Type::kConnected) ours_up = true;
      if (e.type == SctpEvent::Type::kMessage) {
        ours.consume(now, e.message.data.size());
        ours_got.push_back(std::move(e.message));
      }
      if (e.type == SctpEvent::Type::kClosed) ours_closed = true;
      if (e.type == SctpEvent::Type::kAborted) abort_reason = e.reason;
      if (e.type == SctpEvent::Type::kStreamReset && getenv("TRACE")) printf("ours reset %s:%u\n", e.reason.c_str(), e.message.stream);
      if (e.type == SctpEvent::Type::kStreamReset) resets.push_back(e.reason + ":" + std::to_string(e.message.stream));
    }
  }
  template <typename F>
  bool until(F f, Duration limit) {
    Timestamp end = now + limit;
    while (!f() && now < end) step();
    return f();
  }
};

inline std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t((i * 131 + seed * 7) ^ (i >> 8));
  return v;
}

}  // namespace wasmrtc::sctp::testing
