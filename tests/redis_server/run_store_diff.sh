#!/bin/bash
# run_store_diff.sh - the storage differential test (tests/storage/diff/commands.txt) against
# plexus-server --storage redis://... : plx-store-diff-server runs every command on its own
# private redis-server and on the plexus-server (started through a wrapper adding --storage
# with a second private redis-server) and compares every reply.
#
# usage: run_store_diff.sh PLX_STORE_DIFF_SERVER PLEXUS_SERVER COMMANDS OUTDIR
set -u
diff=$1 server=$2 commands=$3 out=$4
. "$(dirname "$0")/redis_env.sh"
mkdir -p "$out"
redis_start || exit 1
wrapper="$out/plexus-server-redis.sh"
printf '#!/bin/sh\nexec %s --storage redis://127.0.0.1:%s "$@"\n' "'$server'" "$REDIS_PORT" \
    >"$wrapper"
chmod +x "$wrapper"
timeout 150 "$diff" "$commands" "$wrapper"
