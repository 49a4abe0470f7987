#include <stdlib.h>

#include "cview.h"
#include "t.h"

static const char NODES[] =
    "07c37dfeb235213a872192d90877d0cd55635b91 198.18.0.12:6379@16379,redis-shard0-1.svc.x slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n"
    "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 198.18.0.10:6379@16379,redis-shard0-0.svc.x myself,master - 0 0 1 connected 0-5460\n"
    "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 198.18.0.11:6379@16379,redis-shard1-0.svc.x master,fail? - 1426238316232 1426238316232 2 connected 5461-10921 12000 [5463->-e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca]\r\n"
    "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f :0@0 master,noaddr - 1426238318243 1426238318243 0 disconnected\n"
    "vars currentEpoch 6 lastVoteEpoch 0\n";

/* nodes.conf as Redis 7.2 writes it: auxiliary fields after the hostname (shard-id, nodename,
 * tcp-port, tls-port), an empty hostname before them when the node announces none. */
static const char NODES_72[] =
    "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 198.18.0.10:6379@16379,redis-shard0-0.redis-headless.default.svc.cluster.local,"
    "shard-id=92bb0d3b2a6a2e9cfcb8ab4ad1fdf0b1a9c64a57,tcp-port=6379,tls-port=0 myself,master - 0 1732870000000 1 connected 0-5460\n"
    "07c37dfeb235213a872192d90877d0cd55635b91 198.18.0.12:6379@16379,redis-shard0-1.redis-headless.default.svc.cluster.local,"
    "shard-id=92bb0d3b2a6a2e9cfcb8ab4ad1fdf0b1a9c64a57 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1732870000001 1 connected\n"
    "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 198.18.0.11:6379@16379,,shard-id=0d2d7e2ad6e5b6a0e1c8b7d6f1d2e3c4b5a69788,"
    "nodename=,tcp-port=6379,tls-port=0 master - 0 1732870000002 2 connected 5461-10922\n"
    "vars currentEpoch 2 lastVoteEpoch 0\n";

static void bad(const char *text, const char *needle)
{
    cv_view_t v;
    char err[256] = "";
    CHECK(cv_parse(text, strlen(text), &v, err, sizeof err) != 0);
    CHECK_CONTAINS(err, needle);
}

