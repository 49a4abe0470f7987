/* Seeding a new cluster's nodes.conf (lib/seed.c) on constructed observations: no network. */
#include <stdio.h>
#include <stdlib.h>

#include <unistd.h>

#include "seed.h"
#include "seedrun.h"
#include "topology.h"
#include "t.h"

#define MAXP 16

typedef struct {
    char names[MAXP][32], fqdns[MAXP][64], my_fqdn[64];
    dec_peer_t peers[MAXP];
    cv_view_t views[MAXP];
    const cv_view_t *vp[MAXP];
    cv_view_t self;
    seed_input_t in;
} world_t;

static void world_init(world_t *w, int shards, int replicas, int shard, int ordinal)
{
    memset(w, 0, sizeof *w);
    snprintf(w->my_fqdn, sizeof w->my_fqdn, "redis-shard%d-%d.h.ns.svc.cluster.local", shard, ordinal);
    size_t n = 0;
    for (int s = 0; s < shards; s++)
        for (int o = 0; o <= replicas; o++) {
            if (s == shard && o == ordinal) continue;
            snprintf(w->names[n], 32, "redis-shard%d-%d", s, o);
            snprintf(w->fqdns[n], 64, "redis-shard%d-%d.h.ns.svc.cluster.local", s, o);
            dec_peer_t *p = &w->peers[n];
            p->name = w->names[n];
            p->fqdn = w->fqdns[n];
            p->shard = s;
            p->ordinal = o;
            p->resolved = 1;
            snprintf(p->ip, sizeof p->ip, "198.18.0.%zu", 20 + n);
            n++;
        }
    w->in.shards = shards;
    w->in.replicas = replicas;
    w->in.my_shard = shard;
    w->in.my_ordinal = ordinal;
    w->in.my_fqdn = w->my_fqdn;
    w->in.peers = w->peers;
    w->in.n_peers = n;
    w->in.views = w->vp;
    w->in.fresh = 1;
    w->in.self_resolves = 1;
    w->in.wait_ms = 6000;
    w->in.master_wait_ms = 60000;
}

static void world_free(world_t *w)
{
    for (size_t k = 0; k < MAXP; k++) cv_free(&w->views[k]);
    cv_free(&w->self);
}

static int peer(const world_t *w, const char *name)
{
    for (size_t k = 0; k < w->in.n_peers; k++)
        if (strcmp(w->names[k], name) == 0) return (int)k;
    return -1;
}

/* The peer answers with this CLUSTER NODES text. */
static void answers(world_t *w, const char *name, const char *text)
{
    int k = peer(w, name);
    char err[256];
    cv_free(&w->views[k]);
    CHECK(cv_parse(text, strlen(text), &w->views[k], err, sizeof err) == 0);
    w->vp[k] = &w->views[k];
}

static const char *pid(const world_t *w, const char *name)
{
    static char ids[4][CV_ID_LEN + 1];
    static int i = 0;
    char *b = ids[i++ % 4];
    int k = peer(w, name);
    seed_node_id(k >= 0 ? w->fqdns[k] : w->my_fqdn, b);
    return b;
}

static const char *blank(char *buf, size_t len)
{
    snprintf(buf, len, "1111111111111111111111111111111111111111 198.18.0.99:6379@16379,x myself,master - 0 0 0 "
                       "connected\n");
    return buf;
}

static seed_verdict_t decide(world_t *w, char *reason)
{
    return seed_decide(&w->in, reason, 512);
}

