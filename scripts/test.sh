#!/usr/bin/env bash
# The whole suite: native C++ tests (ctest, under AddressSanitizer and UndefinedBehaviorSanitizer),
# the WebAssembly and TypeScript build, then vitest (unit, end-to-end, interop).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/setup.sh
[ -d node_modules ] || npm ci
# Native tests under ASan + UBSan: any sanitizer report fails the run (WASMRTC_SANITIZE=0: without).
bash scripts/build-native.sh --test
native_done=$(date +%s)
npm run build
npx vitest run
# Every parser's libFuzzer target builds and runs briefly on its seed corpus (the long campaign: FUZZ_CAMPAIGN=1 npm run fuzz; docs/fuzzing.md).
if command -v clang++-14 >/dev/null 2>&1; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-5} bash scripts/fuzz.sh
fi
end=$(date +%s)
echo "test.sh: native $((native_done - start)) s, total $((end - start)) s"
