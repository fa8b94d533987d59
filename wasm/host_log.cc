// Logging is one of the few functions the core imports from the host.
#include "common/log.h"

extern "C" __attribute__((import_module("wasmrtc_host"), import_name("log"))) void wasmrtc_host_log(
    int level, int layer, const char* msg, size_t len);

namespace {

void forward_to_host(wasmrtc::LogLevel level, wasmrtc::LogLayer layer, std::string_view msg) {
  wasmrtc_host_log(int(level), int(layer), msg.data(), msg.size());
}

// Installed before any export runs (static initialisers run in _initialize).
struct InstallHostLog {
  InstallHostLog() { wasmrtc::set_log_sink(&forward_to_host); }
} g_install;

}  // namespace

// Per-layer thresholds, set by the host (Engine.setLogLevel).
extern "C" __attribute__((export_name("wr_set_log_level"), used)) void wr_set_log_level(int layer, int level) {
  wasmrtc::set_log_level(wasmrtc::LogLayer(layer), wasmrtc::LogLevel(level));
}

// Key logging (NSS format) goes to the host only while it asks for it.
#include "common/keylog.h"

extern "C" __attribute__((import_module("wasmrtc_host"), import_name("keylog"))) void wasmrtc_host_keylog(
    const char* line, size_t len);

namespace {
void keylog_to_host(std::string_view line) { wasmrtc_host_keylog(line.data(), line.size()); }
}  // namespace

extern "C" __attribute__((export_name("wr_set_keylog"), used)) void wr_set_keylog(int enabled) {
  wasmrtc::set_keylog_sink(enabled ? &keylog_to_host : nullptr);
}
