#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cview.h"
#include "decide.h"
#include "log.h"
#include "peers.h"
#include "rclient.h"
#include "server.h"
#include "status.h"

/* Poll period of the reconcile loop. */
#define ROUND_MS 50
/* Log a still-unchanged WAIT reason again after this long. */
#define REPEAT_LOG_MS 5000

typedef struct {
    const cfg_t *cfg;
    const ident_t *id;
    peers_t peers;
    srv_t srv;
    rc_conn_t rc;
    int64_t deadline;
    char last_reason[400];
    int64_t last_reason_at;
} run_t;

static void describe_nodes_conf(const cfg_t *cfg)
{
    char path[1100];
    srv_nodes_conf_path(cfg, path, sizeof path);
    struct stat st;
    if (stat(path, &st) == 0) LOG_I("found %s (%lld bytes): this pod keeps its node id", path, (long long)st.st_size);
    else LOG_I("no %s: this pod starts as a new node", path);
}

/* Perform one action; transient errors are logged and retried next round. */
static void act(run_t *r, const dec_action_t *a)
{
    char err[512];
    char b1[32], b2[32], b3[32];
    int rc = 0;
    switch (a->kind) {
    case ACT_SET_EPOCH: {
        snprintf(b1, sizeof b1, "%llu", (unsigned long long)a->epoch);
        const char *argv[] = { "CLUSTER", "SET-CONFIG-EPOCH", b1 };
        LOG_I("set config epoch %s (%s)", b1, a->reason);
        rc = rc_simple(&r->rc, err, sizeof err, 3, argv);
        break;
    }
    case ACT_MEET: {
        dec_peer_t *p = &r->peers.peers[a->peer];
        snprintf(b1, sizeof b1, "%d", r->cfg->port);
        snprintf(b2, sizeof b2, "%d", r->cfg->bus_port);
        const char *argv[] = { "CLUSTER", "MEET", p->ip, b1, b2 };
        LOG_I("meet %s at %s (%s)", p->name, p->ip, a->reason);
        rc = rc_simple(&r->rc, err, sizeof err, 5, argv);
        if (rc == 0) peers_note_meet(&r->peers, (size_t)a->peer, clock_now_ms());
        break;
    }
    case ACT_ADD_SLOTS: {
        snprintf(b1, sizeof b1, "%d", a->first);
        snprintf(b2, sizeof b2, "%d", a->last);
        const char *argv[] = { "CLUSTER", "ADDSLOTSRANGE", b1, b2 };
        LOG_I("claim slots %s-%s (%s)", b1, b2, a->reason);
        rc = rc_simple(&r->rc, err, sizeof err, 4, argv);
        break;
    }
    case ACT_REPLICATE: {
        const char *argv[] = { "CLUSTER", "REPLICATE", a->node_id };
        LOG_I("replicate %s (%s)", a->node_id, a->reason);
        rc = rc_simple(&r->rc, err, sizeof err, 3, argv);
        break;
    }
    default:
        break;
    }
    (void)b3;
    if (rc != 0) LOG_W("%s failed, will retry: %s", dec_kind_name(a->kind), err);
}

static void log_wait(run_t *r, const char *reason)
{
    int64_t now = clock_now_ms();
    if (strcmp(reason, r->last_reason) != 0 || now - r->last_reason_at >= REPEAT_LOG_MS) {
        LOG_I("%s", reason);
        snprintf(r->last_reason, sizeof r->last_reason, "%s", reason);
        r->last_reason_at = now;
    }
}

static int ensure_conn(run_t *r, char *err, size_t errlen)
{
    if (r->rc.c) return 0;
    return rc_connect_unix(&r->rc, r->srv.sock, r->cfg->connect_timeout_ms, err, errlen);
}

