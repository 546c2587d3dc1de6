# redis_env.sh - sourced by the tests of tests/redis_server: starts a private redis-server on a
# free port of 127.0.0.1 (no persistence), waits for PING (at most 5 s), stops it on exit.
#   redis_start        sets REDIS_PORT and REDIS_PID (returns 1 on failure)
#   redis_stop_all     called from the EXIT trap
REDIS_PIDS=""

redis_free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_start() {
    local port i
    for i in 1 2 3 4 5; do
        port=$(redis_free_port)
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize no >/dev/null 2>&1 &
        REDIS_PID=$!
        REDIS_PIDS="$REDIS_PIDS $REDIS_PID"
        for _ in $(seq 50); do
            if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
                REDIS_PORT=$port
                return 0
            fi
            kill -0 "$REDIS_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$REDIS_PID" 2>/dev/null
    done
    echo "FAIL: cannot start redis-server" >&2
    return 1
}

redis_stop_all() {
    local p
    for p in $REDIS_PIDS; do kill "$p" 2>/dev/null; done
    for p in $REDIS_PIDS; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    wait 2>/dev/null
}
trap redis_stop_all EXIT
