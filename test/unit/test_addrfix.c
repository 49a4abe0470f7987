/* nodes.conf addresses brought up to date from DNS (lib/addrfix.c): text in, text out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrfix.h"
#include "peers.h"
#include "t.h"

#define H ".redis-headless.default.svc.cluster.local"
#define ME "aaaa000000000000000000000000000000000000 198.18.0.10:6379@16379,redis-shard0-0" H \
           " myself,master - 0 1700000000000 1 connected 0-8191\n"
#define S1 "bbbb000000000000000000000000000000000000 198.18.0.11:6379@16379,redis-shard1-0" H \
           " master - 0 1700000000000 2 connected 8192-16383\n"
#define R0 "cccc000000000000000000000000000000000000 198.18.0.12:6379@16379,redis-shard0-1" H \
           " slave aaaa000000000000000000000000000000000000 0 1700000000000 1 connected\n"
#define VARS "vars currentEpoch 2 lastVoteEpoch 0\n"

static void rewrites_only_stale_resolved_peers(void)
{
    af_peer_t p[] = {
        { "redis-shard1-0" H, "198.18.0.111", "x" },
        { "redis-shard0-1" H, "198.18.0.12", "y" }, /* same address: kept */
        { "redis-shard0-0" H, "198.18.0.99", "" }, /* my own name: the myself line is never touched */
    };
    char *out, err[128];
    int n = af_rewrite(ME S1 R0 VARS, p, 3, &out, err, sizeof err);
    CHECK(n == 1);
    CHECK(out != NULL);
    if (out)
        CHECK_STR(out, ME "bbbb000000000000000000000000000000000000 198.18.0.111:6379@16379,redis-shard1-0" H
                          " master - 0 1700000000000 2 connected 8192-16383\n" R0 VARS);
    CHECK_STR(p[0].old_ip, "198.18.0.11");
    CHECK_STR(p[1].old_ip, "");
    CHECK_STR(p[2].old_ip, "");
    free(out);
}

static void nothing_to_change(void)
{
    af_peer_t p[] = {
        { "redis-shard1-0" H, "", "" },   /* does not resolve */
        { "redis-shard0-1" H, NULL, "" }, /* does not resolve */
        { "redis-shard9-0" H, "198.18.0.50", "" }, /* not in the file */
    };
    char *out = (char *)1, err[128];
    CHECK(af_rewrite(ME S1 R0 VARS, p, 3, &out, err, sizeof err) == 0);
    CHECK(out == NULL);
}

static void skips_noaddr_handshake_and_no_hostname(void)
{
    const char *text =
        "dddd000000000000000000000000000000000000 :0@0,redis-shard1-0" H " master,noaddr - 0 0 2 connected\n"
        "eeee000000000000000000000000000000000000 198.18.0.40:6379@16379,redis-shard1-0" H " handshake - 0 0 0 connected\n"
        "ffff000000000000000000000000000000000000 198.18.0.41:6379@16379 master - 0 0 3 connected\n";
    af_peer_t p[] = { { "redis-shard1-0" H, "198.18.0.111", "" } };
    char *out, err[128];
    CHECK(af_rewrite(text, p, 1, &out, err, sizeof err) == 0);
    CHECK(out == NULL);
}

static void a_failed_node_and_a_name_that_is_a_prefix(void)
{
    /* A failed node of that pod is rewritten too (its server connects and learns which id is
     * there); a longer name that starts like the peer's is another pod. */
    const char *text =
        "bbbb000000000000000000000000000000000000 198.18.0.11:6379@16379,redis-shard1-0" H " master,fail - 0 0 2 connected\n"
        "9999000000000000000000000000000000000000 198.18.0.19:6379@16379,redis-shard1-0" H "x master - 0 0 4 connected";
    af_peer_t p[] = { { "redis-shard1-0" H, "198.18.0.111", "" } };
    char *out, err[128];
    CHECK(af_rewrite(text, p, 1, &out, err, sizeof err) == 1);
    if (out)
        CHECK_STR(out, "bbbb000000000000000000000000000000000000 198.18.0.111:6379@16379,redis-shard1-0" H
                       " master,fail - 0 0 2 connected\n"
                       "9999000000000000000000000000000000000000 198.18.0.19:6379@16379,redis-shard1-0" H
                       "x master - 0 0 4 connected");
    free(out);
}

static void ipv6_and_aux_fields(void)
{
    /* An IPv6 address has colons of its own: the port is after the last one before '@'. Later
     * Redis versions add aux fields after the hostname: kept. */
    const char *text = "bbbb000000000000000000000000000000000000 fd00::11:6379@16379,redis-shard1-0" H
                       ",shard-id=42 master - 0 0 2 connected 0-16383\n";
    af_peer_t p[] = { { "redis-shard1-0" H, "fd00::1:2", "" } };
    char *out, err[128];
    CHECK(af_rewrite(text, p, 1, &out, err, sizeof err) == 1);
    if (out)
        CHECK_STR(out, "bbbb000000000000000000000000000000000000 fd00::1:2:6379@16379,redis-shard1-0" H
                       ",shard-id=42 master - 0 0 2 connected 0-16383\n");
    CHECK_STR(p[0].old_ip, "fd00::11");
    free(out);
}

