#!/usr/bin/env bash
# Scaling a live cluster: shards out and in, replicas up and down, with `rebalance` moving slots and
# their keys online. Keys are written before and verified after every step, and a cluster client
# writes throughout a move: every one of its writes must be acknowledged and readable afterwards.
# usage: scale.sh out      3x1 -> 4x1 (100 000 keys, writer running) -> 3x1, removed pods forgotten
#        scale.sh out2     3x1 -> 5x1 at once -> 3x1
#        scale.sh replicas 3x1 -> 3x2 -> 3x1: no failed node left in any view
#        scale.sh killed   the mover SIGKILLed mid-move, then the source master killed mid-move:
#                          the next rebalance finishes the half-moved slot; nothing lost
#        scale.sh busy     a half-done move with keys on both sides (a source restarted from an
#                          older copy): identical copies dropped, differing ones named and kept
#        scale.sh sidecar  every pod runs the native sidecar: 3x1 -> 4x1 -> 3x1 by config changes
#                          and pod deletion only, a writer running; nobody runs rebalance
#        scale.sh password | tls | acl   3x1 -> 4x1 with a password (MIGRATE with AUTH), TLS-only
#                          ports (and a password), ACL users (MIGRATE with AUTH2)
. "$(dirname "$0")/lib.sh"
mode=${1:?usage: scale.sh out|out2|replicas|killed|busy|sidecar|password|tls|acl}

rebalance() { sim exec redis-shard0-0 -- "$RCI_BIN" rebalance; }

# Every master holds its share: `shards` masters with slots, their counts within one of each other.
# (A removed shard's master keeps its role, with no slots, until its pod is deleted.)
is_balanced() { # shards
    local info
    info=$(rcli redis-shard0-0 --cluster info "$(sim ip redis-shard0-0):6379" 2>/dev/null) || return 1
    awk -v want="$1" '/ slots /{ for (i = 1; i <= NF; i++) if ($i == "slots" && $(i - 1) > 0) { n++; s = $(i - 1); if (n == 1 || s < lo) lo = s; if (s > hi) hi = s } }
        END { if (n != want || hi - lo > 1) { print "masters: " n " (want " want "), slots " lo ".." hi; exit 1 } }' <<<"$info"
}
balanced() { # shards
    rcli redis-shard0-0 --cluster info "$(sim ip redis-shard0-0):6379" 2>/dev/null | grep ' slots ' || true
    is_balanced "$1" || fail "not balanced over $1 masters"
}

# No node lists a failed or unknown node, and every view has exactly the pods that exist.
views_ok() { # pods
    local p n bad
    for p in $(sim status | awk 'NR > 1 && /Running/ { print $1 }'); do
        n=$(rcli "$p" cluster nodes | grep -c .)
        bad=$(rcli "$p" cluster nodes | grep -c 'fail\|noaddr' || true)
        [ "$n" = "$1" ] && [ "$bad" = 0 ] || { echo "$p lists $n nodes ($bad failed), want $1 healthy"; return 1; }
    done
}
clean_views() { # pods
    views_ok "$1" || { rcli redis-shard0-0 cluster nodes; fail "a view is not clean"; }
    echo "every view lists exactly the $1 pods, none failed"
}

# A hash tag whose slot is in [lo, hi]: prints "tag slot" (candidates PREFIX0, PREFIX1, ...).
tag_in_slots() { # prefix lo hi
    local t
    for ((t = 0; t < 3000; t++)); do echo "CLUSTER KEYSLOT {$1$t}"; done | rcli redis-shard0-0 |
        awk -v p="$1" -v lo="$2" -v hi="$3" '!found && $1 >= lo && $1 <= hi { found = p NR - 1 " " $1 } END { print found }'
}

# rebalance while the writer runs; every acknowledged write must survive.
move_with_writer() {
    writer_start
    sleep 1
    rebalance
    writer_stop_and_check
}

# After pods are deleted: rebalance forgets their nodes once the cluster has marked them failed
# (node timeout 3 s); repeated until every view lists exactly the pods left.
forget_removed() { # pods-left
    local t
    for ((t = 0; t < 40; t++)); do
        rebalance >"$SIM_STATE/forget.out" 2>&1 || true
        grep '^forgetting' "$SIM_STATE/forget.out" || true
        views_ok "$1" >/dev/null && break
        sleep 0.5
    done
    clean_views "$1"
}

