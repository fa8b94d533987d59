#!/usr/bin/env bash
# Builds every libFuzzer target (clang-14, ASan+UBSan) and runs each for
# FUZZ_SECONDS (default 10). Used by CI with a short budget; run longer by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-10}
cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWASMRTC_FUZZ=ON -DWASMRTC_TESTS=OFF \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 >/dev/null
cmake --build build/fuzz -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
for f in $(find native -name '*_fuzz.cc' | sort); do
  name=$(basename "$f" .cc)
  mkdir -p "build/fuzz/corpus/$name"
  echo "fuzz: $name for ${secs}s"
  "build/fuzz/$name" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 "build/fuzz/corpus/$name" 2>&1 | tail -1
done
