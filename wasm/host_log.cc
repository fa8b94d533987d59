// Logging is one of the few functions the core imports from the host.
#include "common/log.h"

extern "C" __attribute__((import_module("wasmrtc_host"), import_name("log"))) void wasmrtc_host_log(
    int level, const char* msg, size_t len);

namespace {

void forward_to_host(wasmrtc::LogLevel level, std::string_view msg) {
  wasmrtc_host_log(int(level), msg.data(), msg.size());
}

// Installed before any export runs (static initialisers run in _initialize).
struct InstallHostLog {
  InstallHostLog() { wasmrtc::set_log_sink(&forward_to_host); }
} g_install;

}  // namespace
