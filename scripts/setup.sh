#!/usr/bin/env bash
# Installs what the build and the tests need from Debian, when missing.
# As root it runs apt-get itself; otherwise it prints the exact command.
set -euo pipefail
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in cmake g++ emscripten libssl-dev openssl libgtest-dev googletest coturn chromium firefox-esr redis-server tshark \
         clang-14 libclang-rt-14-dev libusrsctp-dev iproute2 golang-go golang-github-pion-webrtc.v3-dev; do
  have_pkg "$p" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "setup: all Debian packages present"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "setup: missing Debian packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
