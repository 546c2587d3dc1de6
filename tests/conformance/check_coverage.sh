#!/bin/bash
# check_coverage.sh - checks that `plexus-conform coverage` reports consistently: three
# "source server|client|vector N ..." lines first (each source counted and shown), then every
# line is "uncovered ID LEVEL summary" and the last is "coverage: X of Y requirements covered,
# Z MUST without a case"; Z equals the number of uncovered MUST / MUST NOT lines; the exit
# status is 0 exactly when Z is 0 (1 otherwise); --all lists every requirement of
# spec/requirements.json; --no-vectors does not count the vectors.
# The real gate (every MUST covered) is the separate conformance_coverage test.
#
# usage: check_coverage.sh PLEXUS_CONFORM REQUIREMENTS_JSON
set -u
conform=$1 reqs=$2
out=$("$conform" coverage 2>/dev/null)
rc=$?
last=$(printf '%s\n' "$out" | tail -n 1)
if ! [[ "$last" =~ ^coverage:\ ([0-9]+)\ of\ ([0-9]+)\ requirements\ covered,\ ([0-9]+)\ MUST\ without\ a\ case$ ]]; then
    echo "FAIL: bad summary line: $last"; exit 1
fi
covered=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]} must=${BASH_REMATCH[3]}
sources=$(printf '%s\n' "$out" | grep -c -E '^source (server|client|vector) +[0-9]+ ')
[ "$sources" -eq 3 ] || { echo "FAIL: $sources source lines, 3 expected"; exit 1; }
body=$(printf '%s\n' "$out" | sed '$d' | grep -v '^source ')
bad=$(printf '%s\n' "$body" | grep -v -E '^uncovered [A-Z]+-[0-9]+ +(MUST|MUST NOT|SHOULD|SHOULD NOT|MAY) ' | grep -c .)
[ "$bad" -eq 0 ] || { echo "FAIL: $bad malformed lines"; exit 1; }
lines=$(printf '%s\n' "$body" | grep -c '^uncovered')
must_lines=$(printf '%s\n' "$body" | grep -c -E '^uncovered [A-Z]+-[0-9]+ +MUST')
in_spec=$(grep -c '"id":' "$reqs")
[ "$total" -eq "$in_spec" ] || { echo "FAIL: total $total, requirements.json has $in_spec"; exit 1; }
[ $((covered + lines)) -eq "$total" ] || { echo "FAIL: $covered covered + $lines uncovered != $total"; exit 1; }
[ "$must_lines" -eq "$must" ] || { echo "FAIL: $must_lines MUST lines but the summary says $must"; exit 1; }
if [ "$must" -eq 0 ]; then want=0; else want=1; fi
[ "$rc" -eq "$want" ] || { echo "FAIL: exit status $rc with $must MUST uncovered"; exit 1; }
all=$("$conform" coverage --all 2>/dev/null | grep -c -E '^(covered|uncovered) ')
[ "$all" -eq "$total" ] || { echo "FAIL: --all lists $all of $total"; exit 1; }
nov=$("$conform" coverage --no-vectors 2>/dev/null | grep -c '^source vector not counted')
[ "$nov" -eq 1 ] || { echo "FAIL: --no-vectors still counts the vectors"; exit 1; }
printf '%s\n' "$out" | grep '^source '
echo "$last (exit $rc)"
