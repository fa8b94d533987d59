#!/usr/bin/env bash
# Native build of the C++ core and its GoogleTest suites (OpenSSL provider); with --test, ctest too.
#
# By default under AddressSanitizer + UndefinedBehaviorSanitizer (-DWASMRTC_SANITIZE=ON) in
# build/native, at -Og -g1 (quicker to build than -O2 -g, and still exact stacks): any report —
# memory error, leak, undefined behaviour — fails its test (CMakeLists.txt,
# native/common/testing/sanitizer_options.cc). npm test runs this.
#
#   WASMRTC_SANITIZE=0 npm run test:native   # without sanitizers, RelWithDebInfo, in build/native-plain
#   JOBS=1 bash scripts/build-native.sh --test
#   NATIVE_BUILD_DIR=build/native-mine bash scripts/build-native.sh --test   # another build folder
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
case "${WASMRTC_SANITIZE:-1}" in
  0 | OFF | off | no | false)
    dir=${NATIVE_BUILD_DIR:-build/native-plain}
    args=(-DWASMRTC_SANITIZE=OFF -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}")
    ;;
  *)
    dir=${NATIVE_BUILD_DIR:-build/native}
    # "Sanitize" is our own build type: only the flags below (CMake has no defaults for it);
    # _GLIBCXX_ASSERTIONS bounds-checks operator[] of std containers (no ABI change).
    args=(-DWASMRTC_SANITIZE=ON -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Sanitize}"
          "-DCMAKE_CXX_FLAGS_SANITIZE=-Og -g1 -D_GLIBCXX_ASSERTIONS" "-DCMAKE_C_FLAGS_SANITIZE=-Og -g1")
    ;;
esac
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of words
cmake -S . -B "$dir" "${args[@]}" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$dir" -j"$jobs"
if [ "${1:-}" = "--test" ]; then
  ctest --test-dir "$dir" --output-on-failure -j"$jobs"
fi
