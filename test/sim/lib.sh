# Shared by the simulator tests: one simulation per test, removed on any exit.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PODSIM="$ROOT/scripts/podsim"
: "${RCI_BIN:=$ROOT/build/redis-cluster-init}"
: "${SIM_NET:=60}"
: "${SIM_STATE:=/tmp/rci-sim-$SIM_NET}"
export PODSIM_STATE=$SIM_STATE
sim() { "$PODSIM" --state "$SIM_STATE" "$@"; }
cleanup() { # [exit status] (default: the status the shell is exiting with)
    local rc=${1:-$?}
    if [ $rc != 0 ] && [ -d "$SIM_STATE/pods" ]; then
        echo "--- test failed (exit $rc): state and the last init logs ---"
        sim status || true
        for d in "$SIM_STATE"/pods/*; do
            echo "--- $(basename "$d") init:"; tail -n 8 "$d/init.log" 2>/dev/null || true
            if [ -f "$d/sidecar.log" ]; then echo "--- $(basename "$d") sidecar:"; tail -n 8 "$d/sidecar.log"; fi
        done
    fi
    sim down || true
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
