#!/usr/bin/env bash
# A cluster with a password (auth.password_file, a Secret-like 0600 file) forms and survives
# recovery scenarios 1, 3 and 4; the password never appears on any command line, in any log, or in
# config/plan/status output; the runtime config is 0600; a wrong password fails fast and clearly.
. "$(dirname "$0")/lib.sh"
rcli() { local p=$1; shift; redis-cli -h "$(sim ip "$p")" -p 6379 "$@" | tr -d '\r'; }
converge() { local end=$((SECONDS + 60)); while [ $SECONDS -lt $end ]; do sim check >/dev/null 2>&1 && break; sleep 0.1; done; sim check; }
fail() { echo "FAIL: $*"; exit 1; }

step "up 3x1 with a password"
sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --password
PW=$(cat "$SIM_STATE/secret/password")
[ ${#PW} -ge 32 ] || fail "no password generated"
export REDISCLI_AUTH=$PW # redis-cli takes it from the environment, not its command line
# Sample every process's command line while the test runs (bounded by the test; stopped by pid).
SAMPLES="$SIM_STATE/cmdline-hits"
( for ((i = 0; i < 3000; i++)); do
      grep -laF -f "$SIM_STATE/secret/password" /proc/[0-9]*/cmdline >>"$SAMPLES" 2>/dev/null || true
      sleep 0.05
  done ) &
SAMPLER=$!
trap 'rc=$?; kill $SAMPLER 2>/dev/null || true; (exit $rc); cleanup' EXIT
converge
step "without the password a client is refused"
if REDISCLI_AUTH= redis-cli -h "$(sim ip redis-shard0-0)" -p 6379 set k v 2>&1 | grep -q '^OK'; then fail "write accepted without a password"; fi
sim write 10000

step "scenario 1: a replica restarts"
id=$(rcli redis-shard1-1 cluster myid)
[[ $id =~ ^[0-9a-f]{40}$ ]] || fail "cluster myid: $id"
sim restart redis-shard1-1
converge
[ "$(rcli redis-shard1-1 cluster myid)" = "$id" ] || fail "new node id"

step "scenario 3: a master is down past the node timeout"
rid=$(rcli redis-shard2-1 cluster myid)
sim restart redis-shard2-0 --down-for 8
converge
[ "$(rcli redis-shard2-0 cluster nodes | awk '/myself/ { print $4 }')" = "$rid" ] || fail "old master is not the new one's replica"

step "scenario 4: every pod restarts at once"
sim restart-all
converge
sim verify

step "the runtime config holds the password and is 0600"
for d in "$SIM_STATE"/pods/*; do
    [ "$(stat -c %a "$d/pvc/redis.conf")" = 600 ] || fail "$d/pvc/redis.conf is $(stat -c %a "$d/pvc/redis.conf")"
done

step "config, plan and status do not print it; a wrong password fails fast"
for c in config plan status; do sim exec redis-shard0-0 -- "$RCI_BIN" "$c" >"$SIM_STATE/out-$c" 2>&1 || fail "$c failed: $(tail -n 2 "$SIM_STATE/out-$c")"; done
grep -q 'cluster_state: ok' "$SIM_STATE/out-status" || fail "status did not authenticate"
printf 'not-the-password\n' >"$SIM_STATE/wrong"
set +e
timeout 20 "$PODSIM" --state "$SIM_STATE" exec redis-shard0-0 -- env RCI_PASSWORD_FILE="$SIM_STATE/wrong" "$RCI_BIN" status >"$SIM_STATE/out-wrong" 2>&1
rc=$?
set -e
cat "$SIM_STATE/out-wrong"
[ $rc = 1 ] || fail "wrong password: exit $rc, expected 1"
grep -q 'AUTH refused' "$SIM_STATE/out-wrong" || fail "no clear AUTH error"

kill $SAMPLER 2>/dev/null || true
wait $SAMPLER 2>/dev/null || true
step "no command line, log or output holds the password"
if [ -s "$SAMPLES" ]; then cat "$SAMPLES"; fail "the password appeared on a command line"; fi
if grep -rlF -f "$SIM_STATE/secret/password" "$SIM_STATE"/pods/*/*.log "$SIM_STATE"/pods/*/pvc/.rci-init-redis.log "$SIM_STATE"/out-* 2>/dev/null; then
    fail "the password appeared in the files above"
fi
echo PASS
