#!/usr/bin/env bash
# run-server.sh - sets everything up, builds a release plexus-server into build/release and
# runs it with in-memory storage. Extra arguments go to plexus-server (see --help);
# default: --host 127.0.0.1 --port 7700.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DPLEXUS_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target plexus-server
[ $# -gt 0 ] || set -- --host 127.0.0.1 --port 7700
exec build/release/reference-server/plexus-server "$@"
