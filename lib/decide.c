#include "decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed.h"
#include "topology.h"

const char *dec_kind_name(dec_kind_t k)
{
    static const char *names[] = { "set-epoch", "meet", "add-slots", "replicate", "forget", "bump-epoch",
                                   "wait", "done", "fail" };
    return names[k];
}

/* Append an action; NULL only when out of memory. */
static dec_action_t *push(dec_plan_t *plan, dec_kind_t kind)
{
    if (plan->n == plan->cap) {
        size_t cap = plan->cap ? plan->cap * 2 : 16;
        dec_action_t *na = realloc(plan->actions, cap * sizeof *na);
        if (!na) return NULL;
        plan->actions = na;
        plan->cap = cap;
    }
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

/* A node known by neither name nor address (noaddr, and its hostname never heard: a node learned
 * by gossip, whose address then answered with another id) is still some pod's if its id is the
 * one a new cluster plans for that pod (seed_node_id): that pod did not seed, and every seeded
 * pod wrote this id for it. Without this, such a ghost was nobody's, and nothing forgot it (one
 * 100x1 bootstrap on a slow machine ended with it in one node's view for good). planned: the
 * peers' planned ids, computed beforehand (NULL: compute each one here). */
static int pod_of_planned_id(const dec_input_t *in, const char *id, const char (*planned)[CV_ID_LEN + 1])
{
    char mine[CV_ID_LEN + 1], one[CV_ID_LEN + 1];
    seed_node_id(in->my_fqdn, mine);
    if (strcmp(id, mine) == 0) return -2;
    for (size_t i = 0; i < in->n_peers; i++) {
        if (!planned) seed_node_id(in->peers[i].fqdn, one);
        if (strcmp(id, planned ? planned[i] : one) == 0) return (int)i;
    }
    return -1;
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
    if (!node->ip[0]) return pod_of_planned_id(in, node->id, NULL);
    for (size_t i = 0; i < in->n_peers; i++)
        if (in->peers[i].resolved && strcmp(node->ip, in->peers[i].ip) == 0) return (int)i;
    return -1;
}

/* The decision's index of the observation, built once per call so that every rule is linear in
 * the cluster's size (the rules ask "which pod is this node" and "which node is this pod" for
 * every node and every peer: by string search that was cubic, 14 ms a round at 200 pods). */
typedef struct {
    const dec_input_t *in;
    size_t hcap;              /* power of two */
    int *by_fqdn, *by_ip;     /* open addressing: peer index + 1, 0 empty */
    int *local_pod;           /* per local view node: peer index, -1 none, -2 this pod */
    int *remote_pod;          /* the same for in->remote */
    const cv_node_t **peer_node; /* per peer: its complete node, preferring one not failed */
    int *peer_live;           /* per peer: live complete nodes announcing it */
    int *peer_handshake;      /* per peer: a handshake to its resolved IP is in flight */
    char (*planned)[CV_ID_LEN + 1]; /* per peer: the id a new cluster plans for it (pod_of_planned_id) */
} ctx_t;

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void map_put(const ctx_t *c, int *map, const char *key, int k, int by_ip)
{
    for (size_t i = hash_str(key) & (c->hcap - 1);; i = (i + 1) & (c->hcap - 1)) {
        if (map[i] == 0) { map[i] = k + 1; return; }
        const dec_peer_t *p = &c->in->peers[map[i] - 1];
        if (strcmp(by_ip ? p->ip : p->fqdn, key) == 0) return; /* the first peer with the key wins */
    }
}

static int map_get(const ctx_t *c, const int *map, const char *key, int by_ip)
{
    for (size_t i = hash_str(key) & (c->hcap - 1);; i = (i + 1) & (c->hcap - 1)) {
        if (map[i] == 0) return -1;
        const dec_peer_t *p = &c->in->peers[map[i] - 1];
        if (strcmp(by_ip ? p->ip : p->fqdn, key) == 0) return map[i] - 1;
    }
}

/* dec_pod_of_node, through the index. */
static int pod_of(const ctx_t *c, const cv_node_t *node)
{
    if (node->hostname[0]) {
        if (strcmp(node->hostname, c->in->my_fqdn) == 0) return -2;
        return map_get(c, c->by_fqdn, node->hostname, 0);
    }
    if (node->flags & CV_MYSELF) return -2;
    if (!node->ip[0]) return pod_of_planned_id(c->in, node->id, (const char (*)[CV_ID_LEN + 1])c->planned);
    return map_get(c, c->by_ip, node->ip, 1);
}

static void ctx_free(ctx_t *c)
{
    free(c->by_fqdn); free(c->by_ip); free(c->local_pod); free(c->remote_pod);
    free(c->peer_node); free(c->peer_live); free(c->peer_handshake); free(c->planned);
}

static int ctx_build(ctx_t *c, const dec_input_t *in)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->hcap = 16;
    while (c->hcap < 2 * in->n_peers + 2) c->hcap *= 2;
    size_t nl = in->view->n, nr = in->remote ? in->remote->n : 0, np = in->n_peers ? in->n_peers : 1;
    c->by_fqdn = calloc(c->hcap, sizeof *c->by_fqdn);
    c->by_ip = calloc(c->hcap, sizeof *c->by_ip);
    c->local_pod = calloc(nl ? nl : 1, sizeof *c->local_pod);
    c->remote_pod = calloc(nr ? nr : 1, sizeof *c->remote_pod);
    c->peer_node = calloc(np, sizeof *c->peer_node);
    c->peer_live = calloc(np, sizeof *c->peer_live);
    c->peer_handshake = calloc(np, sizeof *c->peer_handshake);
    c->planned = calloc(np, sizeof *c->planned);
    if (!c->by_fqdn || !c->by_ip || !c->local_pod || !c->remote_pod || !c->peer_node || !c->peer_live ||
        !c->peer_handshake || !c->planned) {
        ctx_free(c);
        return -1;
    }
    /* The peers' planned ids, only when a node is known by neither name nor address (rare). */
    int anonymous = 0;
    for (size_t i = 0; i < nl + nr && !anonymous; i++) {
        const cv_node_t *n = i < nl ? &in->view->nodes[i] : &in->remote->nodes[i - nl];
        anonymous = !n->hostname[0] && !n->ip[0] && !(n->flags & CV_MYSELF);
    }
    if (anonymous)
        for (size_t k = 0; k < in->n_peers; k++) seed_node_id(in->peers[k].fqdn, c->planned[k]);
    for (size_t k = 0; k < in->n_peers; k++) {
        map_put(c, c->by_fqdn, in->peers[k].fqdn, (int)k, 0);
        if (in->peers[k].resolved) map_put(c, c->by_ip, in->peers[k].ip, (int)k, 1);
    }
    for (size_t i = 0; i < nl; i++) {
        const cv_node_t *n = &in->view->nodes[i];
        int k = c->local_pod[i] = pod_of(c, n);
        if ((n->flags & CV_HANDSHAKE) && n->ip[0]) {
            int h = map_get(c, c->by_ip, n->ip, 1);
            if (h >= 0) c->peer_handshake[h] = 1;
        }
        if (k < 0 || (n->flags & (CV_HANDSHAKE | CV_MYSELF))) continue;
        if (!cv_is_down(n)) c->peer_live[k]++;
        const cv_node_t *best = c->peer_node[k];
        if (!best || (cv_is_down(best) && !cv_is_down(n))) c->peer_node[k] = n;
    }
    for (size_t i = 0; i < nr; i++) c->remote_pod[i] = pod_of(c, &in->remote->nodes[i]);
    return 0;
}

