#include "common/log.h"

namespace wasmrtc {

namespace {
LogSink g_sink = nullptr;
LogLevel g_threshold[int(LogLayer::kCount)] = {LogLevel::kWarning, LogLevel::kWarning, LogLevel::kWarning, LogLevel::kWarning,
                                               LogLevel::kWarning, LogLevel::kWarning, LogLevel::kWarning, LogLevel::kWarning};
}  // namespace

void set_log_sink(LogSink sink) { g_sink = sink; }

void set_log_level(LogLayer layer, LogLevel threshold) {
  int i = int(layer);
  if (i >= 0 && i < int(LogLayer::kCount)) g_threshold[i] = threshold;
}

bool log_enabled(LogLayer layer, LogLevel level) {
  int i = int(layer);
  return g_sink && i >= 0 && i < int(LogLayer::kCount) && level >= g_threshold[i] && level != LogLevel::kNone;
}

void log_message(LogLayer layer, LogLevel level, std::string_view message) {
  if (log_enabled(layer, level)) g_sink(level, layer, message);
}

}  // namespace wasmrtc
