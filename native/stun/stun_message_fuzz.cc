// libFuzzer: arbitrary bytes through the STUN parser, every getter, the
// integrity and fingerprint checks, the Binding answer, and a rebuild.
#include <cstddef>
#include <cstdint>

#include "crypto/provider.h"
#include "stun/binding_server.h"
#include "stun/message.h"
#include "stun/message_builder.h"

using namespace wasmrtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stun::Message m;
  if (!stun::Message::parse(ByteView(data, size), m)) return 0;
  crypto::Provider& p = crypto::default_provider();
  SocketAddress a;
  std::string s;
  uint32_t u32;
  uint64_t u64;
  int code;
  std::vector<uint16_t> list;
  uint16_t ch;
  m.get_xor_address(stun::attr::kXorMappedAddress, a);
  m.get_address(stun::attr::kMappedAddress, a);
  m.get_string(stun::attr::kUsername, s);
  m.get_u32(stun::attr::kPriority, u32);
  m.get_u64(stun::attr::kIceControlling, u64);
  m.get_error(code, s);
  m.get_unknown_attributes(list);
  m.get_channel_number(ch);
  m.unknown_required();
  const uint8_t key[] = {'k', 'e', 'y'};
  m.check_integrity(p, ByteView(key, 3));
  m.check_fingerprint(p);
  auto answer = stun::answer_binding_request(p, m, SocketAddress::v4(1, 2, 3, 4, 5), "fuzz");
  if (!answer.empty()) {
    stun::Message back;
    if (!stun::Message::parse(ByteView(answer), back)) __builtin_trap();
    if (back.check_fingerprint(p) != stun::IntegrityResult::kValid) __builtin_trap();
  }
  // Rebuilding what parsed must parse again.
  stun::MessageBuilder b(m.method(), m.message_class(), m.transaction_id());
  for (const auto& attr : m.attributes()) {
    if (attr.type != stun::attr::kMessageIntegrity && attr.type != stun::attr::kMessageIntegritySha256 &&
        attr.type != stun::attr::kFingerprint) {
      b.add(attr.type, m.value(attr));
    }
  }
  stun::Message again;
  if (!stun::Message::parse(ByteView(b.bytes()), again)) __builtin_trap();
  return 0;
}
