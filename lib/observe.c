#include "observe.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fanout.h"
#include "log.h"

void obs_input(const obs_t *o, dec_input_t *in)
{
    memset(in, 0, sizeof *in);
    in->shards = o->cfg->shards;
    in->replicas = o->cfg->replicas;
    in->my_shard = o->peers->me.shard;
    in->my_ordinal = o->peers->me.ordinal;
    in->my_fqdn = o->peers->me.fqdn;
    in->view = &o->local;
    in->remote = o->peers_read && o->remote.n ? &o->remote : NULL;
    in->peers = o->peers->peers;
    in->n_peers = o->peers->n;
    in->handshake_grace_ms = o->cfg->handshake_grace_ms;
    in->remeet_ms = 1000;
    in->run_start_unix_ms = o->heard_since_unix_ms;
    in->elapsed_ms = o->elapsed_ms;
    in->dns_trouble = o->dns_trouble > 0;
    in->dns_reason = o->dns_reason;
}

int obs_read_peers(obs_t *o, char *err, size_t errlen)
{
    if (o->peers_read) return 0;
    peers_t *p = o->peers;
    fan_target_t *t = calloc(p->n ? p->n : 1, sizeof *t);
    size_t *of = calloc(p->n ? p->n : 1, sizeof *of);
    o->answered = calloc(p->n ? p->n : 1, sizeof *o->answered);
    if (!t || !of || !o->answered) {
        free(t); free(of);
        snprintf(err, errlen, "out of memory reading the peers' views");
        return -1;
    }
    size_t m = 0;
    for (size_t k = 0; k < p->n; k++) {
        if (!p->peers[k].resolved) continue;
        t[m].ip = p->peers[k].ip;
        t[m].port = o->cfg->port;
        of[m++] = k;
    }
    const char *argv[] = { "CLUSTER", "NODES" };
    /* A peer without a client port (initializing, or down) must not hold the round: one short
     * deadline for all of them. */
    int64_t dl = clock_now_ms() + peers_round_ms(o->cfg);
    if (dl > o->deadline) dl = o->deadline;
    fan_command(t, m, o->auth, 2, argv, dl, o->interrupted);
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
             * which names the pod. */
            const cv_node_t *mine = cv_find_id(&o->local, n->id);
            if ((mine && mine->hostname[0]) || cv_find_id(&o->remote, n->id)) continue;
            if (cv_add_copy(&o->remote, n, CV_MYSELF) != 0) break;
        }
        cv_free(&pv);
    }
    if (refused) LOG_W("cannot read the views of %d peer(s): %s", refused, refusal);
    fan_free(t, m);
    free(t);
    free(of);
    o->peers_read = 1;
    LOG_D("the peers' views hold %zu nodes this node's view does not", o->remote.n);
    return 0;
}

int obs_decide(obs_t *o, dec_plan_t *plan, char *err, size_t errlen)
{
    dec_input_t in;
    int had_peers = o->peers_read;
    /* The decision that run takes uses the peers' views only when it is about to take or confirm a
     * role; a plan that read them already for display must decide the same way. */
    o->peers_read = 0;
    obs_input(o, &in);
    o->peers_read = had_peers;
    if (dec_decide(&in, plan) != 0) goto oom;
    if (!dec_takes_role(plan)) return 0;
    if (obs_read_peers(o, err, errlen) != 0) return -1;
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
    cv_free(&o->selves);
    free(o->answered);
    o->answered = NULL;
    o->peers_read = 0;
}
