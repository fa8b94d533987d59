// The server side of STUN Binding (RFC 8489 §6.3): the answer to a request.
#pragma once

#include <string_view>
#include <vector>

#include "common/socket_address.h"
#include "crypto/provider.h"
#include "stun/message.h"

namespace wasmrtc::stun {

// Returns the response to send back to `source`, or an empty vector when the
// message must not be answered (not a request). Unknown comprehension-required
// attributes get 420 with UNKNOWN-ATTRIBUTES (§6.3.1); other methods get 400.
std::vector<uint8_t> answer_binding_request(crypto::Provider& crypto, const Message& request,
                                            const SocketAddress& source, std::string_view software);

}  // namespace wasmrtc::stun