# A cluster client writing w:<i> throughout, about 2000 writes a second, until told to stop.
writer_start() {
    rm -f "$SIM_STATE/writer.stop"
    (
        i=0
        while [ ! -f "$SIM_STATE/writer.stop" ] && [ $i -lt 400000 ]; do
            for ((k = i; k < i + 100; k++)); do echo "SET w:$k v$k"; done
            i=$((i + 100)); echo $i >"$SIM_STATE/writer.count"; sleep 0.05
        done | sim cli redis-shard0-0 -c >"$SIM_STATE/writer.out" 2>&1
    ) &
    WRITER=$!
}
writer_stop_and_check() {
    touch "$SIM_STATE/writer.stop"
    wait "$WRITER" || fail "the writer failed: $(tail -n 3 "$SIM_STATE/writer.out")"
    local n errs ok
    n=$(cat "$SIM_STATE/writer.count")
    ok=$(grep -c '^OK' "$SIM_STATE/writer.out" || true)
    errs=$(tr -d '\r' <"$SIM_STATE/writer.out" | grep -v '^OK$' | grep -vc '^-> Redirected' || true)
    echo "writer: $n writes sent, $ok acknowledged, $errs errors (redirects followed are not errors)"
    [ "$errs" = 0 ] && [ "$ok" = "$n" ] || { grep -v '^OK' "$SIM_STATE/writer.out" | grep -v Redirected | head -5; fail "the writer saw errors"; }
    local bad
    bad=$(for ((k = 0; k < n; k++)); do echo "GET w:$k"; done | sim cli redis-shard0-0 -c 2>&1 | tr -d '\r' |
        grep -v '^-> Redirected' | awk '{ if ($0 != "v" NR - 1) bad++ } END { print bad + 0 }')
    [ "$bad" = 0 ] || fail "$bad of the writer's $n acknowledged writes are missing or wrong"
    echo "writer: all $n acknowledged writes read back"
}

case $mode in
out)
    step "3x1 with 100 000 keys"
    sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --node-timeout 3000
    sim write 100000
    step "scale out to 4x1: the new shard joins empty, then rebalance moves its share, a writer running"
    sim scale --shards 4
    rcli redis-shard3-0 cluster nodes | grep -q 'myself,master' || fail "redis-shard3-0 did not join as a master"
    move_with_writer
    converge
    balanced 4
    sim verify
    step "plan after balancing: nothing to move"
    sim exec redis-shard1-0 -- "$RCI_BIN" rebalance --dry-run | tee "$SIM_STATE/dry.out"
    grep -q 'nothing to move' "$SIM_STATE/dry.out" || fail "a balanced cluster still has moves planned"
    step "scale in to 3x1: the config first, rebalance empties shard 3, then its StatefulSet goes"
    sim scale --shards 3 --config-only
    step "shard 3 out of the config but still holding slots: status and the probe say so; a restart rejoins"
    sim exec redis-shard3-1 -- "$RCI_BIN" status | tee "$SIM_STATE/st.out" | tail -n 2
    grep -q 'SHARD 3 IS BEING REMOVED (the config has shards: 3) AND STILL HOLDS 4096 SLOTS: do NOT delete' "$SIM_STATE/st.out" ||
        fail "status does not warn that shard 3 still holds slots"
    sim exec redis-shard3-0 -- "$RCI_BIN" probe ready | tee "$SIM_STATE/probe.out"
    grep -q '^WARNING: shard 3 is being removed' "$SIM_STATE/probe.out" || fail "the probe does not warn"
    sim restart redis-shard3-0
    grep -q 'this pod is not in the config (shards: 3, replicas: 1): its StatefulSet is being scaled in' \
        "$SIM_STATE/pods/redis-shard3-0/init.log" || fail "the restarted pod's init did not say it is being removed"
    converge
    rebalance | tee "$SIM_STATE/in.out"
    grep -q 'shard 3 .* holds no slots now: its StatefulSet may be deleted' "$SIM_STATE/in.out" || fail "no word that shard 3 may be deleted"
    balanced 3
    sim verify
    sim exec redis-shard3-1 -- "$RCI_BIN" status | grep 'shard 3 holds no slots: its StatefulSet may be deleted' ||
        fail "status does not say shard 3 may be deleted"
    sim scale --shards 3
    forget_removed 6
    converge
    sim verify
    ;;