/* The live master of shard s other than me: a master that owns slots, announced as a pod of s.
 * With two candidates (a failover the view has not settled yet) the higher config epoch wins,
 * as it does in Redis. */
/* Every slot is served by a live master in our view: the cluster is formed. */
static int all_slots_served(const cv_view_t *v)
{
    int served = 0;
    for (size_t i = 0; i < v->n; i++) {
        const cv_node_t *n = &v->nodes[i];
        if ((n->flags & CV_MASTER) && !(n->flags & (CV_FAIL | CV_PFAIL | CV_HANDSHAKE | CV_NOADDR))) served += n->n_slots;
    }
    return served == TOPO_SLOTS;
}

/* No node of shard s in the view, live or failed, owns a slot: the shard holds no data (a cluster
 * being formed, or a shard just added). */
static int shard_holds_nothing(const ctx_t *c, int s)
{
    const dec_input_t *in = c->in;
    for (size_t i = 0; i < in->view->n; i++) {
        int k = c->local_pod[i];
        if (k >= 0 && in->peers[k].shard == s && in->view->nodes[i].n_slots > 0) return 0;
    }
    return 1;
}

/* The live master of shard s: the one owning slots with the newest epoch. In a formed cluster, a
 * new shard's master owns no slots until `rebalance` moves them: its pod 0, if a live master,
 * then is the shard's master too. So it is while no node of the shard owns a slot (a cluster being
 * formed): a replica then follows its pod 0 at once instead of waiting for pod 0's claim to reach
 * it by gossip (seconds, with a hundred nodes on few cores); the shard holds no data to lose. */
