#!/usr/bin/env bash
# Recovery scenarios (issue: every restart and loss a real deployment meets). Each: a healthy
# cluster with 10 000 keys, one fault, then the pod(s) Ready again, podsim check clean and every
# key read back (except where the scenario says data is truly gone, and the binary says so).
# usage: recovery.sh SCENARIO-NUMBER
. "$(dirname "$0")/lib.sh"
SCEN=${1:?scenario number}
NT=3000 # node timeout of the simulated cluster (ms)

converge_stable() { # converge, but clean twice a node timeout apart (at most 60 s in all)
    # After a partition heals, a ping sent into the partition can still time out and flag a
    # peer "fail?" for a moment: one clean check right after the heal proves nothing.
    local end=$((SECONDS + 60))
    while [ $SECONDS -lt $end ]; do
        if sim check >/dev/null 2>&1; then
            sleep "$(awk -v t=$NT 'BEGIN { print t / 1000 }')"
            sim check >/dev/null 2>&1 && break
        fi
        sleep 0.1
    done
    sim check
}
role() { rcli "$1" role | head -n1; }
slots_of() { rcli "$1" cluster nodes | awk '/myself/ { for (i = 9; i <= NF; i++) printf "%s ", $i }'; }
absent_everywhere() { # id: no pod's view holds it
    local p
    for p in $(sim status | awk 'NR > 1 { print $1 }'); do
        if rcli "$p" cluster nodes | grep -q "^$1 "; then echo "$p still knows $1"; return 1; fi
    done
}
init_tries() { cat "$SIM_STATE/pods/$1/init_tries"; }

shards=3; replicas=1
[ "$SCEN" = 7 ] && replicas=0
config=()
if [ "$SCEN" = 13 ]; then # no peer answers within the handshake grace: as on a loaded node
    printf 'name: redis\nshards: %s\nreplicas: %s\nnode_timeout_ms: %s\ntimeouts:\n  deadline_s: 60\n  handshake_grace_ms: 0\n' \
        $shards $replicas $NT >"$SIM_STATE-config.yaml"
    config=(--config "$SIM_STATE-config.yaml")
fi
step "scenario $SCEN: up ${shards}x$replicas, 10 000 keys"
sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards $shards --replicas $replicas --node-timeout $NT "${config[@]}"
rm -f "$SIM_STATE-config.yaml"
converge
sim write 10000
expect_keys=1

case $SCEN in
1)  step "a replica pod restarts with a new IP"
    id=$(myid redis-shard1-1); from=$(log_lines redis-shard1-0)
    sim restart redis-shard1-1
    converge
    [ "$(myid redis-shard1-1)" = "$id" ] || fail "the replica got a new node id"
    [ "$(role redis-shard1-1)" = slave ] || fail "not a replica"
    only_main_synced redis-shard1-0 "$from" ;;
2)  step "a master pod restarts within the node timeout, new IP"
    id=$(myid redis-shard1-0); sl=$(slots_of redis-shard1-0)
    sim restart redis-shard1-0
    converge
    [ "$(myid redis-shard1-0)" = "$id" ] || fail "the master got a new node id"
    [ "$(role redis-shard1-0)" = master ] || fail "no longer master"
    [ "$(slots_of redis-shard1-0)" = "$sl" ] || fail "slots changed: $sl -> $(slots_of redis-shard1-0)" ;;
3)  step "a master is down longer than the node timeout: its replica takes over"
    id=$(myid redis-shard1-0); rid=$(myid redis-shard1-1)
    sim restart redis-shard1-0 --down-for 8
    converge
    [ "$(myid redis-shard1-0)" = "$id" ] || fail "the old master got a new node id"
    [ "$(role redis-shard1-1)" = master ] || fail "the replica was not promoted"
    [ "$(rcli redis-shard1-0 cluster nodes | awk '/myself/ { print $4 }')" = "$rid" ] || fail "the old master does not replicate the new one" ;;