out2)
    sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --node-timeout 3000
    sim write 20000
    # A big key (4 MiB) and a key with a TTL, in a slot that moves (shard 2 gives its top slots).
    read -r tag _ <<<"$(tag_in_slots b 16000 16383)"
    [ -n "$tag" ] || fail "no hash tag with a slot above 16000"
    head -c 4194304 /dev/zero | tr '\0' x | rcli redis-shard0-0 -c -x set "big:{$tag}" >/dev/null
    rcli redis-shard0-0 -c set "ttl:{$tag}" v EX 3600 >/dev/null
    step "3x1 -> 5x1 at once"
    sim scale --shards 5
    rebalance
    converge
    balanced 5
    sim verify
    [ "$(rcli redis-shard0-0 -c strlen "big:{$tag}")" = 4194304 ] || fail "the 4 MiB key did not arrive whole"
    ttl=$(rcli redis-shard0-0 -c ttl "ttl:{$tag}")
    [ "$ttl" -gt 3000 ] && [ "$ttl" -le 3600 ] || fail "the key's TTL did not move with it (ttl $ttl)"
    echo "the 4 MiB key and the TTL key moved intact (ttl $ttl s)"
    step "recovery on the scaled cluster: a master that received slots restarts with a new IP"
    sim restart redis-shard4-0
    converge
    sim verify
    step "5x1 -> 3x1"
    sim scale --shards 3 --config-only
    rebalance
    balanced 3
    sim scale --shards 3
    forget_removed 6
    converge
    sim verify
    ;;
replicas)
    sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --node-timeout 3000
    sim write 5000
    step "3x1 -> 3x2: the new pods become replicas of their shard's master"
    sim scale --replicas 2
    converge
    for i in 0 1 2; do
        m=$(myid "redis-shard$i-0")
        rcli "redis-shard$i-2" cluster nodes | grep myself | grep -q "slave $m" || fail "redis-shard$i-2 does not replicate redis-shard$i-0"
    done
    clean_views 9
    step "3x2 -> 3x1: the removed replicas are forgotten everywhere"
    sim scale --replicas 1
    forget_removed 6
    converge
    sim verify
    ;;
