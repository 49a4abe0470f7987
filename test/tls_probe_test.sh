#!/usr/bin/env bash
# The TLS client against real redis-servers on loopback (no simulator): a TLS server answers, an
# untrusted certificate, a plaintext server behind a TLS client and the reverse all fail with a
# message that says which. Runs fast, so it also runs with the ASan/UBSan binary.
set -u
BIN=${1:?usage: tls_probe_test.sh BINARY}
command -v openssl >/dev/null && command -v redis-server >/dev/null || { echo "SKIP: needs openssl and redis-server"; exit 77; }
T=$(mktemp -d)
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
fails=0
check() { # expected-code needle description -- command...
    local want=$1 needle=$2 what=$3; shift 4
    "$@" >"$T/out" 2>&1; local got=$?
    if [ "$got" != "$want" ] || ! grep -qF -- "$needle" "$T/out"; then
        echo "FAIL: $what: exit $got (expected $want), output:"; sed 's/^/    /' "$T/out"; fails=$((fails + 1))
    else echo "ok: $what: $(head -c 160 "$T/out")"; fi
}
cert() { # dir: a CA and a certificate it signed (server and client use), as podsim --tls makes them
    local d=$1; mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=test CA" \
        -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=node -keyout "$d/node.key" \
        -out "$d/node.csr" 2>/dev/null &&
    openssl x509 -req -in "$d/node.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 1 \
        -out "$d/node.crt" 2>/dev/null
}
cert "$T/good" && cert "$T/other" || { echo "FAIL: openssl"; exit 1; }
TLS_PORT=$((20000 + $$ % 20000)); PLAIN_PORT=$((TLS_PORT + 1))
redis-server --port 0 --tls-port "$TLS_PORT" --bind 127.0.0.1 --tls-cert-file "$T/good/node.crt" \
    --tls-key-file "$T/good/node.key" --tls-ca-cert-file "$T/good/ca.crt" --save "" --appendonly no \
    --dir "$T" --logfile "$T/tls-server.log" &
PIDS+=($!)
redis-server --port "$PLAIN_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$T" --logfile "$T/plain-server.log" &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do
    redis-cli -p "$PLAIN_PORT" ping >/dev/null 2>&1 &&
        redis-cli --tls --cacert "$T/good/ca.crt" --cert "$T/good/node.crt" --key "$T/good/node.key" -p "$TLS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.05
done
printf 'name: redis\nshards: 3\n' >"$T/c.yaml"
tls() { # ca-dir cert-dir
    echo --set tls.enabled=true --set tls.ca_file="$T/$1/ca.crt" --set tls.cert_file="$T/$2/node.crt" --set tls.key_file="$T/$2/node.key"
}
# shellcheck disable=SC2046
{
check 0 "alive: PONG" "TLS server, trusted" -- "$BIN" -c "$T/c.yaml" --set port="$TLS_PORT" $(tls good good) probe alive
check 1 "cluster support disabled" "TLS server, reply judged (not a cluster node)" -- "$BIN" -c "$T/c.yaml" --set port="$TLS_PORT" $(tls good good) probe ready
check 1 "certificate is not trusted" "TLS server, certificate from another CA" -- "$BIN" -c "$T/c.yaml" --set port="$TLS_PORT" $(tls other other) probe alive
check 1 "TLS handshake: timed out (a plaintext port?" "TLS client, plaintext server" -- "$BIN" -c "$T/c.yaml" --set port="$PLAIN_PORT" $(tls good good) probe alive
check 1 "not alive: 127.0.0.1:$TLS_PORT" "plaintext client, TLS server" -- "$BIN" -c "$T/c.yaml" --set port="$TLS_PORT" probe alive
check 0 "alive: PONG" "plaintext client, plaintext server" -- "$BIN" -c "$T/c.yaml" --set port="$PLAIN_PORT" probe alive
}
echo "$fails failure(s)"
[ "$fails" = 0 ]