4)  step "every pod restarts at once, all with new IPs"
    ids=$(for p in $(sim status | awk 'NR > 1 { print $1 }'); do echo "$p $(myid "$p") $(slots_of "$p")"; done)
    sim restart-all
    converge
    now=$(for p in $(sim status | awk 'NR > 1 { print $1 }'); do echo "$p $(myid "$p") $(slots_of "$p")"; done)
    [ "$ids" = "$now" ] || fail "ids or slots changed:"$'\n'"$ids"$'\n'"---"$'\n'"$now" ;;
5)  step "a master's PVC is wiped while its replica took over"
    id=$(myid redis-shard1-0)
    sim restart redis-shard1-0 --wipe --down-for 8
    converge
    [ "$(myid redis-shard1-0)" != "$id" ] || fail "a wiped pod kept its id?"
    [ "$(role redis-shard1-0)" = slave ] || fail "the wiped master is not a replica"
    absent_everywhere "$id" || fail "the old id is not forgotten" ;;
6)  step "a replica's PVC is wiped"
    id=$(myid redis-shard1-1)
    sim restart redis-shard1-1 --wipe
    converge
    [ "$(role redis-shard1-1)" = slave ] || fail "not a replica"
    absent_everywhere "$id" || fail "the old id is not forgotten" ;;
7)  step "a master with no replicas loses its PVC: its slots are orphaned"
    id=$(myid redis-shard1-0); sl=$(slots_of redis-shard1-0)
    sim restart redis-shard1-0 --wipe
    converge
    [ "$(slots_of redis-shard1-0)" = "$sl" ] || fail "slots not taken back: $sl -> $(slots_of redis-shard1-0)"
    absent_everywhere "$id" || fail "the old id is not forgotten"
    grep -q 'error.*DATA LOST' "$SIM_STATE/pods/redis-shard1-0/init.log" || fail "no error-level line about lost data"
    step "the keys of that shard are gone, the others are there, and the cluster takes writes"
    out=$(sim verify || true); echo "$out" | tail -n 2
    lost=$(echo "$out" | awk '/keys missing or wrong/ { print $1 }')
    [ -n "$lost" ] && [ "$lost" -gt 2000 ] && [ "$lost" -lt 5000 ] || fail "expected about a third of the keys lost, saw '$lost'"
    sim write 10000 ;;
8)  step "a replica is made to replicate another shard's master, then restarts"
    rcli redis-shard1-1 cluster replicate "$(myid redis-shard2-0)" >/dev/null
    for ((i = 0; i < 100; i++)); do [ "$(rcli redis-shard1-1 cluster nodes | awk '/myself/ { print $4 }')" = "$(myid redis-shard2-0)" ] && break; sleep 0.05; done
    if sim check >/dev/null 2>&1; then fail "check did not notice the misplaced replica"; fi
    sim restart redis-shard1-1
    converge
    [ "$(rcli redis-shard1-1 cluster nodes | awk '/myself/ { print $4 }')" = "$(myid redis-shard1-0)" ] || fail "not pointed back" ;;
9)  step "the init container gets SIGTERM mid-run, then another SIGKILL mid-run"
    id=$(myid redis-shard1-1)
    log="$SIM_STATE/pods/redis-shard1-1/init.log"
    before=$(wc -l <"$log")
    new_lines() { tail -n +$((before + 1)) "$log"; }
    sim dns-stop # keeps the init waiting for DNS
    sim restart redis-shard1-1 --no-wait
    for ((i = 0; i < 100; i++)); do new_lines | grep -q 'DNS lookups failing' && break; sleep 0.1; done
    sim kill redis-shard1-1 -c init --signal TERM
    for ((i = 0; i < 100; i++)); do new_lines | grep -q 'init container exited' && break; sleep 0.1; done
    new_lines | grep -q 'init container exited 5' || fail "SIGTERM did not give exit 5"
    new_lines | grep -q 'temporary redis-server stopped' || fail "the temporary server was not stopped"
    grep -q "^$id " "$SIM_STATE/pods/redis-shard1-1/pvc/nodes.conf" || fail "nodes.conf lost its node id"
    for ((i = 0; i < 100; i++)); do [ "$(init_tries redis-shard1-1)" -ge 2 ] && [ -s "$SIM_STATE/pods/redis-shard1-1/init.pid" ] && break; sleep 0.1; done
    sleep 0.5
    sim kill redis-shard1-1 -c init --signal KILL
    grep -q "^$id " "$SIM_STATE/pods/redis-shard1-1/pvc/nodes.conf" || fail "nodes.conf damaged by SIGKILL"
    sim dns-start
    sim wait-ready 60
    converge
    [ "$(myid redis-shard1-1)" = "$id" ] || fail "new node id after the interrupted runs"
    [ "$(init_tries redis-shard1-1)" -ge 3 ] || fail "expected 3 or more init tries" ;;
