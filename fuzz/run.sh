#!/usr/bin/env bash
# run.sh [SECONDS] [HARNESS...] - builds every fuzz harness with clang + libFuzzer (ASan and
# UBSan) and runs each for SECONDS (default 60), one after another. Prints execs/s, coverage
# (cov: edges, ft: features, from libFuzzer's final stats) and corpus size per harness. New
# corpus inputs go to the build tree (BUILD/fuzz-corpus/<harness>, seeded from
# fuzz/corpus/<harness>); a crash, leak, timeout or out-of-memory input is saved into
# fuzz/crashes/<harness>/. Exits 1 on any finding, 2 when the build fails.
#
# Environment: PLEXUS_FUZZ_BUILD (build dir, default build-fuzz), CC (default clang).
set -uo pipefail

secs=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PLEXUS_FUZZ_BUILD:-$root/build-fuzz}
export CC=${CC:-clang}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  harnesses=()
  for src in "$root"/fuzz/fuzz_*.c; do
    harnesses+=("$(basename "$src" .c)")
  done
fi

mkdir -p "$build"
cmake -S "$root" -B "$build" -DPLEXUS_FUZZ=ON -DPLEXUS_SERVER=ON -DPLEXUS_TESTS=OFF -DPLEXUS_CLIENT=OFF \
  -DPLEXUS_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 || {
  echo "run.sh: configure failed, see $build.configure.log" >&2
  exit 2
}

built=()
for h in "${harnesses[@]}"; do
  if ! grep -q "^$h:" <(cmake --build "$build" --target help 2>/dev/null | sed 's/^\.\.\. //; s/ .*//; s/$/:/'); then
    echo "run.sh: $h: no such target (its library is not built here), skipped"
    continue
  fi
  if ! cmake --build "$build" -j2 --target "$h" >"$build/$h.build.log" 2>&1; then
    echo "run.sh: building $h failed, see $build/$h.build.log" >&2
    exit 2
  fi
  built+=("$h")
done

findings=0
printf '%-16s %10s %8s %8s %12s  %s\n' harness execs/s cov ft corpus result
for h in "${built[@]}"; do
  corpus="$build/fuzz-corpus/$h"
  crashes="$root/fuzz/crashes/$h"
  mkdir -p "$corpus" "$crashes" "$build/fuzz-logs"
  log="$build/fuzz-logs/$h.log"
  dict=()
  [ -f "$root/fuzz/dict/$h.dict" ] && dict=(-dict="$root/fuzz/dict/$h.dict")
  before=$(find "$crashes" -type f ! -name '.*' | wc -l)
  nice -n 10 "$build/fuzz/$h" -max_total_time="$secs" -print_final_stats=1 -timeout=20 \
    -rss_limit_mb=2048 -artifact_prefix="$crashes/" "${dict[@]}" \
    "$corpus" "$root/fuzz/corpus/$h" >"$log" 2>&1
  rc=$?
  after=$(find "$crashes" -type f ! -name '.*' | wc -l)
  stats=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$stats")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$stats")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  result=ok
  if [ $rc -ne 0 ] || [ "$after" -gt "$before" ]; then
    result="FINDING (exit $rc; log $log; inputs in $crashes)"
    findings=$((findings + 1))
  fi
  printf '%-16s %10s %8s %8s %12s  %s\n' "$h" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$result"
done

if [ $findings -gt 0 ]; then
  echo "run.sh: $findings harness(es) with findings"
  exit 1
fi
echo "run.sh: ${#built[@]} harness(es) ran ${secs}s each, no finding"