killed)
    sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --node-timeout 3000
    sim write 50000
    # One slot that the move to a 4th shard takes first (shard 0 gives 4096-5460) gets 20 000 keys
    # (one hash tag), so that the mover spends long enough inside it to be killed there.
    read -r tag slot <<<"$(tag_in_slots t 4096 4300)"
    [ -n "$tag" ] || fail "no hash tag with a slot in 4096-4300"
    bad=$(for ((k = 0; k < 20000; k++)); do echo "SET {$tag}:$k v$k"; done | rcli redis-shard0-0 -c | grep -vc '^OK$' || true)
    [ "$bad" = 0 ] || fail "writing the big slot failed ($bad answers not OK)"
    before=$(rcli redis-shard0-0 cluster countkeysinslot "$slot")
    echo "slot $slot holds $before keys, 20000 of them {$tag}:*"
    sim scale --shards 4
    step "the mover SIGKILLed inside slot $slot"
    # podsim exec execs its way into the binary: $! is the mover itself.
    "$PODSIM" --state "$SIM_STATE" exec redis-shard0-0 -- "$RCI_BIN" rebalance >"$SIM_STATE/r1.out" 2>&1 &
    mover=$!
    for ((t = 0; t < 3000; t++)); do
        nodes=$(rcli redis-shard0-0 cluster nodes)
        [[ $nodes == *"[$slot->-"* ]] && break
        sleep 0.01
    done
    kill -KILL "$mover" 2>/dev/null || fail "the mover had already finished: nothing was cut short"
    wait "$mover" || true
    open=$(for p in redis-shard0-0 redis-shard1-0 redis-shard2-0 redis-shard3-0; do rcli "$p" cluster nodes | grep myself | grep -o '\[[0-9]*-[<>]-[0-9a-f]*\]' || true; done)
    echo "left half-moved: ${open:-none}"
    step "the next rebalance finishes it"
    rebalance | tee "$SIM_STATE/r2.out"
    [ -n "$open" ] || fail "the kill left no slot half-moved"
    grep -q "^finishing the move of slot $slot " "$SIM_STATE/r2.out" || fail "slot $slot was not reported finished"
    got=$(rcli redis-shard3-0 cluster countkeysinslot "$slot"); left=$(rcli redis-shard0-0 cluster countkeysinslot "$slot")
    echo "slot $slot: $got keys at redis-shard3-0, $left left at redis-shard0-0"
    [ "$got" = "$before" ] && [ "$left" = 0 ] || fail "slot $slot did not arrive whole at redis-shard3-0"
    converge
    balanced 4
    sim verify
    step "scale in, the source master killed mid-move (kubelet restarts it in place)"
    sim scale --shards 3 --config-only
    sim exec redis-shard0-0 -- "$RCI_BIN" rebalance >"$SIM_STATE/r3.out" 2>&1 &
    mover=$!
    # Killed while a slot is half-moved out of it, whichever slot that is.
    for ((t = 0; t < 3000; t++)); do
        rcli redis-shard3-0 cluster nodes | grep myself | grep -q -- '->-' && break
        sleep 0.01
    done
    kill -0 "$mover" 2>/dev/null || fail "the mover had already finished: nothing was cut short"
    sim kill redis-shard3-0 -c redis --signal KILL
    wait "$mover" && echo "(the mover finished before the kill)" || echo "the mover stopped: $(tail -n 1 "$SIM_STATE/r3.out")"
    sim wait-ready 60
    for ((t = 0; t < 20; t++)); do rebalance >"$SIM_STATE/r4.out" 2>&1 && break; sleep 1; done
    cat "$SIM_STATE/r4.out"
    converge
    balanced 3
    sim verify
    ;;
busy)
    sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 0 --node-timeout 3000
    sim write 20000
    # A move of one slot from shard 0 to shard 1 left half-done with keys on both sides, as a source
    # master restarted from a copy older than the move leaves them: {tag}:same is identical on both,
    # {tag}:differ is not, {tag}:ttl has an expiry on the target only; {tag}:only is on the source only.
    read -r tag slot <<<"$(tag_in_slots b 0 5460)"
    [ -n "$tag" ] || fail "no hash tag with a slot in 0-5460"
    printf 'SET {%s}:same v\nSET {%s}:differ v-source\nSET {%s}:ttl v\nSET {%s}:only v\n' "$tag" "$tag" "$tag" "$tag" |
        rcli redis-shard0-0 >/dev/null
    rcli redis-shard1-0 cluster setslot "$slot" importing "$(myid redis-shard0-0)"
    rcli redis-shard0-0 cluster setslot "$slot" migrating "$(myid redis-shard1-0)"
    printf 'ASKING\nSET {%s}:same v\nASKING\nSET {%s}:differ v-target\nASKING\nSET {%s}:ttl v EX 3600\n' \
        "$tag" "$tag" "$tag" | rcli redis-shard1-0 >/dev/null
    src_keys=$(rcli redis-shard0-0 cluster countkeysinslot "$slot")
    echo "slot $slot: $src_keys keys on the source, 3 of them also on the target"
    step "rebalance drops the identical copy and names the two that differ; nothing else is touched"
    ! rebalance >"$SIM_STATE/b1.out" 2>&1 || { cat "$SIM_STATE/b1.out"; fail "rebalance succeeded over keys that differ"; }
    cat "$SIM_STATE/b1.out"
    grep -q "slot $slot: 2 key(s) are on both .* with different values" "$SIM_STATE/b1.out" || fail "the two differing keys were not reported"
    grep -q "slot $slot: 1 key(s) were on both .*, identical .*dropped the source's copies" "$SIM_STATE/b1.out" ||
        fail "the identical key's drop was not reported"
    left=$(rcli redis-shard0-0 cluster countkeysinslot "$slot")
    [ "$left" = 2 ] || fail "the source holds $left keys of slot $slot, want 2 (differ and ttl)"
    [ "$(rcli redis-shard0-0 get "{$tag}:differ")" = v-source ] || fail "the source's copy of {$tag}:differ changed"
    [ "$(printf 'ASKING\nGET {%s}:differ\n' "$tag" | rcli redis-shard1-0 | tail -n 1)" = v-target ] ||
        fail "the target's copy of {$tag}:differ changed"
    step "a person keeps the source's copies (deletes the target's); the next rebalance finishes the move"
    printf 'ASKING\nDEL {%s}:differ\nASKING\nDEL {%s}:ttl\n' "$tag" "$tag" | rcli redis-shard1-0 >/dev/null
    rebalance | tee "$SIM_STATE/b2.out"
    grep -q "^finishing the move of slot $slot " "$SIM_STATE/b2.out" || fail "slot $slot was not reported finished"
    for k in same:v differ:v-source ttl:v only:v; do
        got=$(rcli redis-shard0-0 -c get "{$tag}:${k%%:*}" | tail -n 1)
        [ "$got" = "${k#*:}" ] || fail "{$tag}:${k%%:*} is '$got', want '${k#*:}'"
    done
    [ "$(rcli redis-shard1-0 ttl "{$tag}:ttl")" = -1 ] || fail "{$tag}:ttl has an expiry: the target's copy won"
    echo "slot $slot now at redis-shard1-0 with $(rcli redis-shard1-0 cluster countkeysinslot "$slot") keys; the chosen copies kept"
    converge
    sim verify
    ;;
