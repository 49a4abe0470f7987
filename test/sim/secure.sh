#!/usr/bin/env bash
# A secured 3x1 cluster forms and survives recovery scenarios 1, 3 and 4; no secret ever appears
# on a command line (sampled from every /proc/*/cmdline during the test), in a log, or in
# config/plan/status output; the runtime config is 0600; bad credentials fail fast and clearly.
# usage: secure.sh password | tls | acl
#   password  auth.password_file (requirepass + masterauth)
#   tls       TLS-only ports (client, bus, replication) with openssl-made certificates, and a
#             password; also scenario 5, where the init talks to its peers' client ports
#   acl       an ACL file: the default user off, the init as 'operator', replicas as 'replicator'
. "$(dirname "$0")/lib.sh"
MODE=${1:?password, tls or acl}
expect_exit() { # code needle output-file command...: the command (bounded to 20 s) exits with code and says needle
    local want=$1 needle=$2 out=$3 rc=0; shift 3
    timeout 20 "$@" >"$out" 2>&1 || rc=$?
    cat "$out"
    [ "$rc" = "$want" ] || fail "$*: exit $rc, expected $want"
    grep -q -- "$needle" "$out" || fail "$*: no '$needle' in the output"
}
case $MODE in
password) flags=(--password) ;;
tls) flags=(--password --tls) ;;
acl) flags=(--password --acl) ;;
*) fail "unknown mode $MODE" ;;
esac

step "up 3x1: ${flags[*]}"
sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 "${flags[@]}"
PW=$(cat "$SIM_STATE/secret/password")
[ ${#PW} -ge 32 ] || fail "no password generated"
export REDISCLI_AUTH=$PW # redis-cli takes it from the environment, not its command line
# The secrets to look for: the password, and for TLS every line of the private keys' PEM bodies.
SECRETS="$SIM_STATE/secrets.list"
{ echo "$PW"; [ -d "$SIM_STATE/tls" ] && grep -hv -- '-----' "$SIM_STATE"/tls/*.key; } >"$SECRETS"
# Sample every process's command line while the test runs (bounded by the test; stopped by pid).
SAMPLES="$SIM_STATE/cmdline-hits"
( for ((i = 0; i < 3000; i++)); do
      grep -laF -f "$SECRETS" /proc/[0-9]*/cmdline >>"$SAMPLES" 2>/dev/null || true
      sleep 0.05
  done ) &
SAMPLER=$!
# (not '(exit $rc); cleanup': under set -e that subshell would end the trap before cleanup)
trap 'rc=$?; kill $SAMPLER 2>/dev/null || true; cleanup $rc' EXIT
converge
ip0=$(sim ip redis-shard0-0)
step "without the credentials a client is refused"
if REDISCLI_AUTH= sim cli redis-shard0-0 set k v 2>&1 | grep -q '^OK'; then fail "write accepted without a password"; fi
case $MODE in
tls)
    if timeout 5 redis-cli -h "$ip0" -p 6379 ping 2>&1 | grep -q PONG; then fail "a plaintext client got an answer on the TLS port"; fi
    grep -qx 'port 0' "$SIM_STATE/pods/redis-shard0-0/pvc/redis.conf" || fail "the runtime config keeps a plaintext port"
    grep -qx 'tls-cluster yes' "$SIM_STATE/pods/redis-shard0-0/pvc/redis.conf" || fail "no tls-cluster"
    grep -qx 'tls-replication yes' "$SIM_STATE/pods/redis-shard0-0/pvc/redis.conf" || fail "no tls-replication" ;;
acl)
    # The default user is off: the right password without a user name is refused.
    if timeout 5 redis-cli -h "$ip0" -p 6379 set k v 2>&1 | grep -q '^OK'; then fail "the default user was accepted"; fi
    grep -q '^requirepass' "$SIM_STATE/pods/redis-shard0-0/pvc/redis.conf" && fail "requirepass written although auth.user is set"
    grep -qx 'masteruser "replicator"' "$SIM_STATE/pods/redis-shard0-1/pvc/redis.conf" || fail "no masteruser"
    # Replicas can only have synced as 'replicator': the default user is off.
    [ "$(rcli redis-shard0-1 info replication | awk -F: '/^master_link_status/ { print $2 }')" = up ] || fail "replica link down" ;;
esac
sim write 10000

step "scenario 1: a replica restarts"
id=$(myid redis-shard1-1)
[[ $id =~ ^[0-9a-f]{40}$ ]] || fail "cluster myid: $id"
from=$(log_lines redis-shard1-0)
rcli redis-shard1-0 acl log reset >/dev/null
sim restart redis-shard1-1
converge
[ "$(myid redis-shard1-1)" = "$id" ] || fail "new node id"
only_main_synced redis-shard1-0 "$from"
# The temporary server's refused AUTH (if it tried before it stopped) is the master's only ACL
# LOG entry, and names itself.
acl_users=$(rcli redis-shard1-0 acl log | awk 'p { print; p = 0 } /^username$/ { p = 1 }' | sort -u)
echo "ACL LOG users on redis-shard1-0: ${acl_users:-(none)}"
case $acl_users in "" | redis-cluster-init-temporary-server-never-syncs) ;; *) fail "unexpected ACL LOG users: $acl_users" ;; esac

