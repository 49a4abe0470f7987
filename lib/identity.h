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
} ident_t;

/* Parse "<base>-shard<i>-<j>" (decimal, no sign, no leading zeros; any number of digits).
 * Returns 0 and fills shard/ordinal, or -1 with a reason in err. */
int ident_parse_pod_name(const char *base, const char *pod, int *shard, int *ordinal, char *err, size_t errlen);

/* Read POD_NAME (or the hostname), POD_IP, and check the name against the config's topology. */
int ident_load(const cfg_t *cfg, ident_t *id, char *err, size_t errlen);

#endif
