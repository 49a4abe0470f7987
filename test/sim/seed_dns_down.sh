#!/usr/bin/env bash
# A new cluster whose DNS server refuses queries for the first 4 s: the pods wait that out inside
# seeding (lookups failing is not "no such name") instead of leaving it for the rounds, whose
# MEETs would keep the other fresh replicas from seeding. Every pod seeds; check is clean.
. "$(dirname "$0")/lib.sh"
step "up 3x1, the DNS server down for the first 4 s"
sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --dns-down 4
converge
waited=$(grep -l 'waiting out DNS trouble' "$SIM_STATE"/pods/*/init.log | wc -l)
echo "$waited pods logged 'waiting out DNS trouble'"
[ "$waited" -gt 0 ] || fail "no pod saw DNS trouble: the DNS server was not down while they started"
for d in "$SIM_STATE"/pods/*; do
    p=$(basename "$d")
    ! grep -q 'not seeding' "$d/init.log" || fail "$p did not seed: $(grep -m 1 'not seeding' "$d/init.log")"
    grep -q 'seeded ' "$d/init.log" || fail "$p did not seed"
done
echo "every pod seeded"
sim write 10000
sim verify
echo PASS
