/* clusterwait: a benchmark helper (not shipped). Polls every node of a cluster until it is fully
 * ready: every node cluster_state:ok, every view holds exactly N healthy nodes, S masters own
 * slots, every replica's link is up. Prints the wall-clock epoch time (seconds) it saw that.
 * usage: clusterwait TIMEOUT_S MASTERS ip:port... */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static redisReply *cmd(redisContext **c, const char *ip, int port, const char *command)
{
    if (!*c) {
        struct timeval tv = { 0, 200000 };
        *c = redisConnectWithTimeout(ip, port, tv);
        if (!*c || (*c)->err) { if (*c) redisFree(*c); *c = NULL; return NULL; }
        redisSetTimeout(*c, tv);
    }
    redisReply *r = redisCommand(*c, command);
    if (!r) { redisFree(*c); *c = NULL; }
    return r;
}

/* One node's verdict: 1 ready, 0 not yet. */
static int node_ready(redisContext **c, const char *ip, int port, int n_nodes, int *is_master_with_slots)
{
    int ok = 0;
    redisReply *info = cmd(c, ip, port, "CLUSTER INFO");
    if (!info) return 0;
    int state_ok = info->type == REDIS_REPLY_STRING && strstr(info->str, "cluster_state:ok");
    freeReplyObject(info);
    if (!state_ok) return 0;
    redisReply *nodes = cmd(c, ip, port, "CLUSTER NODES");
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
            redisReply *repl = cmd(c, ip, port, "INFO replication");
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
    redisContext **ctx = calloc((size_t)n, sizeof *ctx);
    char (*ips)[64] = calloc((size_t)n, sizeof *ips);
    int *ports = calloc((size_t)n, sizeof *ports);
    for (int i = 0; i < n; i++) {
        const char *colon = strrchr(argv[3 + i], ':');
        snprintf(ips[i], sizeof ips[i], "%.*s", (int)(colon - argv[3 + i]), argv[3 + i]);
        ports[i] = atoi(colon + 1);
    }
    int rc = 1;
    while (now_s() < deadline) {
        int all = 1, m = 0;
        for (int i = 0; i < n && all; i++) {
            int ms = 0;
            all = node_ready(&ctx[i], ips[i], ports[i], n, &ms);
            m += ms;
        }
        if (all && m == masters) { printf("%.3f\n", now_s()); rc = 0; break; }
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < n; i++) if (ctx[i]) redisFree(ctx[i]);
    free(ctx); free(ips); free(ports);
    if (rc) fprintf(stderr, "clusterwait: not ready before the timeout\n");
    return rc;
}
