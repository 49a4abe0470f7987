#include "inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cview.h"
#include "decide.h"
#include "fileio.h"
#include "log.h"
#include "observe.h"
#include "peers.h"
#include "rclient.h"
#include "seedrun.h"
#include "server.h"
#include "status.h"

/* A fresh node's view, as the server would show it before anything happens. */
static const char FRESH_VIEW[] =
    "0000000000000000000000000000000000000000 :0@0 myself,master - 0 0 0 connected\n";

/* Connect to the local node: the init container's temporary server (its unix socket) while an
 * init runs, else the live main-container server on 127.0.0.1. The socket first: a fresh
 * replica's temporary server also answers on the client port, and must not be taken for the main
 * container's. Returns 0 (source says which), RC_AUTH_FAILED, RC_TLS_FAILED or -1, with err. */
static int connect_local(const cfg_t *cfg, const rc_auth_t *auth, rc_conn_t *rc, const char **source, char *err,
                         size_t errlen)
{
    srv_t srv;
    srv_paths(cfg, &srv);
    char unix_err[RCI_ERR_LEN];
    *source = "the init container's temporary server";
    int c = rc_connect_unix(rc, srv.sock, auth, cfg->connect_timeout_ms, unix_err, sizeof unix_err);
    if (c != -1) {
        if (c != 0) snprintf(err, errlen, "%s", unix_err);
        return c;
    }
    char tcp_err[RCI_ERR_LEN];
    *source = auth->tls ? "the running redis-server on 127.0.0.1 (TLS)" : "the running redis-server on 127.0.0.1";
    c = rc_connect_tcp(rc, "127.0.0.1", cfg->port, auth, cfg->connect_timeout_ms, tcp_err, sizeof tcp_err);
    /* Both reasons: a TLS failure on the client port must not hide behind "no such socket". */
    if (c != 0) snprintf(err, errlen, "%.240s; %.240s", tcp_err, unix_err);
    return c;
}

/* What run does to nodes.conf before its temporary server loads it (runner.c, readdress_first):
 * the peers it has at an old address, written at the one DNS gives. */
typedef struct {
    int n;              /* peers rewritten; 0: none */
    char what[1024];    /* "redis-shard5-0 198.18.0.20 -> 198.18.0.120, ..." */
} readdress_t;

/* Where the local node can be read: a server (connect_local), or nodes.conf on disk, as run's
 * first round would see it (with the peers' addresses rewritten first: *ra says which). Returns a
 * description of the source, or NULL with err. */
static const char *local_view(const cfg_t *cfg, const rc_auth_t *auth, const peers_t *peers, cv_view_t *view,
                              int *live, readdress_t *ra, char *err, size_t errlen)
{
    rc_conn_t rc = { 0 };
    char e[RCI_ERR_LEN];
    const char *source;
    *live = 0;
    int c = connect_local(cfg, auth, &rc, &source, e, sizeof e);
    if (c == RC_AUTH_FAILED || c == RC_TLS_FAILED) { snprintf(err, errlen, "%s", e); return NULL; }
    if (c == 0) {
        *live = 1;
        int ok = rc_cluster_nodes(&rc, view, err, errlen) == 0;
        rc_close(&rc);
        return ok ? source : NULL;
    }
    char path[CFG_PATH + 16];
    srv_nodes_conf_path(cfg, path, sizeof path);
    char *buf;
    size_t n;
    if (fio_read_all(path, SRV_NODES_CONF_MAX, &buf, &n, err, errlen) != 0) {
        if (errno != ENOENT) return NULL;
        cv_parse(FRESH_VIEW, sizeof FRESH_VIEW - 1, view, err, errlen);
        return "nothing (no server answers, no nodes.conf): a new node";
    }
    char why[RCI_ERR_LEN], *moved = NULL;
    ra->n = peers_readdress(peers, buf, &moved, ra->what, sizeof ra->what, why, sizeof why);
    if (ra->n < 0) LOG_W("%s: %s; run would leave the peers' addresses in it as they are", path, why);
    if (ra->n > 0) {
        free(buf);
        buf = moved;
        n = strlen(buf);
    }
    int rc_ = cv_parse(buf, n, view, why, sizeof why);
    free(buf);
    if (rc_ != 0) { snprintf(err, errlen, "%s: %s", path, why); return NULL; }
    /* The PONG times in the file are older than this plan: nothing heard yet, as in run's first
     * round (run counts only PONGs after its server loaded the file; see runner.c). */
    return "nodes.conf on disk (no server answers)";
}

