#include "ice/ice_agent.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace wasmrtc::ice {
namespace {

crypto::Provider& P() { return crypto::default_provider(); }

// Two agents on a tiny simulated network, stepped on virtual time straight to
// the next deadline or delivery.
struct Sim {
  struct Delivery {
    Timestamp at;
    int to;  // 0 = A, 1 = B
    uint16_t socket;
    SocketAddress from;
    SocketAddress dst;
    std::vector<uint8_t> data;
  };
  std::unique_ptr<IceAgent> agent[2];
  SocketAddress addr[2];
  std::vector<Delivery> inflight;
  std::mt19937 rng{1234};
  double loss = 0;
  bool down = false;  // drop everything (peer vanished)
  Duration latency = ms(10);
  Timestamp now = 0;
  std::vector<IceEvent> events[2];
  std::vector<std::vector<uint8_t>> data_in[2];

  Sim(IceConfig a, IceConfig b) {
    a.controlling = true;
    b.controlling = false;
    agent[0] = std::make_unique<IceAgent>(P(), a, 0);
    agent[1] = std::make_unique<IceAgent>(P(), b, 0);
    addr[0] = SocketAddress::v4(10, 0, 0, 1, 5000);
    addr[1] = SocketAddress::v4(10, 0, 0, 2, 6000);
  }

  void exchange() {
    agent[0]->add_host_candidate(0, addr[0]);
    agent[1]->add_host_candidate(0, addr[1]);
    agent[0]->start_gathering(now);
    agent[1]->start_gathering(now);
    ASSERT_TRUE(agent[0]->set_remote_credentials(agent[1]->local_ufrag(), agent[1]->local_pwd()));
    ASSERT_TRUE(agent[1]->set_remote_credentials(agent[0]->local_ufrag(), agent[0]->local_pwd()));
    for (int i = 0; i < 2; ++i) {
      for (const auto& c : agent[i]->local_candidates()) agent[1 - i]->add_remote_candidate(now, c);
      agent[1 - i]->end_of_remote_candidates(now);
    }
  }

  void pump() {
    for (int i = 0; i < 2; ++i) {
      IceTransmit t;
      while (agent[i]->poll_transmit(t)) {
        std::uniform_real_distribution<double> u(0, 1);
        if (down || u(rng) < loss) continue;
        int to = t.to == addr[0] ? 0 : t.to == addr[1] ? 1 : -1;
        if (to < 0) continue;
        inflight.push_back({now + latency, to, 0, addr[i], t.to, std::move(t.data)});
      }
      IceEvent e;
      while (agent[i]->poll_event(e)) {
        if (e.type == IceEvent::Type::kData) data_in[i].push_back(e.data);
        events[i].push_back(std::move(e));
      }
    }
  }

  // Runs until `until` (virtual), bounded in steps.
  void run_until(Timestamp until) {
    pump();
    int spins = 0;
    for (int steps = 0; steps < 200000; ++steps) {
      Timestamp next = std::min(agent[0]->next_deadline(), agent[1]->next_deadline());
      for (const auto& d : inflight) next = std::min(next, d.at);
      if (next > until) break;
      // A deadline that does not move time forward must not repeat forever (a busy loop in the pump).
      spins = next <= now ? spins + 1 : 0;
      ASSERT_LT(spins, 1000) << "deadline stuck at " << next;
      now = std::max(now, next);
      std::vector<Delivery> due;
      for (auto it = inflight.begin(); it != inflight.end();) {
        if (it->at <= now) {
          due.push_back(std::move(*it));
          it = inflight.erase(it);
        } else {
          ++it;
        }
      }
      for (auto& d : due) {
        stun::Message m;
        if (stun::Message::parse(ByteView(d.data), m)) {
          agent[d.to]->handle_stun(now, d.socket, d.from, m);
        } else {
          agent[d.to]->handle_data(now, d.socket, d.from, ByteView(d.data));
        }
      }
      for (int i = 0; i < 2; ++i) agent[i]->handle_timeout(now);
      pump();
    }
    now = std::max(now, until);
  }

};

TEST(IceAgent, TwoAgentsConnectDirectly) {
  Sim sim({}, {});
  sim.exchange();
  sim.run_until(seconds(2));
  EXPECT_EQ(sim.agent[0]->state(), IceState::kConnected);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kConnected);
  uint16_t s;
  SocketAddress r;
  ASSERT_TRUE(sim.agent[0]->selected_path(s, r));
  EXPECT_EQ(r, sim.addr[1]);
  ASSERT_TRUE(sim.agent[1]->selected_path(s, r));
  EXPECT_EQ(r, sim.addr[0]);
  // Data flows both ways over the selected pair.
  const uint8_t hello[] = {0x80, 1, 2, 3};
  ASSERT_TRUE(sim.agent[0]->send(ByteView(hello, 4)));
  ASSERT_TRUE(sim.agent[1]->send(ByteView(hello, 4)));
  sim.run_until(sim.now + ms(100));
  ASSERT_EQ(sim.data_in[1].size(), 1u);
  ASSERT_EQ(sim.data_in[0].size(), 1u);
}

