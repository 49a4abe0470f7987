#include "inspect.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cview.h"
#include "decide.h"
#include "log.h"
#include "peers.h"
#include "rclient.h"
#include "server.h"
#include "status.h"

/* A fresh node's view, as the server would show it before anything happens. */
static const char FRESH_VIEW[] =
    "0000000000000000000000000000000000000000 :0@0 myself,master - 0 0 0 connected\n";

/* Connect to the local node: the live main-container server on 127.0.0.1, else the init
 * container's temporary server. Returns 0 (source says which), RC_AUTH_FAILED, RC_TLS_FAILED or
 * -1, with err. */
static int connect_local(const cfg_t *cfg, const rc_auth_t *auth, rc_conn_t *rc, const char **source, char *err,
                         size_t errlen)
{
    char tcp_err[512];
    int c = rc_connect_tcp(rc, "127.0.0.1", cfg->port, auth, cfg->connect_timeout_ms, tcp_err, sizeof tcp_err);
    *source = auth->tls ? "the running redis-server on 127.0.0.1 (TLS)" : "the running redis-server on 127.0.0.1";
    if (c != -1) {
        if (c != 0) snprintf(err, errlen, "%s", tcp_err);
        return c;
    }
    srv_t srv;
    srv_paths(cfg, &srv);
    *source = "the init container's temporary server";
    char unix_err[512];
    c = rc_connect_unix(rc, srv.sock, auth, cfg->connect_timeout_ms, unix_err, sizeof unix_err);
    /* Both reasons: a TLS failure on the client port must not hide behind "no such socket". */
    if (c != 0) snprintf(err, errlen, "%s; %s", tcp_err, unix_err);
    return c;
}

/* Where the local node can be read: a server (connect_local), or nodes.conf on disk. Returns a
 * description of the source, or NULL with err. */