static void print_node(FILE *out, const dec_input_t *in, const cv_node_t *n)
{
    int k = dec_pod_of_node(in, n);
    const char *pod = k >= 0 ? in->peers[k].name : k == -2 ? "(this pod)" : "(unknown pod)";
    char role[64];
    snprintf(role, sizeof role, "%s%s%s%s", (n->flags & CV_MASTER) ? "master" : (n->flags & CV_REPLICA) ? "replica" : "?",
             (n->flags & CV_FAIL) ? ",fail" : (n->flags & CV_PFAIL) ? ",fail?" : "",
             (n->flags & CV_HANDSHAKE) ? ",handshake" : "", (n->flags & CV_NOADDR) ? ",noaddr" : "");
    fprintf(out, "  %-28s %.12s %-16s %-18s slots=%-5d epoch=%llu%s%.12s\n", pod, n->id, n->ip[0] ? n->ip : "-",
            role, n->n_slots, (unsigned long long)n->config_epoch, n->master_id[0] ? " of " : "", n->master_id);
}

static void print_plan(FILE *out, const dec_plan_t *plan, const peers_t *peers)
{
    for (size_t i = 0; i < plan->n; i++) {
        const dec_action_t *a = &plan->actions[i];
        fprintf(out, "  %-10s", dec_kind_name(a->kind));
        if (a->kind == ACT_MEET) fprintf(out, " %s %s", peers->peers[a->peer].name, peers->peers[a->peer].ip);
        if (a->kind == ACT_ADD_SLOTS) fprintf(out, " %d-%d", a->first, a->last);
        if (a->kind == ACT_REPLICATE) fprintf(out, " %s", a->node_id);
        if (a->kind == ACT_SET_EPOCH) fprintf(out, " %llu", (unsigned long long)a->epoch);
        fprintf(out, "  # %s\n", a->reason);
    }
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    log_json_escape(out, s);
    fputc('"', out);
}

/* A MEET of a peer at a new address (the peers whose old address the plan replaces). */
static int moved_meet(const dec_action_t *a)
{
    return a->kind == ACT_MEET && a->moved;
}

/* The peers the next round MEETs at a new address (known at an old one): those whose new address
 * stays silent past the handshake grace, run writes there into nodes.conf as it finishes (runner.c,
 * lib/addrfix.h). As a JSON array of names, or a plain comma list. */
static void print_moved_peers(FILE *out, const dec_plan_t *plan, const peers_t *peers, int json)
{
    int n = 0;
    for (size_t i = 0; i < plan->n; i++) {
        const dec_action_t *a = &plan->actions[i];
        if (!moved_meet(a)) continue;
        fputs(n++ ? (json ? "," : ", ") : "", out);
        if (json) json_str(out, peers->peers[a->peer].name);
        else fputs(peers->peers[a->peer].name, out);
    }
}

static int count_moved_peers(const dec_plan_t *plan)
{
    int n = 0;
    for (size_t i = 0; i < plan->n; i++) n += moved_meet(&plan->actions[i]);
    return n;
}

/* Where the local node was read from decides what counts as "heard from a peer": a running server
 * hears its peers all the time (a PONG within the node timeout is news); nodes.conf on disk or a
 * fresh node have heard nothing, as a run's first round. */
static int64_t heard_since(const cfg_t *cfg, int live_server, int64_t start)
{
    return live_server ? start - cfg->node_timeout_ms : start;
}

static void print_actions_json(FILE *out, const char *key, const dec_plan_t *plan, const char *summary)
{
    fprintf(out, ",\"%s\":[", key);
    for (size_t i = 0; i < plan->n; i++) {
        fprintf(out, "%s{\"action\":\"%s\",\"reason\":", i ? "," : "", dec_kind_name(plan->actions[i].kind));
        json_str(out, plan->actions[i].reason);
        fputc('}', out);
    }
    fprintf(out, "],\"%s_summary\":", key);
    json_str(out, summary);
}

