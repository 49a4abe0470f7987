/* clusterwait: a benchmark helper (not shipped). Polls every node of a cluster until it is fully
 * ready: every node cluster_state:ok, every view holds exactly N healthy nodes, each at an address
 * one of the N has now, S masters own slots, every replica's link is up, all seen in one pass.
 * Prints the wall-clock epoch time (seconds) at the end of that pass.
 * A password comes from $REDISCLI_AUTH; with $CW_TLS_DIR (ca.crt, node.crt, node.key, as podsim
 * --tls makes them) it connects with TLS, through the project's own client (lib/rclient).
 * usage: clusterwait TIMEOUT_S MASTERS ip:port...
 * MASTERS 0: only wait until every node answers PING (plain servers about to be clustered). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "rclient.h"
#include "tls.h"

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

typedef struct {
    rc_conn_t rc;
    const rc_auth_t *auth;
    char ip[64];
    int port;
    long full_reads; /* CLUSTER NODES sent: with $CW_STATS, printed on stderr at the end */
    char why[160];   /* why it was not ready the last time it was asked: printed at the timeout */
} node_t;

/* Ask a node: CLUSTER INFO and INFO replication in one pipeline, or (full) CLUSTER NODES. */
static int ask(node_t *n, redisReply **rep, int full)
{
    char err[512];
    if (!rc_connected(&n->rc) && rc_connect_tcp(&n->rc, n->ip, n->port, n->auth, 1000, err, sizeof err) != 0)
        return -1;
    static const char *info[] = { "CLUSTER", "INFO" }, *repl[] = { "INFO", "replication" }, *nodes[] = { "CLUSTER", "NODES" };
    const char *const *argvs[] = { info, repl };
    const char *const *argvn[] = { nodes };
    const int argcs[] = { 2, 2 };
    return full ? rc_pipeline(&n->rc, 1, argcs, argvn, rep, err, sizeof err)
                : rc_pipeline(&n->rc, 2, argcs, argvs, rep, err, sizeof err);
}

/* Is the address of a CLUSTER NODES line (its second field, ip:port@cport[,hostname]) one of the
 * cluster's nodes' now? A view that holds a dead address sends clients there (CLUSTER SLOTS, MOVED). */
static int addr_is_current(const char *line, const node_t *all, int n_all)
{
    const char *a = strchr(line, ' ');
    if (!a) return 0;
    a++;
    const char *at = strchr(a, '@'), *colon = NULL;
    for (const char *p = a; at && p < at; p++)
        if (*p == ':') colon = p;
    if (!colon) return 0;
    for (int i = 0; i < n_all; i++)
        if (strlen(all[i].ip) == (size_t)(colon - a) && memcmp(all[i].ip, a, (size_t)(colon - a)) == 0) return 1;
    return 0;
}

/* One node's verdict: 1 ready, 0 not yet. The cheap counters first (state, known nodes, the
 * replica's link); CLUSTER NODES, which a 200-node server takes milliseconds to write, only once
 * they pass: polling it from every node until ready loaded a 100x1 cluster with seconds of CPU. */
static int node_ready(node_t *c, const node_t *all, int n_nodes, int *is_master_with_slots)
{
    redisReply *rep[2];
    snprintf(c->why, sizeof c->why, "no answer");
    if (ask(c, rep, 0) != 0) return 0;
    const redisReply *info = rep[0], *repl = rep[1];
    int ok = info->type == REDIS_REPLY_STRING && strstr(info->str, "cluster_state:ok") != NULL;
    if (!ok) snprintf(c->why, sizeof c->why, "cluster_state not ok");
    const char *kn = ok ? strstr(info->str, "cluster_known_nodes:") : NULL;
    ok = kn && atoi(kn + strlen("cluster_known_nodes:")) == n_nodes;
    if (kn && !ok) snprintf(c->why, sizeof c->why, "knows %d nodes", atoi(kn + strlen("cluster_known_nodes:")));
    int replica = repl->type == REDIS_REPLY_STRING && strstr(repl->str, "role:slave") != NULL;
    if (ok && replica) ok = strstr(repl->str, "master_link_status:up") != NULL;
    if (kn && !ok && replica) snprintf(c->why, sizeof c->why, "replica, link to its master down");
    for (int i = 0; i < 2; i++) freeReplyObject(rep[i]);
    if (!ok) return 0;
    redisReply *nr;
    c->full_reads++;
    snprintf(c->why, sizeof c->why, "no answer to CLUSTER NODES");
    if (ask(c, &nr, 1) != 0) return 0;
    if (nr->type == REDIS_REPLY_STRING) {
        int lines = 0, bad = 0, stale = 0, me_replica = 0, slots = 0;
        for (const char *l = nr->str; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            char line[1024];
            size_t len = strcspn(l, "\n");
            if (len == 0) break;
            if (len >= sizeof line) len = sizeof line - 1;
            memcpy(line, l, len);
            line[len] = '\0';
            lines++;
            if (strstr(line, "fail") || strstr(line, "handshake") || strstr(line, "noaddr")) bad++;
            else if (!addr_is_current(line, all, n_nodes)) stale++;
            if (strstr(line, "myself")) {
                me_replica = strstr(line, "slave") != NULL;
                int fields = 0;
                for (char *p = line; *p; p++) if (*p == ' ') fields++;
                slots = fields >= 8;
            }
        }
        *is_master_with_slots = !me_replica && slots;
        ok = lines == n_nodes && bad == 0 && stale == 0 && me_replica == replica;
        if (!ok)
            snprintf(c->why, sizeof c->why, "CLUSTER NODES: %d lines, %d failed/handshake/noaddr, %d at an address no node has%s",
                     lines, bad, stale, me_replica != replica ? ", its role differs from INFO's" : "");
    } else {
        ok = 0;
    }
    freeReplyObject(nr);
    return ok;
}

