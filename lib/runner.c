#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addrfix.h"
#include "clock.h"
#include "cview.h"
#include "decide.h"
#include "fileio.h"
#include "log.h"
#include "observe.h"
#include "peers.h"
#include "rclient.h"
#include "render.h"
#include "seedrun.h"
#include "server.h"
#include "status.h"

/* Poll period of the reconcile loop. */
#define ROUND_MS 50
/* Poll period while a fresh pod waits before seeding: pod 0 for its replicas, a replica for its
 * pod 0, either for its own DNS name (lib/seed.c). */
#define SEED_ROUND_MS 100
/* Log a still-unchanged WAIT reason again after this long. */
#define REPEAT_LOG_MS 5000
/* A round's MEETs of one kind are summed up in a line naming at most MEETS_NAMED peers; up to
 * MEETS_EACH peers known at an old address get a line each (log_meets). */
#define MEETS_NAMED 6
#define MEETS_EACH 2

typedef struct {
    const cfg_t *cfg;
    const ident_t *id;
    const rc_auth_t *auth;
    peers_t peers;
    srv_t srv;
    rc_conn_t rc;
    int64_t deadline;
    int64_t started;          /* monotonic ms */
    int64_t started_unix_ms;  /* wall clock, the scale of CLUSTER NODES's pong times */
    char last_reason[RCI_ERR_LEN];
    int64_t last_reason_at;
    cv_view_t next;           /* the local CLUSTER NODES read with the last round's actions; n 0: none */
    cv_view_t peer_views;     /* the peers' views of the last read (obs_t.seen), for reuse */
    int64_t peer_views_at;    /* clock_now_ms of that read; 0: none */
    int64_t server_up;        /* monotonic ms when the temporary server of the rules answered */
    int reconciled;           /* the rules ran (not seeded): nodes.conf is the temporary server's */
    char (*forgotten)[CV_ID_LEN + 1]; /* the ids this run sent FORGET for (dec_input_t.forgotten) */
    size_t n_forgotten, cap_forgotten;
    int resolved_first;       /* every name was resolved before the server started (readdress_first) */
} run_t;

/* Says whether this pod has a nodes.conf (its node id) and returns it: 1 yes, 0 no. */
static int describe_nodes_conf(const cfg_t *cfg)
{
    char path[CFG_PATH + 16];
    srv_nodes_conf_path(cfg, path, sizeof path);
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > 0) {
        LOG_I("found %s (%lld bytes): this pod keeps its node id", path, (long long)st.st_size);
        return 1;
    }
    LOG_I("no %s: this pod starts as a new node", path);
    return 0;
}

/* Remember an id this run forgot: seen again, it is forgotten again (rule 10), and it is dropped
 * from the nodes.conf the temporary server saves (drop_forgotten). */
static void note_forgotten(run_t *r, const char *id)
{
    for (size_t i = 0; i < r->n_forgotten; i++)
        if (strcmp(r->forgotten[i], id) == 0) return;
    if (r->n_forgotten == r->cap_forgotten) {
        size_t cap = r->cap_forgotten ? r->cap_forgotten * 2 : 8;
        void *p = realloc(r->forgotten, cap * sizeof *r->forgotten);
        if (!p) {
            LOG_W("out of memory remembering forgotten id %s (it is forgotten again only if a peer names it)", id);
            return;
        }
        r->forgotten = p;
        r->cap_forgotten = cap;
    }
    snprintf(r->forgotten[r->n_forgotten++], CV_ID_LEN + 1, "%s", id);
}

/* CLUSTER FORGET must reach every node within Redis's 60 s ban, or gossip brings the id back:
 * every peer that resolves, on its client port (all at once, lib/fanout), then this node. This
 * node goes last: a node that started without nodes.conf may not know the id yet (it was seen in
 * the peers' views), and Redis only bans an id it knows; until the last peer has forgotten it, a
 * peer's gossip can still hand it over. Forgetting here last bans it here if it knows it by then.
 * If it did not ("Unknown node"), it holds no ban, and a gossip message a peer sent before its own
 * FORGET can still bring the id in after (seen in CI: the main server then started with the ghost
 * and, once the peers' bans ran out, gave it back to them). So the run remembers the id: a later
 * round that sees it forgets it again, and it is dropped from the saved nodes.conf
 * (drop_forgotten). A peer that does not answer (down, or initializing without a client port)
 * forgets the id through its own init. */
