#!/usr/bin/env bash
# test.sh - sets everything up and runs every test: builds with AddressSanitizer and
# UndefinedBehaviorSanitizer into build/asan and runs ctest: unit tests, spec vectors
# both ways, install/pkg-config check, storage differential test against redis-server,
# end-to-end tests over real sockets, the CLI, the conformance suite in server, client and
# codec modes with its coverage and fault-detection checks, the Python port, and the fuzz
# corpus replays; then runs each libFuzzer harness for a short while (PLEXUS_FUZZ_SECONDS,
# default 30 s each; 0 skips). Fails if either part fails. Extra arguments go to ctest
# (e.g. -R conformance) and skip the fuzz run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD=${PLEXUS_BUILD_DIR:-build/asan}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DPLEXUS_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" "$@" || status=$?

fuzz_secs=${PLEXUS_FUZZ_SECONDS:-30}
if [ "$fuzz_secs" -gt 0 ] && [ $# -eq 0 ]; then
  PLEXUS_FUZZ_BUILD=${PLEXUS_FUZZ_BUILD:-build/fuzz} fuzz/run.sh "$fuzz_secs" || status=$?
fi
exit $status
