#!/usr/bin/env bash
# valgrind over the paths that need no network: config errors, config, plan, CLI errors.
set -u
BIN=${1:?}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
printf 'name: redis\nshards: 3\nreplicas: 1\n' >"$T/ok.yaml"
printf 'name: redis\nshards: 3\nreplicass: 1\n' >"$T/bad.yaml"
fails=0
vg() {
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$@" >/dev/null 2>"$T/vg"
    if [ $? = 99 ]; then echo "valgrind errors in: $*"; cat "$T/vg"; fails=$((fails + 1)); else echo "valgrind clean: ${*: -1}"; fi
}
vg "$BIN" --config "$T/ok.yaml" config
vg "$BIN" --config "$T/bad.yaml" config
# Its lookups go to a loopback port where nothing listens (refused: the DNS-trouble path), never
# to the host's resolver.
vg env POD_NAME=redis-shard2-1 RCI_DATA_DIR="$T/d" "$BIN" --config "$T/ok.yaml" --set timeouts.dns_ms=100 \
    --set dns_servers=127.0.0.1:1 plan
vg "$BIN" frob
# TLS: load a CA, certificate and key, fail to connect, free everything.
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=vg \
    -keyout "$T/k.pem" -out "$T/c.pem" 2>/dev/null; then
    vg "$BIN" --config "$T/ok.yaml" --set port=1 --set tls.enabled=true --set tls.ca_file="$T/c.pem" \
        --set tls.cert_file="$T/c.pem" --set tls.key_file="$T/k.pem" probe ready
fi
[ $fails = 0 ]
