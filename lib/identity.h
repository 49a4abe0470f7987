/* identity: who this pod is (downward-API env, hostname fallback) and where it sits. */
#ifndef RCI_IDENTITY_H
#define RCI_IDENTITY_H

#include <stddef.h>
#include "config.h"

typedef struct {
    char pod[254];   /* POD_NAME, e.g. redis-shard2-1 */
    char ip[64];     /* POD_IP; empty if unknown */
    int shard;       /* i in <name>-shard<i>-<j> */
    int ordinal;     /* j: 0 is the shard's master by design */
    int outside;     /* the config no longer has this pod (scaled in; see ident_load_scaling) */
    int cfg_shards, cfg_replicas; /* the config's counts before it was widened to this pod */
} ident_t;

/* Parse "<base>-shard<i>-<j>" (decimal, no sign, no leading zeros; any number of digits).
 * Returns 0 and fills shard/ordinal, or -1 with a reason in err. */
int ident_parse_pod_name(const char *base, const char *pod, int *shard, int *ordinal, char *err, size_t errlen);

/* Read POD_NAME (or the hostname), POD_IP, and check the name against the config's topology. */
int ident_load(const cfg_t *cfg, ident_t *id, char *err, size_t errlen);

/* As ident_load, but a pod the config no longer has (shard >= shards, or ordinal > replicas: the
 * config was scaled in before the pod was deleted) is accepted: cfg is widened to include it and
 * id->outside is set, so the pod rejoins with its data instead of failing while it still serves
 * slots. A name that is not this cluster's is still an error. */
int ident_load_scaling(cfg_t *cfg, ident_t *id, char *err, size_t errlen);

#endif
