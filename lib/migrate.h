/* migrate: move slots, with their keys, from one master to another by Redis's online protocol:
 * SETSLOT IMPORTING on the target, MIGRATING on the source, MIGRATE in batches of keys, then
 * SETSLOT NODE on the target, the source and every other master. Clients see only ASK/MOVED.
 * Every step is idempotent, so a move cut short (the mover killed, a node restarted) is finished
 * by running it again: a target that already owns the slot skips to SETSLOT NODE. */
#ifndef RCI_MIGRATE_H
#define RCI_MIGRATE_H

#include <stddef.h>
#include "rclient.h"

typedef struct {
    const char *id;     /* node id */
    const char *ip;     /* its announced address, for MIGRATE */
    int port;
    rc_conn_t *conn;    /* connected (and authenticated) */
} mig_node_t;

typedef struct {
    const rc_auth_t *auth; /* MIGRATE's AUTH / AUTH2 when a password is set */
    int batch;             /* keys per MIGRATE */
    int migrate_timeout_ms;
} mig_opts_t;

/* Move up to MIG_MAX_SLOTS slots, with their keys, from src to dst; others are the remaining
 * masters (told the new owner; their errors are logged, not fatal: the owner's epoch spreads by
 * gossip). Each step is one pipeline per node (IMPORTING for every slot on the target, MIGRATING
 * on the source, GETKEYSINSLOT, one MIGRATE per slot: Redis refuses keys of several slots in
 * one), so the round trips are per batch, not per slot. *keys gets the keys moved. Returns 0 or
 * -1 with the node and the command in err. */
#define MIG_MAX_SLOTS 64
int mig_move_slots(const int *slots, int n_slots, const mig_node_t *src, const mig_node_t *dst,
                   const mig_node_t *others, size_t n_others, const mig_opts_t *o, long *keys, char *err,
                   size_t errlen);

/* CLUSTER SETSLOT slot NODE owner->id on node n: also clears n's importing/migrating marker. */
int mig_set_owner(const mig_node_t *n, int slot, const mig_node_t *owner, char *err, size_t errlen);

#endif
