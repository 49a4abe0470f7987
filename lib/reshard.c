#include "reshard.h"

#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "clock.h"
#include "cview.h"
#include "identity.h"
#include "log.h"
#include "migrate.h"
#include "status.h"

/* MIGRATE of one batch may take a while on a loaded server; our read waits a little longer. */
#define RS_MIGRATE_TIMEOUT_MS 10000
/* Slots moved together: one pipeline per node and step (lib/migrate.c). A kill leaves at most
 * this many slots half-moved; the next run finishes them. */
#define RS_BATCH 32

typedef struct {
    cv_view_t view;          /* from the local node */
    bal_master_t *masters;   /* the view's masters, in view order */
    const cv_node_t **mnode; /* the view's node of each master */
    rc_conn_t *conn;         /* one connection per master */
    size_t n;
    int owner[BAL_SLOTS];
} rs_state_t;

static void state_free(rs_state_t *st)
{
    for (size_t i = 0; i < st->n; i++) rc_close(&st->conn[i]);
    free(st->conn);
    free(st->masters);
    free(st->mnode);
    cv_free(&st->view);
    memset(st, 0, sizeof *st);
}

/* The pod a node announces (hostname: the pod's FQDN or name) -> its shard and ordinal. */
static int pod_of(const cfg_t *cfg, const cv_node_t *n, int *shard, int *ordinal)
{
    char pod[256];
    size_t k = strcspn(n->hostname, ".");
    *shard = *ordinal = -1;
    if (k == 0 || k >= sizeof pod) return -1;
    memcpy(pod, n->hostname, k);
    pod[k] = '\0';
    char e[128];
    return ident_parse_pod_name(cfg->name, pod, shard, ordinal, e, sizeof e);
}

static int shard_of(const cfg_t *cfg, const cv_node_t *n)
{
    int shard, ord;
    return pod_of(cfg, n, &shard, &ord) == 0 ? shard : -1;
}

/* A node of a pod the config no longer has (a removed shard, or a replica ordinal above the
 * replica count) that owns no slots: nothing to move from it. */
static int outside(const cfg_t *cfg, const cv_node_t *n)
{
    int shard, ord;
    if (pod_of(cfg, n, &shard, &ord) != 0) return 0;
    return (shard >= cfg->shards || ord > cfg->replicas) && n->n_slots == 0;
}

/* ... and is down: its pod was deleted after scaling in. */
static int retired(const cfg_t *cfg, const cv_node_t *n)
{
    return outside(cfg, n) && cv_is_down(n);
}

/* Read the cluster from the local node, connect to every master, refuse a cluster that is not
 * whole (a master failing or unreachable). */
static int observe(const cfg_t *cfg, const rc_auth_t *auth, rs_state_t *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    rc_conn_t local = { 0 };
    if (rc_connect_tcp(&local, "127.0.0.1", cfg->port, auth, cfg->connect_timeout_ms, err, errlen) != 0) return -1;
    int rc = rc_cluster_nodes(&local, &st->view, err, errlen);
    rc_close(&local);
    if (rc != 0) return -1;
    st->masters = calloc(st->view.n ? st->view.n : 1, sizeof *st->masters);
    st->mnode = calloc(st->view.n ? st->view.n : 1, sizeof *st->mnode);
    st->conn = calloc(st->view.n ? st->view.n : 1, sizeof *st->conn);
    if (!st->masters || !st->mnode || !st->conn) { snprintf(err, errlen, "out of memory"); return -1; }
    for (int s = 0; s < BAL_SLOTS; s++) st->owner[s] = -1;
    for (size_t i = 0; i < st->view.n; i++) {
        const cv_node_t *n = &st->view.nodes[i];
        if (!(n->flags & CV_MASTER) || outside(cfg, n)) continue;
        if (cv_is_down(n)) {
            snprintf(err, errlen, "master %.12s (%s) is failing or unreachable: the cluster must be whole to move slots",
                     n->id, n->hostname[0] ? n->hostname : n->ip);
            return -1;
        }
        size_t m = st->n++;
        memcpy(st->masters[m].id, n->id, sizeof st->masters[m].id);
        st->masters[m].shard = shard_of(cfg, n);
        st->mnode[m] = n;
        for (size_t r = 0; r < n->n_ranges; r++)
            for (int s = n->ranges[r].first; s <= n->ranges[r].last; s++) st->owner[s] = (int)m;
        if (rc_connect_tcp(&st->conn[m], n->ip, n->port, auth, cfg->connect_timeout_ms, err, errlen) != 0) return -1;
        /* A master that just started answers CLUSTERDOWN for its first seconds (Redis's writable
         * delay): a MIGRATE into it would fail half-way through a slot. */
        char state[32];
        if (rc_cluster_state(&st->conn[m], state, sizeof state, err, errlen) != 0) return -1;
        if (strcmp(state, "ok") != 0) {
            snprintf(err, errlen, "master %s reports cluster_state:%s (starting?): waiting for it", n->hostname[0] ? n->hostname : n->ip, state);
            return -1;
        }
        st->conn[m].timeout_ms = RS_MIGRATE_TIMEOUT_MS + cfg->connect_timeout_ms;
    }
    return 0;
}