static const cv_node_t *shard_master(const ctx_t *c, int s, const cv_node_t *twin[2])
{
    const dec_input_t *in = c->in;
    const cv_node_t *best = NULL, *empty0 = NULL;
    twin[0] = twin[1] = NULL;
    for (size_t i = 0; i < in->view->n; i++) {
        const cv_node_t *n = &in->view->nodes[i];
        if ((n->flags & CV_MYSELF) || !(n->flags & CV_MASTER)) continue;
        if (n->flags & (CV_FAIL | CV_HANDSHAKE | CV_NOADDR)) continue;
        int k = c->local_pod[i];
        if (k < 0 || in->peers[k].shard != s) continue;
        if (n->n_slots == 0) {
            if (in->peers[k].ordinal == 0 && !(n->flags & CV_PFAIL)) {
                if (empty0) { twin[0] = empty0; twin[1] = n; }
                empty0 = n;
            }
            continue;
        }
        if (!best || n->config_epoch > best->config_epoch) best = n;
    }
    if (!best && empty0 && (all_slots_served(in->view) || shard_holds_nothing(c, s))) {
        /* Two ids announce pod 0, and neither owns slots: one is an id that pod no longer has (the
         * id planned for it when it did not seed, learned from seeded peers; or the id of a lost
         * data dir) that no node has failed yet. Following it would leave this replica's server
         * replicating a node that never answers. Redis settles it within moments (the address
         * answers with the other id: the old one becomes noaddr) or pod 0 forgets it. */
        if (twin[1]) return NULL;
        return empty0;
    }
    twin[0] = twin[1] = NULL;
    return best;
}

static const char *pod_name_of(const ctx_t *c, const cv_node_t *n)
{
    const dec_input_t *in = c->in;
    int k = pod_of(c, n);
    if (k >= 0) return in->peers[k].name;
    if (k == -2) return "this pod";
    return n->hostname[0] ? n->hostname : n->ip;
}

/* MEET every resolved peer our node does not know at its current address, and count the peers
 * we are still waiting to hear from: a peer is settled once our node got a PONG from it in this
 * run (so the view holds its present state, not what nodes.conf remembered). Each peer gets one
 * grace period (from our first MEET to it, or from the start of the run); a peer silent past it is
 * "not up": it will MEET us when it starts. */
