#!/usr/bin/env bash
# The command line as a user meets it: every command's --help, the exit codes, the messages.
set -u
BIN=${1:?usage: cli_test.sh BINARY}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0
expect() { # expected-code description -- command...
    local want=$1 what=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"; local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"; sed 's/^/    /' "$T/out" "$T/err"; fails=$((fails + 1))
    else echo "ok: $what"; fi
}
expect_err() { # needle: in the last stderr
    if ! grep -qF -- "$1" "$T/err"; then echo "FAIL: stderr lacks '$1':"; sed 's/^/    /' "$T/err"; fails=$((fails + 1)); fi
}
expect_out() {
    if ! grep -qF -- "$1" "$T/out"; then echo "FAIL: stdout lacks '$1':"; sed 's/^/    /' "$T/out"; fails=$((fails + 1)); fi
}
printf 'name: redis\nshards: 3\nreplicas: 1\n' >"$T/ok.yaml"
printf 'name: redis\nshards: 3\nreplicas: 1\nlog_formatt: json\n' >"$T/typo.yaml"
printf 'name: redis\nshards: [3\n' >"$T/broken.yaml"

expect 0 "version" -- "$BIN" version; expect_out "redis-cluster-init "
expect 0 "help" -- "$BIN" help; expect_out "commands:"
expect 0 "--help" -- "$BIN" --help
for c in run plan status config version help install probe; do
    expect 0 "$c --help" -- "$BIN" "$c" --help; expect_out "usage: redis-cluster-init"
done
expect 2 "no command" -- "$BIN"
expect 2 "unknown command" -- "$BIN" frobnicate; expect_err "unknown command 'frobnicate'"
expect 2 "unknown flag" -- "$BIN" --frob run; expect_err "unknown flag '--frob'"
expect 2 "flag without value" -- "$BIN" --config
expect 2 "stray argument" -- "$BIN" --config "$T/ok.yaml" config extra
expect 0 "config prints the effective config" -- "$BIN" --config "$T/ok.yaml" config
expect_out "service: redis-headless"; expect_out "bus_port: 16379"
expect 0 "env config path" -- env RCI_CONFIG="$T/ok.yaml" RCI_PORT=7000 "$BIN" config; expect_out "port: 7000"; expect_out "bus_port: 17000"
expect 0 "--set overrides" -- "$BIN" --config "$T/ok.yaml" --set replicas=2 --timeout 9 config
expect_out "replicas: 2"; expect_out "deadline_s: 9"
expect 3 "missing config file" -- "$BIN" --config "$T/nope.yaml" config; expect_err "$T/nope.yaml: cannot open"
expect 3 "typo in a key" -- "$BIN" --config "$T/typo.yaml" config; expect_err "typo.yaml:4:1: unknown key 'log_formatt' (did you mean 'log_format'?)"
expect 3 "broken YAML" -- "$BIN" --config "$T/broken.yaml" config; expect_err "broken.yaml:3:1: invalid YAML"
expect 3 "bad --set" -- "$BIN" --config "$T/ok.yaml" --set shards=0 config; expect_err "out of range"
expect 3 "bad env" -- env RCI_SHARDS=x "$BIN" --config "$T/ok.yaml" config; expect_err "env RCI_SHARDS"
# A pod the config no longer has (the config was scaled in first): a loud warning, not a config
# error: it must keep serving its slots until they are moved away (here no server answers: exit 1).
expect 1 "pod name outside the topology (scaled in)" -- env POD_NAME=redis-shard3-0 "$BIN" --config "$T/ok.yaml" --set port=1 status
expect_err "this pod is not in the config (shards: 3, replicas: 1): its StatefulSet is being scaled in"
expect 3 "pod name of another StatefulSet" -- env POD_NAME=cache-shard0-0 "$BIN" --config "$T/ok.yaml" plan
expect_err "does not match 'redis-shard<i>-<j>'"
expect 0 "json logs" -- env POD_NAME=redis-shard0-0 "$BIN" --config "$T/ok.yaml" --log-format json install "$T"
expect_err '"level":"info","pod":"redis-shard0-0"'
[ -x "$T/redis-cluster-init" ] && cmp -s "$T/redis-cluster-init" "$BIN" || { echo "FAIL: install did not copy the binary"; fails=$((fails + 1)); }
# Pods installing into one shared volume at once (podman 4.3 shares a named emptyDir between pods),
# each running the installed binary as soon as its own install ends, as its next init container does.
mkdir "$T/shared"
for i in 1 2 3 4 5 6 7 8; do
    ("$BIN" install "$T/shared" 2>"$T/inst$i.err" && "$T/shared/redis-cluster-init" version >"$T/inst$i.out" 2>&1 ||
        echo "install $i: exit $?" >>"$T/inst$i.err") &
