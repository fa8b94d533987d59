// libFuzzer: record framing, the replay window and AEAD opening with a fixed key.
#include <cstdint>
#include <vector>

#include "dtls/record.h"

using namespace wasmrtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  static const uint8_t salt[4] = {9, 9, 9, 9};
  static dtls::RecordCipher cipher(&crypto::default_provider(), crypto::Aead::kAes128Gcm, ByteView(key, 16),
                                   ByteView(salt, 4));
  dtls::ReplayWindow window;
  ByteReader r(data, size);
  dtls::RecordHeader h;
  std::vector<uint8_t> plain;
  while (r.remaining() > 0 && dtls::read_record(r, h)) {
    if (h.fragment.size > dtls::kMaxPlaintext + 2048) __builtin_trap();
    if (!window.is_replay(h.sequence)) window.accept(h.sequence);
    cipher.open(h, plain);
  }
  return 0;
}
