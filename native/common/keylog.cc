#include "common/keylog.h"

namespace wasmrtc {

namespace {
KeyLogSink g_keylog = nullptr;
}

void set_keylog_sink(KeyLogSink sink) { g_keylog = sink; }
bool keylog_enabled() { return g_keylog != nullptr; }

void keylog_line(std::string_view line) {
  if (g_keylog) g_keylog(line);
}

}  // namespace wasmrtc