static const char *local_view(const cfg_t *cfg, const rc_auth_t *auth, cv_view_t *view, char *err, size_t errlen)
{
    rc_conn_t rc = { 0 };
    char e[512];
    const char *source;
    int c = connect_local(cfg, auth, &rc, &source, e, sizeof e);
    if (c == RC_AUTH_FAILED || c == RC_TLS_FAILED) { snprintf(err, errlen, "%s", e); return NULL; }
    if (c == 0) {
        int ok = rc_cluster_nodes(&rc, view, err, errlen) == 0;
        rc_close(&rc);
        return ok ? source : NULL;
    }
    char path[1100];
    srv_nodes_conf_path(cfg, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f) {
        cv_parse(FRESH_VIEW, sizeof FRESH_VIEW - 1, view, err, errlen);
        return "nothing (no server answers, no nodes.conf): a new node";
    }
    char *buf = malloc(1 << 22);
    size_t n = buf ? fread(buf, 1, (1 << 22) - 1, f) : 0;
    fclose(f);
    if (!buf) { snprintf(err, errlen, "out of memory"); return NULL; }
    char why[256];
    int rc_ = cv_parse(buf, n, view, why, sizeof why);
    free(buf);
    if (rc_ != 0) { snprintf(err, errlen, "%s: %s", path, why); return NULL; }
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

int inspect_plan(const cfg_t *cfg, const ident_t *id, const rc_auth_t *auth, int json, FILE *out)
{
    char err[1024] = "";
    peers_t peers;
    if (peers_init(&peers, cfg, id, err, sizeof err) != 0) { LOG_E("%s", err); return RCI_ERR_RUNTIME; }
    int64_t deadline = clock_now_ms() + (int64_t)cfg->deadline_s * 1000;
    if (peers_resolve(&peers, cfg, deadline, 1, err, sizeof err) < 0) { LOG_E("%s", err); peers_free(&peers); return RCI_ERR_RUNTIME; }
    cv_view_t view;
    const char *source = local_view(cfg, auth, &view, err, sizeof err);
    if (!source) { LOG_E("reading the local node: %s", err); peers_free(&peers); return RCI_ERR_RUNTIME; }

    /* What the peers say of themselves: the view this node will have once its MEETs complete. */
    cv_view_t merged;
    memset(&merged, 0, sizeof merged);
    for (size_t i = 0; i < view.n; i++) cv_add_copy(&merged, &view.nodes[i], 0);
    int *reach = calloc(peers.n ? peers.n : 1, sizeof *reach);
    for (size_t k = 0; k < peers.n && reach; k++) {
        const dec_peer_t *p = &peers.peers[k];
        if (!p->resolved) continue;
        rc_conn_t rc = { 0 };
        cv_view_t pv;
        char e[512];
        if (peers_connect(&peers, k, cfg, auth, &rc, e, sizeof e) != 0) { reach[k] = -1; continue; }
        if (rc_cluster_nodes(&rc, &pv, e, sizeof e) == 0) {
            const cv_node_t *self = cv_myself(&pv);
            if (self) {
                reach[k] = 1;
                if (!cv_find_id(&merged, self->id)) cv_add_copy(&merged, self, CV_MYSELF);
            }
            cv_free(&pv);
        }
        rc_close(&rc);
    }
    for (size_t k = 0; k < peers.n; k++) peers.peers[k].since_meet_ms = -1;
    dec_input_t in = {
        .shards = cfg->shards, .replicas = cfg->replicas, .my_shard = id->shard, .my_ordinal = id->ordinal,
        .my_fqdn = peers.me.fqdn, .view = &view, .peers = peers.peers, .n_peers = peers.n,
        .handshake_grace_ms = cfg->handshake_grace_ms, .remeet_ms = 1000,
        .run_start_unix_ms = clock_unix_ms(), .elapsed_ms = 0,
    };
    dec_plan_t now_plan, later_plan;
    dec_decide(&in, &now_plan);
    /* After the handshakes: every peer known, no MEET pending. */
    for (size_t k = 0; k < peers.n; k++) peers.peers[k].since_meet_ms = 1000000;
    in.view = &merged;
    in.run_start_unix_ms = 0;
    in.elapsed_ms = 1000000;
    dec_decide(&in, &later_plan);

    if (json) {
        fprintf(out, "{\"pod\":");
        json_str(out, id->pod);
        fprintf(out, ",\"local_view_source\":");
        json_str(out, source);
        fprintf(out, ",\"goal\":");
        json_str(out, later_plan.role);
        fprintf(out, ",\"peers\":[");
        for (size_t k = 0; k < peers.n; k++) {
            fprintf(out, "%s{\"pod\":", k ? "," : "");
            json_str(out, peers.peers[k].name);
            fprintf(out, ",\"ip\":");
            json_str(out, peers.peers[k].resolved ? peers.peers[k].ip : "");
            fprintf(out, ",\"reachable\":%s}", reach && reach[k] == 1 ? "true" : "false");
        }
        fprintf(out, "],\"next\":[");
        for (size_t i = 0; i < now_plan.n; i++) {
            fprintf(out, "%s{\"action\":\"%s\",\"reason\":", i ? "," : "", dec_kind_name(now_plan.actions[i].kind));
            json_str(out, now_plan.actions[i].reason);
            fputc('}', out);
        }
        fprintf(out, "],\"after_handshakes\":[");
        for (size_t i = 0; i < later_plan.n; i++) {
            fprintf(out, "%s{\"action\":\"%s\",\"reason\":", i ? "," : "", dec_kind_name(later_plan.actions[i].kind));
            json_str(out, later_plan.actions[i].reason);
            fputc('}', out);
        }
        fprintf(out, "]}\n");
    } else {
        fprintf(out, "pod %s: shard %d, ordinal %d, DNS name %s\n", id->pod, id->shard, id->ordinal, peers.me.fqdn);
        fprintf(out, "local node read from: %s\n", source);
        for (size_t i = 0; i < view.n; i++) print_node(out, &in, &view.nodes[i]);
        fprintf(out, "peers (%zu of %zu resolve):\n", peers_resolved_count(&peers), peers.n);
        for (size_t k = 0; k < peers.n; k++) {
            const dec_peer_t *p = &peers.peers[k];
            fprintf(out, "  %-28s %-16s %s\n", p->name, p->resolved ? p->ip : "-",
                    !p->resolved ? "does not resolve (not up yet?)" : reach && reach[k] == 1 ? "answers"
                    : "client port does not answer (initializing or down)");
        }
        fprintf(out, "goal: %s\nnext round, run would:\n", later_plan.role);
        print_plan(out, &now_plan, &peers);
        fprintf(out, "once the handshakes complete, run would:\n");
        print_plan(out, &later_plan, &peers);
    }
    free(reach);
    dec_plan_free(&now_plan);
    dec_plan_free(&later_plan);
    cv_free(&merged);
    cv_free(&view);
    peers_free(&peers);
    return RCI_OK;
}

int inspect_status(const cfg_t *cfg, const ident_t *id, const rc_auth_t *auth, int json, FILE *out)
{
    char err[1024] = "";
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
        fprintf(out, "]}\n");
    } else {
        fprintf(out, "pod %s (shard %d, ordinal %d), read from %s\n", id->pod, id->shard, id->ordinal, source);
        fprintf(out, "cluster_state: %s\nthis node: %s, %s, %d slots\nnodes (%zu):\n", state, me ? me->id : "?",
                me && (me->flags & CV_REPLICA) ? "replica" : "master", me ? me->n_slots : 0, view.n);
        for (size_t i = 0; i < view.n; i++) print_node(out, &in, &view.nodes[i]);
    }
    cv_free(&view);
    peers_free(&peers);
    return RCI_OK;
}
