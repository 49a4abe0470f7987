/* topology: the pods the config describes, their DNS names, and each shard's slot range. Pure. */
#ifndef RCI_TOPOLOGY_H
#define RCI_TOPOLOGY_H

#include <stddef.h>
#include "config.h"

#define TOPO_SLOTS 16384
#define TOPO_NAME 254

typedef struct {
    char name[TOPO_NAME]; /* redis-shard1-0 */
    char fqdn[TOPO_NAME]; /* redis-shard1-0.redis-headless.default.svc.cluster.local */
    int shard;
    int ordinal;
} topo_pod_t;

/* Number of pods: shards * (1 + replicas). */
size_t topo_count(const cfg_t *cfg);
/* Fill pod k (0 <= k < topo_count), shard-major order. */
void topo_pod(const cfg_t *cfg, size_t k, topo_pod_t *out);
/* Index of (shard, ordinal) in that order. */
size_t topo_index(const cfg_t *cfg, int shard, int ordinal);
/* The deterministic slot range [first, last] of shard i: an even split of 0..16383 in shard order. */
void topo_slot_range(int shards, int shard, int *first, int *last);
/* Which shard's range holds slot s. */
int topo_shard_of_slot(int shards, int slot);

#endif
