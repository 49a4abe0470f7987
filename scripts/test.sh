#!/usr/bin/env bash
# The whole test suite from a fresh machine: dependencies, the static build, the ASan/UBSan build,
# then unit, CLI and simulator tests (ctest) on both. Needs root for the simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
cmake -S . -B build-asan -DRCI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
cmake --build build-asan -j"$(nproc)"
# valgrind needs a dynamic glibc (it cannot follow a static one's malloc).
cmake -S . -B build-dyn -DRCI_STATIC=OFF -DCMAKE_BUILD_TYPE=Debug
cmake --build build-dyn -j"$(nproc)" --target redis-cluster-init
file build/redis-cluster-init | grep -q 'statically linked' || { echo "the shipped binary is not static"; exit 1; }
echo "== static build: every test"
(cd build && ctest --output-on-failure --timeout 600)
echo "== ASan/UBSan build: unit, CLI, simulated clusters (plain, init killed, TLS, scaling: mover killed, keys on both sides, replicas)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure --timeout 600 -R 'unit\.|cli\.|sim\.bootstrap_3x1$|sim\.bootstrap_init_killed|sim\.tls$|sim\.scale_killed$|sim\.scale_busy$|sim\.scale_replicas$')
echo "== valgrind: config, plan and CLI paths"
bash test/valgrind.sh build-dyn/redis-cluster-init
echo "== libFuzzer: the config loader and the CLUSTER NODES parser, 30 s each"
bash test/fuzz/run.sh 30
echo "ALL TESTS PASSED"
