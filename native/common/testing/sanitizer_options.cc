// Linked into every GoogleTest binary of a -DWASMRTC_SANITIZE=ON build (CMakeLists.txt), and only
// there: the sanitizers' defaults for the native tests, so ctest, test discovery and a binary run
// by hand behave the same. Any report ends the process with a failure: ASan stops at the first
// error and checks for leaks at exit; UBSan cannot recover either (-fno-sanitize-recover=all) and
// prints a stack. ASAN_OPTIONS / UBSAN_OPTIONS in the environment are applied after these.
extern "C" {
__attribute__((used, visibility("default"))) const char* __asan_default_options() {
  return "halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1";
}
__attribute__((used, visibility("default"))) const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}
}
