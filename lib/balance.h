/* balance: the target slot assignment when the number of shards changes, and the moves that reach
 * it. Pure: the masters and who owns each slot in, the moves out. Every instance that computes it
 * from the same view gets the same moves, and each move names its one actor: the master that
 * receives the slot (docs/design.md, "Resharding").
 *
 * Targets: the master of shard i (i < shards) gets as many slots as the even split the init
 * containers create (topo_slot_range): 16384/shards, or one more. Minimal movement: a master keeps its slots up to its quota (its lowest
 * ones); what a master holds over its quota (its highest slots) and everything a master of a
 * removed shard (i >= shards) holds is the surplus, which fills the deficits in shard order. */
#ifndef RCI_BALANCE_H
#define RCI_BALANCE_H

#include <stddef.h>
#include "cview.h"

#define BAL_SLOTS 16384

typedef struct {
    char id[CV_ID_LEN + 1];
    int shard;            /* from the pod name it announces; -1 unknown */
} bal_master_t;

typedef struct {
    int first, last;      /* a range of slots, moved together */
    int from, to;         /* indexes into the masters */
} bal_move_t;

typedef struct {
    bal_move_t *moves;    /* owned; free with bal_plan_free */
    size_t n;
    int slots_moved;
} bal_plan_t;

/* owner[s]: index into masters of slot s's owner, -1 when no master owns it. Fails (-1, why in
 * err) when a slot is uncovered, a master's shard is unknown, two masters claim one shard, or a
 * shard below `shards` has no master: rebalancing then waits for the cluster to be whole. */
int bal_plan(const bal_master_t *masters, size_t n_masters, const int owner[BAL_SLOTS], int shards,
             bal_plan_t *plan, char *err, size_t errlen);
void bal_plan_free(bal_plan_t *plan);
/* The quota of shard i of `shards`. */
int bal_quota(int shards, int shard);

#endif