// The offerer gets the answerer's checks before the answer (the answerer applied the offer and started at
// once, as libjuice and browsers do): answered, the source is trusted for data — the peer may start DTLS
// on its valid pair — and once the answer brings the password, a triggered check goes back to it.
TEST(IceAgent, ChecksBeforeTheRemoteDescriptionAreRememberedAndCheckedBack) {
  Sim sim({}, {});
  sim.agent[0]->add_host_candidate(0, sim.addr[0]);
  sim.agent[1]->add_host_candidate(0, sim.addr[1]);
  sim.agent[0]->start_gathering(sim.now);
  sim.agent[1]->start_gathering(sim.now);
  // Only b knows the other side: a's offer reached it, b's answer has not reached a.
  ASSERT_TRUE(sim.agent[1]->set_remote_credentials(sim.agent[0]->local_ufrag(), sim.agent[0]->local_pwd()));
  for (const auto& c : sim.agent[0]->local_candidates()) sim.agent[1]->add_remote_candidate(sim.now, c);
  EXPECT_FALSE(sim.agent[0]->knows_remote(0, sim.addr[1]));
  sim.run_until(ms(200));
  EXPECT_TRUE(sim.agent[0]->knows_remote(0, sim.addr[1]));
  const uint8_t hello[] = {22, 0xfe, 0xfd, 0};  // what a DTLS ClientHello starts with
  EXPECT_TRUE(sim.agent[0]->handle_data(sim.now, 0, sim.addr[1], ByteView(hello, 4)));
  EXPECT_FALSE(sim.agent[0]->handle_data(sim.now, 0, SocketAddress::v4(10, 0, 0, 66, 1), ByteView(hello, 4)));
  uint64_t sent_before = sim.agent[0]->stats().checks_sent;
  EXPECT_EQ(sent_before, 0u);
  // The answer arrives (with no candidates: the checks are all a has of b).
  ASSERT_TRUE(sim.agent[0]->set_remote_credentials(sim.agent[1]->local_ufrag(), sim.agent[1]->local_pwd()));
  sim.run_until(sim.now + seconds(2));
  EXPECT_GT(sim.agent[0]->stats().checks_sent, 0u);
  EXPECT_EQ(sim.agent[0]->state(), IceState::kConnected);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kConnected);
}

TEST(IceAgent, ConnectsUnder30PercentLoss) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    Sim sim({}, {});
    sim.rng.seed(seed);
    sim.loss = 0.3;
    sim.exchange();
    sim.run_until(seconds(5));
    EXPECT_EQ(sim.agent[0]->state(), IceState::kConnected) << "seed " << seed;
    EXPECT_EQ(sim.agent[1]->state(), IceState::kConnected) << "seed " << seed;
    // Consent keeps holding under the same loss (several consent rounds).
    sim.run_until(seconds(60));
    EXPECT_NE(sim.agent[0]->state(), IceState::kFailed) << "seed " << seed;
    EXPECT_NE(sim.agent[1]->state(), IceState::kFailed) << "seed " << seed;
  }
}

