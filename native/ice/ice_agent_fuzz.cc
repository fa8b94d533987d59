// libFuzzer: arbitrary datagrams and timer steps into an agent that is
// mid-checking with a real peer's credentials, and ICE restarts (prepared,
// committed) in between. Nothing may crash, hang or grow without bound.
// Randomness is seeded from the input, so a finding replays exactly.
#include <cstdint>
#include <memory>

#include "crypto/seeded_provider.h"
#include "ice/ice_agent.h"
#include "stun/message_builder.h"

using namespace wasmrtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crypto::SeededProvider p(0x9E3779B97F4A7C15ull ^ size);
  ice::IceConfig cfg;
  cfg.local_ufrag = "fuzzufrag";
  cfg.local_pwd = "fuzzpasswordfuzzpassword";
  cfg.controlling = size > 0 && (data[0] & 1);
  ice::IceAgent agent(p, cfg, 0);
  agent.add_host_candidate(0, SocketAddress::v4(10, 0, 0, 1, 5000));
  agent.set_remote_credentials("peerufrag", "peerpasswordpeerpassword");
  ice::Candidate c;
  c.foundation = "1";
  c.priority = 100;
  c.address = SocketAddress::v4(10, 0, 0, 2, 6000);
  agent.add_remote_candidate(0, c);
  Timestamp now = 0;
  size_t i = 1;
  while (i + 3 <= size) {
    uint8_t op = data[i];
    uint16_t len = uint16_t((data[i + 1] << 8) | data[i + 2]) % 600;
    i += 3;
    if (len > size - i) len = uint16_t(size - i);
    ByteView chunk(data + i, len);
    i += len;
    SocketAddress from = SocketAddress::v4(10, 0, 0, uint8_t(2 + (op & 3)), uint16_t(6000 + (op >> 4)));
    switch (op % 4) {
      case 0: {
        stun::Message m;
        if (stun::Message::parse(chunk, m)) agent.handle_stun(now, 0, from, m);
        break;
      }
      case 1: {
        // A well-formed check for our ufrag with fuzzed attributes, correctly signed.
        // op bit 3: for the credentials a restart announces (pending ones while it is prepared).
        bool announced = op & 8;
        const std::string& ufrag = announced ? agent.announced_ufrag() : agent.local_ufrag();
        const std::string& pwd = announced ? agent.announced_pwd() : agent.local_pwd();
        stun::MessageBuilder b(stun::method::kBinding, stun::MessageClass::kRequest, stun::new_transaction_id(p));
        b.add_string(stun::attr::kUsername, ufrag + ":peerufrag");
        if (len >= 8) b.add(uint16_t((chunk[0] << 8) | chunk[1]), chunk.sub(2, len - 2));
        b.add_message_integrity(p, ByteView(std::string_view(pwd)));
        stun::Message m;
        if (stun::Message::parse(ByteView(b.bytes()), m)) agent.handle_stun(now, 0, from, m);
        break;
      }
      case 2:
        agent.handle_data(now, 0, from, chunk);
        break;
      default:
        if (op == 0xFF) {
          agent.prepare_restart();
        } else if (op == 0xFB) {
          agent.cancel_restart();
        } else if (op == 0xF7 || op == 0xF3) {
          // The restart's other half: the peer's new credentials (the remote candidate comes again too).
          agent.commit_restart(now, "peerufrag", "peerpasswordpeerpassword", op == 0xF7);
          agent.add_remote_candidate(now, c);
        } else {
          now += Duration(op) * 1000 + 1;
          agent.handle_timeout(now);
        }
        break;
    }
    ice::IceTransmit t;
    while (agent.poll_transmit(t)) {
    }
    ice::IceEvent e;
    while (agent.poll_event(e)) {
    }
    if (agent.next_deadline() < now && agent.next_deadline() != kNever) {
      agent.handle_timeout(now);
      if (agent.next_deadline() < now) __builtin_trap();  // a deadline that never moves is a busy loop
    }
  }
  return 0;
}
