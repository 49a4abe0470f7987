#include "topology.h"

#include <stdio.h>

size_t topo_count(const cfg_t *cfg)
{
    return (size_t)cfg->shards * (size_t)(1 + cfg->replicas);
}

size_t topo_index(const cfg_t *cfg, int shard, int ordinal)
{
    return (size_t)shard * (size_t)(1 + cfg->replicas) + (size_t)ordinal;
}

void topo_pod(const cfg_t *cfg, size_t k, topo_pod_t *out)
{
    out->shard = (int)(k / (size_t)(1 + cfg->replicas));
    out->ordinal = (int)(k % (size_t)(1 + cfg->replicas));
    snprintf(out->name, sizeof out->name, "%s-shard%d-%d", cfg->name, out->shard, out->ordinal);
    snprintf(out->fqdn, sizeof out->fqdn, "%s.%s.%s.svc.%s", out->name, cfg->service, cfg->namespace_,
             cfg->cluster_domain);
}

void topo_slot_range(int shards, int shard, int *first, int *last)
{
    *first = (int)((long)shard * TOPO_SLOTS / shards);
    *last = (int)((long)(shard + 1) * TOPO_SLOTS / shards) - 1;
}

int topo_shard_of_slot(int shards, int slot)
{
    int s = (int)((long)slot * shards / TOPO_SLOTS);
    /* Correct the integer-division estimate at range borders. */
    int first, last;
    for (;;) {
        topo_slot_range(shards, s, &first, &last);
        if (slot < first) s--;
        else if (slot > last) s++;
        else return s;
    }
}
