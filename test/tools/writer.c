/* writer (benchmark and test helper, not shipped): a cluster client that writes keys one at a
 * time while slots move, following MOVED and ASK as a cluster-aware client does, and reports each
 * write's latency. Plain TCP; the password from REDISCLI_AUTH, as redis-cli takes it.
 *
 *   writer write ADDR PREFIX STOPFILE MAXOPS   SET PREFIX<i> v<i> until STOPFILE exists or MAXOPS;
 *                                              prints: writes N errors E p50 X p99 Y max Z (ms)
 *   writer verify ADDR PREFIX N                GET PREFIX<0..N-1>; prints: missing M of N
 * ADDR is ip:port of any node. Exit 0, or 1 on a failure to reach the cluster. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rclient.h"

#define MAX_NODES 64

typedef struct {
    char addr[80];
    rc_conn_t conn;
} node_t;

typedef struct {
    node_t nodes[MAX_NODES];
    int n;
    int slot_node[16384]; /* index into nodes, -1 unknown */
    rc_auth_t auth;
} client_t;

static unsigned crc16(const char *buf, size_t len)
{
    unsigned crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (unsigned)(unsigned char)buf[i] << 8;
        for (int j = 0; j < 8; j++) crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

static int key_slot(const char *k)
{
    size_t len = strlen(k);
    const char *o = memchr(k, '{', len);
    if (o) {
        const char *c = memchr(o + 1, '}', len - (size_t)(o + 1 - k));
        if (c && c > o + 1) return (int)(crc16(o + 1, (size_t)(c - o - 1)) & 16383);
    }
    return (int)(crc16(k, len) & 16383);
}

static int node_for(client_t *cl, const char *addr)
{
    for (int i = 0; i < cl->n; i++)
        if (strcmp(cl->nodes[i].addr, addr) == 0) return i;
    if (cl->n == MAX_NODES) return -1;
    node_t *nd = &cl->nodes[cl->n];
    snprintf(nd->addr, sizeof nd->addr, "%s", addr);
    char ip[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof ip) return -1;
    memcpy(ip, addr, (size_t)(colon - addr));
    ip[colon - addr] = '\0';
    char err[RCI_ERR_LEN];
    if (rc_connect_tcp(&nd->conn, ip, atoi(colon + 1), &cl->auth, 2000, err, sizeof err) != 0) {
        fprintf(stderr, "writer: %s\n", err);
        return -1;
    }
    nd->conn.timeout_ms = 5000;
    return cl->n++;
}

/* One command, following MOVED (remember the new owner) and ASK (ASKING, once); *reply owned. */
static int cmd(client_t *cl, int argc, const char **argv, redisReply **reply)
{
    int slot = key_slot(argv[1]);
    int ni = cl->slot_node[slot] >= 0 ? cl->slot_node[slot] : 0;
    int asking = 0;
    for (int hop = 0; hop < 5; hop++) {
        char err[RCI_ERR_LEN];
        if (asking) {
            const char *a[] = { "ASKING" };
            if (rc_simple(&cl->nodes[ni].conn, err, sizeof err, 1, a) != 0) return -1;
        }
        redisReply *r = NULL;
        if (rc_command_any(&cl->nodes[ni].conn, &r, err, sizeof err, argc, argv) != 0) {
            fprintf(stderr, "writer: %s\n", err);
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR && (strncmp(r->str, "MOVED ", 6) == 0 || strncmp(r->str, "ASK ", 4) == 0)) {
            int moved = r->str[0] == 'M';
            const char *addr = strchr(strchr(r->str, ' ') + 1, ' ');
            int to = addr ? node_for(cl, addr + 1) : -1;
            freeReplyObject(r);
            if (to < 0) return -1;
            if (moved) cl->slot_node[slot] = to;
            ni = to;
            asking = !moved;
            continue;
        }
        *reply = r;
        return 0;
    }
    return -1;
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    /* A node may close a connection mid-write (a fresh replica's temporary server answers on the
     * client port until its init stops it; TLS writes raise SIGPIPE): an error to retry, not death. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 5) {
        fprintf(stderr, "usage: writer write ADDR PREFIX STOPFILE MAXOPS | writer verify ADDR PREFIX N\n");
        return 2;
    }
    static client_t cl;
    memset(&cl, 0, sizeof cl);
    for (int s = 0; s < 16384; s++) cl.slot_node[s] = -1;
    const char *pw = getenv("REDISCLI_AUTH");
    if (pw) snprintf(cl.auth.password, sizeof cl.auth.password, "%s", pw);
    if (node_for(&cl, argv[2]) != 0) return 1;
    const char *prefix = argv[3];
    char key[128], val[64];
    if (strcmp(argv[1], "verify") == 0) {
        long n = atol(argv[4]), missing = 0;
        for (long i = 0; i < n; i++) {
            snprintf(key, sizeof key, "%s%ld", prefix, i);
            snprintf(val, sizeof val, "v%ld", i);
            const char *a[] = { "GET", key };
            redisReply *r = NULL;
            if (cmd(&cl, 2, a, &r) != 0) return 1;
            if (r->type != REDIS_REPLY_STRING || strcmp(r->str, val) != 0) missing++;
            freeReplyObject(r);
        }
        printf("missing %ld of %ld\n", missing, n);
        return missing ? 1 : 0;
    }
    if (argc < 6) return 2;
    const char *stop = argv[4];
    long max = atol(argv[5]), errors = 0, n = 0;
    int64_t *lat = malloc((size_t)(max > 0 ? max : 1) * sizeof *lat);
    if (!lat) return 1;
    for (; n < max; n++) {
        if ((n & 255) == 0 && access(stop, F_OK) == 0) break;
        snprintf(key, sizeof key, "%s%ld", prefix, n);
        snprintf(val, sizeof val, "v%ld", n);
        const char *a[] = { "SET", key, val };
        redisReply *r = NULL;
        struct timespec ts0, ts1;
        clock_gettime(CLOCK_MONOTONIC, &ts0);
        if (cmd(&cl, 3, a, &r) != 0) return 1;
        clock_gettime(CLOCK_MONOTONIC, &ts1);
        lat[n] = (int64_t)(ts1.tv_sec - ts0.tv_sec) * 1000000 + (ts1.tv_nsec - ts0.tv_nsec) / 1000;
        if (r->type == REDIS_REPLY_ERROR) {
            if (errors < 5) fprintf(stderr, "writer: SET %s: %s\n", key, r->str);
            errors++;
        }
        freeReplyObject(r);
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_int64);
    double p50 = n ? (double)lat[n / 2] / 1000.0 : 0, p99 = n ? (double)lat[(n * 99) / 100] / 1000.0 : 0;
    double mx = n ? (double)lat[n - 1] / 1000.0 : 0;
    printf("writes %ld errors %ld p50 %.2f p99 %.2f max %.2f\n", n, errors, p50, p99, mx);
    free(lat);
    for (int i = 0; i < cl.n; i++) rc_close(&cl.nodes[i].conn);
    return 0;
}
