// The TLS 1.2 PRF (RFC 5246 §5): P_hash built from the provider's HMAC.
#pragma once

#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "crypto/provider.h"

namespace wasmrtc::dtls {

bool prf(crypto::Provider& crypto, crypto::Hash h, ByteView secret, std::string_view label, ByteView seed,
         size_t length, std::vector<uint8_t>& out);

}  // namespace wasmrtc::dtls