/* The reconcile loop. Returns an RCI_* status; err explains a failure. */
static int reconcile(run_t *r, volatile sig_atomic_t *interrupted, char *err, size_t errlen)
{
    int64_t next_dns_warn = 0;
    for (int round = 0;; round++) {
        if (*interrupted) { snprintf(err, errlen, "interrupted by a signal"); return RCI_ERR_SIGNAL; }
        if (clock_left_ms(r->deadline) == 0) {
            snprintf(err, errlen, "deadline of %d s passed; last state: %s", r->cfg->deadline_s,
                     r->last_reason[0] ? r->last_reason : "nothing observed");
            return RCI_ERR_TIMEOUT;
        }
        char derr[512] = "";
        int dns_trouble = peers_resolve(&r->peers, r->cfg, r->deadline, round == 0, derr, sizeof derr);
        if (dns_trouble < 0) { snprintf(err, errlen, "%s", derr); return RCI_ERR_RUNTIME; }
        if (dns_trouble > 0 && clock_now_ms() >= next_dns_warn) {
            LOG_W("%s; retrying until the deadline", derr);
            next_dns_warn = clock_now_ms() + REPEAT_LOG_MS;
        }
        if (ensure_conn(r, err, errlen) != 0) return RCI_ERR_RUNTIME;
        cv_view_t view;
        if (rc_cluster_nodes(&r->rc, &view, err, errlen) != 0) return RCI_ERR_RUNTIME;
        peers_update_meet_ages(&r->peers, clock_now_ms());
        dec_input_t in = {
            .shards = r->cfg->shards, .replicas = r->cfg->replicas,
            .my_shard = r->id->shard, .my_ordinal = r->id->ordinal, .my_fqdn = r->peers.me.fqdn,
            .view = &view, .peers = r->peers.peers, .n_peers = r->peers.n,
            .handshake_grace_ms = r->cfg->handshake_grace_ms, .remeet_ms = 1000,
        };
        dec_plan_t plan;
        if (dec_decide(&in, &plan) != 0) {
            cv_free(&view);
            snprintf(err, errlen, "out of memory while deciding");
            return RCI_ERR_RUNTIME;
        }
        const dec_action_t *v = dec_verdict(&plan);
        if (round == 0) LOG_I("goal: %s", plan.role);
        for (size_t i = 0; i + 1 < plan.n; i++) act(r, &plan.actions[i]);
        int status = -1;
        if (v->kind == ACT_DONE) {
            const cv_node_t *me = cv_myself(&view);
            LOG_I("done: %s (node %s)", v->reason, me ? me->id : "?");
            status = RCI_OK;
        } else if (v->kind == ACT_FAIL) {
            snprintf(err, errlen, "%s", v->reason);
            status = RCI_ERR_RUNTIME;
        } else {
            log_wait(r, v->reason);
        }
        dec_plan_free(&plan);
        cv_free(&view);
        if (status >= 0) return status;
        clock_sleep_ms(ROUND_MS, r->deadline);
    }
}

static const char *advice(int status)
{
    switch (status) {
    case RCI_ERR_TIMEOUT: return "check the peers named above (kubectl get pods; kubectl logs POD -c init), DNS and the service's publishNotReadyAddresses; kubelet retries this container";
    case RCI_ERR_SIGNAL: return "the pod was stopped while initializing; the next start resumes from nodes.conf";
    default: return "see the lines above; kubelet retries this container; run 'redis-cluster-init plan' in the pod to see what it observes";
    }
}

int runner_run(const cfg_t *cfg, const ident_t *id, volatile sig_atomic_t *interrupted)
{
    run_t r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.id = id;
    r.deadline = clock_now_ms() + (int64_t)cfg->deadline_s * 1000;
    char err[1024] = "";
    int status;
    LOG_I("redis-cluster-init %s: pod %s, shard %d, ordinal %d, ip %s", RCI_VERSION, id->pod, id->shard, id->ordinal,
          id->ip[0] ? id->ip : "(POD_IP unset)");
    if (peers_init(&r.peers, cfg, id, err, sizeof err) != 0) {
        LOG_E("failed: %s", err);
        return RCI_ERR_RUNTIME;
    }
    describe_nodes_conf(cfg);
    if (srv_write_runtime_config(cfg, id, r.peers.me.fqdn, err, sizeof err) != 0) {
        status = RCI_ERR_RUNTIME;
    } else if (srv_start(cfg, &r.srv, r.deadline, err, sizeof err) != 0) {
        status = RCI_ERR_RUNTIME;
    } else {
        status = reconcile(&r, interrupted, err, sizeof err);
    }
    rc_close(&r.rc);
    char serr[512] = "";
    /* Stopping gets its own few seconds even after the deadline: a clean stop keeps nodes.conf. */
    if (srv_stop(&r.srv, clock_now_ms() + 5000, serr, sizeof serr) != 0 && status == RCI_OK) {
        snprintf(err, sizeof err, "%s", serr);
        status = RCI_ERR_RUNTIME;
    }
    peers_free(&r.peers);
    if (status == RCI_OK) {
        LOG_I("runtime config %s is ready; the main container can start: redis-server %s", cfg->runtime_config,
              cfg->runtime_config);
        return RCI_OK;
    }
    LOG_E("failed: %s. What to do: %s", err, advice(status));
    return status;
}