static void a_line_that_is_not_a_node_is_refused(void)
{
    af_peer_t p[] = { { "redis-shard1-0" H, "198.18.0.111", "" } };
    char *out = NULL, err[128] = "";
    CHECK(af_rewrite(ME "garbage\n" S1, p, 1, &out, err, sizeof err) == -1);
    CHECK(out == NULL);
    CHECK_CONTAINS(err, "line 2");
    CHECK(af_rewrite(ME "id 198.18.0.1:6379 master\n", p, 1, &out, err, sizeof err) == -1); /* no '@' */
    CHECK(af_rewrite("", p, 1, &out, err, sizeof err) == 0);
}

/* Ids a run forgot are dropped from the saved file, whatever line they are on (a ghost learned by
 * gossip: no name, failed); the myself line, the others and the vars line are kept as they are. */
static void drops_forgotten_ids(void)
{
    const char *ghost = "dddd000000000000000000000000000000000000 198.18.0.13:6379@16379 master,fail - 1700000000000 0 0 "
                        "connected\n";
    char text[2048];
    snprintf(text, sizeof text, "%s%s%s%s%s", ME, S1, ghost, R0, VARS);
    const char ids[2][CV_ID_LEN + 1] = { "dddd000000000000000000000000000000000000",
                                         "9999000000000000000000000000000000000000" };
    char *out = NULL, err[128];
    CHECK(af_drop(text, ids, 2, &out, err, sizeof err) == 1);
    if (out) CHECK_STR(out, ME S1 R0 VARS);
    free(out);
    /* None there: nothing to write. A prefix of an id is not that id. */
    const char other[1][CV_ID_LEN + 1] = { "dddd00000000000000000000000000000000000" };
    out = (char *)1;
    CHECK(af_drop(text, other, 1, &out, err, sizeof err) == 0);
    CHECK(out == NULL);
    /* The last line without its newline. */
    out = NULL;
    CHECK(af_drop(S1 "dddd000000000000000000000000000000000000 198.18.0.13:6379@16379 master,fail - 0 0 0 connected",
                  ids, 1, &out, err, sizeof err) == 1);
    if (out) CHECK_STR(out, S1);
    free(out);
}

/* peers_readdress (lib/peers.c): the same rewrite from the peers' DNS answers, and what it says
 * changed (the run's log line and plan's addresses_written_first). */
static void peers_readdress_says_what_moved(void)
{
    dec_peer_t dp[3] = {
        { .name = "redis-shard1-0", .fqdn = "redis-shard1-0" H, .resolved = 1, .ip = "198.18.0.111" },
        { .name = "redis-shard0-1", .fqdn = "redis-shard0-1" H, .resolved = 1, .ip = "198.18.0.12" },
        { .name = "redis-shard2-0", .fqdn = "redis-shard2-0" H, .resolved = 0 },
    };
    peers_t p;
    memset(&p, 0, sizeof p);
    p.n = 3;
    p.peers = dp;
    char *out = NULL, what[256], err[128];
    CHECK(peers_readdress(&p, ME S1 R0 VARS, &out, what, sizeof what, err, sizeof err) == 1);
    CHECK_STR(what, "redis-shard1-0 198.18.0.11 -> 198.18.0.111");
    CHECK(out != NULL && strstr(out, " 198.18.0.111:6379@16379,redis-shard1-0" H) != NULL);
    free(out);
    dp[0].resolved = 0; /* nothing resolves elsewhere: nothing written, nothing said */
    CHECK(peers_readdress(&p, ME S1 R0 VARS, &out, what, sizeof what, err, sizeof err) == 0);
    CHECK(out == NULL);
    CHECK_STR(what, "");
}

/* More than a dozen moved: a dozen named, then ", ...". */
static void peers_readdress_names_a_dozen(void)
{
    enum { N = 14 };
    dec_peer_t dp[N];
    char names[N][32], fqdns[N][96], text[N * 160 + 1] = "";
    for (int k = 0; k < N; k++) {
        snprintf(names[k], sizeof names[k], "redis-shard%d-0", k + 1);
        snprintf(fqdns[k], sizeof fqdns[k], "%s" H, names[k]);
        memset(&dp[k], 0, sizeof dp[k]);
        dp[k].name = names[k];
        dp[k].fqdn = fqdns[k];
        dp[k].resolved = 1;
        snprintf(dp[k].ip, sizeof dp[k].ip, "198.18.1.%d", k + 1);
        size_t at = strlen(text);
        snprintf(text + at, sizeof text - at, "%040d 198.18.0.%d:6379@16379,%s master - 0 0 %d connected\n", k + 1,
                 k + 1, fqdns[k], k + 2);
    }
    peers_t p;
    memset(&p, 0, sizeof p);
    p.n = N;
    p.peers = dp;
    char *out = NULL, what[1024], err[128];
    CHECK(peers_readdress(&p, text, &out, what, sizeof what, err, sizeof err) == N);
    CHECK_CONTAINS(what, "redis-shard12-0 198.18.0.12 -> 198.18.1.12, ...");
    CHECK(strstr(what, "redis-shard13-0") == NULL);
    free(out);
}

int main(void)
{
    rewrites_only_stale_resolved_peers();
    nothing_to_change();
    skips_noaddr_handshake_and_no_hostname();
    a_failed_node_and_a_name_that_is_a_prefix();
    ipv6_and_aux_fields();
    a_line_that_is_not_a_node_is_refused();
    drops_forgotten_ids();
    peers_readdress_says_what_moved();
    peers_readdress_names_a_dozen();
    return T_DONE();
}