sidecar)
    sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --node-timeout 3000 --sidecar
    sim write 20000
    step "scale out by config and StatefulSet only: the sidecars move the slots"
    writer_start
    sim scale --shards 4
    for ((t = 0; t < 120; t++)); do is_balanced 4 >/dev/null && break; sleep 1; done
    writer_stop_and_check
    balanced 4
    grep -h 'sidecar: done:' "$SIM_STATE"/pods/redis-shard3-0/sidecar.log || fail "redis-shard3-0's sidecar did not move the slots"
    for p in redis-shard0-0 redis-shard1-0 redis-shard2-0; do
        ! grep -q 'sidecar: done:' "$SIM_STATE/pods/$p/sidecar.log" || fail "$p's sidecar moved slots: it receives none"
    done
    converge
    sim verify
    step "scale in: the config first (the sidecars empty shard 3), then its StatefulSet"
    sim scale --shards 3 --config-only
    for ((t = 0; t < 120; t++)); do is_balanced 3 >/dev/null && break; sleep 1; done
    balanced 3
    # Every master's sidecar says it in its next round (every second) once the shard is empty,
    # whichever sidecar moved the last slot: shard 0's is asked, as a person would read any one pod.
    said=
    for ((t = 0; t < 30; t++)); do
        said=$(grep -m 1 'shard 3 .* holds no slots now: its StatefulSet may be deleted' \
            "$SIM_STATE"/pods/redis-shard0-0/sidecar.log || true)
        [ -n "$said" ] && break
        sleep 1
    done
    [ -n "$said" ] || fail "redis-shard0-0's sidecar did not say within 30 s that shard 3 may be deleted"
    echo "$said"
    sim verify
    sim scale --shards 3
    for ((t = 0; t < 60; t++)); do views_ok 6 >/dev/null && break; sleep 1; done
    clean_views 6
    grep -h 'sidecar: forgetting' "$SIM_STATE"/pods/redis-shard0-0/sidecar.log || fail "shard 0's sidecar forgot nobody"
    converge
    sim verify
    ;;
password | tls | acl)
    flags=(--password); [ "$mode" = tls ] && flags+=(--tls); [ "$mode" = acl ] && flags+=(--acl)
    sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --node-timeout 3000 "${flags[@]}"
    REDISCLI_AUTH=$(cat "$SIM_STATE/secret/password"); export REDISCLI_AUTH
    sim write 20000
    step "3x1 -> 4x1 ($mode)"
    sim scale --shards 4
    move_with_writer
    converge
    balanced 4
    sim verify
    ;;
*) fail "unknown mode $mode" ;;
esac
echo "PASS: scale $mode"
