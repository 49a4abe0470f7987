/* The resharding assignment (lib/balance.c): balance, minimal movement, one actor per slot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "topology.h"

static int failures;
#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            failures++;                                                       \
            fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

static void masters_n(bal_master_t *m, int n)
{
    for (int i = 0; i < n; i++) {
        memset(&m[i], 0, sizeof m[i]);
        snprintf(m[i].id, sizeof m[i].id, "%040d", i + 1);
        m[i].shard = i;
    }
}

/* The even split the init containers create for `shards` shards. */
static void even(int *owner, int shards)
{
    for (int i = 0; i < shards; i++) {
        int a, b;
        topo_slot_range(shards, i, &a, &b);
        for (int s = a; s <= b; s++) owner[s] = i;
    }
}

/* Apply a plan; check every slot moves at most once, the receiver is the actor, and the result is
 * balanced within one slot with the quota of each target shard. Returns the slots moved. */
static int apply_and_check(const char *what, const bal_master_t *m, size_t n, int *owner, int shards,
                           const bal_plan_t *p)
{
    static int moved[BAL_SLOTS];
    memset(moved, 0, sizeof moved);
    int total = 0;
    for (size_t k = 0; k < p->n; k++) {
        const bal_move_t *mv = &p->moves[k];
        CHECK(mv->first <= mv->last, "%s: empty range", what);
        CHECK(mv->from != mv->to, "%s: a move to its own owner", what);
        for (int s = mv->first; s <= mv->last; s++) {
            CHECK(owner[s] == mv->from, "%s: slot %d moved from a master that does not own it", what, s);
            CHECK(!moved[s], "%s: slot %d moved twice (two actors)", what, s);
            moved[s] = 1;
            owner[s] = mv->to;
            total++;
        }
    }
    CHECK(total == p->slots_moved, "%s: slots_moved %d, counted %d", what, p->slots_moved, total);
    int count[64] = { 0 };
    for (int s = 0; s < BAL_SLOTS; s++) count[owner[s]]++;
    int lo = BAL_SLOTS, hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (m[i].shard >= shards) { CHECK(count[i] == 0, "%s: removed shard %d still owns %d slots", what, m[i].shard, count[i]); continue; }
        CHECK(count[i] == bal_quota(shards, m[i].shard), "%s: shard %d owns %d, quota %d", what, m[i].shard, count[i],
              bal_quota(shards, m[i].shard));
        if (count[i] < lo) lo = count[i];
        if (count[i] > hi) hi = count[i];
    }
    CHECK(hi - lo <= 1, "%s: unbalanced: %d..%d", what, lo, hi);
    return total;
}

int main(void)
{
    static int owner[BAL_SLOTS];
    bal_master_t m[64];
    char err[256];
    bal_plan_t p;

    /* Already balanced: nothing moves. */
    masters_n(m, 3);
    even(owner, 3);
    CHECK(bal_plan(m, 3, owner, 3, &p, err, sizeof err) == 0, "balanced: %s", err);
    CHECK(p.n == 0 && p.slots_moved == 0, "balanced: %zu moves", p.n);
    bal_plan_free(&p);

    /* 3 -> 4: the new master gets 4096; each old one gives only its surplus (its highest slots). */
    masters_n(m, 4);
    even(owner, 3);
    CHECK(bal_plan(m, 4, owner, 4, &p, err, sizeof err) == 0, "3->4: %s", err);
    CHECK(p.slots_moved == 4096, "3->4: moved %d, want 16384/4", p.slots_moved);
    CHECK(p.n == 3, "3->4: %zu ranges, want one range from each old master", p.n);
    for (size_t k = 0; k < p.n; k++) CHECK(p.moves[k].to == 3, "3->4: a move not to the new master");
    CHECK(p.n == 3 && p.moves[0].first == 4096 && p.moves[0].last == 5460, "3->4: shard 0 gives its top: %d-%d",
          p.moves[0].first, p.moves[0].last);
    apply_and_check("3->4", m, 4, owner, 4, &p);
    bal_plan_free(&p);

    /* 4 -> 3 from there: only the removed shard's slots move, and they fill the others exactly. */
    CHECK(bal_plan(m, 4, owner, 3, &p, err, sizeof err) == 0, "4->3: %s", err);
    CHECK(p.slots_moved == 4096, "4->3: moved %d, want the removed shard's 4096", p.slots_moved);
    for (size_t k = 0; k < p.n; k++) CHECK(p.moves[k].from == 3, "4->3: a slot moved from a kept master");
    apply_and_check("4->3", m, 4, owner, 3, &p);
    bal_plan_free(&p);

    /* 3 -> 5 at once, and 5 -> 2; 1 -> 7; 10 -> 11 moves about 16384/11. */
    static const int steps[][2] = { { 3, 5 }, { 5, 2 }, { 1, 7 }, { 10, 11 }, { 11, 10 }, { 7, 1 } };
    for (size_t t = 0; t < sizeof steps / sizeof steps[0]; t++) {
        int from = steps[t][0], to = steps[t][1], n = from > to ? from : to;
        char what[32];
        snprintf(what, sizeof what, "%d->%d", from, to);
        masters_n(m, n);
        even(owner, from);
        CHECK(bal_plan(m, (size_t)n, owner, to, &p, err, sizeof err) == 0, "%s: %s", what, err);
        int moved = apply_and_check(what, m, (size_t)n, owner, to, &p);
        /* Minimal: out, the new shards' quotas; in, the removed shards' slots. */
        int want = 0;
        if (to > from) for (int i = from; i < to; i++) want += bal_quota(to, i);
        else for (int i = to; i < from; i++) want += bal_quota(from, i);
        CHECK(moved == want, "%s: moved %d, minimal is %d", what, moved, want);
        bal_plan_free(&p);
    }

    /* Deterministic: the same view gives the same plan (every sidecar computes the same moves). */
    masters_n(m, 4);
    even(owner, 3);
    bal_plan_t a, b;
    CHECK(bal_plan(m, 4, owner, 4, &a, err, sizeof err) == 0 && bal_plan(m, 4, owner, 4, &b, err, sizeof err) == 0,
          "twice: %s", err);
    CHECK(a.n == b.n && memcmp(a.moves, b.moves, a.n * sizeof *a.moves) == 0, "two plans of one view differ");
    bal_plan_free(&a);
    bal_plan_free(&b);

    /* Refused: a cluster that is not whole. */
    masters_n(m, 4);
    even(owner, 3);
    owner[100] = -1;
    CHECK(bal_plan(m, 4, owner, 4, &p, err, sizeof err) != 0 && strstr(err, "slot 100"), "uncovered slot: %s", err);
    even(owner, 3);
    CHECK(bal_plan(m, 3, owner, 4, &p, err, sizeof err) != 0 && strstr(err, "shard 3 has no master"), "missing master: %s", err);
    m[3].shard = 1;
    CHECK(bal_plan(m, 4, owner, 4, &p, err, sizeof err) != 0 && strstr(err, "two masters"), "two masters: %s", err);
    m[3].shard = -1;
    CHECK(bal_plan(m, 4, owner, 4, &p, err, sizeof err) != 0 && strstr(err, "no pod name"), "unknown shard: %s", err);

    if (failures) { fprintf(stderr, "test_balance: %d failure(s)\n", failures); return 1; }
    printf("test_balance: ok\n");
    return 0;
}
