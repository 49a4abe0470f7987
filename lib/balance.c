#include "balance.h"

#include "topology.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bal_quota(int shards, int shard)
{
    int first, last;
    topo_slot_range(shards, shard, &first, &last);
    return last - first + 1;
}

static int push_move(bal_plan_t *p, size_t *cap, int slot, int from, int to)
{
    if (p->n > 0) {
        bal_move_t *last = &p->moves[p->n - 1];
        if (last->from == from && last->to == to && last->last + 1 == slot) { last->last = slot; return 0; }
    }
    if (p->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        bal_move_t *m = realloc(p->moves, nc * sizeof *m);
        if (!m) return -1;
        p->moves = m;
        *cap = nc;
    }
    p->moves[p->n++] = (bal_move_t){ slot, slot, from, to };
    return 0;
}

int bal_plan(const bal_master_t *masters, size_t n_masters, const int owner[BAL_SLOTS], int shards,
             bal_plan_t *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    if (shards < 1 || shards > BAL_SLOTS) { snprintf(err, errlen, "bad shard count %d", shards); return -1; }
    int *by_shard = malloc((size_t)shards * sizeof *by_shard);
    int *count = calloc(n_masters ? n_masters : 1, sizeof *count);
    int *pool = malloc(BAL_SLOTS * sizeof *pool); /* the surplus slots, in the order they are given */
    int rc = -1;
    if (!by_shard || !count || !pool) { snprintf(err, errlen, "out of memory"); goto out; }
    for (int i = 0; i < shards; i++) by_shard[i] = -1;
    for (size_t m = 0; m < n_masters; m++) {
        int sh = masters[m].shard;
        if (sh < 0) { snprintf(err, errlen, "master %.12s announces no pod name of this cluster", masters[m].id); goto out; }
        if (sh < shards) {
            if (by_shard[sh] >= 0) {
                snprintf(err, errlen, "shard %d has two masters (%.12s and %.12s)", sh, masters[by_shard[sh]].id,
                         masters[m].id);
                goto out;
            }
            by_shard[sh] = (int)m;
        }
    }
    for (int i = 0; i < shards; i++)
        if (by_shard[i] < 0) { snprintf(err, errlen, "shard %d has no master in the cluster yet", i); goto out; }
    for (int s = 0; s < BAL_SLOTS; s++) {
        if (owner[s] < 0 || (size_t)owner[s] >= n_masters) { snprintf(err, errlen, "slot %d is not served by any master", s); goto out; }
        count[owner[s]]++;
    }
    /* The pool: removed shards' masters first (in shard order, all their slots), then masters
     * over their quota (in shard order, their highest slots). Ties in shard order among removed
     * masters are broken by their index, which follows the view's order. */
    size_t np = 0;
    int max_shard = shards;
    for (size_t m = 0; m < n_masters; m++) if (masters[m].shard >= max_shard) max_shard = masters[m].shard + 1;
    for (int sh = shards; sh < max_shard; sh++)
        for (size_t m = 0; m < n_masters; m++) {
            if (masters[m].shard != sh) continue;
            for (int s = 0; s < BAL_SLOTS; s++) if (owner[s] == (int)m) pool[np++] = s;
        }
    for (int sh = 0; sh < shards; sh++) {
        int m = by_shard[sh], over = count[m] - bal_quota(shards, sh);
        if (over <= 0) continue;
        /* its highest `over` slots, in ascending order */
        int kept = 0;
        for (int s = 0; s < BAL_SLOTS; s++) {
            if (owner[s] != m) continue;
            if (kept < count[m] - over) { kept++; continue; }
            pool[np++] = s;
        }
    }
    size_t cap = 0, taken = 0;
    for (int sh = 0; sh < shards; sh++) {
        int m = by_shard[sh], need = bal_quota(shards, sh) - count[m];
        for (int k = 0; k < need; k++, taken++) {
            if (taken >= np) { snprintf(err, errlen, "internal: the surplus does not cover the deficits"); goto out; }
            if (push_move(plan, &cap, pool[taken], owner[pool[taken]], m) != 0) { snprintf(err, errlen, "out of memory"); goto out; }
            plan->slots_moved++;
        }
    }
    if (taken != np) { snprintf(err, errlen, "internal: %zu surplus slots left unassigned", np - taken); goto out; }
    rc = 0;
out:
    if (rc != 0) bal_plan_free(plan);
    free(by_shard);
    free(count);
    free(pool);
    return rc;
}

void bal_plan_free(bal_plan_t *plan)
{
    free(plan->moves);
    memset(plan, 0, sizeof *plan);
}
