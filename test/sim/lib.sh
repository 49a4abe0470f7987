# Shared by the simulator tests: one simulation per test, removed on any exit.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PODSIM="$ROOT/scripts/podsim"
: "${RCI_BIN:=$ROOT/build/redis-cluster-init}"
# The net (198.18.N.0/24): 'auto' takes a free one (podsim), so a leftover or another suite on this
# machine never collides with this test.
: "${SIM_NET:=auto}"
: "${SIM_STATE:=/tmp/rci-sim-$(basename "$0" .sh)-$(echo "$*" | cksum | cut -d' ' -f1)}"
export PODSIM_STATE=$SIM_STATE
sim() { "$PODSIM" --state "$SIM_STATE" "$@"; }
# SIM_KEEP_LOGS=DIR: on failure, every pod's logs and its CLUSTER NODES (view.txt, read by cleanup) go
# to DIR/<pod>/ before the simulation is removed (for a failure seen only in a loop or on CI).
keep_logs() {
    [ -n "${SIM_KEEP_LOGS:-}" ] || return 0
    local d k
    for d in "$SIM_STATE"/pods/*; do
        k=$SIM_KEEP_LOGS/$(basename "$d"); mkdir -p "$k"
        cp "$d"/*.log "$d/view.txt" "$k"/ 2>/dev/null || true
    done
    cp "$SIM_STATE"/*.out "$SIM_KEEP_LOGS"/ 2>/dev/null || true
    echo "logs kept in $SIM_KEEP_LOGS"
}
cleanup() { # [exit status] (default: the status the shell is exiting with)
    local rc=${1:-$?}
    if [ $rc != 0 ] && [ -d "$SIM_STATE/pods" ]; then
        echo "--- test failed (exit $rc): state and the last init logs ---"
        sim status || true
        for d in "$SIM_STATE"/pods/*; do
            echo "--- $(basename "$d") init:"; tail -n 8 "$d/init.log" 2>/dev/null || true
            if [ -f "$d/sidecar.log" ]; then echo "--- $(basename "$d") sidecar:"; tail -n 8 "$d/sidecar.log"; fi
            # The main container's Redis log: failovers, slot moves and links, for a failure seen once.
            echo "--- $(basename "$d") redis (last 12 lines):"; tail -n 12 "$d/redis.log" 2>/dev/null || true
        done
        # Each view is read once: printed (a large cluster: redis-shard0-0's only) and, with
        # SIM_KEEP_LOGS, kept for every pod.
        local all=("$SIM_STATE"/pods/*) p shown
        echo "--- CLUSTER NODES as each running pod sees it:"
        for d in "${all[@]}"; do
            p=$(basename "$d")
            shown=0; { [ ${#all[@]} -le 10 ] || [ "$p" = redis-shard0-0 ]; } && shown=1
            [ $shown = 1 ] || [ -n "${SIM_KEEP_LOGS:-}" ] || continue
            timeout 5 "$PODSIM" --state "$SIM_STATE" cli "$p" cluster nodes 2>&1 | tr -d '\r' >"$d/view.txt" || true
            if [ $shown = 1 ]; then echo "- $p:"; cat "$d/view.txt"; fi
        done
        keep_logs
    fi
    # 'down' fails when it leaves a namespace or the bridge of its net behind: so does this test.
    sim down || { [ $rc != 0 ] || rc=1; }
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] || { echo "the simulator needs root (network namespaces)"; exit 1; }
sim down # a leftover of an interrupted run
step() { echo "=== $*"; }
fail() { echo "FAIL: $*"; exit 1; }
converge() { # wait (at most $1, default 60 s) until check is clean, then show it
    local end=$((SECONDS + ${1:-60}))
    while [ $SECONDS -lt $end ]; do sim check >/dev/null 2>&1 && break; sleep 0.1; done
    sim check
}
rcli() { sim cli "$@" | tr -d '\r'; } # redis-cli POD ARGS, with the simulation's TLS and user flags
myid() { rcli "$1" cluster myid; }
log_lines() { grep -c '' "$SIM_STATE/pods/$1/redis.log"; } # POD: lines in its main container's log so far
# POD FROM-LINE: the syncs POD's main server served since that line of its log. A replica's
# temporary server never syncs (docs/design.md); it has no client port, so a master would name
# it <unknown-replica-port>. Fails on such a sync, or when no main server synced at all.
only_main_synced() {
    local since; since=$(tail -n +"$(($2 + 1))" "$SIM_STATE/pods/$1/redis.log" | grep 'asks for synchronization' || true)
    echo "syncs served by $1 since line $2:"; echo "${since:-  (none)}"
    if grep -q 'unknown-replica-port' <<<"$since"; then fail "a replica's temporary server synced from $1"; fi
    [ -n "$since" ] || fail "no replica synced from $1"
}
