/* reshard: bring the slot assignment to the config's shard count, online, keys and all. Reads the
 * cluster from the local node, finishes any slot left half-moved, plans with bal_plan, and moves
 * each slot with mig_move_slot. `rebalance --dry-run` prints the plan and stops. */
#ifndef RCI_RESHARD_H
#define RCI_RESHARD_H

#include <signal.h>
#include <stdio.h>
#include "config.h"
#include "rclient.h"

typedef struct {
    int dry_run;
    int batch;                            /* keys per MIGRATE */
    const volatile sig_atomic_t *interrupted;
} rs_opts_t;

/* Returns an RCI_* exit code; prints what it sees, plans and does to out. */
int rs_rebalance(const cfg_t *cfg, const rc_auth_t *auth, const rs_opts_t *o, FILE *out);

#endif
