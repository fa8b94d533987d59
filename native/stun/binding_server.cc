#include "stun/binding_server.h"

#include "stun/message_builder.h"

namespace wasmrtc::stun {

std::vector<uint8_t> answer_binding_request(crypto::Provider& crypto, const Message& request,
                                            const SocketAddress& source, std::string_view software) {
  if (request.message_class() != MessageClass::kRequest) return {};
  const uint16_t method = request.method();
  std::vector<uint16_t> unknown = request.unknown_required();
  if (!unknown.empty() || method != method::kBinding) {
    MessageBuilder b(method, MessageClass::kError, request.transaction_id());
    if (!unknown.empty()) {
      b.add_error(420, "Unknown Attribute");
      b.add_unknown_attributes(unknown);
    } else {
      b.add_error(400, "Bad Request");
    }
    if (!software.empty()) b.add_string(attr::kSoftware, software);
    b.add_fingerprint(crypto);
    return b.take();
  }
  MessageBuilder b(method::kBinding, MessageClass::kSuccess, request.transaction_id());
  b.add_xor_address(attr::kXorMappedAddress, source);
  if (!software.empty()) b.add_string(attr::kSoftware, software);
  b.add_fingerprint(crypto);
  return b.take();
}

}  // namespace wasmrtc::stun