done
wait
if grep -h "exit\|error" "$T"/inst*.err || [ "$(cat "$T"/inst*.out | grep -c '^redis-cluster-init ')" != 8 ] ||
    ! cmp -s "$T/shared/redis-cluster-init" "$BIN" || [ "$(ls "$T/shared")" != redis-cluster-init ]; then
    echo "FAIL: 8 installs at once into one directory:"; ls -l "$T/shared"; cat "$T"/inst*.out; fails=$((fails + 1))
else echo "ok: 8 installs at once into one directory, each run at once, one whole file left"; fi
expect 1 "install into a missing dir" -- "$BIN" install "$T/missing/dir"; expect_err "cannot create"
# run with a data dir it cannot write: runtime failure, last line says what failed.
expect 1 "run with an unwritable data dir" -- env POD_NAME=redis-shard0-0 RCI_DATA_DIR=/proc/nonexistent "$BIN" --config "$T/ok.yaml" --set dns_servers=127.0.0.1:1 --timeout 3 run
[ "$(tail -n1 "$T/err" | grep -c 'error.*failed:.*What to do')" = 1 ] || { echo "FAIL: last line does not say what failed"; fails=$((fails + 1)); }
# probe: usage, and a server that is not there (port 1: nothing listens), with and without TLS.
expect 2 "probe without a kind" -- "$BIN" --config "$T/ok.yaml" probe; expect_err "probe needs 'ready' or 'alive'"
expect 2 "probe of an unknown kind" -- "$BIN" --config "$T/ok.yaml" probe healthy
expect 1 "probe ready, no server" -- "$BIN" --config "$T/ok.yaml" --set port=1 probe ready
expect_out "not ready: 127.0.0.1:1: "
expect 1 "probe alive, no server" -- "$BIN" --config "$T/ok.yaml" --set port=1 probe alive
expect_out "not alive: 127.0.0.1:1: "
expect 3 "TLS without a CA" -- "$BIN" --config "$T/ok.yaml" --set tls.enabled=true probe ready
expect_err "tls.enabled is true but key 'tls.ca_file' is not set"
expect 3 "TLS files missing" -- "$BIN" --config "$T/ok.yaml" --set tls.enabled=true --set tls.ca_file="$T/none.crt" \
    --set tls.cert_file="$T/none.crt" --set tls.key_file="$T/none.key" probe ready
expect_err "tls.ca_file $T/none.crt: cannot open: No such file or directory"; expect_err "What to do: mount the TLS Secret"
if command -v openssl >/dev/null; then
    # A certificate whose key is another one: said at load time, before any connection.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=a \
        -keyout "$T/a.key" -out "$T/a.crt" 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=b \
        -keyout "$T/b.key" -out "$T/b.crt" 2>/dev/null
    expect 3 "TLS key of another certificate" -- "$BIN" --config "$T/ok.yaml" --set tls.enabled=true \
        --set tls.ca_file="$T/a.crt" --set tls.cert_file="$T/a.crt" --set tls.key_file="$T/b.key" probe ready
    expect_err "tls.key_file $T/b.key is not the key of tls.cert_file $T/a.crt"
    expect 1 "probe ready over TLS, no server" -- "$BIN" --config "$T/ok.yaml" --set port=1 --set tls.enabled=true \
        --set tls.ca_file="$T/a.crt" --set tls.cert_file="$T/a.crt" --set tls.key_file="$T/a.key" probe ready
    expect_out "not ready: 127.0.0.1:1 (TLS): connect: Connection refused"
