#!/usr/bin/env bash
# setup.sh - installs the Debian packages Plexus builds, tests and benchmarks with.
# Idempotent: installs only what is missing. Needs root (or sudo) when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
  zlib1g-dev libcjson-dev libwebsockets-dev libcmocka-dev libhiredis-dev libedit-dev
  libmosquitto-dev libnats-dev
  mosquitto nats-server redis-server redis-tools python3 python3-websockets python3-pytest valgrind
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
