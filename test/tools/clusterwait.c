/* clusterwait: a benchmark helper (not shipped). Polls every node of a cluster until it is fully
 * ready: every node cluster_state:ok, every view holds exactly N healthy nodes, S masters own
 * slots, every replica's link is up. Prints the wall-clock epoch time (seconds) it saw that.
 * A password comes from $REDISCLI_AUTH; with $CW_TLS_DIR (ca.crt, node.crt, node.key, as podsim
 * --tls makes them) it connects with TLS, through the project's own client (lib/rclient).
 * usage: clusterwait TIMEOUT_S MASTERS ip:port... */
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
} node_t;

static redisReply *cmd(node_t *n, const char *a0, const char *a1)
{
    char err[512];
    if (!rc_connected(&n->rc) && rc_connect_tcp(&n->rc, n->ip, n->port, n->auth, 200, err, sizeof err) != 0)
        return NULL;
    const char *argv[] = { a0, a1 };
    redisReply *r;
    if (rc_command(&n->rc, &r, err, sizeof err, 2, argv) != 0) return NULL;
    return r;
}

/* One node's verdict: 1 ready, 0 not yet. */
static int node_ready(node_t *c, int n_nodes, int *is_master_with_slots)
{
    int ok = 0;
    redisReply *info = cmd(c, "CLUSTER", "INFO");
    if (!info) return 0;
    int state_ok = info->type == REDIS_REPLY_STRING && strstr(info->str, "cluster_state:ok");
    freeReplyObject(info);
    if (!state_ok) return 0;
    redisReply *nodes = cmd(c, "CLUSTER", "NODES");
    if (!nodes) return 0;
    if (nodes->type == REDIS_REPLY_STRING) {
        int lines = 0, bad = 0, replica = 0, slots = 0;
        for (char *l = nodes->str; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            char line[1024];
            size_t len = strcspn(l, "\n");
            if (len == 0) break;
            if (len >= sizeof line) len = sizeof line - 1;
            memcpy(line, l, len);
            line[len] = '\0';
            lines++;
            if (strstr(line, "fail") || strstr(line, "handshake") || strstr(line, "noaddr")) bad++;
            if (strstr(line, "myself")) {
                replica = strstr(line, "slave") != NULL;
                int fields = 0;
                for (char *p = line; *p; p++) if (*p == ' ') fields++;
                slots = fields >= 8;
            }
        }
        *is_master_with_slots = !replica && slots;
        ok = lines == n_nodes && bad == 0;
        if (ok && replica) {
            redisReply *repl = cmd(c, "INFO", "replication");
            ok = repl && repl->type == REDIS_REPLY_STRING && strstr(repl->str, "master_link_status:up");
            if (repl) freeReplyObject(repl);
        }
    }
    freeReplyObject(nodes);
    return ok;
}

int main(int argc, char **argv)
{
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
    int rc = 1;
    while (now_s() < deadline) {
        int all = 1, m = 0;
        for (int i = 0; i < n && all; i++) {
            int ms = 0;
            all = node_ready(&nodes[i], n, &ms);
            m += ms;
        }
        if (all && m == masters) { printf("%.3f\n", now_s()); rc = 0; break; }
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < n; i++) rc_close(&nodes[i].rc);
    free(nodes);
    tls_ctx_free(auth.tls);
    if (rc) fprintf(stderr, "clusterwait: not ready before the timeout\n");
    return rc;
}
