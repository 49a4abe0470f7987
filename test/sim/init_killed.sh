#!/usr/bin/env bash
# An init container killed mid-run (SIGKILL, the whole container) is retried by kubelet and the
# cluster forms anyway. The kill lands while the pod waits for its late shard master.
. "$(dirname "$0")/lib.sh"
step "up 3x1 with redis-shard1-0 late, so that redis-shard1-1's init waits"
sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --late redis-shard1-0=6 --no-wait
for ((i = 0; i < 100; i++)); do grep -qE 'waiting for the master|waiting for redis-shard1-0' "$SIM_STATE/pods/redis-shard1-1/init.log" 2>/dev/null && break; sleep 0.05; done
grep -qE 'waiting for the master|waiting for redis-shard1-0' "$SIM_STATE/pods/redis-shard1-1/init.log"
step "SIGKILL the init container of redis-shard1-1 mid-run"
sim kill redis-shard1-1 -c init --signal KILL
sim wait-ready 60
for ((i = 0; i < 200; i++)); do sim check >/dev/null 2>&1 && break; sleep 0.1; done
sim check
t=$(cat "$SIM_STATE/pods/redis-shard1-1/init_tries")
[ "$t" -ge 2 ] || { echo "expected a retried init, saw $t tries"; exit 1; }
grep -q 'exited 137' "$SIM_STATE/pods/redis-shard1-1/init.log" || { echo "the first init did not die by SIGKILL"; exit 1; }
# The killed init left its temporary server's nodes.conf, of a node that never met another: the
# retry still counts the pod as fresh and seeds it (docs/design.md "Seeding a new cluster").
grep -q 'done: replica of redis-shard1-0' "$SIM_STATE/pods/redis-shard1-1/init.log" ||
    { echo "the retried init did not seed the replica"; exit 1; }
sim write 10000
sim verify
echo PASS
