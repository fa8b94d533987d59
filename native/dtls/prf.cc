#include "dtls/prf.h"

namespace wasmrtc::dtls {

bool prf(crypto::Provider& crypto, crypto::Hash h, ByteView secret, std::string_view label, ByteView seed,
         size_t length, std::vector<uint8_t>& out) {
  // P_hash(secret, label + seed): A(0) = label+seed, A(i) = HMAC(secret, A(i-1)),
  // output = HMAC(secret, A(1) + label+seed) || HMAC(secret, A(2) + label+seed) || ...
  std::vector<uint8_t> ls(label.begin(), label.end());
  ls.insert(ls.end(), seed.begin(), seed.end());
  size_t hs = crypto::hash_size(h);
  std::vector<uint8_t> a(hs), block(hs), input;
  if (!crypto.hmac(h, secret, ByteView(ls), a.data())) return false;
  out.clear();
  while (out.size() < length) {
    input.assign(a.begin(), a.end());
    input.insert(input.end(), ls.begin(), ls.end());
    if (!crypto.hmac(h, secret, ByteView(input), block.data())) return false;
    out.insert(out.end(), block.begin(), block.end());
    std::vector<uint8_t> next(hs);
    if (!crypto.hmac(h, secret, ByteView(a), next.data())) return false;
    a.swap(next);
  }
  out.resize(length);
  return true;
}

}  // namespace wasmrtc::dtls
