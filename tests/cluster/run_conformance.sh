#!/bin/bash
# run_conformance.sh - the whole conformance server suite against plexus-server instances that
# are part of a cluster: a private redis-server, a companion plexus-server on it for the whole
# run, and every server plexus-conform spawns joining them on the same Redis (flushed before
# each). Checks: exit 0, "N passed, 0 failed", only the binding's and change-by skips (as
# tests/redis_server/run_conformance.sh), and that the companion stayed up.
#
# usage: run_conformance.sh PLEXUS_SERVER PLEXUS_CONFORM ws|stream OUTDIR
set -u
server=$1 conform=$2 binding=$3 out=$4
. "$(dirname "$0")/../redis_server/redis_env.sh"
mkdir -p "$out"
redis_start || exit 1
"$server" --port 0 --storage "redis://127.0.0.1:$REDIS_PORT" >"$out/companion.out" \
    2>"$out/companion.err" &
companion=$!
REDIS_PIDS="$companion $REDIS_PIDS" # stopped first by the EXIT trap
for _ in $(seq 50); do
    grep -q "cluster: instance" "$out/companion.err" 2>/dev/null && break
    sleep 0.1
done
wrapper="$out/spawn-cluster-$binding.sh"
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
"$conform" server --spawn "$wrapper" --binding "$binding" --json "$out/cluster-$binding.json" \
    >"$out/cluster-$binding.txt" 2>&1
rc=$?
last=$(tail -n 1 "$out/cluster-$binding.txt")
echo "$last"
if [ $rc -ne 0 ] || ! [[ "$last" =~ ^conformance:\ [1-9][0-9]*\ passed,\ 0\ failed,\ [0-9]+\ skipped$ ]]; then
    echo "FAIL: plexus-conform exited with $rc (plexus-server in a cluster, $binding)"
    grep -v '^\[pass' "$out/cluster-$binding.txt" | head -200
    exit 1
fi
other=$(grep '^\[skipped' "$out/cluster-$binding.txt" | grep -v -e 'feature change-by' -e 'binding')
if [ -n "$other" ]; then
    echo "FAIL: skips other than feature change-by and the binding's:"
    echo "$other"
    exit 1
fi
if ! kill -0 "$companion" 2>/dev/null; then
    echo "FAIL: the companion instance died"
    cat "$out/companion.err"
    exit 1
fi
exit 0