step "scenario 3: a master is down past the node timeout"
rid=$(myid redis-shard2-1)
sim restart redis-shard2-0 --down-for 8
converge
[ "$(rcli redis-shard2-0 cluster nodes | awk '/myself/ { print $4 }')" = "$rid" ] || fail "old master is not the new one's replica"

step "scenario 4: every pod restarts at once"
sim restart-all
converge
sim verify

if [ "$MODE" = tls ]; then
    step "scenario 5 over TLS: a master's PVC is wiped; the init reads and cleans its peers' views"
    id=$(myid redis-shard1-0)
    sim restart redis-shard1-0 --wipe --down-for 8
    converge
    [ "$(myid redis-shard1-0)" != "$id" ] || fail "a wiped pod kept its id?"
    for p in $(sim status | awk 'NR > 1 { print $1 }'); do
        if rcli "$p" cluster nodes | grep -q "^$id "; then fail "$p still knows the old id $id: forget over TLS failed"; fi
    done
    grep -q 'forget' "$SIM_STATE/pods/redis-shard1-0/init.log" || fail "the init did not forget the old id on its peers"
    sim verify
fi

step "the runtime config holds the secret and is 0600"
for d in "$SIM_STATE"/pods/*; do
    [ "$(stat -c %a "$d/pvc/redis.conf")" = 600 ] || fail "$d/pvc/redis.conf is $(stat -c %a "$d/pvc/redis.conf")"
done

step "config, plan and status do not print it; wrong credentials fail fast and clearly"
for c in config plan status; do sim exec redis-shard0-0 -- "$RCI_BIN" "$c" >"$SIM_STATE/out-$c" 2>&1 || fail "$c failed: $(tail -n 2 "$SIM_STATE/out-$c")"; done
grep -q 'cluster_state: ok' "$SIM_STATE/out-status" || fail "status did not authenticate"
in_pod0=("$PODSIM" --state "$SIM_STATE" exec redis-shard0-0 --) # a command, for timeout
# The main container's probes (the pods' readiness in this simulation is the first one).
expect_exit 0 '^ready: cluster_state:ok$' "$SIM_STATE/out-ready" "${in_pod0[@]}" "$RCI_BIN" probe ready
expect_exit 0 '^alive: PONG$' "$SIM_STATE/out-alive" "${in_pod0[@]}" "$RCI_BIN" probe alive
printf 'not-the-password\n' >"$SIM_STATE/wrong"
wrong=(env RCI_PASSWORD_FILE="$SIM_STATE/wrong" "$RCI_BIN")
expect_exit 1 'AUTH.* refused' "$SIM_STATE/out-wrong" "${in_pod0[@]}" "${wrong[@]}" status
# With the wrong password the pod is not ready, but alive: a restart would not fix the credentials.
expect_exit 1 '^not ready: .*AUTH.* refused' "$SIM_STATE/out-wrong-ready" "${in_pod0[@]}" "${wrong[@]}" probe ready
expect_exit 0 '^alive, but .*refused' "$SIM_STATE/out-wrong-alive" "${in_pod0[@]}" "${wrong[@]}" probe alive
if [ "$MODE" = tls ]; then
    # A CA that did not sign the nodes' certificates: the handshake fails, and the message says why.
    ( umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=other CA" \
          -keyout "$SIM_STATE/other-ca.key" -out "$SIM_STATE/other-ca.crt" 2>/dev/null )
    sed "s|ca_file: .*|ca_file: $SIM_STATE/other-ca.crt|" "$SIM_STATE/config.yaml" >"$SIM_STATE/other-ca.yaml"
    expect_exit 1 'certificate is not trusted' "$SIM_STATE/out-ca" \
        "${in_pod0[@]}" env RCI_CONFIG="$SIM_STATE/other-ca.yaml" "$RCI_BIN" status
fi

kill $SAMPLER 2>/dev/null || true
wait $SAMPLER 2>/dev/null || true
step "no command line, log or output holds a secret"
if [ -s "$SAMPLES" ]; then cat "$SAMPLES"; fail "a secret appeared on a command line"; fi
if grep -rlF -f "$SECRETS" "$SIM_STATE"/pods/*/*.log "$SIM_STATE"/pods/*/pvc/.rci-init-redis.log "$SIM_STATE"/out-* 2>/dev/null; then
    fail "a secret appeared in the files above"
fi
echo PASS
