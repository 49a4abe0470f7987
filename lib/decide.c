#include "decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

const char *dec_kind_name(dec_kind_t k)
{
    static const char *names[] = { "set-epoch", "meet", "add-slots", "replicate", "forget", "bump-epoch",
                                   "wait", "done", "fail" };
    return names[k];
}

static dec_action_t *push(dec_plan_t *plan, dec_kind_t kind)
{
    if (plan->n == DEC_MAX_ACTIONS) return NULL;
    dec_action_t *a = &plan->actions[plan->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->peer = -1;
    return a;
}

void dec_plan_free(dec_plan_t *plan)
{
    free(plan->actions);
    memset(plan, 0, sizeof *plan);
}

const dec_action_t *dec_verdict(const dec_plan_t *plan)
{
    return plan->n ? &plan->actions[plan->n - 1] : NULL;
}

int dec_pod_of_node(const dec_input_t *in, const cv_node_t *node)
{
    if (node->hostname[0]) {
        if (strcmp(node->hostname, in->my_fqdn) == 0) return -2;
        for (size_t i = 0; i < in->n_peers; i++)
            if (strcmp(node->hostname, in->peers[i].fqdn) == 0) return (int)i;
        return -1;
    }
    if (node->flags & CV_MYSELF) return -2;
    if (!node->ip[0]) return -1;
    for (size_t i = 0; i < in->n_peers; i++)
        if (in->peers[i].resolved && strcmp(node->ip, in->peers[i].ip) == 0) return (int)i;
    return -1;
}

/* The node of the view that is peer k and is a complete (non-handshake) node, preferring one
 * that is not failed: after a PVC wipe the old id of the pod is still there, failed. */
static const cv_node_t *node_of_peer(const dec_input_t *in, size_t k)
{
    const cv_node_t *best = NULL;
    for (size_t i = 0; i < in->view->n; i++) {
        const cv_node_t *n = &in->view->nodes[i];
        if (n->flags & (CV_HANDSHAKE | CV_MYSELF)) continue;
        if (dec_pod_of_node(in, n) != (int)k) continue;
        if (!best || (cv_is_down(best) && !cv_is_down(n))) best = n;
    }
    return best;
}

static int handshake_in_flight(const dec_input_t *in, const char *ip)
{
    for (size_t i = 0; i < in->view->n; i++) {
        const cv_node_t *n = &in->view->nodes[i];
        if ((n->flags & CV_HANDSHAKE) && strcmp(n->ip, ip) == 0) return 1;
    }
    return 0;
}

/* The live master of shard s other than me: a master that owns slots, announced as a pod of s.
 * With two candidates (a failover the view has not settled yet) the higher config epoch wins,
 * as it does in Redis. */
static const cv_node_t *shard_master(const dec_input_t *in, int s)
{
    const cv_node_t *best = NULL;
    for (size_t i = 0; i < in->view->n; i++) {
        const cv_node_t *n = &in->view->nodes[i];
        if ((n->flags & CV_MYSELF) || !(n->flags & CV_MASTER) || n->n_slots == 0) continue;
        if (n->flags & (CV_FAIL | CV_HANDSHAKE | CV_NOADDR)) continue;
        int k = dec_pod_of_node(in, n);
        if (k < 0 || in->peers[k].shard != s) continue;
        if (!best || n->config_epoch > best->config_epoch) best = n;
    }
    return best;
}

static const char *pod_name_of(const dec_input_t *in, const cv_node_t *n)
{
    int k = dec_pod_of_node(in, n);
    if (k >= 0) return in->peers[k].name;
    if (k == -2) return "this pod";
    return n->hostname[0] ? n->hostname : n->ip;
}

/* MEET every resolved peer our node does not know at its current address, and count the peers
 * we are still waiting to hear from: a peer is settled once our node got a PONG from it in this
 * run (so the view holds its present state, not what nodes.conf remembered). Each peer gets one
 * grace period (from our first MEET to it, or from the start of the run); a peer silent past it is
 * "not up": it will MEET us when it starts. */
static int plan_meets(const dec_input_t *in, dec_plan_t *plan)
{
    int pending = 0;
    for (size_t k = 0; k < in->n_peers; k++) {
        const dec_peer_t *p = &in->peers[k];
        const cv_node_t *n = node_of_peer(in, k);
        if (!p->resolved) {
            /* A peer this node knew (nodes.conf) whose name does not resolve yet: when all pods
             * restart at once, records appear one by one. Wait a grace for it, no more. */
            if (n && in->elapsed_ms < in->handshake_grace_ms) pending++;
            continue;
        }
        int64_t waited = p->since_meet_ms >= 0 ? p->since_meet_ms : in->elapsed_ms;
        if (n && strcmp(n->ip, p->ip) == 0 && !(n->flags & CV_NOADDR)) {
            if (n->pong_recv < in->run_start_unix_ms && waited < in->handshake_grace_ms) pending++;
            continue;
        }
        if (p->since_meet_ms >= 0) {
            if (p->since_meet_ms < in->handshake_grace_ms) pending++;
            if (p->since_meet_ms < in->remeet_ms || handshake_in_flight(in, p->ip)) continue;
        } else {
            pending++;
        }
        /* Keep room for the role actions; the rest are met next round. */
        if (plan->n >= DEC_MAX_ACTIONS - 8) continue;
        dec_action_t *a = push(plan, ACT_MEET);
        a->peer = (int)k;
        snprintf(a->reason, sizeof a->reason, "%s (%s) is %s", p->name, p->ip,
                 n ? "known at an old address" : "not known to this node");
    }
    return pending;
}

/* A ghost is a node id a pod no longer has: its PVC was wiped and it came back with a new id.
 * Any other node announcing this pod's name is a ghost of this pod (this pod is alive, so that
 * node is dead). For another pod, a failed node is a ghost only when a live node of that pod
 * exists: otherwise it is just a pod that is down. */
static int is_ghost(const dec_input_t *in, const cv_node_t *n, const cv_node_t *me)
{
    if (n->flags & (CV_MYSELF | CV_HANDSHAKE)) return 0;
    if (strcmp(n->id, me->master_id) == 0) return 0; /* Redis refuses to forget a node's master */
    int k = dec_pod_of_node(in, n);
    if (k == -2) return n->hostname[0] != '\0';
    if (k < 0 || !(n->flags & (CV_FAIL | CV_NOADDR))) return 0;
    for (size_t i = 0; i < in->view->n; i++) {
        const cv_node_t *o = &in->view->nodes[i];
        if (o != n && !(o->flags & CV_HANDSHAKE) && !cv_is_down(o) && dec_pod_of_node(in, o) == k) return 1;
    }
    return 0;
}

static void plan_forgets(const dec_input_t *in, dec_plan_t *plan, const cv_node_t *me)
{
    size_t n_local = in->view->n, n_remote = in->remote ? in->remote->n : 0;
    for (size_t i = 0; i < n_local + n_remote && plan->n < DEC_MAX_ACTIONS - 8; i++) {
        const cv_node_t *n = i < n_local ? &in->view->nodes[i] : &in->remote->nodes[i - n_local];
        if (!is_ghost(in, n, me)) continue;
        int dup = 0;
        for (size_t j = 0; j < plan->n; j++)
            dup |= plan->actions[j].kind == ACT_FORGET && strcmp(plan->actions[j].node_id, n->id) == 0;
        if (dup) continue;
        dec_action_t *a = push(plan, ACT_FORGET);
        snprintf(a->node_id, sizeof a->node_id, "%s", n->id);
        int k = dec_pod_of_node(in, n);
        snprintf(a->reason, sizeof a->reason, "%s is an old id of %s, whose data dir was lost; it has a new id now",
                 n->id, k >= 0 ? in->peers[k].name : "this pod");
    }
}

static void verdict(dec_plan_t *plan, dec_kind_t kind, const char *fmt, const char *a1, const char *a2)
{
    /* The verdict slot is reserved: push cannot fail for it (see dec_decide). */
    dec_action_t *a = &plan->actions[plan->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->peer = -1;
    snprintf(a->reason, sizeof a->reason, fmt, a1 ? a1 : "", a2 ? a2 : "");
}

/* A live master other than me that owns any of my slots with a newer config epoch: Redis will
 * hand my slots to it and make me its replica once we exchange a few messages. */
static const cv_node_t *newer_owner_of_mine(const dec_input_t *in, const cv_node_t *me)
{
    for (size_t i = 0; i < in->view->n; i++) {
        const cv_node_t *n = &in->view->nodes[i];
        if ((n->flags & (CV_MYSELF | CV_HANDSHAKE | CV_FAIL | CV_NOADDR)) || !(n->flags & CV_MASTER)) continue;
        if (n->config_epoch <= me->config_epoch) continue;
        for (size_t r = 0; r < me->n_ranges; r++)
            if (cv_owns_any(n, me->ranges[r].first, me->ranges[r].last)) return n;
    }
    return NULL;
}

#define WAIT_HANDSHAKES "waiting to hear from the peers that resolve (at most the handshake grace)%s%s"

int dec_decide(const dec_input_t *in, dec_plan_t *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->actions = calloc(DEC_MAX_ACTIONS + 1, sizeof *plan->actions);
    if (!plan->actions) return -1;
    int first, last;
    topo_slot_range(in->shards, in->my_shard, &first, &last);
    char range[32];
    snprintf(range, sizeof range, "%d-%d", first, last);

    const cv_node_t *me = cv_myself(in->view);
    if (!me) {
        snprintf(plan->role, sizeof plan->role, "unknown");
        verdict(plan, ACT_FAIL, "the local node's CLUSTER NODES has no 'myself' line%s%s", NULL, NULL);
        return 0;
    }

    /* A brand-new shard master fixes a distinct config epoch while it still knows nobody: the
     * masters of a fresh cluster then never collide and never run the epoch-bump dance. */
    int fresh = in->view->n == 1 && me->config_epoch == 0 && me->n_slots == 0 && !(me->flags & CV_REPLICA);
    if (fresh && in->my_ordinal == 0) {
        dec_action_t *a = push(plan, ACT_SET_EPOCH);
        a->epoch = (uint64_t)in->my_shard + 1;
        snprintf(a->reason, sizeof a->reason, "fresh node: a distinct epoch per shard avoids epoch collisions");
    }

    int pending = plan_meets(in, plan);
    plan_forgets(in, plan, me);
    const cv_node_t *sm = shard_master(in, in->my_shard);

    if ((me->flags & CV_MASTER) && me->n_slots > 0) {
        snprintf(plan->role, sizeof plan->role, "master of %d slots", me->n_slots);
        if (pending) { verdict(plan, ACT_WAIT, WAIT_HANDSHAKES, NULL, NULL); return 0; }
        const cv_node_t *newer = newer_owner_of_mine(in, me);
        if (newer) {
            verdict(plan, ACT_WAIT, "%s took over this node's slots while it was away (newer epoch): waiting for Redis to "
                    "make this node its replica%s", pod_name_of(in, newer), NULL);
            return 0;
        }
        verdict(plan, ACT_DONE, "this node is already a master owning its slots; nothing to change%s%s", NULL, NULL);
        return 0;
    }

    if (me->flags & CV_REPLICA) {
        const cv_node_t *cur = cv_find_id(in->view, me->master_id);
        int cur_pod = cur ? dec_pod_of_node(in, cur) : -1;
        int cur_in_shard = cur_pod >= 0 && in->peers[cur_pod].shard == in->my_shard;
        snprintf(plan->role, sizeof plan->role, "replica in shard %d", in->my_shard);
        if (pending) { verdict(plan, ACT_WAIT, WAIT_HANDSHAKES, NULL, NULL); return 0; }
        if (cur && cur_in_shard && (!sm || sm == cur)) {
            verdict(plan, ACT_DONE, "this node already replicates %s, the master of its shard%s", pod_name_of(in, cur), NULL);
            return 0;
        }
        if (sm) {
            dec_action_t *a = push(plan, ACT_REPLICATE);
            snprintf(a->node_id, sizeof a->node_id, "%s", sm->id);
            snprintf(a->reason, sizeof a->reason, "this node replicates %s, which is not the master of shard %d; %s is",
                     cur ? pod_name_of(in, cur) : "an unknown node", in->my_shard, pod_name_of(in, sm));
            verdict(plan, ACT_WAIT, "waiting for the view to confirm the new master%s%s", NULL, NULL);
            return 0;
        }
        if (cur && cur_in_shard) {
            verdict(plan, ACT_DONE, "this node replicates %s of its shard (down now: Redis fails over)%s",
                    pod_name_of(in, cur), NULL);
            return 0;
        }
        verdict(plan, ACT_WAIT, "this node replicates %s, outside its shard, and its shard's master is not visible yet%s",
                cur ? pod_name_of(in, cur) : "an unknown node", NULL);
        return 0;
    }

    /* A master without slots: an empty node (new, or its PVC was wiped). */
    if (pending) {
        snprintf(plan->role, sizeof plan->role, "%s", in->my_ordinal == 0 ? "master or replica" : "replica");
        verdict(plan, ACT_WAIT, WAIT_HANDSHAKES, NULL, NULL);
        return 0;
    }
    if (sm) {
        snprintf(plan->role, sizeof plan->role, "replica of %s", pod_name_of(in, sm));
        dec_action_t *a = push(plan, ACT_REPLICATE);
        snprintf(a->node_id, sizeof a->node_id, "%s", sm->id);
        snprintf(a->reason, sizeof a->reason, "%s is the live master of shard %d", pod_name_of(in, sm), in->my_shard);
        verdict(plan, ACT_WAIT, "waiting for the view to confirm replication%s%s", NULL, NULL);
        return 0;
    }
    if (in->my_ordinal != 0) {
        snprintf(plan->role, sizeof plan->role, "replica in shard %d", in->my_shard);
        const dec_peer_t *p0 = NULL;
        for (size_t k = 0; k < in->n_peers; k++)
            if (in->peers[k].shard == in->my_shard && in->peers[k].ordinal == 0) p0 = &in->peers[k];
        verdict(plan, ACT_WAIT, "waiting for the master of this shard (%s) to own its slots%s", p0 ? p0->name : "?", NULL);
        return 0;
    }
    /* Pod 0 with an empty node and no live master in its shard: it claims its range, unless a
     * node owns slots of it. Slots owned only by this pod's own old id (its PVC was lost and no
     * replica took over) are orphans: their data is gone; it forgets that id and takes them back. */
    snprintf(plan->role, sizeof plan->role, "master of slots %s", range);
    int orphans = 0;
    size_t n_local = in->view->n, n_remote = in->remote ? in->remote->n : 0;
    for (size_t i = 0; i < n_local + n_remote; i++) {
        const cv_node_t *n = i < n_local ? &in->view->nodes[i] : &in->remote->nodes[i - n_local];
        if ((n->flags & CV_MYSELF) || !cv_owns_any(n, first, last)) continue;
        if (dec_pod_of_node(in, n) == -2) { orphans++; continue; }
        char who[300];
        snprintf(who, sizeof who, "%s (%s, %s)", pod_name_of(in, n), n->id, (n->flags & CV_FAIL) ? "failed" : "alive");
        /* Seen only by peers: our view may not have settled yet; in ours: a real conflict. */
        verdict(plan, i < n_local ? ACT_FAIL : ACT_WAIT,
                "slots of this shard's range %s are owned by %s; refusing to claim them", range, who);
        return 0;
    }
    dec_action_t *a = push(plan, ACT_ADD_SLOTS);
    a->first = first;
    a->last = last;
    if (orphans) {
        a->data_lost = 1;
        snprintf(a->reason, sizeof a->reason, "slots %s were owned only by this pod's lost node id, with no replica: "
                 "claiming them EMPTY; the keys they held are lost", range);
        dec_action_t *b = push(plan, ACT_BUMP_EPOCH);
        snprintf(b->reason, sizeof b->reason, "a newer epoch makes every node accept the new owner of slots %s", range);
    } else {
        snprintf(a->reason, sizeof a->reason, "no node owns slots %s: this shard's master claims its range", range);
    }
    verdict(plan, ACT_WAIT, "waiting for the view to confirm the slots%s%s", NULL, NULL);
    return 0;
}
