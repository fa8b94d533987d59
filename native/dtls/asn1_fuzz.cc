// libFuzzer: the bounded DER reader and the certificate key extraction.
#include <cstdint>

#include "dtls/asn1.h"

using namespace wasmrtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dtls::asn1::CertificateKey key;
  dtls::asn1::read_certificate_key(ByteView(data, size), key);
  if (key.is_ec_p256 && key.ec_point.size() != 65) __builtin_trap();
  dtls::asn1::Reader r(ByteView(data, size));
  dtls::asn1::Element e;
  for (int i = 0; i < 1000 && r.next(e); ++i) {
    if (e.content.data < data || e.content.data + e.content.size > data + size) __builtin_trap();
    dtls::asn1::Reader inner(e.content);
    dtls::asn1::Element f;
    while (inner.next(f)) {
    }
  }
  return 0;
}