static void forget_everywhere(run_t *r, const char *id, volatile sig_atomic_t *interrupted)
{
    note_forgotten(r, id);
    char err[RCI_ERR_LEN];
    const char *argv[] = { "CLUSTER", "FORGET", id };
    fan_target_t *t;
    size_t *of;
    int fm = peers_fan(&r->peers, r->cfg, r->auth, 3, argv, r->deadline, interrupted, &t, &of, err, sizeof err);
    if (fm < 0) {
        LOG_W("forget %s: %s", id, err);
        return;
    }
    size_t m = (size_t)fm;
    int told = 0, refused = 0;
    for (size_t i = 0; i < m; i++) {
        if (t[i].result == RC_AUTH_FAILED || t[i].result == RC_TLS_FAILED) {
            if (!refused++) LOG_W("cannot forget on %s", t[i].err);
        } else if (t[i].result != 0) {
            LOG_D("forget: %s", t[i].err);
        } else if (t[i].reply->type != REDIS_REPLY_ERROR || strstr(t[i].reply->str, "nknown node")) {
            told++;
        } else {
            LOG_D("forget on %s: %s", t[i].ip, t[i].reply->str);
        }
    }
    peers_fan_free(t, of, m);
    const char *here = " and here";
    if (rc_simple(&r->rc, err, sizeof err, 3, argv) != 0) {
        if (strstr(err, "nknown node"))
            here = "; this node did not know it yet, so it holds no ban for it (if gossip brings it back, it is "
                   "forgotten again and kept out of nodes.conf)";
        else
            LOG_W("forget on this node: %s", err);
    }
    LOG_I("forgot %s on %d of %zu peers%s", id, told, m, here);
}

/* One action on the local server: its command (logged as it is sent). FORGET is not one: it goes
 * to every peer (forget_everywhere). */
typedef struct {
    const char *argv[5];
    int argc;
    char b1[32], b2[32];
} local_cmd_t;

static void local_cmd(run_t *r, const dec_action_t *a, local_cmd_t *c)
{
    memset(c, 0, sizeof *c);
    switch (a->kind) {
    case ACT_SET_EPOCH:
        snprintf(c->b1, sizeof c->b1, "%llu", (unsigned long long)a->epoch);
        c->argv[0] = "CLUSTER"; c->argv[1] = "SET-CONFIG-EPOCH"; c->argv[2] = c->b1; c->argc = 3;
        LOG_I("set config epoch %s (%s)", c->b1, a->reason);
        break;
    case ACT_MEET: {
        const dec_peer_t *p = &r->peers.peers[a->peer];
        snprintf(c->b1, sizeof c->b1, "%d", r->cfg->port);
        snprintf(c->b2, sizeof c->b2, "%d", r->cfg->bus_port);
        c->argv[0] = "CLUSTER"; c->argv[1] = "MEET"; c->argv[2] = p->ip; c->argv[3] = c->b1; c->argv[4] = c->b2;
        c->argc = 5;
        /* Summed up per round, moved peers and new ones apart (log_meets); each one at debug. */
        LOG_D("meet %s at %s (%s)", p->name, p->ip, a->reason);
        break;
    }
    case ACT_ADD_SLOTS:
        snprintf(c->b1, sizeof c->b1, "%d", a->first);
        snprintf(c->b2, sizeof c->b2, "%d", a->last);
        c->argv[0] = "CLUSTER"; c->argv[1] = "ADDSLOTSRANGE"; c->argv[2] = c->b1; c->argv[3] = c->b2; c->argc = 4;
        if (a->data_lost) LOG_E("claim slots %s-%s: DATA LOST: %s", c->b1, c->b2, a->reason);
        else LOG_I("claim slots %s-%s (%s)", c->b1, c->b2, a->reason);
        break;
    case ACT_BUMP_EPOCH:
        c->argv[0] = "CLUSTER"; c->argv[1] = "BUMPEPOCH"; c->argc = 2;
        LOG_I("bump config epoch (%s)", a->reason);
        break;
    case ACT_REPLICATE:
        c->argv[0] = "CLUSTER"; c->argv[1] = "REPLICATE"; c->argv[2] = a->node_id; c->argc = 3;
        LOG_I("replicate %s (%s)", a->node_id, a->reason);
        break;
    default:
        break;
    }
}

