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
    const rc_auth_t *auth;
    peers_t peers;
    srv_t srv;
    rc_conn_t rc;
    int64_t deadline;
    int64_t started;          /* monotonic ms */
    int fresh_start;          /* no nodes.conf when the run began: a new node id */
    int64_t started_unix_ms;  /* wall clock, the scale of CLUSTER NODES's pong times */
    char last_reason[400];
    int64_t last_reason_at;
} run_t;

/* Returns 1 when there is no nodes.conf: this run creates a new node id. */
static int describe_nodes_conf(const cfg_t *cfg)
{
    char path[1100];
    srv_nodes_conf_path(cfg, path, sizeof path);
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > 0) {
        LOG_I("found %s (%lld bytes): this pod keeps its node id", path, (long long)st.st_size);
        return 0;
    }
    LOG_I("no %s: this pod starts as a new node", path);
    return 1;
}

/* Connect to peer k's client port. A peer that is down or still initializing (no client port)
 * is normal and logged at debug level; one that answers but refuses our credentials or our TLS
 * is a misconfiguration a person must see. */
static int peer_connect(run_t *r, size_t k, rc_conn_t *pc, const char *why, char *err, size_t errlen)
{
    int c = peers_connect(&r->peers, k, r->cfg, r->auth, pc, err, errlen);
    if (c == RC_AUTH_FAILED || c == RC_TLS_FAILED)
        LOG_W("cannot %s %s: %s", why, r->peers.peers[k].name, err);
    else if (c != 0)
        LOG_D("cannot %s %s: %s", why, r->peers.peers[k].name, err);
    return c;
}

/* CLUSTER FORGET must reach every node within Redis's 60 s ban, or gossip brings the id back:
 * every peer that resolves, on its client port, then this node. This node goes last: a node that
 * started without nodes.conf may not know the id yet (it was seen in the peers' views), and Redis
 * only bans an id it knows; until the last peer has forgotten it, a peer's gossip can still hand
 * it over. Forgetting here last bans it here, so it cannot reach nodes.conf. A peer that does not
 * answer (down, or initializing without a client port) forgets the id through its own init. */
static void forget_everywhere(run_t *r, const char *id)
{
    char err[512];
    const char *argv[] = { "CLUSTER", "FORGET", id };
    int told = 0, tried = 0;
    for (size_t k = 0; k < r->peers.n; k++) {
        const dec_peer_t *p = &r->peers.peers[k];
        if (!p->resolved) continue;
        tried++;
        rc_conn_t pc = { 0 };
        if (peer_connect(r, k, &pc, "forget", err, sizeof err) != 0) continue;
        if (rc_simple(&pc, err, sizeof err, 3, argv) == 0 || strstr(err, "nknown node")) told++;
        else LOG_D("forget on %s: %s", p->name, err);
        rc_close(&pc);
    }
    if (rc_simple(&r->rc, err, sizeof err, 3, argv) != 0 && !strstr(err, "nknown node"))
        LOG_W("forget on this node: %s", err);
    LOG_I("forgot %s on %d of %d peers and here", id, told, tried);
}

/* The nodes the peers' own views hold and ours does not: a node that started without nodes.conf
 * cannot see, in its own view, an old id of its own pod (dead nodes are gossiped without their
 * slots). Read-only: CLUSTER NODES on each resolved peer's client port. */
static void collect_remote(run_t *r, const cv_view_t *local, cv_view_t *remote)
{
    memset(remote, 0, sizeof *remote);
    for (size_t k = 0; k < r->peers.n; k++) {
        const dec_peer_t *p = &r->peers.peers[k];
        if (!p->resolved) continue;
        rc_conn_t pc = { 0 };
        char err[512];
        cv_view_t pv;
        if (peer_connect(r, k, &pc, "read the view of", err, sizeof err) != 0) continue;
        if (rc_cluster_nodes(&pc, &pv, err, sizeof err) == 0) {
            for (size_t i = 0; i < pv.n; i++) {
                const cv_node_t *n = &pv.nodes[i];
                /* A node learned from gossip has no hostname in our view: keep the peer's copy,
                 * which names the pod. */
                const cv_node_t *mine = cv_find_id(local, n->id);
                if ((mine && mine->hostname[0]) || cv_find_id(remote, n->id)) continue;
                if (cv_add_copy(remote, n, CV_MYSELF) != 0) break;
            }
            cv_free(&pv);
        }
        rc_close(&pc);
    }
    LOG_D("the peers' views hold %zu nodes this node's view does not", remote->n);
}

