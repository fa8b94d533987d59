// Diagnostics go through one sink the embedder installs (the WebAssembly build
// forwards to the host's logger); the default sink discards. Each message has
// a layer and a level; a per-layer threshold decides what is built at all, so
// debug lines cost nothing when they are off.
#pragma once

#include <string_view>

namespace wasmrtc {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kNone = 4 };
enum class LogLayer { kCore = 0, kIce = 1, kDtls = 2, kSctp = 3, kDcep = 4, kPeer = 5, kTurn = 6, kStun = 7, kCount = 8 };
using LogSink = void (*)(LogLevel level, LogLayer layer, std::string_view message);

void set_log_sink(LogSink sink);
// Messages below `threshold` for `layer` are not built (default: warnings and errors).
void set_log_level(LogLayer layer, LogLevel threshold);
bool log_enabled(LogLayer layer, LogLevel level);
void log_message(LogLayer layer, LogLevel level, std::string_view message);
inline void log_message(LogLevel level, std::string_view message) { log_message(LogLayer::kCore, level, message); }

}  // namespace wasmrtc
