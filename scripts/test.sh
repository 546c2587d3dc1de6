#!/usr/bin/env bash
# test.sh - sets everything up and runs every test: builds with AddressSanitizer and
# UndefinedBehaviorSanitizer into build/asan, then runs ctest (unit tests, spec vectors,
# install/pkg-config check, storage differential test against redis-server, end-to-end
# tests over real sockets, fuzz corpus replays).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD=${PLEXUS_BUILD_DIR:-build/asan}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DPLEXUS_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" "$@"