/* What a master announces (its pod's FQDN), else its address: for messages. */
static const char *label(const rs_state_t *st, size_t m)
{
    const cv_node_t *n = st->mnode[m];
    return n->hostname[0] ? n->hostname : n->ip;
}

static mig_node_t mig_node(rs_state_t *st, size_t m)
{
    return (mig_node_t){ st->mnode[m]->id, st->mnode[m]->ip, st->mnode[m]->port, &st->conn[m] };
}

static int find_master(const rs_state_t *st, const char *id)
{
    for (size_t m = 0; m < st->n; m++)
        if (strcmp(st->masters[m].id, id) == 0) return (int)m;
    return -1;
}

/* Every master's own view gives each slot the owner the local view gives it (by node id). */
static int views_agree(rs_state_t *st, char *why, size_t whylen)
{
    for (size_t m = 0; m < st->n; m++) {
        cv_view_t v;
        if (rc_cluster_nodes(&st->conn[m], &v, why, whylen) != 0) return 0;
        int same = 1;
        for (size_t i = 0; i < v.n && same; i++) {
            const cv_node_t *n = &v.nodes[i];
            if (!(n->flags & CV_MASTER)) continue;
            for (size_t r = 0; r < n->n_ranges && same; r++)
                for (int s = n->ranges[r].first; s <= n->ranges[r].last; s++) {
                    int o = st->owner[s];
                    if (o < 0 || strcmp(st->masters[o].id, n->id) != 0) {
                        snprintf(why, whylen, "%s sees slot %d at %.12s, the local node elsewhere: the slot map is "
                                 "still settling", label(st, m), s, n->id);
                        same = 0;
                        break;
                    }
                }
        }
        cv_free(&v);
        if (!same) return 0;
    }
    return 1;
}

/* Move slots [first, first + n) from master a to master b in one batch (mig_move_slots). */
static int move_batch(rs_state_t *st, int first, int n, size_t a, size_t b, const mig_opts_t *mo, long *keys,
                      char *err, size_t errlen)
{
    int slots[MIG_MAX_SLOTS];
    for (int i = 0; i < n; i++) slots[i] = first + i;
    mig_node_t src = mig_node(st, a), dst = mig_node(st, b);
    mig_node_t *others = malloc((st->n ? st->n : 1) * sizeof *others);
    if (!others) { snprintf(err, errlen, "out of memory"); return -1; }
    size_t no = 0;
    for (size_t m = 0; m < st->n; m++) if (m != a && m != b) others[no++] = mig_node(st, m);
    int rc = mig_move_slots(slots, n, &src, &dst, others, no, mo, keys, err, errlen);
    free(others);
    if (rc == 0) for (int i = 0; i < n; i++) st->owner[first + i] = (int)b;
    return rc;
}

/* A slot some master shows importing or migrating: a move that was cut short. It is finished
 * towards the importing side (the target the mover had chosen); the plan then starts from there. */
