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
    /* The sidecar's mode: act only as the receiver of the moves into the local node (and, on the
     * master of shard 0 only, forget removed pods), and only when every master's view of the slot
     * map is the local one: every instance then plans the same moves, each slot has one actor. */
    int local_only;
} rs_opts_t;

/* Returns an RCI_* exit code; prints what it sees, plans and does to out. *acted (may be NULL)
 * is set when something changed (a slot moved, a node forgotten). */
int rs_rebalance(const cfg_t *cfg, const rc_auth_t *auth, const rs_opts_t *o, FILE *out, int *acted);

/* The native sidecar: every interval_s, reload the config (the mounted ConfigMap changes in
 * place) with reload(ctx, cfg) and reconcile in local_only mode; log what changed. Runs until
 * *interrupted (SIGTERM), then returns RCI_OK. */
typedef int (*rs_reload_fn)(void *ctx, cfg_t *cfg);
int rs_sidecar(rs_reload_fn reload, void *ctx, const rc_auth_t *auth, int interval_s,
               const volatile sig_atomic_t *interrupted);

#endif