/* A round's MEETs of one kind in a line: to peers known at an old address (moved) or to peers this
 * node does not know yet (a new node of a 100-shard cluster meets 199 of them; after a restart of
 * every pod, each meets all its peers at new addresses). One or two moved peers get a line each,
 * as each matters at 3 a.m.; more are counted, with the first few names; each one is at debug level. */
static void log_meets(const run_t *r, const dec_action_t *a, size_t n, int moved)
{
    char names[512] = "";
    size_t len = 0, count = 0, shown = 0;
    int full = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].kind != ACT_MEET || a[i].moved != moved) continue;
        count++;
        if (full || shown == MEETS_NAMED) continue;
        const dec_peer_t *p = &r->peers.peers[a[i].peer];
        int w = snprintf(names + len, sizeof names - len, "%s%s (%s)", shown ? ", " : "", p->name, p->ip);
        if (w < 0 || (size_t)w >= sizeof names - len) {
            names[len] = '\0'; /* no half name */
            full = 1;
            continue;
        }
        len += (size_t)w;
        shown++;
    }
    if (count == 0) return;
    const char *what = moved ? "known here at an old address, at the one DNS gives" : "not known to this node";
    if (moved && count <= MEETS_EACH) {
        for (size_t i = 0; i < n; i++)
            if (a[i].kind == ACT_MEET && a[i].moved)
                LOG_I("meet %s at %s (%s)", r->peers.peers[a[i].peer].name, r->peers.peers[a[i].peer].ip, a[i].reason);
    } else if (count > shown) {
        LOG_I("meet %zu peers %s: %s and %zu more", count, what, names, count - shown);
    } else {
        LOG_I("meet %zu peer%s %s: %s", count, count == 1 ? "" : "s", what, names);
    }
}

/* Send actions a[0..n) (all local commands) in one pipeline, followed by CLUSTER NODES into
 * r->next when read_next: on a loaded node every round trip to the local server costs a scheduling
 * delay (about a second with 100 busy pods on 2 cores), so a round's actions and the next round's
 * observation share one. Failures are logged and retried next round. */
