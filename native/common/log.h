// Diagnostics go through one sink the embedder installs (the WebAssembly build
// forwards to the host's logger); the default sink discards.
#pragma once

#include <string_view>

namespace wasmrtc {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
using LogSink = void (*)(LogLevel level, std::string_view message);

void set_log_sink(LogSink sink);
void log_message(LogLevel level, std::string_view message);

}  // namespace wasmrtc
