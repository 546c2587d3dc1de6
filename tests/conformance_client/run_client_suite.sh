#!/bin/bash
# run_client_suite.sh - runs every client case (conformance/client-cases) with plexus-conform
# acting as the server against libplexus-client through plexus-conform-driver-c, over one
# binding, and checks: exit status 0 and the summary line with 0 failed. Cases listed in
# known_failures.txt for this binding are left out of that run and run separately: each must
# still fail (a known failure that passes must be removed from the list).
#
# usage: run_client_suite.sh PLEXUS_CONFORM DRIVER ws|stream KNOWN_FAILURES OUTDIR
set -u
conform=$1 driver=$2 binding=$3 known=$4 out=$5
mkdir -p "$out"

xfail=$(awk -v b="$binding" '!/^#/ && NF >= 2 && ($2 == b || $2 == "both") {printf "%s%s", sep, $1; sep=","}' "$known")

"$conform" client --driver "$driver" --binding "$binding" --exclude "$xfail" \
    --json "$out/$binding.json" --junit "$out/$binding.xml" --html "$out/$binding.html" \
    >"$out/$binding.txt" 2>&1
rc=$?
last=$(tail -n 1 "$out/$binding.txt")
echo "$last"
if [ $rc -ne 0 ]; then
    echo "FAIL: plexus-conform client exited with $rc over $binding"
    grep -v '^\[pass' "$out/$binding.txt" | head -300
    exit 1
fi
if ! [[ "$last" =~ ^conformance:\ [1-9][0-9]*\ passed,\ 0\ failed,\ [0-9]+\ skipped$ ]]; then
    echo "FAIL: unexpected summary line: $last"
    exit 1
fi
for f in "$out/$binding.json" "$out/$binding.xml" "$out/$binding.html"; do
    [ -s "$f" ] || { echo "FAIL: report $f is missing"; exit 1; }
done

if [ -n "$xfail" ]; then
    "$conform" client --driver "$driver" --binding "$binding" --cases "$xfail" \
        --json "$out/xfail-$binding.json" >"$out/xfail-$binding.txt" 2>&1
    /usr/bin/python3 - "$out/xfail-$binding.json" "$xfail" <<'PY' || exit 1
import json, sys
report = json.load(open(sys.argv[1], encoding='utf-8', errors='replace'))
verdicts = {c['id']: c['verdict'] for c in report['cases']}
bad = [i for i in sys.argv[2].split(',') if verdicts.get(i) != 'fail']
for i in bad:
    print('FAIL: known failure %s: verdict %s (fixed? remove it from known_failures.txt)'
          % (i, verdicts.get(i, 'not run')))
sys.exit(1 if bad else 0)
PY
    echo "known failures still failing over $binding: $xfail"
fi
exit 0