int main(void)
{
    cv_view_t v;
    char err[256] = "";
    CHECK(cv_parse(NODES, sizeof NODES - 1, &v, err, sizeof err) == 0);
    CHECK(v.n == 4);
    CHECK(v.current_epoch == 6);
    const cv_node_t *me = cv_myself(&v);
    CHECK(me && strcmp(me->id, "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca") == 0);
    CHECK(me && me->n_slots == 5461 && cv_owns(me, 0) && cv_owns(me, 5460) && !cv_owns(me, 5461));
    CHECK(me && cv_owns_exactly(me, 0, 5460));
    CHECK_STR(me->hostname, "redis-shard0-0.svc.x");
    CHECK_STR(me->ip, "198.18.0.10");
    CHECK(me->port == 6379 && me->bus_port == 16379 && me->config_epoch == 1);
    const cv_node_t *r = cv_find_id(&v, "07c37dfeb235213a872192d90877d0cd55635b91");
    CHECK(r && (r->flags & CV_REPLICA) && strcmp(r->master_id, me->id) == 0 && !cv_is_down(r));
    const cv_node_t *f = cv_find_id(&v, "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1");
    CHECK(f && (f->flags & CV_PFAIL) && cv_is_down(f) && f->n_slots == 5462 && cv_owns(f, 12000));
    CHECK(f && cv_owns_any(f, 11000, 12000) && !cv_owns_any(f, 11000, 11999));
    const cv_node_t *g = cv_find_id(&v, "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f");
    CHECK(g && (g->flags & CV_NOADDR) && g->ip[0] == '\0' && !g->link_connected);
    cv_view_t copy = { 0 };
    CHECK(cv_add_copy(&copy, f, CV_PFAIL) == 0 && copy.n == 1 && !(copy.nodes[0].flags & CV_PFAIL) && copy.nodes[0].n_slots == 5462);
    cv_free(&copy);
    cv_free(&v);

    /* Redis 7.2's nodes.conf: the hostname is the pod's name, the auxiliary fields are not part of it. */
    CHECK(cv_parse(NODES_72, sizeof NODES_72 - 1, &v, err, sizeof err) == 0);
    CHECK(v.n == 3 && v.current_epoch == 2);
    me = cv_myself(&v);
    CHECK(me && strcmp(me->hostname, "redis-shard0-0.redis-headless.default.svc.cluster.local") == 0);
    CHECK(me && me->n_slots == 5461 && me->port == 6379 && me->bus_port == 16379);
    r = cv_find_id(&v, "07c37dfeb235213a872192d90877d0cd55635b91");
    CHECK(r && strcmp(r->hostname, "redis-shard0-1.redis-headless.default.svc.cluster.local") == 0);
    CHECK(r && strcmp(r->master_id, "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca") == 0);
    f = cv_find_id(&v, "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1");
    CHECK(f && f->hostname[0] == '\0' && strcmp(f->ip, "198.18.0.11") == 0 && f->n_slots == 5462);
    cv_free(&v);
    for (size_t cut = 0; cut < sizeof NODES_72 - 1; cut++) {
        if (cv_parse(NODES_72, cut, &v, err, sizeof err) == 0) cv_free(&v);
    }
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2,host,junk master - 0 0 0 connected\n", "bad address");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2,a=b master - 0 0 0 connected\n", "bad address");

    CHECK(cv_parse("", 0, &v, err, sizeof err) == 0 && v.n == 0);

    /* Slots in the middle of a move: markers, not ownership (resharding resumes from them). */
    static const char OPEN[] =
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 198.18.0.10:6379@16379 myself,master - 0 0 1 connected 0-99 "
        "[100->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1] [5000-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\n";
    CHECK(cv_parse(OPEN, sizeof OPEN - 1, &v, err, sizeof err) == 0);
    me = v.n == 1 ? &v.nodes[0] : NULL;
    CHECK(me && me->n_slots == 100 && !cv_owns(me, 100) && !cv_owns(me, 5000));
    CHECK(me && me->n_open == 2);
    if (me && me->n_open == 2) {
        CHECK(me->open[0].slot == 100 && !me->open[0].importing);
        CHECK_STR(me->open[0].peer, "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1");
        CHECK(me->open[1].slot == 5000 && me->open[1].importing);
        CHECK_STR(me->open[1].peer, "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f");
    }
    cv_free(&v);
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 198.18.0.10:6379@16379 myself,master - 0 0 1 connected [100->-xyz]\n", "bad slot");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 198.18.0.10:6379@16379 myself,master - 0 0 1 connected [99999->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]\n", "bad slot");
    cv_free(&v);
    bad("abc 1.2.3.4:1@2 master - 0 0 0 connected\n", "bad node id");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 master\n", "expected at least 8 fields");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4 master - 0 0 0 connected\n", "bad address");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:99999@2 master - 0 0 0 connected\n", "bad address");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 master - 0 0 x connected\n", "bad config epoch");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 master - 0 0 0 connected 5-3\n", "bad slot");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 master - 0 0 0 connected 16384\n", "bad slot");
    /* Numbers of 19 digits, past a long's range: refused, not overflowed (found by fuzz_cview). */
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 master - 0 0 0 connected 9999999999999999999\n", "bad slot");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 master - 0 0 0 connected 1-9999999999999999999\n", "bad slot");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:9999999999999999999@2 master - 0 0 0 connected\n", "bad address");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@9223372036854775808 master - 0 0 0 connected\n", "bad address");
    bad("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 slave zz 0 0 0 connected\n", "bad master id");

    /* Truncations of a real reply never crash. */
    for (size_t cut = 0; cut < sizeof NODES - 1; cut++) {
        if (cv_parse(NODES, cut, &v, err, sizeof err) == 0) cv_free(&v);
    }
    return T_DONE();
}