static void send_actions(run_t *r, const dec_action_t *a, size_t n, int read_next)
{
    char err[RCI_ERR_LEN];
    size_t m = n + (read_next ? 1 : 0);
    local_cmd_t *c = calloc(n ? n : 1, sizeof *c);
    const char *const **argvs = calloc(m, sizeof *argvs);
    int *argcs = calloc(m, sizeof *argcs);
    redisReply **replies = calloc(m, sizeof *replies);
    static const char *nodes_argv[] = { "CLUSTER", "NODES" };
    if (!c || !argvs || !argcs || !replies) {
        free(c); free(argvs); free(argcs); free(replies);
        LOG_W("out of memory for %zu actions; will retry", n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        local_cmd(r, &a[i], &c[i]);
        argvs[i] = c[i].argv;
        argcs[i] = c[i].argc;
    }
    log_meets(r, a, n, 1);
    log_meets(r, a, n, 0);
    if (read_next) { argvs[n] = nodes_argv; argcs[n] = 2; }
    if (rc_pipeline(&r->rc, (int)m, argcs, argvs, replies, err, sizeof err) != 0) {
        LOG_W("%s failed, will retry: %s", n == 1 ? dec_kind_name(a[0].kind) : "actions", err);
    } else {
        int64_t now = clock_now_ms();
        for (size_t i = 0; i < n; i++) {
            if (replies[i] && replies[i]->type == REDIS_REPLY_ERROR) {
                if (a[i].kind == ACT_MEET)
                    LOG_W("meet %s at %s failed, will retry: %s", r->peers.peers[a[i].peer].name,
                          r->peers.peers[a[i].peer].ip, replies[i]->str);
                else
                    LOG_W("%s failed, will retry: %s: %s", dec_kind_name(a[i].kind), r->rc.where, replies[i]->str);
            } else if (a[i].kind == ACT_MEET) {
                peers_note_meet(&r->peers, (size_t)a[i].peer, now);
            }
        }
        if (read_next && rc_parse_cluster_nodes(replies[n], r->rc.where, &r->next, err, sizeof err) != 0)
            cv_free(&r->next); /* the next round reads it again */
    }
    for (size_t i = 0; i < m; i++) freeReplyObject(replies[i]);
    free(c); free(argvs); free(argcs); free(replies);
}

/* A round's actions, in the plan's order: local commands batched (the last batch carries the next
 * observation), FORGET to every peer in between. */
static void act_all(run_t *r, const dec_plan_t *plan, volatile sig_atomic_t *interrupted)
{
    size_t n = plan->n ? plan->n - 1 : 0; /* the verdict is last */
    size_t i = 0;
    while (i < n) {
        if (plan->actions[i].kind == ACT_FORGET) {
            LOG_W("forget %s everywhere (%s)", plan->actions[i].node_id, plan->actions[i].reason);
            forget_everywhere(r, plan->actions[i].node_id, interrupted);
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && plan->actions[j].kind != ACT_FORGET) j++;
        send_actions(r, &plan->actions[i], j - i, j == n);
        i = j;
    }
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
    /* The local server answers in microseconds unless the machine is overloaded: allow it more
     * than a peer gets, the deadline still bounds the run. */
    int ms = r->cfg->connect_timeout_ms * 5;
    return rc_connect_unix(&r->rc, r->srv.sock, r->auth, ms, err, errlen);
}

/* Read the temporary server's CLUSTER NODES into view. 0 read; 1 not now (a slow answer from a
 * loaded node, logged; retried until the deadline); -1 the server exited (err says so: a failure). */
static int read_local(run_t *r, cv_view_t *view, char *err, size_t errlen)
{
    char lerr[RCI_ERR_LEN];
    if (ensure_conn(r, lerr, sizeof lerr) == 0 && rc_cluster_nodes(&r->rc, view, lerr, sizeof lerr) == 0) return 0;
    if (!srv_alive(&r->srv)) {
        snprintf(err, errlen, "the temporary redis-server exited; see its log lines above");
        srv_log_tail(&r->srv, 10);
        return -1;
    }
    rc_close(&r->rc);
    log_wait(r, lerr);
    return 1;
}

/* The run's deadline passed: the timeout, with what the run last waited for. */
static int timed_out(const run_t *r, char *err, size_t errlen)
{
    snprintf(err, errlen, "deadline of %d s passed; last state: %s", r->cfg->deadline_s,
             r->last_reason[0] ? r->last_reason : "nothing observed");
    return RCI_ERR_TIMEOUT;
}

/* The reconcile loop. Returns an RCI_* status; err explains a failure. */
static int reconcile(run_t *r, volatile sig_atomic_t *interrupted, char *err, size_t errlen)
{
    int64_t next_dns_warn = 0;
    char last_summary[2048] = "";
    for (int round = 0;; round++) {
        if (*interrupted) { snprintf(err, errlen, "interrupted by a signal"); return RCI_ERR_SIGNAL; }
        if (clock_left_ms(r->deadline) == 0) return timed_out(r, err, errlen);
        obs_t o;
        memset(&o, 0, sizeof o);
        o.cfg = r->cfg;
        o.auth = r->auth;
        o.peers = &r->peers;
        o.deadline = r->deadline;
        o.interrupted = interrupted;
        if (r->peer_views_at) { o.reuse = &r->peer_views; o.reuse_at = r->peer_views_at; }
        /* Every name in the first round; readdress_first may have just resolved them: then only
         * those that did not resolve (an address is at most PEERS_REFRESH_MS old). */
        int mode = round > 0 ? PEERS_RESOLVE_DUE : r->resolved_first ? PEERS_RESOLVE_UNRESOLVED : PEERS_RESOLVE_ALL;
        o.dns_trouble = peers_resolve(&r->peers, r->cfg, r->deadline, mode, o.dns_reason, sizeof o.dns_reason);
        if (o.dns_trouble < 0) { snprintf(err, errlen, "%s", o.dns_reason); return RCI_ERR_RUNTIME; }
        /* The temporary server is ours and local: a slow answer (a loaded node) is retried until
         * the deadline, not a failure. A server that died is one (srv_alive). */
        int rd;
        if (r->next.n > 0) {
            o.local = r->next; /* read with the last round's actions */
            memset(&r->next, 0, sizeof r->next);
        } else if ((rd = read_local(r, &o.local, err, errlen)) != 0) {
            if (rd < 0) return RCI_ERR_RUNTIME;
            clock_sleep_ms(ROUND_MS, r->deadline);
            continue;
        }
        peers_note_view(&r->peers, &o.local, clock_now_ms());
        peers_update_meet_ages(&r->peers, clock_now_ms());
        /* The first round counts nothing as heard, as plan does from nodes.conf: on a small cluster
         * the server can hear every peer (and Redis demote a failed-over master) before the first
         * read, and the first round would then differ from what plan showed (sim.plan_run). */
        o.heard_since_unix_ms = round == 0 ? INT64_MAX : r->started_unix_ms;
        /* Rule 8's graces count from the server's first answer, not the run's start: on a loaded
         * node the server can take longer than the grace to start, and a peer known at its address
         * would otherwise get no grace at all. */
        o.elapsed_ms = clock_now_ms() - r->server_up;
        o.forgotten = (const char (*)[CV_ID_LEN + 1])r->forgotten;
        o.n_forgotten = r->n_forgotten;
        dec_plan_t plan;
        if (obs_decide(&o, &plan, err, errlen) != 0) {
            obs_free(&o);
            return RCI_ERR_RUNTIME;
        }
        dec_input_t in;
        obs_input(&o, &in);
        char summary[2048];
        dec_plan_summary(&in, &plan, summary, sizeof summary);
        if (strcmp(summary, last_summary) != 0) {
            LOG_D("round %d: %s", round + 1, summary);
            snprintf(last_summary, sizeof last_summary, "%s", summary);
        }
        const dec_action_t *v = dec_verdict(&plan);
        if (round == 0) LOG_I("goal: %s", plan.role);
        act_all(r, &plan, interrupted);
        int status = -1;
        if (v->kind == ACT_DONE) {
            const cv_node_t *me = cv_myself(&o.local);
            LOG_I("done: %s (node %s)", v->reason, me ? me->id : "?");
            status = RCI_OK;
        } else if (v->kind == ACT_FAIL) {
            snprintf(err, errlen, "%s", v->reason);
            status = RCI_ERR_RUNTIME;
        } else if (o.dns_trouble) {
            /* Without answers this pod cannot know who is up (rule 12): warn, retry slower. */
            if (clock_now_ms() >= next_dns_warn) {
                LOG_W("%s; retrying until the deadline", v->reason);
                next_dns_warn = clock_now_ms() + REPEAT_LOG_MS;
            }
            snprintf(r->last_reason, sizeof r->last_reason, "%s", v->reason);
        } else {
            log_wait(r, v->reason);
        }
        int dns = o.dns_trouble;
        int forgot = 0;
        for (size_t i = 0; i < plan.n; i++) forgot |= plan.actions[i].kind == ACT_FORGET;
        if (forgot) { /* the peers' views changed: the next role reads them anew */
            cv_free(&r->peer_views);
            r->peer_views_at = 0;
        } else if (o.peers_fresh) { /* kept for the next rounds (OBS_REUSE_MS) */
            cv_free(&r->peer_views);
            r->peer_views = o.seen;
            r->peer_views_at = o.read_at;
            memset(&o.seen, 0, sizeof o.seen);
        }
        dec_plan_free(&plan);
        obs_free(&o);
        if (status >= 0) return status;
        clock_sleep_ms(dns ? ROUND_MS * 4 : ROUND_MS, r->deadline);
    }
}

/* A fresh replica between rounds: wait at most ms for its pod 0's word (seedrun_hear) on sub, or
 * just sleep when there is no subscription. */
static void seed_pause(rc_conn_t *sub, char *word, int *heard, int64_t ms, int64_t deadline)
{
    int64_t left = clock_left_ms(deadline);
    if (ms > left) ms = left;
    if (!rc_connected(sub) || *heard) {
        clock_sleep_ms(ms, deadline);
        return;
    }
    char err[RCI_ERR_LEN];
    int got = seedrun_hear(sub, (int)ms, word, err, sizeof err);
    if (got > 0) *heard = 1;
    if (got < 0) LOG_D("no longer listening for the pod 0's word: %s", err);
}

/* A fresh replica that does not seed runs the loop: its temporary server, which listened for the
 * bus on a quiet port while the pod could seed (render_init_config), starts again on the real one,
 * without the client port, as any pod's. It was met by no node there, so nothing knows its id. */
static int restart_for_loop(run_t *r, char *err, size_t errlen)
{
    /* Seeding may have waited out the deadline (DNS down, say): say what it waited for. */
    if (clock_left_ms(r->deadline) == 0) return timed_out(r, err, errlen);
    rc_close(&r->rc);
    LOG_I("the temporary redis-server starts again on the cluster bus port %d (it listened on %d while this "
          "pod could seed) and without the client port", r->cfg->bus_port, render_quiet_bus_port(r->cfg));
    srv_discard(&r->srv, clock_now_ms() + SRV_STOP_MS);
    r->srv.client_port = 0;
    char serr[RCI_ERR_LEN];
    if (srv_start(r->cfg, &r->srv, r->deadline, serr, sizeof serr) == 0) return RCI_OK;
    if (clock_left_ms(r->deadline) > 0) {
        snprintf(err, errlen, "%s", serr);
        return RCI_ERR_RUNTIME;
    }
    LOG_W("%s", serr);
    return timed_out(r, err, errlen);
}

/* A fresh pod of a new cluster writes its nodes.conf itself (lib/seed.c): the cluster bus is then
 * formed once, by the main containers. Pod 0 decides before any server runs; a replica while its
 * temporary server (blank, on the client port) lets its pod 0 see it is fresh, and stops it
 * without keeping its nodes.conf before writing the seeded one. Returns an RCI_* status (err says
 * why when not RCI_OK); *seeded tells whether it seeded or the rules take over (a replica's
 * temporary server then back on the bus port: restart_for_loop). */
static int seed_phase(run_t *r, int *seeded, volatile sig_atomic_t *interrupted, char *err, size_t errlen)
{
    char why[RCI_ERR_LEN];
    int64_t start = clock_now_ms();
    seedrun_state_t st = { 0 };
    /* A replica listens for its pod 0's word (lib/seed.h, SEED_CHANNEL) on its temporary server. */
    rc_conn_t sub;
    memset(&sub, 0, sizeof sub);
    char word[SEED_WORD_LEN] = "";
    int heard = 0;
    if (r->srv.pid > 0 &&
        seedrun_listen(&sub, r->srv.sock, r->auth, r->cfg->connect_timeout_ms * 5, why, sizeof why) != 0)
        LOG_D("not listening for the pod 0's word (it reads its pod 0's server only): %s", why);
    int status = 0;
    for (;;) {
        if (*interrupted) { snprintf(err, errlen, "interrupted by a signal"); status = RCI_ERR_SIGNAL; break; }
        if (clock_left_ms(r->deadline) == 0) {
            status = timed_out(r, err, errlen);
            break;
        }
        seed_pause(&sub, word, &heard, 0, r->deadline);
        cv_view_t self = { 0 };
        int rd = r->srv.pid > 0 ? read_local(r, &self, err, errlen) : 0;
        if (rd < 0) { status = RCI_ERR_RUNTIME; break; }
        if (rd > 0) {
            seed_pause(&sub, word, &heard, SEED_ROUND_MS, r->deadline);
            continue;
        }
        int v = seedrun_observe(r->cfg, r->auth, &r->peers, r->id->ip, r->srv.pid > 0 ? &self : NULL,
                                heard ? word : NULL, &st, clock_now_ms() - start, r->deadline, interrupted,
                                why, sizeof why);
        cv_free(&self);
        if (v < 0) { snprintf(err, errlen, "interrupted by a signal"); status = RCI_ERR_SIGNAL; break; }
        if (v == SEED_NO) {
            LOG_I("not seeding: %s; the rules of a run take over", why);
            snprintf(r->last_reason, sizeof r->last_reason, "not seeding: %s", why);
            break;
        }
        if (v == SEED_WAIT) {
            log_wait(r, why);
            seed_pause(&sub, word, &heard, SEED_ROUND_MS, r->deadline);
            continue;
        }
        /* Every peer ordered before this pod resolves (seed_decide): those are the addresses
         * written; the later ones connect to this pod. */
        char desc[256], path[CFG_PATH + 16];
        seedrun_describe(r->cfg, &r->peers, desc, sizeof desc);
        srv_nodes_conf_path(r->cfg, path, sizeof path);
        rc_close(&sub);
        rc_close(&r->rc);
        srv_discard(&r->srv, clock_now_ms() + SRV_STOP_MS);
        if (seedrun_write(r->cfg, r->id, &r->peers, err, errlen) != 0) return RCI_ERR_RUNTIME;
        LOG_I("seeded %s: %s; %zu of %zu peers resolve", path, why, peers_resolved_count(&r->peers), r->peers.n);
        /* Only now, with nodes.conf written, is this pod 0's id certain: its replicas may follow it. */
        if (r->id->ordinal == 0) seedrun_tell(r->cfg, r->auth, &r->peers, r->deadline, interrupted);
        LOG_I("done: %s (seeded: the main container's server joins its peers by itself)", desc);
        *seeded = 1;
        return RCI_OK;
    }
    rc_close(&sub);
    if (status == RCI_OK && r->srv.client_port) status = restart_for_loop(r, err, errlen);
    return status;
}

/* What a run does once its runtime config is written: a pod 0 of a new cluster may seed before any
 * server runs; otherwise the temporary server starts, a fresh replica may seed, and the rules run. */
static int run_work(run_t *r, int seed, volatile sig_atomic_t *interrupted, char *err, size_t errlen)
{
    int seeded = 0, status;
    if (seed && r->id->ordinal == 0 &&
        ((status = seed_phase(r, &seeded, interrupted, err, errlen)) != RCI_OK || seeded))
        return status;
    if (srv_start(r->cfg, &r->srv, r->deadline, err, errlen) != 0) return RCI_ERR_RUNTIME;
    if (seed && r->id->ordinal > 0 &&
        ((status = seed_phase(r, &seeded, interrupted, err, errlen)) != RCI_OK || seeded))
        return status;
    /* A PONG counts as news from this run only after the server loaded nodes.conf: Redis stamps
     * every node it loads with the load time (clusterLoadConfig), which would otherwise look like a
     * PONG heard now and let a stale view decide (rule 8). */
    r->started_unix_ms = clock_unix_ms() + 1;
    r->server_up = clock_now_ms();
    r->reconciled = 1;
    return reconcile(r, interrupted, err, errlen);
}

/* Write into nodes.conf the address DNS gives each peer it has at another one (lib/addrfix.h).
 * Before the temporary server loads it (first): a pod whose peers moved while it was down (every
 * pod restarted at once, say) finds them there at their old addresses; its server would reach
 * none of them, and rule 2 would MEET each one at its new address and wait for the handshakes.
 * Written first, the server reaches them at once by their known ids; rule 8 still waits to hear
 * from each; a peer that does not resolve yet is left as it was (rule 2 meets it once it does);
 * plan shows this step (lib/inspect.c). After the run: a peer whose new address did not answer
 * within the handshake grace is still in the saved nodes.conf at its old one; if its own run did
 * the same with this pod, the two main servers would never connect until one marks the other
 * failing. A failure here loses nothing: the run meets them instead, or Redis repairs such a pair
 * after a node timeout. */
static void write_addresses(const run_t *r, int first)
{
    char path[CFG_PATH + 16], what[1024], err[RCI_ERR_LEN];
    srv_nodes_conf_path(r->cfg, path, sizeof path);
    int n = peers_write_addresses(&r->peers, path, what, sizeof what, err, sizeof err);
    if (n < 0)
        LOG_W("could not write the peers' current addresses into nodes.conf (%s); %s", err,
              first ? "the run meets them at the addresses DNS gives instead"
                    : "a peer still at an old address there is found again by gossip within a node timeout");
    else if (n > 0)
        LOG_I("nodes.conf: %d peer%s %s written at the address DNS gives, %s: %s", n, n == 1 ? "" : "s",
              first ? "known there at an old address"
                    : "still known at an old address (no answer at the new one within the handshake grace)",
              first ? "before the temporary server loads it, so it reaches them without a MEET"
                    : "so the main container's server reaches them at once", what);
    else
        LOG_D("nodes.conf: every peer that resolves is known there at the address DNS gives");
}

/* An id this run forgot may be back in the temporary server's view when it saved nodes.conf: that
 * server did not know the id when told (no ban there) and gossip sent before a peer's FORGET
 * brought it in after the last round. The main container's server has no ban either: loading the
 * id, it would keep it and, once the peers' bans end (60 s), give it back to every node. */
static void drop_forgotten(const run_t *r)
{
    if (!r->n_forgotten) return;
    char path[CFG_PATH + 16], err[RCI_ERR_LEN], why[RCI_ERR_LEN];
    srv_nodes_conf_path(r->cfg, path, sizeof path);
    char *text = NULL, *out = NULL;
    size_t len;
    if (fio_read_all(path, SRV_NODES_CONF_MAX, &text, &len, err, sizeof err) != 0) {
        LOG_W("could not check nodes.conf for forgotten ids: %s", err);
        return;
    }
    int n = af_drop(text, (const char (*)[CV_ID_LEN + 1])r->forgotten, r->n_forgotten, &out, why, sizeof why);
    if (n < 0)
        LOG_W("could not drop forgotten ids from %s: %s", path, why);
    else if (n > 0 && fio_write_atomic(path, out, err, sizeof err) != 0)
        LOG_W("could not drop forgotten ids from nodes.conf: %s", err);
    else if (n > 0)
        LOG_W("nodes.conf: dropped %d node%s this run forgot and the temporary server learned again by gossip "
              "after its last round (it held no ban for them); the main container's server starts without them",
              n, n == 1 ? "" : "s");
    else
        LOG_D("nodes.conf holds none of the %zu id%s this run forgot", r->n_forgotten, r->n_forgotten == 1 ? "" : "s");
    free(text);
    free(out);
}

/* Resolve every peer and write their addresses into nodes.conf before the temporary server starts. */
static void readdress_first(run_t *r)
{
    char err[RCI_ERR_LEN];
    int trouble = peers_resolve(&r->peers, r->cfg, r->deadline, PEERS_RESOLVE_ALL, err, sizeof err);
    if (trouble < 0) {
        LOG_W("%s; the peers' addresses in nodes.conf are left as they are", err);
        return;
    }
    r->resolved_first = trouble == 0;
    write_addresses(r, 1);
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
    char err[RCI_ERR_LEN] = "";
    int status;
    LOG_I("redis-cluster-init %s: pod %s, shard %d, ordinal %d, ip %s", RCI_VERSION, id->pod, id->shard, id->ordinal,
          id->ip[0] ? id->ip : "(POD_IP unset)");
    if (peers_init(&r.peers, cfg, id, err, sizeof err) != 0) {
        LOG_E("failed: %s", err);
        return RCI_ERR_RUNTIME;
    }
    r.peers.interrupted = interrupted;
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
    int has_nodes_conf = describe_nodes_conf(cfg);
    char why_not[RCI_ERR_LEN];
    /* Asked before the temporary server writes a nodes.conf of its own. A fresh replica's server
     * answers on the client port: its pod 0 reads it there to know the shard holds no data. */
    int seed = seedrun_applies(cfg, id, why_not, sizeof why_not);
    if (!seed) LOG_D("not seeding: %s", why_not);
    r.srv.client_port = seed && id->ordinal > 0;
    if (!seed && has_nodes_conf) readdress_first(&r);
    if (srv_write_runtime_config(cfg, id, r.peers.me.fqdn, auth, err, sizeof err) != 0)
        status = RCI_ERR_RUNTIME;
    else
        status = run_work(&r, seed, interrupted, err, sizeof err);
    rc_close(&r.rc);
    cv_free(&r.next);
    cv_free(&r.peer_views);
    char serr[RCI_ERR_LEN] = "";
    /* Stopping gets its own time even after the deadline: a clean stop keeps nodes.conf. */
    if (srv_stop(&r.srv, clock_now_ms() + SRV_STOP_MS, serr, sizeof serr) != 0 && status == RCI_OK) {
        snprintf(err, sizeof err, "%s", serr);
        status = RCI_ERR_RUNTIME;
    }
    drop_forgotten(&r);
    if (status == RCI_OK && r.reconciled) write_addresses(&r, 0);
    free(r.forgotten);
    peers_free(&r.peers);
    if (status == RCI_OK) {
        LOG_I("runtime config %s is ready; the main container can start: redis-server %s", cfg->runtime_config,
              cfg->runtime_config);
        return RCI_OK;
    }
    LOG_E("failed: %s. What to do: %s", err, advice(status));
    return status;
}
