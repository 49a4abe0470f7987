#include "observe.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

/* The input; the peers' views only with use_remote (run reads them only before a role). */
static void fill_input(const obs_t *o, dec_input_t *in, int use_remote)
{
    memset(in, 0, sizeof *in);
    in->shards = o->cfg->shards;
    in->replicas = o->cfg->replicas;
    in->my_shard = o->peers->me.shard;
    in->my_ordinal = o->peers->me.ordinal;
    in->my_fqdn = o->peers->me.fqdn;
    in->view = &o->local;
    in->remote = use_remote && o->peers_read && o->remote.n ? &o->remote : NULL;
    in->peers = o->peers->peers;
    in->n_peers = o->peers->n;
    in->handshake_grace_ms = o->cfg->handshake_grace_ms;
    in->remeet_ms = 1000;
    /* After the node timeout Redis fails a master over that stays away: no reason to wait longer. */
    in->moved_master_wait_ms = o->cfg->node_timeout_ms;
    in->run_start_unix_ms = o->heard_since_unix_ms;
    in->elapsed_ms = o->elapsed_ms;
    in->forgotten = o->forgotten;
    in->n_forgotten = o->n_forgotten;
    in->dns_trouble = o->dns_trouble > 0;
    in->dns_reason = o->dns_reason;
}

void obs_input(const obs_t *o, dec_input_t *in)
{
    fill_input(o, in, 1);
}

/* remote = the nodes of seen that the local view does not hold (by id, or known locally without a
 * name, as gossip brings dead nodes): rebuilt against the current local view when seen is reused. */
static int build_remote(obs_t *o)
{
    cv_free(&o->remote);
    for (size_t j = 0; j < o->seen.n; j++) {
        const cv_node_t *n = &o->seen.nodes[j];
        const cv_node_t *mine = cv_find_id(&o->local, n->id);
        if (mine && mine->hostname[0]) continue;
        if (cv_add_copy(&o->remote, n, CV_MYSELF) != 0) return -1;
    }
    return 0;
}

static int fetch_peers(obs_t *o, char *err, size_t errlen)
{
    peers_t *p = o->peers;
    o->answered = calloc(p->n ? p->n : 1, sizeof *o->answered);
    if (!o->answered) {
        snprintf(err, errlen, "out of memory reading the peers' views");
        return -1;
    }
    fan_target_t *t;
    size_t *of;
    const char *argv[] = { "CLUSTER", "NODES" };
    int fm = peers_fan(p, o->cfg, o->auth, 2, argv, o->deadline, o->interrupted, &t, &of, err, errlen);
    if (fm < 0) return -1;
    size_t m = (size_t)fm;
    int refused = 0;
    const char *refusal = NULL;
    for (size_t i = 0; i < m; i++) {
        size_t k = of[i];
        char why[RCI_ERR_LEN];
        cv_view_t pv;
        if (t[i].result == RC_AUTH_FAILED || t[i].result == RC_TLS_FAILED) {
            /* A misconfiguration a person must see (one line for all such peers). */
            o->answered[k] = -2;
            if (!refused++) refusal = t[i].err;
            continue;
        }
        if (t[i].result != 0) {
            LOG_D("cannot read the view of %s: %s", p->peers[k].name, t[i].err);
            continue;
        }
        if (rc_parse_cluster_nodes(t[i].reply, t[i].err, &pv, why, sizeof why) != 0) {
            LOG_D("the view of %s: %s", p->peers[k].name, why);
            continue;
        }
        o->answered[k] = 1;
        for (size_t j = 0; j < pv.n; j++) {
            const cv_node_t *n = &pv.nodes[j];
            if ((n->flags & CV_MYSELF) && !cv_find_id(&o->selves, n->id) &&
                cv_add_copy(&o->selves, n, CV_MYSELF) != 0) break;
            /* A node learned from gossip has no hostname in our view: keep the peer's copy,
             * which names the pod. A node the local view names is left out: it stays there (the
             * local view loses a node only by FORGET, after which run reads the peers anew). */
            const cv_node_t *mine = cv_find_id(&o->local, n->id);
            if ((mine && mine->hostname[0]) || cv_find_id(&o->seen, n->id)) continue;
            if (cv_add_copy(&o->seen, n, CV_MYSELF) != 0) break;
        }
        cv_free(&pv);
    }
    if (refused) LOG_W("cannot read the views of %d peer(s): %s", refused, refusal);
    peers_fan_free(t, of, m);
    return 0;
}

int obs_read_peers(obs_t *o, int fresh, char *err, size_t errlen)
{
    if (o->peers_read) return 0;
    int64_t now = clock_now_ms();
    if (!fresh && o->reuse && now - o->reuse_at <= OBS_REUSE_MS) {
        for (size_t j = 0; j < o->reuse->n; j++)
            if (cv_add_copy(&o->seen, &o->reuse->nodes[j], CV_MYSELF) != 0) goto oom;
        o->read_at = o->reuse_at;
        LOG_D("reusing the peers' views read %lld ms ago", (long long)(now - o->reuse_at));
    } else {
        if (fetch_peers(o, err, errlen) != 0) return -1;
        o->peers_fresh = 1;
        o->read_at = now;
    }
    if (build_remote(o) != 0) goto oom;
    o->peers_read = 1;
    LOG_D("the peers' views hold %zu nodes this node's view does not", o->remote.n);
    return 0;
oom:
    snprintf(err, errlen, "out of memory reading the peers' views");
    return -1;
}

int obs_decide(obs_t *o, dec_plan_t *plan, char *err, size_t errlen)
{
    dec_input_t in;
    /* The decision that run takes uses the peers' views only when it is about to take or confirm a
     * role; a plan that read them already for display must decide the same way. */
    fill_input(o, &in, 0);
    if (dec_decide(&in, plan) != 0) goto oom;
    if (!dec_takes_role(plan)) return 0;
    /* A DONE verdict reads them anew: the last check before the pod keeps its role. */
    const dec_action_t *v = dec_verdict(plan);
    if (obs_read_peers(o, v && v->kind == ACT_DONE, err, errlen) != 0) return -1;
    if (o->remote.n == 0) return 0;
    dec_plan_free(plan);
    obs_input(o, &in);
    if (dec_decide(&in, plan) != 0) goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory while deciding");
    return -1;
}

void obs_free(obs_t *o)
{
    cv_free(&o->local);
    cv_free(&o->remote);
    cv_free(&o->seen);
    cv_free(&o->selves);
    free(o->answered);
    o->answered = NULL;
    o->peers_read = 0;
}