fi
# plan is read-only and works without any server or peer. Its lookups go to a DNS server of this
# test on loopback that knows no name (NXDOMAIN: the peers do not exist yet), never to the host's:
# an answer from there, or none within the timeout on a loaded machine, would be DNS trouble.
dns_up=0
for ((i = 0; i < 5 && !dns_up; i++)); do
    DNSPORT=$((20000 + RANDOM % 20000))
    dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --user=root --pid-file="$T/dnsmasq.pid" \
        --listen-address=127.0.0.1 --bind-interfaces --port="$DNSPORT" --local=/cluster.local/ 2>"$T/dnsmasq.err" &
    dnspid=$!
    # A port already taken makes dnsmasq exit at once; alive after 0.2 s, it serves.
    for ((j = 0; j < 5; j++)); do
        kill -0 $dnspid 2>/dev/null || break
        [ $j = 4 ] && dns_up=1
        sleep 0.05
    done
done
[ $dns_up = 1 ] || { echo "FAIL: no DNS server for the plan tests: $(cat "$T/dnsmasq.err")"; exit 1; }
trap 'kill $dnspid 2>/dev/null; rm -rf "$T"' EXIT
expect 0 "plan on a fresh pod" -- env POD_NAME=redis-shard1-0 RCI_DATA_DIR="$T/data" "$BIN" --config "$T/ok.yaml" --set dns_servers="127.0.0.1:$DNSPORT" plan
expect_out "add-slots  5461-10921"
[ ! -e "$T/data" ] || { echo "FAIL: plan created files"; fails=$((fails + 1)); }
expect 0 "plan --json" -- env POD_NAME=redis-shard1-0 RCI_DATA_DIR="$T/data" "$BIN" --config "$T/ok.yaml" --set dns_servers="127.0.0.1:$DNSPORT" plan --json
expect_out '"goal":"master of slots 5461-10921"'
expect_out '"dns_trouble":false'
kill $dnspid 2>/dev/null; wait $dnspid 2>/dev/null
# Ctrl-C stops plan at once, even while it waits on a DNS server that never answers (a UDP socket
# that reads and never replies), and the exit says "interrupted".
if command -v python3 >/dev/null; then
    python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(30)' >"$T/dnsport" &
    hole=$!
    for ((i = 0; i < 50; i++)); do [ -s "$T/dnsport" ] && break; sleep 0.1; done
    env POD_NAME=redis-shard1-0 RCI_DATA_DIR="$T/data" "$BIN" --config "$T/ok.yaml" --set timeouts.dns_ms=60000 \
        --set dns_servers="127.0.0.1:$(cat "$T/dnsport")" plan >"$T/out" 2>"$T/err" &
    pl=$!
    sleep 1
    kill -INT $pl
    t0=$SECONDS; for ((i = 0; i < 50; i++)); do kill -0 $pl 2>/dev/null || break; sleep 0.1; done
    if kill -0 $pl 2>/dev/null; then
        echo "FAIL: plan ignored SIGINT (still running 5 s later)"; kill -KILL $pl; fails=$((fails + 1))
    else
        wait $pl; rc=$?
        if [ $rc = 5 ]; then echo "ok: SIGINT stops plan (exit 5, $((SECONDS - t0)) s)"; else echo "FAIL: plan after SIGINT: exit $rc, expected 5"; fails=$((fails + 1)); fi
    fi
    kill $hole 2>/dev/null; wait $hole 2>/dev/null
else
    echo "skip: SIGINT on plan (no python3 for the silent DNS server)"
fi
echo "$fails failure(s)"
[ "$fails" = 0 ]
