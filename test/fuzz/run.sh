#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for a bounded time.
# usage: test/fuzz/run.sh [SECONDS_PER_TARGET]   (CI: 30; longer by hand)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-30}
B="$ROOT/build-fuzz"
command -v clang >/dev/null || { echo "SKIP: clang is not installed"; exit 77; }
cmake -S "$ROOT" -B "$B" -DCMAKE_C_COMPILER=clang -DRCI_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$B" -j"$(nproc)" --target fuzz_config fuzz_cview fuzz_reply
for t in config cview reply; do
    case $t in config) corpus=config ;; cview) corpus=nodes ;; reply) corpus=reply ;; esac
    corpus="$ROOT/test/fuzz/corpus/$corpus"
    work="$B/corpus-$t"; mkdir -p "$work"
    echo "== fuzz_$t for ${SECS}s"
    "$B/fuzz_$t" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=1 \
        "$work" "$corpus" 2>&1 | tail -n 12
done
echo "fuzz: no crash"
