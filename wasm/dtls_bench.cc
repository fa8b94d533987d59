// Seals and opens `count` records of `size` bytes inside the module, through
// the host crypto imports: the per-record cost of DTLS as the engine pays it.
#include <vector>

#include "dtls/record.h"

#define WR_EXPORT(name) extern "C" __attribute__((export_name(#name), used))

WR_EXPORT(wr_dtls_record_bench) int wr_dtls_record_bench(int aes256, int size, int count) {
  using namespace wasmrtc;
  if (size < 0 || size > int(dtls::kMaxPlaintext) || count < 0) return -1;
  std::vector<uint8_t> key(aes256 ? 32 : 16, 7), salt(4, 3), pt(size_t(size), 0x5A), rec, back;
  crypto::Aead alg = aes256 ? crypto::Aead::kAes256Gcm : crypto::Aead::kAes128Gcm;
  dtls::RecordCipher tx(&crypto::default_provider(), alg, ByteView(key), ByteView(salt));
  dtls::RecordCipher rx(&crypto::default_provider(), alg, ByteView(key), ByteView(salt));
  int ok = 0;
  for (int i = 0; i < count; ++i) {
    rec.clear();
    if (!tx.seal(dtls::kApplicationData, 1, uint64_t(i), ByteView(pt), rec)) break;
    ByteReader r{ByteView(rec)};
    dtls::RecordHeader h;
    if (!dtls::read_record(r, h) || !rx.open(h, back) || back.size() != pt.size()) break;
    ++ok;
  }
  return ok;
}