int inspect_plan(const cfg_t *cfg, const ident_t *id, const rc_auth_t *auth, int json, FILE *out,
                 volatile sig_atomic_t *interrupted)
{
    char err[RCI_ERR_LEN] = "";
    peers_t peers;
    if (peers_init(&peers, cfg, id, err, sizeof err) != 0) { LOG_E("%s", err); return RCI_ERR_RUNTIME; }
    peers.interrupted = interrupted;
    obs_t o;
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.auth = auth;
    o.peers = &peers;
    o.deadline = clock_now_ms() + (int64_t)cfg->deadline_s * 1000;
    o.interrupted = interrupted;
    /* As a run's first round: every name resolved now, no MEET sent yet. */
    o.dns_trouble = peers_resolve(&peers, cfg, o.deadline, PEERS_RESOLVE_ALL, o.dns_reason, sizeof o.dns_reason);
    if (o.dns_trouble < 0) { LOG_E("%s", o.dns_reason); peers_free(&peers); return RCI_ERR_RUNTIME; }
    int live_server = 0;
    int64_t plan_start = clock_unix_ms(); /* as a run's start: before the local view is read */
    readdress_t ra = { 0 };
    const char *source = local_view(cfg, auth, &peers, &o.local, &live_server, &ra, err, sizeof err);
    if (!source) { LOG_E("reading the local node: %s", err); peers_free(&peers); return RCI_ERR_RUNTIME; }
    o.heard_since_unix_ms = heard_since(cfg, live_server, plan_start);
    o.elapsed_ms = 0;
    int status = RCI_OK;
    dec_plan_t now_plan = { 0 }, later_plan = { 0 };
    cv_view_t merged = { 0 };
    /* The peers' views: shown, and used by the decision exactly when run would read them. */
    if (obs_read_peers(&o, 1, err, sizeof err) != 0 || obs_decide(&o, &now_plan, err, sizeof err) != 0) {
        LOG_E("%s", err);
        status = RCI_ERR_RUNTIME;
        goto out;
    }
    if (interrupted && *interrupted) { status = RCI_ERR_SIGNAL; goto out; }
    /* After the handshakes: the view holds what each peer says of itself (fresher than what this
     * node remembers of it), this node as it is, and every peer is heard. */
    const cv_node_t *self = cv_myself(&o.local);
    if (self && cv_add_copy(&merged, self, 0) != 0) goto oom;
    for (size_t i = 0; i < o.selves.n; i++)
        if (!cv_find_id(&merged, o.selves.nodes[i].id) && cv_add_copy(&merged, &o.selves.nodes[i], 0) != 0) goto oom;
    for (size_t i = 0; i < o.local.n; i++)
        if (!cv_find_id(&merged, o.local.nodes[i].id) && cv_add_copy(&merged, &o.local.nodes[i], 0) != 0) goto oom;
    dec_input_t in, later;
    obs_input(&o, &in);
    later = in;
    later.view = &merged;
    later.remote = o.remote.n ? &o.remote : NULL;
    later.run_start_unix_ms = 0;
    later.elapsed_ms = 1000000;
    dec_peer_t *met = calloc(peers.n ? peers.n : 1, sizeof *met);
    if (!met) goto oom;
    for (size_t k = 0; k < peers.n; k++) {
        met[k] = peers.peers[k];
        met[k].since_meet_ms = 1000000;
    }
    later.peers = met;
    int d = dec_decide(&later, &later_plan);
    free(met);
    if (d != 0) goto oom;
    /* Seeding comes first in a run (lib/seed.c): decided as a run's first round would. */
    char seed_why[RCI_ERR_LEN] = "", seed_desc[256] = "";
    int seed = -1;
    if (!live_server && seedrun_applies(cfg, id, seed_why, sizeof seed_why)) {
        seedrun_state_t st = { 0 };
        seed = seedrun_observe(cfg, auth, &peers, id->ip, NULL, NULL, &st, 0, o.deadline, interrupted, seed_why,
                               sizeof seed_why);
        if (seed < 0) { status = RCI_ERR_SIGNAL; goto out; }
        seedrun_describe(cfg, &peers, seed_desc, sizeof seed_desc);
    }
    char now_sum[4096], later_sum[4096];
    dec_plan_summary(&in, &now_plan, now_sum, sizeof now_sum);
    dec_plan_summary(&in, &later_plan, later_sum, sizeof later_sum);

    if (json) {
        fprintf(out, "{\"pod\":");
        json_str(out, id->pod);
        fprintf(out, ",\"local_view_source\":");
        json_str(out, source);
        fprintf(out, ",\"addresses_written_first\":{\"count\":%d,\"peers\":", ra.n > 0 ? ra.n : 0);
        json_str(out, ra.n > 0 ? ra.what : "");
        fprintf(out, "},\"dns_trouble\":%s,\"goal\":", o.dns_trouble ? "true" : "false");
        json_str(out, later_plan.role);
        fprintf(out, ",\"peers\":[");
        for (size_t k = 0; k < peers.n; k++) {
            fprintf(out, "%s{\"pod\":", k ? "," : "");
            json_str(out, peers.peers[k].name);
            fprintf(out, ",\"ip\":");
            json_str(out, peers.peers[k].resolved ? peers.peers[k].ip : "");
            fprintf(out, ",\"reachable\":%s}", o.answered && o.answered[k] == 1 ? "true" : "false");
        }
        fprintf(out, "]");
        if (seed >= 0) {
            fprintf(out, ",\"seed\":{\"verdict\":\"%s\",\"reason\":", seed_verdict_name((seed_verdict_t)seed));
            json_str(out, seed_why);
            fprintf(out, ",\"node\":");
            json_str(out, seed_desc);
            fprintf(out, "}");
        }
        print_actions_json(out, "next", &now_plan, now_sum);
        print_actions_json(out, "after_handshakes", &later_plan, later_sum);
        fprintf(out, ",\"addresses_written_if_silent\":[");
        print_moved_peers(out, &now_plan, &peers, 1);
        fprintf(out, "]}\n");
    } else {
        fprintf(out, "pod %s: shard %d, ordinal %d, DNS name %s\n", id->pod, id->shard, id->ordinal, peers.me.fqdn);
        fprintf(out, "local node read from: %s\n", source);
        if (ra.n > 0)
            fprintf(out, "before its temporary server starts, run would write into nodes.conf the address DNS gives for "
                         "%d peer%s known there at an old one: %s (the nodes below are as the server would load them)\n",
                    ra.n, ra.n == 1 ? "" : "s", ra.what);
        for (size_t i = 0; i < o.local.n; i++) print_node(out, &in, &o.local.nodes[i]);
        fprintf(out, "peers (%zu of %zu resolve):\n", peers_resolved_count(&peers), peers.n);
        for (size_t k = 0; k < peers.n; k++) {
            const dec_peer_t *p = &peers.peers[k];
            int a = o.answered ? o.answered[k] : 0;
            fprintf(out, "  %-28s %-16s %s\n", p->name, p->resolved ? p->ip : "-",
                    !p->resolved ? "does not resolve (not up yet?)" : a == 1 ? "answers"
                    : a == -2 ? "refuses our password or TLS (see the warning above)"
                    : "client port does not answer (initializing or down)");
        }
        if (o.dns_trouble) fprintf(out, "DNS trouble: %s\n", o.dns_reason);
        if (seed == SEED_WRITE)
            fprintf(out, "seed: run would write nodes.conf itself (%s) and finish: %s\n"
                         "(the rounds below are what it would do otherwise)\n", seed_desc, seed_why);
        else if (seed == SEED_WAIT)
            fprintf(out, "seed: run would wait before choosing: %s; it seeds (%s) once that answers\n", seed_why,
                    seed_desc);
        else if (seed == SEED_NO)
            fprintf(out, "seed: no (%s): the rounds below\n", seed_why);
        fprintf(out, "goal: %s\nnext round, run would:\n", later_plan.role);
        print_plan(out, &now_plan, &peers);
        fprintf(out, "once the handshakes complete, run would:\n");
        print_plan(out, &later_plan, &peers);
        if (count_moved_peers(&now_plan) > 0) {
            fprintf(out, "a peer whose new address stays silent past the handshake grace: run would finish anyway and write "
                         "that address into nodes.conf for the main container's server (");
            print_moved_peers(out, &now_plan, &peers, 0);
            fprintf(out, ")\n");
        }
    }
    goto out;
oom:
    LOG_E("out of memory");
    status = RCI_ERR_RUNTIME;
out:
    dec_plan_free(&now_plan);
    dec_plan_free(&later_plan);
    cv_free(&merged);
    obs_free(&o);
    peers_free(&peers);
    return status;
}