/* Does the node answer PING? */
static int node_up(node_t *n)
{
    char err[512];
    snprintf(n->why, sizeof n->why, "no answer to PING");
    if (!rc_connected(&n->rc) && rc_connect_tcp(&n->rc, n->ip, n->port, n->auth, 1000, err, sizeof err) != 0)
        return 0;
    static const char *ping[] = { "PING" };
    return rc_simple(&n->rc, err, sizeof err, 1, ping) == 0;
}

int main(int argc, char **argv)
{
    /* A node may close a connection mid-write (a fresh replica's temporary server answers on the
     * client port until its init stops it; TLS writes raise SIGPIPE): an error to retry, not death. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 4) { fprintf(stderr, "usage: clusterwait TIMEOUT_S MASTERS ip:port...\n"); return 2; }
    double deadline = now_s() + atof(argv[1]);
    int masters = atoi(argv[2]);
    int n = argc - 3;
    rc_auth_t auth = { 0 };
    const char *pw = getenv("REDISCLI_AUTH"), *tls_dir = getenv("CW_TLS_DIR");
    if (pw) snprintf(auth.password, sizeof auth.password, "%s", pw);
    if (tls_dir && *tls_dir) {
        char ca[512], cert[512], key[512], err[512];
        snprintf(ca, sizeof ca, "%s/ca.crt", tls_dir);
        snprintf(cert, sizeof cert, "%s/node.crt", tls_dir);
        snprintf(key, sizeof key, "%s/node.key", tls_dir);
        if (tls_ctx_load(&auth.tls, ca, cert, key, err, sizeof err) != 0) { fprintf(stderr, "clusterwait: %s\n", err); return 2; }
    }
    node_t *nodes = calloc((size_t)n, sizeof *nodes);
    if (!nodes) return 2;
    for (int i = 0; i < n; i++) {
        const char *colon = strrchr(argv[3 + i], ':');
        if (!colon) { fprintf(stderr, "clusterwait: %s: expected ip:port\n", argv[3 + i]); return 2; }
        snprintf(nodes[i].ip, sizeof nodes[i].ip, "%.*s", (int)(colon - argv[3 + i]), argv[3 + i]);
        nodes[i].port = atoi(colon + 1);
        nodes[i].auth = &auth;
    }
    /* Nodes are polled one after another, so a pass over 200 nodes of a busy cluster takes a while:
     * each node is polled until it is ready, then one pass over all of them must find every node
     * ready at once (a node that flipped back is polled again). The time printed is the end of
     * that pass. */
    int rc = 1;
    char *seen = calloc((size_t)n, 1);
    if (!seen) return 2;
    while (now_s() < deadline) {
        int pending = 0;
        for (int i = 0; i < n; i++) {
            int ms = 0;
            if (!seen[i]) seen[i] = (char)(masters == 0 ? node_up(&nodes[i]) : node_ready(&nodes[i], nodes, n, &ms));
            pending += !seen[i];
        }
        if (pending == 0 && masters == 0) { printf("%.3f\n", now_s()); rc = 0; break; }
        if (pending == 0) {
            int all = 1, m = 0;
            for (int i = 0; i < n; i++) {
                int ms = 0;
                seen[i] = (char)node_ready(&nodes[i], nodes, n, &ms);
                all &= seen[i];
                m += ms;
            }
            if (all && m == masters) { printf("%.3f\n", now_s()); rc = 0; break; }
        }
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (rc) {
        int shown = 0, left = 0;
        for (int i = 0; i < n; i++) left += !seen[i];
        fprintf(stderr, "clusterwait: not ready before the timeout (%d of %d nodes not ready%s)\n", left, n,
                masters == 0 || left ? "" : "; every node ready, but not as many masters own slots as expected");
        for (int i = 0; i < n && shown < 10; i++)
            if (!seen[i]) { fprintf(stderr, "  %s:%d: %s\n", nodes[i].ip, nodes[i].port, nodes[i].why); shown++; }
    }
    if (getenv("CW_STATS")) {
        long full = 0;
        for (int i = 0; i < n; i++) full += nodes[i].full_reads;
        fprintf(stderr, "clusterwait: %ld CLUSTER NODES sent to %d nodes\n", full, n);
    }
    for (int i = 0; i < n; i++) rc_close(&nodes[i].rc);
    free(nodes);
    tls_ctx_free(auth.tls);
    free(seen);
    return rc;
}
