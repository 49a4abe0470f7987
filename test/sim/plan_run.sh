#!/usr/bin/env bash
# `plan` shows what `run` does. In three recovery cases the pod is started with its init container
# held; in the pod, `plan --json` is taken, then `run` itself (debug logs: one line per round's
# plan). plan's next round must equal run's first round, and the role actions plan predicts once the
# handshakes complete (forget, replicate, claim, bump) must be the ones run takes.
. "$(dirname "$0")/lib.sh"

# Read from plan --json: "<key>_summary":"...".
summary_of() { sed -n "s/.*\"$1_summary\":\"\([^\"]*\)\".*/\1/p"; }
# The role actions of a summary, one per line, sorted: forget/replicate/add-slots/bump-epoch.
role_actions() { tr ';' '\n' | sed 's/^ *//' | grep -E '^(forget|replicate|add-slots|bump-epoch)' | sort -u || true; }

compare() { # pod case-name
    local p=$1 what=$2 first plan_next plan_later run_roles
    # plan_json and run_log are left for the caller's own checks
    step "$what: plan in the held pod, then run"
    plan_json=$(sim exec "$p" -- "$RCI_BIN" plan --json) || fail "$what: plan failed"
    plan_next=$(summary_of next <<<"$plan_json")
    plan_later=$(summary_of after_handshakes <<<"$plan_json")
    run_log="$SIM_STATE/run-$p.log"
    sim exec "$p" -- "$RCI_BIN" --log-level debug run 2>"$run_log" || { tail -n 5 "$run_log"; fail "$what: run failed"; }
    first=$(sed -n 's/.* round 1: //p' "$run_log")
    echo "plan, next round:  $plan_next"
    echo "run, round 1:      $first"
    [ -n "$first" ] && [ "$plan_next" = "$first" ] || fail "$what: plan's next round differs from run's first round"
    run_roles=$(sed -n 's/.* round [0-9]*: //p' "$run_log" | role_actions)
    echo "plan, once the handshakes complete: $plan_later"
    echo "run's role actions: $(echo $run_roles)"
    [ "$(role_actions <<<"$plan_later")" = "$run_roles" ] || fail "$what: plan predicted other role actions than run took"
    sim release "$p"
    sim wait-ready 60
    converge
}

step "up 3x1, 1000 keys"
sim up --bin "$RCI_BIN" --net "$SIM_NET" --shards 3 --replicas 1 --node-timeout 3000
converge
sim write 1000

# A replica comes back with a new IP, and a peer moved while it was held (its nodes.conf has that
# peer at its old address): plan shows the address written into nodes.conf before the temporary
# server starts, run writes it so; both then wait to hear from the peers, and it is done.
sim restart redis-shard1-1 --hold
sim restart redis-shard0-1
compare redis-shard1-1 "replica, new IP, a peer moved"
grep -q '"addresses_written_first":{"count":1,"peers":"redis-shard0-1 ' <<<"$plan_json" ||
    fail "plan did not show redis-shard0-1's new address written first: $(grep -o '"addresses_written_first":{[^}]*}' <<<"$plan_json")"
grep -q 'nodes.conf: 1 peer known there at an old address written .*: redis-shard0-1 ' "$run_log" ||
    fail "run did not write redis-shard0-1's new address first: $(grep 'nodes.conf' "$run_log")"

# A master is down past the node timeout: its replica takes over; it comes back holding stale slots.
sim restart redis-shard2-0 --down-for 8 --hold
compare redis-shard2-0 "failed-over master"
# Rules 8 and 9: it heard its peers before deciding, so it finished as the new master's replica
# (Redis demoted it while it waited), never as "a master owning its slots" from its stale nodes.conf.
grep 'done:' "$SIM_STATE/run-redis-shard2-0.log" | grep -q 'replicates' ||
    fail "the failed-over master finished as: $(grep 'done:' "$SIM_STATE/run-redis-shard2-0.log")"

# A master's PVC is wiped while its replica took over: plan must show what run does: forget the old
# id everywhere and replicate the new master (the old plan said "claim slots").
old=$(myid redis-shard0-0)
sim restart redis-shard0-0 --wipe --down-for 8 --hold
compare redis-shard0-0 "wiped master"
grep -q "forget $old" <<<"$(sed -n 's/.* round [0-9]*: //p' "$SIM_STATE/run-redis-shard0-0.log")" ||
    fail "run did not forget the wiped master's old id $old"
sim verify
echo PASS