static int finish_open(rs_state_t *st, const mig_opts_t *mo, int only_to, FILE *out, int *finished, char *err,
                       size_t errlen)
{
    *finished = 0;
    for (size_t m = 0; m < st->n; m++) {
        cv_view_t own;
        if (rc_cluster_nodes(&st->conn[m], &own, err, errlen) != 0) return -1;
        const cv_node_t *me = cv_myself(&own);
        for (size_t k = 0; me && k < me->n_open; k++) {
            const cv_open_t *op = &me->open[k];
            int peer = find_master(st, op->peer);
            int dst = op->importing ? (int)m : peer;
            int src = st->owner[op->slot];
            if (dst < 0 || src < 0) {
                snprintf(err, errlen, "slot %d is half-moved between %.12s and %.12s, and one of them is not a live "
                         "master: fix it by hand (redis-cli --cluster fix)", op->slot, st->masters[m].id, op->peer);
                cv_free(&own);
                return -1;
            }
            if (only_to >= 0 && dst != only_to) continue; /* its receiver finishes it */
            long keys = 0;
            fprintf(out, "finishing the move of slot %d to %s, left half-done (a mover was stopped)\n", op->slot,
                    label(st, (size_t)dst));
            if (src == dst) { /* the target owns it already: only the marker is left */
                mig_node_t d = mig_node(st, (size_t)dst), n = mig_node(st, m);
                if (mig_set_owner(&d, op->slot, &d, err, errlen) != 0 || mig_set_owner(&n, op->slot, &d, err, errlen) != 0) {
                    cv_free(&own);
                    return -1;
                }
            } else if (move_batch(st, op->slot, 1, (size_t)src, (size_t)dst, mo, &keys, err, errlen) != 0) {
                cv_free(&own);
                return -1;
            }
            (*finished)++;
        }
        cv_free(&own);
    }
    return 0;
}

/* CLUSTER FORGET the retired nodes on every live node. Each node bans a forgotten id for 60 s,
 * so all must forget within that time or gossip brings the id back: one pass, nodes in a row. */
static int forget_retired(const cfg_t *cfg, const rc_auth_t *auth, const rs_state_t *st, int dry_run, FILE *out,
                          size_t *forgotten, char *err, size_t errlen)
{
    *forgotten = 0;
    const cv_view_t *v = &st->view;
    size_t n_gone = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (outside(cfg, &v->nodes[i]) && !cv_is_down(&v->nodes[i]))
            fprintf(out, "%s (%.12s) is no longer in the config and holds no slots, but still answers: delete its pod "
                    "(StatefulSet), then run rebalance again to forget it\n", v->nodes[i].hostname, v->nodes[i].id);
        if (!retired(cfg, &v->nodes[i])) continue;
        n_gone++;
        fprintf(out, "%s %s (%.12s): its pod is gone and the config no longer has it\n",
                dry_run ? "would forget" : "forgetting", v->nodes[i].hostname, v->nodes[i].id);
    }
    if (n_gone == 0 || dry_run) return 0;
    *forgotten = n_gone;
    for (size_t j = 0; j < v->n; j++) {
        const cv_node_t *live = &v->nodes[j];
        if (cv_is_down(live) || outside(cfg, live)) continue;
        rc_conn_t c = { 0 };
        if (rc_connect_tcp(&c, live->ip, live->port, auth, cfg->connect_timeout_ms, err, errlen) != 0) return -1;
        for (size_t i = 0; i < v->n; i++) {
            if (!retired(cfg, &v->nodes[i])) continue;
            const char *argv[] = { "CLUSTER", "FORGET", v->nodes[i].id };
            redisReply *r = NULL;
            if (rc_command_any(&c, &r, err, errlen, 3, argv) != 0) { rc_close(&c); return -1; }
            /* "Unknown node": it forgot already (a previous pass, or it never knew the node). */
            if (r->type == REDIS_REPLY_ERROR && !strstr(r->str, "Unknown node")) {
                snprintf(err, errlen, "%s: CLUSTER FORGET %.12s: %s", c.where, v->nodes[i].id, r->str);
                freeReplyObject(r);
                rc_close(&c);
                return -1;
            }
            freeReplyObject(r);
        }
        rc_close(&c);
    }
    return 0;
}

/* Every live master of a shard the config no longer has that holds no slots now, said on every
 * call: one that was emptied before this call (not among st->masters: nothing to move from it) as
 * well as one this call's own moves emptied. So whichever sidecar moved the last slot, every later
 * round of every sidecar says it. */