10) step "DNS is down for 20 s while a pod restarts"
    sim dns-stop
    sim restart redis-shard2-1 --no-wait
    sleep 20
    tail -n 5 "$SIM_STATE/pods/redis-shard2-1/init.log" | grep -q 'DNS lookups failing' || fail "the init did not report DNS trouble"
    [ "$(sim status | awk '$1 == "redis-shard2-1" { print $3 }')" = Init:Running ] || fail "the init did not keep waiting"
    sim dns-start
    sim wait-ready 60
    converge
    step "with DNS down past the deadline, run exits non-zero and says so"
    sim dns-stop
    mkdir -p "$SIM_STATE/extra"
    set +e
    sim exec redis-shard0-1 -- env RCI_DATA_DIR="$SIM_STATE/extra" "$RCI_BIN" --timeout 3 --set port=7400 run 2>"$SIM_STATE/extra.log"
    rc=$?
    set -e
    sim dns-start
    tail -n 1 "$SIM_STATE/extra.log"
    [ $rc = 4 ] || fail "exit $rc, expected 4 (timeout)"
    tail -n 1 "$SIM_STATE/extra.log" | grep -q 'DNS lookups failing' || fail "the last line does not name DNS" ;;
11) step "a peer is partitioned away while another pod restarts"
    sim partition redis-shard2-1
    sim restart redis-shard1-0
    grep -q 'done:' "$SIM_STATE/pods/redis-shard1-0/init.log" || fail "the restarting pod did not finish"
    [ "$(init_tries redis-shard1-0)" = 1 ] || fail "the restarting pod needed retries"
    sim heal redis-shard2-1
    converge_stable ;;
12) step "the same pod restarts 20 times in a row"
    id=$(myid redis-shard0-1)
    # Each restart waits for Ready and the replica's link, as a rolling restart would.
    for ((n = 1; n <= 20; n++)); do
        out=$(sim restart redis-shard0-1 2>&1) || fail "restart $n failed: $out"
        for ((i = 0; i < 300; i++)); do rcli redis-shard0-1 info replication | grep -q '^master_link_status:up' && break; sleep 0.1; done
        [ "$(rcli redis-shard0-1 cluster nodes | grep -c .)" = 6 ] || fail "restart $n: the view holds $(rcli redis-shard0-1 cluster nodes | grep -c .) nodes"
    done
    converge
    [ "$(myid redis-shard0-1)" = "$id" ] || fail "the node id changed" ;;
13) step "every pod restarts at once, new IPs, and no new address answers within the handshake grace"
    # No run waits to hear its peers, so a view saved as the temporary server saw it would hold
    # them at their old addresses: the address DNS gives is written into nodes.conf (before the
    # temporary server loads it, and again after it saved it), so every main server reaches every
    # peer at once. Before, two main servers that knew only each other's dead address did not
    # connect until one marked the other failing, and sent clients to the dead address meanwhile.
    sim restart-all
    grep -h 'known .*at an old address' "$SIM_STATE"/pods/*/init.log | cut -c1-200 || true
    stale=$(sim stale) || fail "once every pod is Ready, views hold nodes at dead addresses:"$'\n'"$stale"
    converge ;;
*)  fail "no scenario $SCEN" ;;
esac
sim verify
echo PASS
