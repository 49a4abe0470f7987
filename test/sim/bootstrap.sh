#!/usr/bin/env bash
# A fresh cluster forms from pods started in the given way; check is clean; 10 000 keys survive.
. "$(dirname "$0")/lib.sh"
step "up $*"
sim up --bin "$RCI_BIN" --net "$SIM_NET" "$@"
sim status
step "wait for cluster_state ok (the 2 s writable delay of a starting master)"
for ((i = 0; i < 200; i++)); do sim check >/dev/null 2>&1 && break; sleep 0.1; done
sim check
step "keys"
sim write 10000
sim verify
# Every pod's init ran exactly once: no crash-and-retry on a clean start.
for d in "$SIM_STATE"/pods/*; do
    t=$(cat "$d/init_tries"); [ "$t" = 1 ] || { echo "$(basename "$d") needed $t init tries"; exit 1; }
    grep -q 'done:' "$d/init.log" || { echo "$(basename "$d"): no 'done:' line"; exit 1; }
    # A pod whose DNS record came late (--dns-late) waited for it: its /etc/hosts, as kubelet
    # writes it, holds its own name, but its peers find it only through DNS.
    if [ -f "$d/dns_late" ] && ! grep -q "waiting for this pod's own name to resolve" "$d/init.log"; then
        echo "$(basename "$d"): its DNS record came late, yet it never waited for its own name:"
        cat "$d/init.log"; exit 1
    fi
done
echo PASS