TEST(IceAgent, VanishedPeerDisconnectsThenFailsAtConfiguredTimes) {
  IceConfig cfg;
  cfg.consent_interval = seconds(2);
  cfg.disconnected_after = seconds(4);
  cfg.failed_after = seconds(10);
  Sim sim(cfg, cfg);
  sim.exchange();
  sim.run_until(seconds(1));
  ASSERT_EQ(sim.agent[0]->state(), IceState::kConnected);
  Timestamp vanished = sim.now;
  sim.down = true;
  // Last consent was at most one interval (+20% jitter) before the cut.
  sim.run_until(vanished + seconds(4) - ms(2400) - 1);
  EXPECT_EQ(sim.agent[0]->state(), IceState::kConnected);
  sim.run_until(vanished + seconds(4) + 1);
  EXPECT_EQ(sim.agent[0]->state(), IceState::kDisconnected);
  sim.run_until(vanished + seconds(10) + 1);
  EXPECT_EQ(sim.agent[0]->state(), IceState::kFailed);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kFailed);
  EXPECT_EQ(sim.agent[0]->next_deadline(), kNever);
}

TEST(IceAgent, ReturningPeerRecoversFromDisconnected) {
  IceConfig cfg;
  cfg.consent_interval = seconds(2);
  cfg.disconnected_after = seconds(4);
  cfg.failed_after = seconds(30);
  Sim sim(cfg, cfg);
  sim.exchange();
  sim.run_until(seconds(1));
  sim.down = true;
  sim.run_until(sim.now + seconds(8));
  ASSERT_EQ(sim.agent[0]->state(), IceState::kDisconnected);
  sim.down = false;
  sim.run_until(sim.now + seconds(4));
  EXPECT_EQ(sim.agent[0]->state(), IceState::kConnected);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kConnected);
}

TEST(IceAgent, RoleConflictIsResolved) {
  IceConfig a, b;
  Sim sim(a, b);
  // Make both controlling: the tie-breaker decides, they still connect with one controller.
  sim.agent[1] = std::make_unique<IceAgent>(P(), [] { IceConfig c; c.controlling = true; return c; }(), 0);
  sim.exchange();
  sim.run_until(seconds(3));
  EXPECT_EQ(sim.agent[0]->state(), IceState::kConnected);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kConnected);
  EXPECT_NE(sim.agent[0]->controlling(), sim.agent[1]->controlling());
  EXPECT_GE(sim.agent[0]->stats().role_conflicts + sim.agent[1]->stats().role_conflicts, 1u);
}

TEST(IceAgent, NoReachablePairFailsWhenCandidatesEnd) {
  IceConfig cfg;
  cfg.check_rto = ms(100);
  cfg.check_max_transmissions = 3;
  Sim sim(cfg, cfg);
  sim.down = true;
  sim.exchange();
  sim.run_until(seconds(5));
  EXPECT_EQ(sim.agent[0]->state(), IceState::kFailed);
  bool reason = false;
  for (const auto& e : sim.events[0]) reason |= e.type == IceEvent::Type::kStateChanged && !e.reason.empty();
  EXPECT_TRUE(reason);
}

TEST(IceAgent, ChecksWithWrongIntegrityAreDroppedAndCounted) {
  Sim sim({}, {});
  sim.exchange();
  // B believes A's password is something else: its checks carry bad integrity.
  ASSERT_TRUE(sim.agent[1]->set_remote_credentials(sim.agent[0]->local_ufrag(), "wrongwrongwrongwrongwrong"));
  sim.run_until(seconds(2));
  EXPECT_GT(sim.agent[0]->stats().dropped_bad_integrity, 0u);
}

// Someone who read our ufrag (from an SDP) but is not the peer we negotiated with: its checks name another
// sender ufrag and are dropped before any HMAC is computed (and never answered).
TEST(IceAgent, ChecksNamingAnotherSenderUfragAreDroppedBeforeIntegrity) {
  Sim sim({}, {});
  sim.exchange();
  ASSERT_TRUE(sim.agent[0]->set_remote_credentials("strangerufrag", sim.agent[1]->local_pwd()));
  sim.run_until(seconds(2));
  EXPECT_GT(sim.agent[0]->stats().dropped_unknown_user, 0u);
  EXPECT_EQ(sim.agent[0]->stats().dropped_bad_integrity, 0u);
  EXPECT_NE(sim.agent[1]->state(), IceState::kConnected);  // b's checks were never answered
}

