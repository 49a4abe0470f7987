#!/usr/bin/env bash
# The simulator must be trustworthy: DNS names follow pods, partitions cut, PVCs on a volume's
# filesystem, down removes all.
. "$(dirname "$0")/lib.sh"
before=$(ip netns list | sort)
step "up 1x1"
sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 1 --replicas 1
a=redis-shard0-0; b=redis-shard0-1
ipa=$(sim ip $a)
resolve() { sim exec "$b" -- getent hosts "$1.redis-headless.default.svc.cluster.local" | awk '{print $1}'; }
short() { sim exec "$b" -- getent hosts "$1.redis-headless" | awk '{print $1}'; }
step "the pods' files are on a journaled ext4 of the simulation's own, as a PersistentVolume is"
fsdev=$(findmnt -n -o SOURCE --mountpoint "$SIM_STATE" || true)
if [ -z "$fsdev" ]; then
    echo "not checked: podsim made no filesystem for $SIM_STATE (no loop device here; it said so above)"
else
    [ "$(findmnt -n -o FSTYPE --mountpoint "$SIM_STATE")" = ext4 ] || { findmnt "$SIM_STATE"; exit 1; }
    [ -d "/proc/fs/jbd2/$(basename "$fsdev")-8" ] || { echo "$fsdev has no journal"; ls /proc/fs/jbd2; exit 1; }
    [ "$(df --output=target "$SIM_STATE/pods/$a/pvc" | tail -1)" = "$SIM_STATE" ] || { echo "$a's PVC is not on it"; exit 1; }
fi
step "a pod's DNS name resolves to its current IP from inside another pod (and through the search list)"
[ "$(resolve $a)" = "$ipa" ] || { echo "resolved $(resolve $a), expected $ipa"; exit 1; }
[ "$(short $a)" = "$ipa" ] || { echo "short name resolved $(short $a)"; exit 1; }
[ "$(sim exec $a -- hostname)" = "$a" ] || { echo "hostname is not the pod name"; exit 1; }
# kubelet's hosts file for a StatefulSet pod: its own FQDN and hostname at its IP.
hosts_entry() { sim exec "$1" -- awk -v n="$1.redis-headless.default.svc.cluster.local" '$2 == n && $3 == "'"$1"'" { print $1 }' /etc/hosts; }
[ "$(hosts_entry $a)" = "$ipa" ] || { echo "$a's /etc/hosts: '$(hosts_entry $a)', expected $ipa"; sim exec $a -- cat /etc/hosts; exit 1; }
step "an unknown name is NXDOMAIN"
if sim exec "$b" -- getent hosts "nope.redis-headless.default.svc.cluster.local"; then echo "unknown name resolved"; exit 1; fi
step "after a restart the name resolves to the new IP"
sim restart $a
ipa2=$(sim ip $a)
[ "$ipa2" != "$ipa" ] || { echo "restart kept the IP"; exit 1; }
[ "$(resolve $a)" = "$ipa2" ] || { echo "after restart resolved $(resolve $a), expected $ipa2"; exit 1; }
[ "$(hosts_entry $a)" = "$ipa2" ] || { echo "after restart $a's /etc/hosts: '$(hosts_entry $a)', expected $ipa2"; exit 1; }
step "restart --keep-ip keeps it; --wipe empties the PVC"
sim restart $b --keep-ip --wipe --no-wait
ipb=$(sim ip $b)
sim wait-ready 60
[ "$(sim ip $b)" = "$ipb" ]
step "a partitioned pod cannot reach the others; heal restores it"
sim exec $b -- redis-cli -h "$ipa2" ping | grep -q PONG
sim partition $b
if sim exec $b -- timeout 2 redis-cli -h "$ipa2" ping 2>/dev/null | grep -q PONG; then echo "partitioned pod reached a peer"; exit 1; fi
sim heal $b
for ((i = 0; i < 50; i++)); do sim exec $b -- timeout 1 redis-cli -h "$ipa2" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
sim exec $b -- redis-cli -h "$ipa2" ping | grep -q PONG
step "no route out of the bridge"
if sim exec $b -- ip route get 1.1.1.1 >/dev/null 2>&1; then echo "a pod has a route out"; exit 1; fi
step "DNS stop/start"
sim dns-stop
if sim exec $b -- timeout 3 getent hosts "$a.redis-headless.default.svc.cluster.local" >/dev/null; then echo "resolved without DNS"; exit 1; fi
sim dns-start
[ "$(resolve $a)" = "$ipa2" ]
step "down leaves no namespace, bridge or process behind, and signals only its own processes"
# A restart leaves a job that deletes the pod's old veth 3 s later (podsim's pods_stop): down must
# end it, or it deletes the veth of the same name of the next simulation on this net.
sim restart $b --no-wait
job_pids=$(cat "$SIM_STATE"/jobs/* 2>/dev/null | awk '{ print $1 }')
[ -n "$job_pids" ] || { echo "the restart of $b left no job's pid file"; exit 1; }
pids=$(for d in "$SIM_STATE"/pods/*; do cat "$d"/*.pid 2>/dev/null; done | awk '{ print $1 }'; awk '{ print $1 }' "$SIM_STATE/dns/pid"; echo "$job_pids")
# A stale pid file whose pid now belongs to another process (here: one this test started) must
# not make down kill it: the recorded start time does not match.
sleep 60 &
stranger=$!
echo "$stranger 1" >"$SIM_STATE/pods/$a/kubelet.pid"
net=$(sim net)
sim down
kill -0 $stranger 2>/dev/null || { echo "down killed a process that was not the simulation's (pid $stranger)"; exit 1; }
kill $stranger; wait $stranger 2>/dev/null || true
[ "$(ip netns list | sort)" = "$before" ] || { echo "namespaces left: $(ip netns list)"; exit 1; }
if ip link show "psbr$net" >/dev/null 2>&1; then echo "bridge left"; exit 1; fi
# A zombie holds nothing; here pid 1 may take a while to reap the orphans it inherited.
for p in $pids; do
    st=$(ps -o stat= -p "$p" 2>/dev/null | cut -c1 || true)
    if [ -n "$st" ] && [ "$st" != Z ]; then echo "process $p left: $(ps -o pid,stat,cmd -p "$p" | tail -n1)"; exit 1; fi
done
if [ -n "$fsdev" ]; then
    if findmnt --mountpoint "$SIM_STATE" >/dev/null; then echo "$SIM_STATE still mounted"; exit 1; fi
    if losetup -a | grep -qF "$SIM_STATE.ext4"; then echo "loop device left: $(losetup -a)"; exit 1; fi
    [ ! -e "$SIM_STATE.ext4" ] || { echo "filesystem image $SIM_STATE.ext4 left"; exit 1; }
fi
sim down # twice is harmless
step "down refuses a directory that holds no simulation"
notsim=$(mktemp -d); echo keep >"$notsim/precious"
if "$PODSIM" --state "$notsim" down 2>/dev/null; then echo "down accepted a directory with no simulation"; rm -rf "$notsim"; exit 1; fi
[ -f "$notsim/precious" ] || { echo "down removed a directory that was not a simulation's"; exit 1; }
rm -rf "$notsim"
echo PASS
