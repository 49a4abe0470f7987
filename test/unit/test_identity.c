#include <stdlib.h>

#include "identity.h"
#include "topology.h"
#include "t.h"

static void ok(const char *base, const char *pod, int s, int o)
{
    int shard = -1, ord = -1;
    char err[256] = "";
    CHECK(ident_parse_pod_name(base, pod, &shard, &ord, err, sizeof err) == 0);
    CHECK(shard == s && ord == o);
    if (err[0]) fprintf(stderr, "  %s: %s\n", pod, err);
}

static void bad(const char *base, const char *pod, const char *needle)
{
    int shard, ord;
    char err[256] = "";
    CHECK(ident_parse_pod_name(base, pod, &shard, &ord, err, sizeof err) != 0);
    CHECK_CONTAINS(err, needle);
}

int main(void)
{
    ok("redis", "redis-shard0-0", 0, 0);
    ok("redis", "redis-shard2-1", 2, 1);
    ok("redis", "redis-shard10-0", 10, 0);
    ok("redis", "redis-shard3-12", 3, 12);
    ok("my-cache", "my-cache-shard123-45", 123, 45);
    bad("redis", "redis-shard01-0", "bad shard number");
    bad("redis", "redis-shard1-00", "bad pod ordinal");
    bad("redis", "redis-shard1", "bad shard number");
    bad("redis", "redis-shard1-", "bad pod ordinal");
    bad("redis", "redis-shard1-0x", "bad pod ordinal");
    bad("redis", "redis-shard-1-0", "bad shard number");
    bad("redis", "cache-shard1-0", "must start with 'redis-shard'");
    bad("redis", "redis-x-shard1-0", "must start with");
    bad("redis", "", "must start with");
    bad("redis", "redis-shard1-+1", "bad pod ordinal");

    cfg_t cfg;
    char err[256] = "";
    cfg_defaults(&cfg);
    snprintf(cfg.name, sizeof cfg.name, "redis");
    cfg.shards = 12;
    cfg.replicas = 1;
    CHECK(cfg_finalize(&cfg, "t", err, sizeof err) == 0);
    ident_t id;
    setenv("POD_NAME", "redis-shard11-1", 1);
    setenv("POD_IP", "198.18.0.9", 1);
    CHECK(ident_load(&cfg, &id, err, sizeof err) == 0);
    CHECK(id.shard == 11 && id.ordinal == 1);
    CHECK_STR(id.ip, "198.18.0.9");
    /* POD_IP is written into redis.conf: an address or nothing. */
    setenv("POD_IP", "198.18.0.9\ncluster-announce-ip 1.2.3.4", 1);
    CHECK(ident_load(&cfg, &id, err, sizeof err) != 0);
    CHECK_CONTAINS(err, "is not an IPv4 or IPv6 address");
    setenv("POD_IP", "fd00::9", 1);
    CHECK(ident_load(&cfg, &id, err, sizeof err) == 0);
    CHECK_STR(id.ip, "fd00::9");
    setenv("POD_IP", "198.18.0.9", 1);
    setenv("POD_NAME", "redis-shard12-0", 1);
    CHECK(ident_load(&cfg, &id, err, sizeof err) != 0);
    CHECK_CONTAINS(err, "shards: 12");
    setenv("POD_NAME", "redis-shard1-2", 1);
    CHECK(ident_load(&cfg, &id, err, sizeof err) != 0);
    CHECK_CONTAINS(err, "replicas: 1");

    /* Topology: names, DNS names and slot ranges that tile 0..16383. */
    topo_pod_t p;
    CHECK(topo_count(&cfg) == 24);
    topo_pod(&cfg, topo_index(&cfg, 10, 1), &p);
    CHECK_STR(p.name, "redis-shard10-1");
    CHECK_STR(p.fqdn, "redis-shard10-1.redis-headless.default.svc.cluster.local");
    for (int shards = 1; shards <= 200; shards++) {
        int next = 0, first, last;
        for (int s = 0; s < shards; s++) {
            topo_slot_range(shards, s, &first, &last);
            CHECK(first == next && last >= first);
            next = last + 1;
        }
        CHECK(next == TOPO_SLOTS);
        for (int slot = 0; slot < TOPO_SLOTS; slot += 97) {
            int s = topo_shard_of_slot(shards, slot);
            topo_slot_range(shards, s, &first, &last);
            CHECK(slot >= first && slot <= last);
        }
    }
    int f, l;
    topo_slot_range(3, 1, &f, &l);
    CHECK(f == 5461 && l == 10921);
    return T_DONE();
}