static int plan_meets(const ctx_t *c, dec_plan_t *plan)
{
    const dec_input_t *in = c->in;
    int pending = 0;
    for (size_t k = 0; k < in->n_peers; k++) {
        const dec_peer_t *p = &in->peers[k];
        const cv_node_t *n = c->peer_node[k];
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
            if (p->since_meet_ms < in->remeet_ms || c->peer_handshake[k]) continue;
        } else {
            pending++;
        }
        dec_action_t *a = push(plan, ACT_MEET);
        if (!a) return -1;
        a->peer = (int)k;
        a->moved = n != NULL;
        snprintf(a->reason, sizeof a->reason, "%s (%s) is %s", p->name, p->ip,
                 n ? "known at an old address" : "not known to this node");
    }
    return pending;
}

/* A ghost is a node id a pod no longer has: its PVC was wiped and it came back with a new id.
 * Any other node announcing this pod's name is a ghost of this pod (this pod is alive, so that
 * node is dead). For another pod, a failed node is a ghost only when a live node of that pod
 * exists: otherwise it is just a pod that is down. */
static int was_forgotten(const dec_input_t *in, const char *id)
{
    for (size_t i = 0; i < in->n_forgotten; i++)
        if (strcmp(in->forgotten[i], id) == 0) return 1;
    return 0;
}

static int is_ghost(const ctx_t *c, const cv_node_t *n, int k, const cv_node_t *me)
{
    if (n->flags & (CV_MYSELF | CV_HANDSHAKE)) return 0;
    if (strcmp(n->id, me->master_id) == 0) return 0; /* Redis refuses to forget a node's master */
    if (k == -2 || was_forgotten(c->in, n->id)) return 1; /* not myself, yet announcing this pod's name, or its planned id */
    if (k < 0 || !(n->flags & (CV_FAIL | CV_NOADDR))) return 0;
    return c->peer_live[k] > 0; /* n itself is failed: not counted among the live */
}

static int plan_forgets(const ctx_t *c, dec_plan_t *plan, const cv_node_t *me)
{
    const dec_input_t *in = c->in;
    size_t n_local = in->view->n, n_remote = in->remote ? in->remote->n : 0;
    for (size_t i = 0; i < n_local + n_remote; i++) {
        const cv_node_t *n = i < n_local ? &in->view->nodes[i] : &in->remote->nodes[i - n_local];
        int k = i < n_local ? c->local_pod[i] : c->remote_pod[i - n_local];
        if (!is_ghost(c, n, k, me)) continue;
        int dup = 0;
        for (size_t j = 0; j < plan->n; j++)
            dup |= plan->actions[j].kind == ACT_FORGET && strcmp(plan->actions[j].node_id, n->id) == 0;
        if (dup) continue;
        dec_action_t *a = push(plan, ACT_FORGET);
        if (!a) return -1;
        snprintf(a->node_id, sizeof a->node_id, "%s", n->id);
        if (was_forgotten(in, n->id))
            snprintf(a->reason, sizeof a->reason, "%s, forgotten earlier in this run, is back by gossip (a message "
                     "sent before a node's FORGET, or to a node that did not know the id then and so holds no ban)",
                     n->id);
        else
            snprintf(a->reason, sizeof a->reason, "%s is an old id of %s, whose data dir was lost; it has a new id now",
                     n->id, k >= 0 ? in->peers[k].name : "this pod");
    }
    return 0;
}