int inspect_status(const cfg_t *cfg, const ident_t *id, const rc_auth_t *auth, int json, FILE *out)
{
    char err[RCI_ERR_LEN] = "";
    rc_conn_t rc = { 0 };
    const char *source;
    int c = connect_local(cfg, auth, &rc, &source, err, sizeof err);
    if (c == RC_AUTH_FAILED) {
        LOG_E("%s. What to do: give this pod the cluster's password", err);
        return RCI_ERR_RUNTIME;
    }
    if (c == RC_TLS_FAILED) {
        LOG_E("%s. What to do: mount the cluster's CA as tls.ca_file, and a certificate it signed", err);
        return RCI_ERR_RUNTIME;
    }
    if (c != 0) {
        LOG_E("no local redis-server answers (%s). What to do: run 'plan' to see nodes.conf and DNS", err);
        return RCI_ERR_RUNTIME;
    }
    cv_view_t view;
    if (rc_cluster_nodes(&rc, &view, err, sizeof err) != 0) {
        LOG_E("%s", err);
        rc_close(&rc);
        return RCI_ERR_RUNTIME;
    }
    char state[32];
    int st = rc_cluster_state(&rc, state, sizeof state, err, sizeof err);
    rc_close(&rc);
    peers_t peers;
    if (st != 0 || peers_init(&peers, cfg, id, err, sizeof err) != 0) {
        LOG_E("%s", err);
        cv_free(&view);
        return RCI_ERR_RUNTIME;
    }
    dec_input_t in = {
        .shards = cfg->shards, .replicas = cfg->replicas, .my_shard = id->shard, .my_ordinal = id->ordinal,
        .my_fqdn = peers.me.fqdn, .view = &view, .peers = peers.peers, .n_peers = peers.n,
    };
    const cv_node_t *me = cv_myself(&view);
    /* Scaling: the slots this pod's shard still holds, and this node's moves in progress. */
    int shard_slots = 0;
    for (size_t i = 0; i < view.n; i++) {
        const cv_node_t *n = &view.nodes[i];
        int k = dec_pod_of_node(&in, n);
        if ((n->flags & CV_MASTER) && (k == -2 || (k >= 0 && peers.peers[k].shard == id->shard))) shard_slots += n->n_slots;
    }
    int removing = id->outside && id->shard >= id->cfg_shards;
    if (json) {
        fprintf(out, "{\"pod\":");
        json_str(out, id->pod);
        fprintf(out, ",\"cluster_state\":\"%s\",\"node_id\":\"%s\",\"role\":\"%s\",\"slots\":%d,\"nodes\":[", state,
                me ? me->id : "", me && (me->flags & CV_REPLICA) ? "replica" : "master", me ? me->n_slots : 0);
        for (size_t i = 0; i < view.n; i++) {
            const cv_node_t *n = &view.nodes[i];
            int k = dec_pod_of_node(&in, n);
            fprintf(out, "%s{\"id\":\"%s\",\"pod\":", i ? "," : "", n->id);
            json_str(out, k >= 0 ? peers.peers[k].name : k == -2 ? id->pod : "");
            fprintf(out, ",\"ip\":\"%s\",\"master\":%s,\"slots\":%d,\"fail\":%s,\"master_id\":\"%s\"}", n->ip,
                    (n->flags & CV_MASTER) ? "true" : "false", n->n_slots,
                    (n->flags & (CV_FAIL | CV_PFAIL)) ? "true" : "false", n->master_id);
        }
        fprintf(out, "],\"outside_config\":%s,\"shard_removed\":%s,\"shard_slots\":%d,\"moving\":[",
                id->outside ? "true" : "false", removing ? "true" : "false", shard_slots);
        for (size_t k = 0; me && k < me->n_open; k++)
            fprintf(out, "%s{\"slot\":%d,\"%s\":\"%s\"}", k ? "," : "", me->open[k].slot,
                    me->open[k].importing ? "importing_from" : "migrating_to", me->open[k].peer);
        fprintf(out, "]}\n");
    } else {
        fprintf(out, "pod %s (shard %d, ordinal %d), read from %s\n", id->pod, id->shard, id->ordinal, source);
        fprintf(out, "cluster_state: %s\nthis node: %s, %s, %d slots\nnodes (%zu):\n", state, me ? me->id : "?",
                me && (me->flags & CV_REPLICA) ? "replica" : "master", me ? me->n_slots : 0, view.n);
        for (size_t i = 0; i < view.n; i++) print_node(out, &in, &view.nodes[i]);
        for (size_t k = 0; me && k < me->n_open; k++)
            fprintf(out, "moving: slot %d %s %.12s (a rebalance in progress, or cut short: 'rebalance' finishes it)\n",
                    me->open[k].slot, me->open[k].importing ? "importing from" : "migrating to", me->open[k].peer);
        if (removing && shard_slots > 0)
            fprintf(out, "SHARD %d IS BEING REMOVED (the config has shards: %d) AND STILL HOLDS %d SLOTS: do NOT delete "
                    "its StatefulSet yet. Run 'redis-cluster-init rebalance' (or let the sidecar) move them away first\n",
                    id->shard, id->cfg_shards, shard_slots);
        else if (removing)
            fprintf(out, "shard %d holds no slots: its StatefulSet may be deleted (then 'rebalance' forgets its pods)\n",
                    id->shard);
        else if (id->outside)
            fprintf(out, "this replica pod is not in the config (replicas: %d): it may be removed (then 'rebalance' "
                    "forgets it)\n", id->cfg_replicas);
    }
    cv_free(&view);
    peers_free(&peers);
    return RCI_OK;
}