static int has_role_action(const dec_plan_t *plan)
{
    const dec_action_t *v = dec_verdict(plan);
    if (v->kind == ACT_DONE) return 1;
    for (size_t i = 0; i < plan->n; i++)
        if (plan->actions[i].kind == ACT_ADD_SLOTS || plan->actions[i].kind == ACT_REPLICATE) return 1;
    return 0;
}

/* Perform one action; transient errors are logged and retried next round. */
static void act(run_t *r, const dec_action_t *a)
{
    char err[512];
    char b1[32], b2[32];
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
        if (a->data_lost) LOG_E("claim slots %s-%s: DATA LOST: %s", b1, b2, a->reason);
        else LOG_I("claim slots %s-%s (%s)", b1, b2, a->reason);
        rc = rc_simple(&r->rc, err, sizeof err, 4, argv);
        break;
    }
    case ACT_FORGET:
        LOG_W("forget %s everywhere (%s)", a->node_id, a->reason);
        forget_everywhere(r, a->node_id);
        return;
    case ACT_BUMP_EPOCH: {
        const char *argv[] = { "CLUSTER", "BUMPEPOCH" };
        LOG_I("bump config epoch (%s)", a->reason);
        rc = rc_simple(&r->rc, err, sizeof err, 2, argv);
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
    if (rc_connected(&r->rc)) return 0;
    return rc_connect_unix(&r->rc, r->srv.sock, r->auth, r->cfg->connect_timeout_ms, err, errlen);
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
        if (dns_trouble > 0) {
            /* Without answers this pod cannot know who is up: decide nothing, retry. */
            if (clock_now_ms() >= next_dns_warn) {
                LOG_W("%s; retrying until the deadline", derr);
                next_dns_warn = clock_now_ms() + REPEAT_LOG_MS;
            }
            snprintf(r->last_reason, sizeof r->last_reason, "%s", derr);
            clock_sleep_ms(ROUND_MS * 4, r->deadline);
            continue;
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
            .run_start_unix_ms = r->started_unix_ms, .elapsed_ms = clock_now_ms() - r->started,
        };
        dec_plan_t plan;
        cv_view_t remote = { 0 };
        int decided = dec_decide(&in, &plan) == 0;
        /* A node that started empty checks the peers' views before it takes a role or finishes. */
        if (decided && r->fresh_start && has_role_action(&plan)) {
            collect_remote(r, &view, &remote);
            if (remote.n > 0) {
                dec_plan_free(&plan);
                in.remote = &remote;
                decided = dec_decide(&in, &plan) == 0;
            }
        }
        if (!decided) {
            cv_free(&view);
            cv_free(&remote);
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
        cv_free(&remote);
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

int runner_run(const cfg_t *cfg, const ident_t *id, const rc_auth_t *auth, volatile sig_atomic_t *interrupted)
{
    run_t r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.id = id;
    r.auth = auth;
    r.srv.auth = auth;
    r.started = clock_now_ms();
    r.started_unix_ms = clock_unix_ms();
    r.deadline = r.started + (int64_t)cfg->deadline_s * 1000;
    char err[1024] = "";
    int status;
    LOG_I("redis-cluster-init %s: pod %s, shard %d, ordinal %d, ip %s", RCI_VERSION, id->pod, id->shard, id->ordinal,
          id->ip[0] ? id->ip : "(POD_IP unset)");
    if (peers_init(&r.peers, cfg, id, err, sizeof err) != 0) {
        LOG_E("failed: %s", err);
        return RCI_ERR_RUNTIME;
    }
    struct stat dst;
    const char *why = NULL;
    if (stat(cfg->data_dir, &dst) != 0) why = strerror(errno);
    else if (!S_ISDIR(dst.st_mode)) why = "not a directory";
    else if (access(cfg->data_dir, W_OK) != 0) why = strerror(errno);
    if (why) {
        peers_free(&r.peers);
        LOG_E("failed: the data dir %s is unusable (%s). What to do: mount the pod's PVC there "
              "(paths.data_dir) writable by this container's user", cfg->data_dir, why);
        return RCI_ERR_RUNTIME;
    }
    r.fresh_start = describe_nodes_conf(cfg);
    if (srv_write_runtime_config(cfg, id, r.peers.me.fqdn, auth, err, sizeof err) != 0) {
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