static void report_emptied(const cfg_t *cfg, const rs_state_t *st, FILE *out)
{
    for (size_t i = 0; i < st->view.n; i++) {
        const cv_node_t *n = &st->view.nodes[i];
        int shard = shard_of(cfg, n);
        if (!(n->flags & CV_MASTER) || shard < cfg->shards || cv_is_down(n)) continue;
        int m = find_master(st, n->id), held = 0;
        if (m >= 0)
            for (int s = 0; s < BAL_SLOTS; s++) held += st->owner[s] == m;
        if (held == 0)
            fprintf(out, "shard %d (%s) holds no slots now: its StatefulSet may be deleted\n", shard,
                    n->hostname[0] ? n->hostname : n->ip);
    }
}

/* The local node's index among the masters; -1 when it is not a master. */
static int local_master(const rs_state_t *st)
{
    const cv_node_t *me = cv_myself(&st->view);
    return me ? find_master(st, me->id) : -1;
}

int rs_rebalance(const cfg_t *cfg, const rc_auth_t *auth, const rs_opts_t *o, FILE *out, int *acted)
{
    char err[RCI_ERR_LEN];
    int dummy;
    if (!acted) acted = &dummy;
    *acted = 0;
    int64_t start = clock_now_ms(), deadline = start + (int64_t)cfg->deadline_s * 1000;
    rs_state_t st;
    mig_opts_t mo = { auth, o->batch > 0 ? o->batch : 100, RS_MIGRATE_TIMEOUT_MS };
    int status = RCI_ERR_RUNTIME;
    if (observe(cfg, auth, &st, err, sizeof err) != 0) {
        fprintf(out, "cannot rebalance: %s\n", err);
        goto out;
    }
    fprintf(out, "cluster: %zu masters; config: %d shards\n", st.n, cfg->shards);
    int me = local_master(&st), only_to = -1;
    if (o->local_only) {
        if (me < 0) { fprintf(out, "this node is not a master: nothing to receive\n"); status = RCI_OK; goto out; }
        if (!views_agree(&st, err, sizeof err)) { fprintf(out, "waiting: %s\n", err); goto out; }
        only_to = me;
    }
    /* One forgetter: the manual command, or the sidecar of shard 0's master. */
    int forgetter = !o->local_only || st.masters[me].shard == 0;
    size_t forgotten = 0;
    if (forgetter && forget_retired(cfg, auth, &st, o->dry_run, out, &forgotten, err, sizeof err) != 0) {
        fprintf(out, "cannot forget the removed pods' nodes: %s\n", err);
        goto out;
    }
    if (forgotten) *acted = 1;
    if (!o->dry_run) {
        int finished;
        if (finish_open(&st, &mo, only_to, out, &finished, err, sizeof err) != 0) {
            fprintf(out, "cannot finish a half-done move: %s\n", err);
            goto out;
        }
        if (finished) *acted = 1;
    }
    bal_plan_t plan;
    if (bal_plan(st.masters, st.n, st.owner, cfg->shards, &plan, err, sizeof err) != 0) {
        fprintf(out, "cannot plan: %s\n", err);
        goto out;
    }
    if (plan.n == 0) fprintf(out, "balanced: every shard's master holds its share; nothing to move\n");
    else fprintf(out, "plan: move %d slots in %zu ranges (the receiving master is each range's one actor)\n",
                 plan.slots_moved, plan.n);
    for (size_t k = 0; k < plan.n; k++) {
        const bal_move_t *mv = &plan.moves[k];
        if (only_to >= 0 && mv->to != only_to) continue;
        fprintf(out, "  move %d-%d (%d slots) from %s to %s\n", mv->first, mv->last, mv->last - mv->first + 1,
                label(&st, (size_t)mv->from), label(&st, (size_t)mv->to));
    }
    if (o->dry_run) { status = RCI_OK; bal_plan_free(&plan); goto out; }
    long total_keys = 0;
    int done = 0;
    for (size_t k = 0; k < plan.n; k++) {
        const bal_move_t *mv = &plan.moves[k];
        if (only_to >= 0 && mv->to != only_to) continue; /* another master receives it: its move */
        for (int s = mv->first; s <= mv->last; s += RS_BATCH) {
            if (o->interrupted && *o->interrupted) { fprintf(out, "interrupted after %d slots; run again to go on\n", done); status = RCI_ERR_SIGNAL; goto plan_out; }
            if (clock_left_ms(deadline) == 0) { fprintf(out, "deadline reached after %d of %d slots; run again to go on\n", done, plan.slots_moved); status = RCI_ERR_TIMEOUT; goto plan_out; }
            long keys = 0;
            int n = mv->last - s + 1 < RS_BATCH ? mv->last - s + 1 : RS_BATCH;
            if (move_batch(&st, s, n, (size_t)mv->from, (size_t)mv->to, &mo, &keys, err, sizeof err) != 0) {
                fprintf(out, "moving slots %d-%d from %s to %s failed: %s\n", s, s + n - 1, label(&st, (size_t)mv->from),
                        label(&st, (size_t)mv->to), err);
                goto plan_out;
            }
            total_keys += keys;
            done += n;
            *acted = 1;
        }
        LOG_I("moved slots %d-%d to %s", mv->first, mv->last, label(&st, (size_t)mv->to));
    }
    double secs = (double)(clock_now_ms() - start) / 1000.0;
    if (done || !o->local_only) fprintf(out, "done: %d slots and %ld keys moved in %.1f s\n", done, total_keys, secs);
    report_emptied(cfg, &st, out);
    status = RCI_OK;
plan_out:
    bal_plan_free(&plan);
out:
    state_free(&st);
    return status;
}