TEST(IceAgent, PeerReflexiveRemoteLearnedFromChecks) {
  Sim sim({}, {});
  sim.agent[0]->add_host_candidate(0, sim.addr[0]);
  sim.agent[1]->add_host_candidate(0, sim.addr[1]);
  ASSERT_TRUE(sim.agent[0]->set_remote_credentials(sim.agent[1]->local_ufrag(), sim.agent[1]->local_pwd()));
  ASSERT_TRUE(sim.agent[1]->set_remote_credentials(sim.agent[0]->local_ufrag(), sim.agent[0]->local_pwd()));
  // Only A learns B's candidate; B must learn A as peer-reflexive from A's checks.
  for (const auto& c : sim.agent[1]->local_candidates()) sim.agent[0]->add_remote_candidate(0, c);
  sim.run_until(seconds(3));
  EXPECT_EQ(sim.agent[0]->state(), IceState::kConnected);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kConnected);
  EXPECT_NE(sim.agent[1]->selected_description().find("prflx"), std::string::npos);
}

TEST(IceAgent, RemoteCandidatesBeforeTheHostCandidateAreChecked) {
  // The answerer learns the offer and the offerer's candidate before its own socket is bound (the host
  // candidate comes last): once it is, the pair must be checked (it stayed in "new" before).
  Sim sim({}, {});
  sim.agent[0]->add_host_candidate(0, sim.addr[0]);
  sim.agent[0]->start_gathering(sim.now);
  ASSERT_TRUE(sim.agent[1]->set_remote_credentials(sim.agent[0]->local_ufrag(), sim.agent[0]->local_pwd()));
  for (const auto& c : sim.agent[0]->local_candidates()) sim.agent[1]->add_remote_candidate(sim.now, c);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kNew);  // nothing to pair with yet
  sim.run_until(ms(50));
  sim.agent[1]->add_host_candidate(0, sim.addr[1]);
  sim.agent[1]->start_gathering(sim.now);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kChecking);
  ASSERT_TRUE(sim.agent[0]->set_remote_credentials(sim.agent[1]->local_ufrag(), sim.agent[1]->local_pwd()));
  for (const auto& c : sim.agent[1]->local_candidates()) sim.agent[0]->add_remote_candidate(sim.now, c);
  sim.run_until(seconds(2));
  EXPECT_EQ(sim.agent[0]->state(), IceState::kConnected);
  EXPECT_EQ(sim.agent[1]->state(), IceState::kConnected);
}

TEST(IceAgent, RemoteCandidatesAreBounded) {
  IceConfig cfg;
  cfg.max_remote_candidates = 10;
  IceAgent a(P(), cfg, 0);
  a.add_host_candidate(0, SocketAddress::v4(10, 0, 0, 1, 1));
  int accepted = 0;
  for (int i = 0; i < 100; ++i) {
    Candidate c;
    c.foundation = "x";
    c.priority = 1;
    c.address = SocketAddress::v4(10, 1, uint8_t(i), 1, 1000);
    accepted += a.add_remote_candidate(0, c) ? 1 : 0;
  }
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(a.stats().remote_candidates_refused, 90u);
  Candidate tcp;
  tcp.transport = "tcp";
  tcp.address = SocketAddress::v4(1, 1, 1, 1, 1);
  EXPECT_FALSE(a.add_remote_candidate(0, tcp));
}

TEST(IceAgent, CredentialsAreValidated) {
  IceAgent a(P(), {}, 0);
  EXPECT_FALSE(a.set_remote_credentials("abc", "0123456789012345678901"));          // ufrag too short
  EXPECT_FALSE(a.set_remote_credentials("abcd", "short"));                          // pwd too short
  EXPECT_FALSE(a.set_remote_credentials("ab d", "0123456789012345678901"));         // bad char
  EXPECT_TRUE(a.set_remote_credentials("abcd", "0123456789012345678901"));
  EXPECT_GE(a.local_ufrag().size(), 4u);
  EXPECT_GE(a.local_pwd().size(), 22u);
}

}  // namespace
}  // namespace wasmrtc::ice
