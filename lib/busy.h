/* busy: keys a move finds on both sides. A source master killed inside a MIGRATE, after the
 * target stored the batch and before it deleted its own copies, comes back with those keys: they
 * are then on both sides, and MIGRATE refuses them (BUSYKEY). Which copy is right cannot be known in
 * general (a client may have written either since), so a copy is dropped only when both are the
 * same: the serialized value (DUMP) and the absolute expiry (PEXPIRETIME). Then the source's copy
 * goes, under WATCH so that a write arriving meanwhile is not lost, and the move goes on. Keys
 * whose copies differ are named, and a person decides. */
#ifndef RCI_BUSY_H
#define RCI_BUSY_H

#include <stddef.h>
#include "migrate.h"

/* One node's copy of a key. */
typedef struct {
    int present;         /* the key exists there */
    const char *dump;    /* DUMP's payload (binary) */
    size_t len;
    long long expire_at; /* PEXPIRETIME: ms since the epoch; -1: none */
} busy_copy_t;

typedef enum {
    BUSY_GONE,      /* not on the source (it was moved, or deleted): nothing to settle */
    BUSY_FREE,      /* not on the target: MIGRATE will move it */
    BUSY_SAME,      /* identical on both: the source's copy can go */
    BUSY_DIFFERENT  /* both hold it, differently: a person decides */
} busy_verdict_t;

/* Pure: what to do with a key seen on the source as src and on the target as dst. */
busy_verdict_t busy_judge(const busy_copy_t *src, const busy_copy_t *dst);

typedef struct {
    long gone;    /* no longer on the source: the failed MIGRATE moved them */
    long dropped; /* the source's identical copies, deleted */
} busy_count_t;

/* After a MIGRATE of keys[0..n) (all of one slot) from src to dst failed with BUSYKEY: every key
 * still on the source is compared with the target's copy, and the source's copies that are the
 * same are deleted. Returns 0 when nothing is left busy; -1 with err naming the slot, both nodes
 * and the first differing key (the identical ones are still dropped), or the command that failed. */
int busy_settle(const mig_node_t *src, const mig_node_t *dst, int slot, const char *const *keys, size_t n,
                busy_count_t *count, char *err, size_t errlen);

#endif