/* Sleep up to ms, waking every 100 ms to see the stop flag. */
static void nap(int64_t ms, const volatile sig_atomic_t *interrupted)
{
    int64_t end = clock_now_ms() + ms;
    while (!(interrupted && *interrupted) && clock_left_ms(end) > 0) clock_sleep_ms(100, end);
}

int rs_sidecar(rs_reload_fn reload, void *ctx, const rc_auth_t *auth, int interval_s,
               const volatile sig_atomic_t *interrupted)
{
    char last[RCI_ERR_LEN] = "";
    LOG_I("sidecar: reconciling every %d s (slots to this node's share when the config's shards change; "
          "removed pods forgotten)", interval_s);
    while (!(interrupted && *interrupted)) {
        cfg_t cfg;
        if (reload(ctx, &cfg) != 0) {
            LOG_W("sidecar: the config does not load (the message above); keeping on with the next try");
        } else {
            char *text = NULL;
            size_t len = 0;
            FILE *mem = open_memstream(&text, &len);
            if (!mem) { LOG_E("sidecar: open_memstream: out of memory"); return RCI_ERR_RUNTIME; }
            rs_opts_t o = { 0, 100, interrupted, 1 };
            int acted = 0;
            int rc = rs_rebalance(&cfg, auth, &o, mem, &acted);
            fclose(mem);
            /* The state line: the last line of the report. Logged when it changes or work was done. */
            const char *state = text ? text : "";
            size_t sl = len;
            while (sl > 0 && state[sl - 1] == '\n') sl--;
            size_t b = sl;
            while (b > 0 && state[b - 1] != '\n') b--;
            const char *line = state + b;
            int n = (int)(sl - (size_t)(line - state));
            if (acted) {
                for (char *p = text, *q; p && *p; p = q ? q + 1 : NULL) {
                    q = strchr(p, '\n');
                    if (q) *q = '\0';
                    if (*p) LOG_I("sidecar: %s", p);
                    if (!q) break;
                }
            } else if ((size_t)n < sizeof last && (strncmp(last, line, (size_t)n) != 0 || last[n] != '\0')) {
                if (rc == RCI_OK) LOG_I("sidecar: %.*s", n, line);
                else LOG_W("sidecar: %.*s", n, line);
            }
            if ((size_t)n < sizeof last) { memcpy(last, line, (size_t)n); last[n] = '\0'; }
            free(text);
        }
        nap((int64_t)interval_s * 1000, interrupted);
    }
    LOG_I("sidecar: stopping (signal)");
    return RCI_OK;
}
