#!/bin/bash
# run_conformance.sh - the whole conformance server suite over one binding against plexus-server
# --storage redis://127.0.0.1:PORT (a private redis-server). plexus-conform --spawn starts the
# servers through a wrapper that flushes Redis before each one starts and adds --storage;
# cases that configure the store themselves (--storage, --max-keys, --max-value: storage-029,
# storage-030, about the in-memory store and storage none) get plexus-server as they ask.
# Checks: exit 0, "N passed, 0 failed", and that the only skips are the binding's and the
# cases needing feature:change-by (SPEC 11.11).
#
# usage: run_conformance.sh PLEXUS_SERVER PLEXUS_CONFORM ws|stream OUTDIR
set -u
server=$1 conform=$2 binding=$3 out=$4
. "$(dirname "$0")/redis_env.sh"
mkdir -p "$out"
redis_start || exit 1
wrapper="$out/spawn-$binding.sh"
cat >"$wrapper" <<WRAP
#!/bin/sh
for a in "\$@"; do
    case "\$a" in --storage|--storage=*|--max-keys|--max-keys=*|--max-value|--max-value=*)
        exec '$server' "\$@";;
    esac
done
redis-cli -p $REDIS_PORT flushall >/dev/null
exec '$server' --storage redis://127.0.0.1:$REDIS_PORT "\$@"
WRAP
chmod +x "$wrapper"
"$conform" server --spawn "$wrapper" --binding "$binding" --json "$out/$binding.json" \
    >"$out/$binding.txt" 2>&1
rc=$?
last=$(tail -n 1 "$out/$binding.txt")
echo "$last"
if [ $rc -ne 0 ] || ! [[ "$last" =~ ^conformance:\ [1-9][0-9]*\ passed,\ 0\ failed,\ [0-9]+\ skipped$ ]]; then
    echo "FAIL: plexus-conform exited with $rc (plexus-server on Redis, $binding)"
    grep -v '^\[pass' "$out/$binding.txt" | head -200
    exit 1
fi
other=$(grep '^\[skipped' "$out/$binding.txt" | grep -v -e 'feature change-by' -e 'binding')
if [ -n "$other" ]; then
    echo "FAIL: skips other than feature change-by and the binding's:"
    echo "$other"
    exit 1
fi
grep '^\[skipped' "$out/$binding.txt"
exit 0