int main(void)
{
    char reason[512], text[8192], b[512];
    world_t w;

    /* Ids: 40 hex digits, the same for a name everywhere, different between names. */
    char a1[CV_ID_LEN + 1], a2[CV_ID_LEN + 1], c1[CV_ID_LEN + 1];
    seed_node_id("redis-shard0-0.h.ns.svc.cluster.local", a1);
    seed_node_id("redis-shard0-0.h.ns.svc.cluster.local", a2);
    seed_node_id("redis-shard0-1.h.ns.svc.cluster.local", c1);
    CHECK(strlen(a1) == CV_ID_LEN && strspn(a1, "0123456789abcdef") == CV_ID_LEN);
    CHECK_STR(a1, a2);
    CHECK(strcmp(a1, c1) != 0);

    /* Pod 0 of a new cluster: nobody answers but its own replica's blank temporary server. */
    world_init(&w, 3, 1, 1, 0);
    answers(&w, "redis-shard1-1", blank(b, sizeof b));
    CHECK(decide(&w, reason) == SEED_WRITE);
    CHECK_CONTAINS(reason, "a new cluster");
    /* What it writes parses as a view: itself master of its range at epoch 2, every pod known. */
    w.peers[peer(&w, "redis-shard2-1")].resolved = 0;
    CHECK(seed_render(&w.in, "198.18.0.10", 6379, 16379, text, sizeof text) > 0);
    cv_view_t v;
    char err[256];
    CHECK(cv_parse(text, strlen(text), &v, err, sizeof err) == 0);
    CHECK(v.n == 6);
    const cv_node_t *me = cv_myself(&v);
    int first, last;
    topo_slot_range(3, 1, &first, &last);
    CHECK(me && strcmp(me->id, pid(&w, "me")) == 0 && cv_owns_exactly(me, first, last) && me->config_epoch == 2);
    CHECK(me && strcmp(me->ip, "198.18.0.10") == 0 && strcmp(me->hostname, w.my_fqdn) == 0);
    const cv_node_t *r21 = cv_find_id(&v, pid(&w, "redis-shard2-1"));
    CHECK(r21 && (r21->flags & CV_NOADDR) && (r21->flags & CV_REPLICA) && strcmp(r21->master_id, pid(&w, "redis-shard2-0")) == 0);
    const cv_node_t *m0 = cv_find_id(&v, pid(&w, "redis-shard0-0"));
    CHECK(m0 && (m0->flags & CV_MASTER) && m0->n_slots == 0 && m0->pong_recv == 0 && strcmp(m0->ip, "198.18.0.20") == 0);
    const cv_node_t *r11 = cv_find_id(&v, pid(&w, "redis-shard1-1"));
    CHECK(r11 && strcmp(r11->master_id, me ? me->id : "") == 0);
    /* Only the peers ordered before this pod get their address (pod 0 of shard 0 here); a later
     * one, resolved or not, is noaddr: it connects to this pod, which learns the address then. */
    CHECK(r11 && (r11->flags & CV_NOADDR));
    const cv_node_t *m2 = cv_find_id(&v, pid(&w, "redis-shard2-0"));
    CHECK(m2 && (m2->flags & CV_NOADDR) && (m2->flags & CV_MASTER) && m2->n_slots == 0);
    CHECK_CONTAINS(text, "vars currentEpoch 3 lastVoteEpoch 0\n");
    cv_free(&v);
    /* Too small a buffer is an error, never a cut file. */
    CHECK(seed_render(&w.in, "198.18.0.10", 6379, 16379, text, 100) == -1);
    world_free(&w);

    /* The order: every pod 0 before every replica, then by shard. */
    world_init(&w, 3, 1, 1, 1);
    CHECK(seed_before(&w.peers[peer(&w, "redis-shard2-0")], 1, 1));
    CHECK(seed_before(&w.peers[peer(&w, "redis-shard0-1")], 1, 1));
    CHECK(!seed_before(&w.peers[peer(&w, "redis-shard2-1")], 1, 1));
    CHECK(!seed_before(&w.peers[peer(&w, "redis-shard0-1")], 2, 0));
    /* A peer before this pod that does not resolve: this pod would write it noaddr, and it writes
     * this pod noaddr: wait for its name, then the rules. One after this pod is not waited for. */
    topo_slot_range(3, 1, &first, &last);
    snprintf(text, sizeof text,
             "%s 198.18.0.22:6379@16379,redis-shard1-0.h.ns.svc.cluster.local myself,master - 0 0 2 connected %d-%d\n",
             pid(&w, "redis-shard1-0"), first, last);
    answers(&w, "redis-shard1-0", text);
    w.peers[peer(&w, "redis-shard2-1")].resolved = 0;
    CHECK(decide(&w, reason) == SEED_WRITE);
    w.peers[peer(&w, "redis-shard0-1")].resolved = 0;
    CHECK(decide(&w, reason) == SEED_WAIT);
    CHECK_CONTAINS(reason, "redis-shard0-1 to resolve");
    w.in.elapsed_ms = 60000;
    CHECK(decide(&w, reason) == SEED_NO);
    CHECK_CONTAINS(reason, "did not resolve");
    world_free(&w);

    /* Its replica resolves but does not answer (it may hold the shard's data: its temporary
     * server has no client port): wait, then leave it to the rules. */
    world_init(&w, 3, 1, 0, 0);
    CHECK(decide(&w, reason) == SEED_WAIT);
    CHECK_CONTAINS(reason, "redis-shard0-1");
    w.in.elapsed_ms = 6000;
    CHECK(decide(&w, reason) == SEED_NO);
    /* Not created yet (OrderedReady): nothing to wait for. */
    w.peers[peer(&w, "redis-shard0-1")].resolved = 0;
    w.in.elapsed_ms = 0;
    CHECK(decide(&w, reason) == SEED_WRITE);
    /* Its own name does not resolve yet: a peer seeding before it would not know its address, and
     * if this pod missed that peer too neither would ever connect. Wait, then the rules. */
    w.in.self_resolves = 0;
    w.in.self_dns = "no such name yet";
    CHECK(decide(&w, reason) == SEED_WAIT);
    CHECK_CONTAINS(reason, "own name");
    w.in.elapsed_ms = 60000;
    CHECK(decide(&w, reason) == SEED_NO);
    w.in.self_resolves = 1;
    w.in.elapsed_ms = 0;
    /* A data dir that held anything: the rules. */
    w.in.fresh = 0;
    CHECK(decide(&w, reason) == SEED_NO);
    world_free(&w);

    /* A peer's view shows a formed cluster: a node with a random id owns slots. */
    world_init(&w, 3, 1, 2, 0);
    answers(&w, "redis-shard2-1", blank(b, sizeof b));
    answers(&w, "redis-shard0-0", "2222222222222222222222222222222222222222 198.18.0.20:6379@16379,redis-shard0-0.h.ns.svc.cluster.local "
                                  "myself,master - 0 0 1 connected 0-5460\n");
    CHECK(decide(&w, reason) == SEED_NO);
    CHECK_CONTAINS(reason, "formed cluster");
    /* A seeded peer that knows this pod only as planned and never heard from it: fits. */
    snprintf(text, sizeof text,
             "%s 198.18.0.20:6379@16379,redis-shard0-0.h.ns.svc.cluster.local myself,master - 0 0 1 connected 0-5460\n"
             "%s :6379@16379,%s master,noaddr - 0 0 0 connected\n",
             pid(&w, "redis-shard0-0"), pid(&w, "me"), w.my_fqdn);
    answers(&w, "redis-shard0-0", text);
    CHECK(decide(&w, reason) == SEED_WRITE);
    /* ... but one that had a PONG from it knows this pod from before: its data dir was replaced. */
    snprintf(text, sizeof text,
             "%s 198.18.0.20:6379@16379,redis-shard0-0.h.ns.svc.cluster.local myself,master - 0 0 1 connected 0-5460\n"
             "%s 198.18.0.7:6379@16379,%s master,fail - 0 1700000000000 3 connected\n",
             pid(&w, "redis-shard0-0"), pid(&w, "me"), w.my_fqdn);
    answers(&w, "redis-shard0-0", text);
    CHECK(decide(&w, reason) == SEED_NO);
    CHECK_CONTAINS(reason, "knows this pod already");
    /* ... and so does one where another id announces this pod's name. */
    snprintf(text, sizeof text,
             "%s 198.18.0.20:6379@16379,redis-shard0-0.h.ns.svc.cluster.local myself,master - 0 0 1 connected 0-5460\n"
             "3333333333333333333333333333333333333333 198.18.0.7:6379@16379,%s master - 0 0 0 connected\n",
             pid(&w, "redis-shard0-0"), w.my_fqdn);
    answers(&w, "redis-shard0-0", text);
    CHECK(decide(&w, reason) == SEED_NO);
    world_free(&w);

    /* A replica added to a seeded cluster (replicas 1 -> 2): its pod 0 is a seeded master, but
     * the cluster was formed without this pod, whose node its nodes would ignore. */
    world_init(&w, 2, 2, 0, 2);
    topo_slot_range(2, 0, &first, &last);
    snprintf(text, sizeof text,
             "%s 198.18.0.20:6379@16379,redis-shard0-0.h.ns.svc.cluster.local myself,master - 0 0 1 connected %d-%d\n"
             "%s 198.18.0.21:6379@16379,redis-shard0-1.h.ns.svc.cluster.local slave %s 0 1700000000000 1 connected\n",
             pid(&w, "redis-shard0-0"), first, last, pid(&w, "redis-shard0-1"), pid(&w, "redis-shard0-0"));
    answers(&w, "redis-shard0-0", text);
    CHECK(decide(&w, reason) == SEED_NO);
    CHECK_CONTAINS(reason, "does not list this pod");
    world_free(&w);

    /* Scaled out from 3 to 4 shards: the seeded masters own the 3-shard split, outside the new
     * split's ranges: a formed cluster, the new pod 0 joins by the rules. */
    world_init(&w, 4, 0, 3, 0);
    snprintf(text, sizeof text,
             "%s 198.18.0.20:6379@16379,redis-shard0-0.h.ns.svc.cluster.local myself,master - 0 0 1 connected 0-5460\n",
             pid(&w, "redis-shard0-0"));
    answers(&w, "redis-shard0-0", text);
    CHECK(decide(&w, reason) == SEED_NO);
    world_free(&w);

    /* A replica waits for its pod 0 to answer as a seeded master, then follows it. */
    world_init(&w, 3, 1, 1, 1);
    CHECK(decide(&w, reason) == SEED_WAIT);
    w.in.elapsed_ms = 60000;
    CHECK(decide(&w, reason) == SEED_NO);
    w.in.elapsed_ms = 0;
    topo_slot_range(3, 1, &first, &last);
    snprintf(text, sizeof text,
             "%s 198.18.0.22:6379@16379,redis-shard1-0.h.ns.svc.cluster.local myself,master - 0 0 2 connected %d-%d\n",
             pid(&w, "redis-shard1-0"), first, last);
    answers(&w, "redis-shard1-0", text);
    CHECK(decide(&w, reason) == SEED_WRITE);
    CHECK(seed_render(&w.in, "198.18.0.11", 6379, 16379, text, sizeof text) > 0);
    CHECK(cv_parse(text, strlen(text), &v, err, sizeof err) == 0);
    me = cv_myself(&v);
    CHECK(me && (me->flags & CV_REPLICA) && strcmp(me->master_id, pid(&w, "redis-shard1-0")) == 0 && me->n_slots == 0);
    cv_free(&v);
    /* Its temporary server was met by some node already: that node would keep its id as a ghost. */
    CHECK(cv_parse(b, strlen(b), &w.self, err, sizeof err) == 0);
    w.in.self_view = &w.self;
    CHECK(decide(&w, reason) == SEED_WRITE);
    cv_free(&w.self);
    snprintf(text, sizeof text, "%s4444444444444444444444444444444444444444 198.18.0.30:6379@16379 master - 0 0 0 connected\n",
             blank(b, sizeof b));
    CHECK(cv_parse(text, strlen(text), &w.self, err, sizeof err) == 0);
    CHECK(decide(&w, reason) == SEED_NO);
    w.in.self_view = NULL;
    /* Its pod 0 runs with another id (it joined by the rules): never follow the planned one. */
    snprintf(text, sizeof text,
             "5555555555555555555555555555555555555555 198.18.0.22:6379@16379,redis-shard1-0.h.ns.svc.cluster.local "
             "myself,master - 0 0 2 connected %d-%d\n", first, last);
    answers(&w, "redis-shard1-0", text);
    CHECK(decide(&w, reason) == SEED_NO);
    /* ... nor a seeded pod 0 that owns other slots than its range. */
    snprintf(text, sizeof text,
             "%s 198.18.0.22:6379@16379,redis-shard1-0.h.ns.svc.cluster.local myself,master - 0 0 2 connected %d-%d\n",
             pid(&w, "redis-shard1-0"), first, last - 1);
    answers(&w, "redis-shard1-0", text);
    CHECK(decide(&w, reason) == SEED_NO);
    world_free(&w);

    /* A replica whose pod 0 said on SEED_CHANNEL that it seeded (its nodes.conf written): it seeds
     * at once, without its pod 0's server answering; a word of another id or range is refused. */
    world_init(&w, 3, 1, 1, 1);
    char word[SEED_WORD_LEN];
    seed_word(w.fqdns[peer(&w, "redis-shard1-0")], 3, 1, word);
    snprintf(text, sizeof text, "%s %d-%d", pid(&w, "redis-shard1-0"), first, last);
    CHECK(strcmp(word, text) == 0);
    w.in.master_word = word;
    CHECK(decide(&w, reason) == SEED_WRITE);
    CHECK_CONTAINS(reason, "redis-shard1-0 said it seeded");
    /* still not when its own temporary server was met */
    snprintf(text, sizeof text, "%s4444444444444444444444444444444444444444 198.18.0.30:6379@16379 master - 0 0 0 connected\n",
             blank(b, sizeof b));
    CHECK(cv_parse(text, strlen(text), &w.self, err, sizeof err) == 0);
    w.in.self_view = &w.self;
    CHECK(decide(&w, reason) == SEED_NO);
    w.in.self_view = NULL;
    seed_word(w.fqdns[peer(&w, "redis-shard0-0")], 3, 0, word);
    CHECK(decide(&w, reason) == SEED_NO);
    CHECK_CONTAINS(reason, "not as planned");
    seed_word(w.fqdns[peer(&w, "redis-shard1-0")], 4, 1, word);
    CHECK(decide(&w, reason) == SEED_NO);
    w.in.master_word = "garbage";
    CHECK(decide(&w, reason) == SEED_NO);
    /* the server's answer, when it came, decides as before: an unseeded pod 0 is refused */
    seed_word(w.fqdns[peer(&w, "redis-shard1-0")], 3, 1, word);
    w.in.master_word = word;
    snprintf(text, sizeof text,
             "5555555555555555555555555555555555555555 198.18.0.22:6379@16379,redis-shard1-0.h.ns.svc.cluster.local "
             "myself,master - 0 0 2 connected %d-%d\n", first, last);
    answers(&w, "redis-shard1-0", text);
    CHECK(decide(&w, reason) == SEED_NO);
    world_free(&w);

    /* A fresh data dir: nothing but this program's files, or a nodes.conf that knows no other node
     * (a temporary server's, its init killed before it met anyone). */
    cfg_t cfg;
    cfg_defaults(&cfg);
    char dir[] = "/tmp/rci-seed-test-XXXXXX", path[2048];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    snprintf(cfg.runtime_config, sizeof cfg.runtime_config, "%s/redis.conf", dir);
    CHECK(seedrun_data_dir_fresh(&cfg, reason, sizeof reason));
    const char *files[][2] = {
        { "redis.conf", "port 6379\n" },
        { ".rci-init.conf", "port 0\n" },
        { "nodes.conf", "1111111111111111111111111111111111111111 :0@0 myself,master - 0 0 0 connected\n"
                        "vars currentEpoch 0 lastVoteEpoch 0\n" },
    };
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f) { fputs(files[i][1], f); fclose(f); }
        CHECK(seedrun_data_dir_fresh(&cfg, reason, sizeof reason));
    }
    /* A node that met another, or that holds slots, is not fresh. */
    FILE *f = fopen(path, "a");
    if (f) { fputs("2222222222222222222222222222222222222222 198.18.0.5:6379@16379 master - 0 0 0 connected\n", f); fclose(f); }
    CHECK(!seedrun_data_dir_fresh(&cfg, reason, sizeof reason));
    CHECK_CONTAINS(reason, "nodes.conf");
    f = fopen(path, "w");
    if (f) { fputs("1111111111111111111111111111111111111111 :0@0 myself,master - 0 0 1 connected 0-5\n", f); fclose(f); }
    CHECK(!seedrun_data_dir_fresh(&cfg, reason, sizeof reason));
    unlink(path);
    /* Data is never fresh. */
    snprintf(path, sizeof path, "%s/dump.rdb", dir);
    f = fopen(path, "w");
    if (f) fclose(f);
    CHECK(!seedrun_data_dir_fresh(&cfg, reason, sizeof reason));
    CHECK_CONTAINS(reason, "dump.rdb");
    unlink(path);
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        unlink(path);
    }
    CHECK(rmdir(dir) == 0);
    return T_DONE();
}
