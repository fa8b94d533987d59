// Key logging for debugging (the NSS key log format that Wireshark and
// SSLKEYLOGFILE use): off unless the embedder installs a sink. The DTLS layer
// writes one "CLIENT_RANDOM <client random> <master secret>" line per handshake.
#pragma once

#include <string_view>

namespace wasmrtc {

using KeyLogSink = void (*)(std::string_view line);

void set_keylog_sink(KeyLogSink sink);
bool keylog_enabled();
void keylog_line(std::string_view line);

}  // namespace wasmrtc
