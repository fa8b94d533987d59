// libFuzzer: arbitrary datagrams into a DTLS server and into a client that has
// sent its ClientHello (handshake message parsing, reassembly, flights).
#include <cstdint>
#include <vector>

#include "dtls/dtls_endpoint.h"

using namespace wasmrtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static dtls::Certificate cert = [] {
    dtls::Certificate c;
    dtls::Certificate::generate(crypto::default_provider(), "fuzz", c);
    return c;
  }();
  for (dtls::Role role : {dtls::Role::kServer, dtls::Role::kClient}) {
    dtls::DtlsConfig cfg;
    cfg.role = role;
    cfg.verify_fingerprint = false;
    cfg.server_cookie = (size & 1) != 0;
    dtls::DtlsEndpoint ep(crypto::default_provider(), cfg, cert);
    ep.start(0);
    // Split the input into datagrams at 0xFE 0xFE markers so several records/datagrams are tried.
    size_t start = 0;
    Timestamp now = 0;
    for (size_t i = 0; i <= size; ++i) {
      if (i == size || (i + 1 < size && data[i] == 0xFE && data[i + 1] == 0xFE)) {
        ep.handle_datagram(now, ByteView(data + start, i - start));
        now += 1000;
        ep.handle_timeout(now);
        start = i + 2;
        ++i;
      }
    }
    std::vector<uint8_t> d;
    int n = 0;
    while (ep.poll_datagram(d)) {
      if (d.size() > cfg.mtu) __builtin_trap();  // nothing we send exceeds the MTU
      if (++n > 1000) __builtin_trap();
    }
    dtls::DtlsEvent e;
    while (ep.poll_event(e)) {
    }
  }
  return 0;
}
