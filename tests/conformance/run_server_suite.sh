#!/bin/bash
# run_server_suite.sh - runs every conformance case over one binding against plexus-server,
# which plexus-conform starts itself (--spawn: one server per distinct set of the cases'
# server_args, on free ports of 127.0.0.1), and checks: exit status 0 and the summary line with
# 0 failed. Cases listed in known_failures.txt for this binding are left out of that run and run
# separately: each must still fail (a known failure that passes must be removed from the list).
#
# usage: run_server_suite.sh PLEXUS_SERVER PLEXUS_CONFORM ws|stream KNOWN_FAILURES OUTDIR
set -u
server=$1 conform=$2 binding=$3 known=$4 out=$5
mkdir -p "$out"
spawn=("$conform" server --spawn "'$server'" --binding "$binding")

# Known failures for this binding: "case-id binding reason..." lines, # comments.
xfail=$(awk -v b="$binding" '!/^#/ && NF >= 2 && ($2 == b || $2 == "both") {printf "%s%s", sep, $1; sep=","}' "$known")

"${spawn[@]}" --exclude "$xfail" --json "$out/$binding.json" \
    --junit "$out/$binding.xml" --html "$out/$binding.html" >"$out/$binding.txt" 2>&1
rc=$?
last=$(tail -n 1 "$out/$binding.txt")
echo "$last"
if [ $rc -ne 0 ]; then
    echo "FAIL: plexus-conform exited with $rc (spawned plexus-server, $binding)"
    grep -v '^\[pass' "$out/$binding.txt" | head -200
    exit 1
fi
if ! [[ "$last" =~ ^conformance:\ [1-9][0-9]*\ passed,\ 0\ failed,\ [0-9]+\ skipped$ ]]; then
    echo "FAIL: unexpected summary line: $last"
    exit 1
fi
for f in "$out/$binding.json" "$out/$binding.xml" "$out/$binding.html"; do
    [ -s "$f" ] || { echo "FAIL: report $f is missing"; exit 1; }
done
grep '^\[skipped' "$out/$binding.txt"

# Each known failure must still fail (strict: a fixed server must shrink the list).
if [ -n "$xfail" ]; then
    for id in ${xfail//,/ }; do
        "${spawn[@]}" --cases "$id" >"$out/xfail-$binding-$id.txt" 2>&1
        xrc=$?
        xlast=$(tail -n 1 "$out/xfail-$binding-$id.txt")
        if [ $xrc -eq 0 ]; then
            echo "FAIL: known failure $id now passes over $binding: remove it from known_failures.txt"
            exit 1
        fi
        if ! [[ "$xlast" =~ ^conformance:\ 0\ passed,\ 1\ failed,\ 0\ skipped$ ]]; then
            echo "FAIL: known failure $id: unexpected summary '$xlast' (is the id still a case?)"
            exit 1
        fi
    done
    echo "known failures still failing over $binding: $xfail"
fi
exit 0
