#!/usr/bin/env bash
# WebAssembly build with Debian's emscripten into dist/wasmrtc.wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v emcmake >/dev/null 2>&1; then
  echo "emscripten is missing: run 'npm run setup' (as root) or 'apt-get install emscripten'" >&2
  exit 1
fi
# Debian's emscripten needs its JS optimizer's modules from the system tree.
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
jobs=$(nproc 2>/dev/null || echo 2)
emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/wasm -j"$jobs"
mkdir -p dist
cp build/wasm/wasmrtc.wasm dist/wasmrtc.wasm
echo "dist/wasmrtc.wasm: $(stat -c %s dist/wasmrtc.wasm) bytes"
