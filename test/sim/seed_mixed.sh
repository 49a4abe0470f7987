#!/usr/bin/env bash
# A new cluster where one shard cannot seed (docs/design.md "Seeding a new cluster", "Mixed"): its
# replica's pod has its address and DNS name but its init starts 15 s late, so the shard's pod 0
# waits for it (6 s), then joins by the rules with a random id, and so does the replica (its pod 0
# is not a seeded master). The other shards seed. The ids planned for shard 1's pods are ghosts in
# the seeded nodes' views, which the rules forget: check is clean, keys survive.
. "$(dirname "$0")/lib.sh"
step "up 3x1, redis-shard1-1's init starts 15 s late"
sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --late redis-shard1-1=15
for ((i = 0; i < 300; i++)); do sim check >/dev/null 2>&1 && break; sleep 0.1; done
sim check
step "shard 1 ran the rounds, the other shards seeded"
for p in redis-shard1-0 redis-shard1-1; do
    grep -q 'not seeding' "$SIM_STATE/pods/$p/init.log" || fail "$p seeded"
done
for p in redis-shard0-0 redis-shard0-1 redis-shard2-0 redis-shard2-1; do
    grep -q ' seeded /' "$SIM_STATE/pods/$p/init.log" || fail "$p did not seed"
done
step "shard 1's replica restarted its temporary server on the bus port before the rounds"
grep -q 'starts again on the cluster bus port' "$SIM_STATE/pods/redis-shard1-1/init.log" ||
    fail "redis-shard1-1 ran the rounds with its seeding temporary server"
step "the seeded replicas heard their pod 0's word (no wait for its main server)"
for s in 0 2; do
    grep -q "told replica redis-shard$s-1 that this pod seeded" "$SIM_STATE/pods/redis-shard$s-0/init.log" ||
        fail "redis-shard$s-0 did not tell its replica"
    grep -q "redis-shard$s-0 said it seeded" "$SIM_STATE/pods/redis-shard$s-1/init.log" ||
        fail "redis-shard$s-1 did not seed on its pod 0's word"
done
step "keys"
sim write 10000
sim verify
echo PASS
