#!/usr/bin/env bash
# The main job for a newcomer: install, build, start a simulated 3x1 cluster, show it, judge it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
export PODSIM_STATE=${PODSIM_STATE:-/tmp/podsim}
scripts/podsim down
scripts/podsim up --shards 3 --replicas 1
scripts/podsim status
echo "waiting for cluster_state ok (a starting master waits 2 s before it serves writes)"
for ((i = 0; i < 100; i++)); do scripts/podsim check >/dev/null 2>&1 && break; sleep 0.1; done
scripts/podsim check
scripts/podsim write 1000
scripts/podsim verify
cat <<EOT

The cluster runs in network namespaces on this machine (state in $PODSIM_STATE). Try:
  scripts/podsim status
  scripts/podsim logs redis-shard0-0                 # the init container's log
  scripts/podsim exec redis-shard0-0 -- $(pwd)/build/redis-cluster-init status
  scripts/podsim exec redis-shard0-0 -- redis-cli -c -h \$(scripts/podsim ip redis-shard0-0) cluster nodes
  scripts/podsim restart redis-shard1-0 && scripts/podsim check && scripts/podsim verify
Take it down with:
  scripts/podsim down
EOT