/* The verdict closes the plan. Returns -1 only when out of memory. */
static int verdict(dec_plan_t *plan, dec_kind_t kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int verdict(dec_plan_t *plan, dec_kind_t kind, const char *fmt, ...)
{
    dec_action_t *a = push(plan, kind);
    if (!a) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->reason, sizeof a->reason, fmt, ap);
    va_end(ap);
    return 0;
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

#define WAIT_HANDSHAKES "waiting to hear from the peers that resolve (at most the handshake grace)"

/* The rules (docs/design.md); returns -1 only when out of memory. */
static int decide(const ctx_t *c, dec_plan_t *plan)
{
    const dec_input_t *in = c->in;
    int first, last;
    topo_slot_range(in->shards, in->my_shard, &first, &last);
    char range[32];
    snprintf(range, sizeof range, "%d-%d", first, last);

    const cv_node_t *me = cv_myself(in->view);
    if (!me) {
        snprintf(plan->role, sizeof plan->role, "unknown");
        return verdict(plan, ACT_FAIL, "the local node's CLUSTER NODES has no 'myself' line");
    }
    /* Rule 12: without DNS answers this pod cannot know who is up. */
    if (in->dns_trouble) {
        snprintf(plan->role, sizeof plan->role, "unknown until DNS answers");
        return verdict(plan, ACT_WAIT, "%s", in->dns_reason ? in->dns_reason : "DNS lookups are failing");
    }

    /* A brand-new shard master fixes a distinct config epoch while it still knows nobody: the
     * masters of a fresh cluster then never collide and never run the epoch-bump dance. */
    int fresh = in->view->n == 1 && me->config_epoch == 0 && me->n_slots == 0 && !(me->flags & CV_REPLICA);
    if (fresh && in->my_ordinal == 0) {
        dec_action_t *a = push(plan, ACT_SET_EPOCH);
        if (!a) return -1;
        a->epoch = (uint64_t)in->my_shard + 1;
        snprintf(a->reason, sizeof a->reason, "fresh node: a distinct epoch per shard avoids epoch collisions");
    }

    int pending = plan_meets(c, plan);
    if (pending < 0 || plan_forgets(c, plan, me) != 0) return -1;
    const cv_node_t *twin[2];
    const cv_node_t *sm = shard_master(c, in->my_shard, twin);

    if ((me->flags & CV_MASTER) && me->n_slots > 0) {
        snprintf(plan->role, sizeof plan->role, "master of %d slots", me->n_slots);
        if (pending) return verdict(plan, ACT_WAIT, WAIT_HANDSHAKES);
        const cv_node_t *newer = newer_owner_of_mine(in, me);
        if (newer)
            return verdict(plan, ACT_WAIT, "%s took over this node's slots while it was away (newer epoch): waiting "
                           "for Redis to make this node its replica", pod_name_of(c, newer));
        return verdict(plan, ACT_DONE, "this node is already a master owning its slots; nothing to change");
    }

    if (twin[1]) {
        snprintf(plan->role, sizeof plan->role, "replica in shard %d", in->my_shard);
        return verdict(plan, ACT_WAIT, "two node ids announce %s (%.40s and %.40s), neither owning slots: one is an "
                       "id that pod no longer has; waiting for the view to settle before following either",
                       pod_name_of(c, twin[1]), twin[0]->id, twin[1]->id);
    }
    if (me->flags & CV_REPLICA) {
        const cv_node_t *cur = cv_find_id(in->view, me->master_id);
        int cur_pod = cur ? pod_of(c, cur) : -1;
        int cur_in_shard = cur_pod >= 0 && in->peers[cur_pod].shard == in->my_shard;
        snprintf(plan->role, sizeof plan->role, "replica in shard %d", in->my_shard);
        if (pending) return verdict(plan, ACT_WAIT, WAIT_HANDSHAKES);
        if (cur && cur_in_shard && (!sm || sm == cur)) {
            /* Its master restarted with a new IP and has not answered there yet: the view, and the
             * nodes.conf the main container starts from, would point replication at the old IP,
             * and Redis 7.0 does not repoint it when it learns the new one from gossip (the main
             * server's replica then never syncs). Wait for the master, at most the node timeout. */
            const dec_peer_t *mp = &in->peers[cur_pod];
            if (mp->resolved && strcmp(cur->ip, mp->ip) != 0) {
                int64_t waited = mp->since_meet_ms >= 0 ? mp->since_meet_ms : 0;
                if (waited < in->moved_master_wait_ms)
                    return verdict(plan, ACT_WAIT, "%s, this node's master, moved to %s and has not answered there "
                                   "yet: waiting for it (at most %d ms) so that replication starts at its new address",
                                   mp->name, mp->ip, in->moved_master_wait_ms);
                return verdict(plan, ACT_DONE, "this node replicates %s of its shard, which moved to %s but did not "
                               "answer there within %d ms (Redis fails it over if it stays away)",
                               mp->name, mp->ip, in->moved_master_wait_ms);
            }
            return verdict(plan, ACT_DONE, "this node already replicates %s, the master of its shard",
                           pod_name_of(c, cur));
        }
        if (sm) {
            dec_action_t *a = push(plan, ACT_REPLICATE);
            if (!a) return -1;
            snprintf(a->node_id, sizeof a->node_id, "%s", sm->id);
            snprintf(a->reason, sizeof a->reason, "this node replicates %s, which is not the master of shard %d; %s is",
                     cur ? pod_name_of(c, cur) : "an unknown node", in->my_shard, pod_name_of(c, sm));
            return verdict(plan, ACT_WAIT, "waiting for the view to confirm the new master");
        }
        if (cur && cur_in_shard)
            return verdict(plan, ACT_DONE, "this node replicates %s of its shard (down now: Redis fails over)",
                           pod_name_of(c, cur));
        return verdict(plan, ACT_WAIT, "this node replicates %s, outside its shard, and its shard's master is not "
                       "visible yet", cur ? pod_name_of(c, cur) : "an unknown node");
    }

    /* A master without slots: an empty node (new, or its PVC was wiped). */
    if (pending) {
        snprintf(plan->role, sizeof plan->role, "%s", in->my_ordinal == 0 ? "master or replica" : "replica");
        return verdict(plan, ACT_WAIT, WAIT_HANDSHAKES);
    }
    if (sm) {
        snprintf(plan->role, sizeof plan->role, "replica of %s", pod_name_of(c, sm));
        dec_action_t *a = push(plan, ACT_REPLICATE);
        if (!a) return -1;
        snprintf(a->node_id, sizeof a->node_id, "%s", sm->id);
        snprintf(a->reason, sizeof a->reason, "%s is the live master of shard %d", pod_name_of(c, sm), in->my_shard);
        return verdict(plan, ACT_WAIT, "waiting for the view to confirm replication");
    }
    if (in->my_ordinal != 0) {
        snprintf(plan->role, sizeof plan->role, "replica in shard %d", in->my_shard);
        const dec_peer_t *p0 = NULL;
        for (size_t k = 0; k < in->n_peers; k++)
            if (in->peers[k].shard == in->my_shard && in->peers[k].ordinal == 0) p0 = &in->peers[k];
        return verdict(plan, ACT_WAIT, "waiting for the master of this shard (%s) to own its slots",
                       p0 ? p0->name : "?");
    }
    /* Pod 0 with an empty node and no live master in its shard: it claims its range, unless a
     * node owns slots of it. Slots owned only by this pod's own old id (its PVC was lost and no
     * replica took over) are orphans: their data is gone; it forgets that id and takes them back. */
    snprintf(plan->role, sizeof plan->role, "master of slots %s", range);
    int orphans = 0;
    size_t n_local = in->view->n, n_remote = in->remote ? in->remote->n : 0;
    /* A new shard of a formed cluster (scaled out): every slot, this shard's range too, is served
     * by live masters of the other shards. It joins as a master without slots; `rebalance` moves
     * its share to it, keys and all. Claiming would take slots, and their keys, from a live owner. */
    if (all_slots_served(in->view)) {
        int others_only = 1;
        for (size_t i = 0; i < n_local; i++) {
            const cv_node_t *n = &in->view->nodes[i];
            if ((n->flags & CV_MYSELF) || !cv_owns_any(n, first, last)) continue;
            int k = c->local_pod[i];
            if (k < 0 || in->peers[k].shard == in->my_shard) others_only = 0;
        }
        if (others_only) {
            snprintf(plan->role, sizeof plan->role, "master without slots (a new shard)");
            return verdict(plan, ACT_DONE, "every slot is served by the other shards' masters: this new shard's master "
                           "joins empty; 'redis-cluster-init rebalance' moves its share of slots to it");
        }
    }
    for (size_t i = 0; i < n_local + n_remote; i++) {
        const cv_node_t *n = i < n_local ? &in->view->nodes[i] : &in->remote->nodes[i - n_local];
        if ((n->flags & CV_MYSELF) || !cv_owns_any(n, first, last)) continue;
        if ((i < n_local ? c->local_pod[i] : c->remote_pod[i - n_local]) == -2) { orphans++; continue; }
        /* Seen only by peers: our view may not have settled yet; in ours: a real conflict. */
        return verdict(plan, i < n_local ? ACT_FAIL : ACT_WAIT,
                       "slots of this shard's range %s are owned by %s (%s, %s); refusing to claim them", range,
                       pod_name_of(c, n), n->id, (n->flags & CV_FAIL) ? "failed" : "alive");
    }
    dec_action_t *a = push(plan, ACT_ADD_SLOTS);
    if (!a) return -1;
    a->first = first;
    a->last = last;
    if (orphans) {
        a->data_lost = 1;
        snprintf(a->reason, sizeof a->reason, "slots %s were owned only by this pod's lost node id, with no replica: "
                 "claiming them EMPTY; the keys they held are lost", range);
        dec_action_t *b = push(plan, ACT_BUMP_EPOCH);
        if (!b) return -1;
        snprintf(b->reason, sizeof b->reason, "a newer epoch makes every node accept the new owner of slots %s", range);
    } else {
        snprintf(a->reason, sizeof a->reason, "no node owns slots %s: this shard's master claims its range", range);
    }
    return verdict(plan, ACT_WAIT, "waiting for the view to confirm the slots");
}

int dec_decide(const dec_input_t *in, dec_plan_t *plan)
{
    memset(plan, 0, sizeof *plan);
    ctx_t c;
    if (ctx_build(&c, in) != 0) return -1;
    int rc = decide(&c, plan);
    ctx_free(&c);
    if (rc != 0) dec_plan_free(plan);
    return rc;
}

int dec_takes_role(const dec_plan_t *plan)
{
    const dec_action_t *v = dec_verdict(plan);
    if (v && v->kind == ACT_DONE) return 1;
    for (size_t i = 0; i < plan->n; i++)
        if (plan->actions[i].kind == ACT_ADD_SLOTS || plan->actions[i].kind == ACT_REPLICATE) return 1;
    return 0;
}

void dec_plan_summary(const dec_input_t *in, const dec_plan_t *plan, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < plan->n && off < len; i++) {
        const dec_action_t *a = &plan->actions[i];
        int w = snprintf(buf + off, len - off, "%s%s", i ? "; " : "", dec_kind_name(a->kind));
        if (w > 0) off += (size_t)w;
        if (off >= len) break;
        w = 0;
        if (a->kind == ACT_MEET && a->peer >= 0 && (size_t)a->peer < in->n_peers)
            w = snprintf(buf + off, len - off, " %s %s", in->peers[a->peer].name, in->peers[a->peer].ip);
        else if (a->kind == ACT_ADD_SLOTS) w = snprintf(buf + off, len - off, " %d-%d", a->first, a->last);
        else if (a->kind == ACT_REPLICATE || a->kind == ACT_FORGET) w = snprintf(buf + off, len - off, " %s", a->node_id);
        else if (a->kind == ACT_SET_EPOCH) w = snprintf(buf + off, len - off, " %llu", (unsigned long long)a->epoch);
        if (w > 0) off += (size_t)w;
    }
}
