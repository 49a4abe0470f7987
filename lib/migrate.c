#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busy.h"
#include "log.h"

/* SETSLOT <slot> <how> <id> for every slot with want[i], pipelined on node n. With already (may be
 * NULL), an "already the owner" / "not the owner" answer sets already[i] instead of failing. */
static int setslot_many(const mig_node_t *n, const int *slots, int k, const int *want, const char *how, const char *id,
                        int *already, char *err, size_t errlen)
{
    char num[MIG_MAX_SLOTS][16];
    const char *argv[MIG_MAX_SLOTS][5];
    const char *const *argvs[MIG_MAX_SLOTS];
    int argcs[MIG_MAX_SLOTS], idx[MIG_MAX_SLOTS], m = 0;
    redisReply *rep[MIG_MAX_SLOTS];
    for (int i = 0; i < k; i++) {
        if (!want[i]) continue;
        snprintf(num[m], sizeof num[m], "%d", slots[i]);
        argv[m][0] = "CLUSTER"; argv[m][1] = "SETSLOT"; argv[m][2] = num[m]; argv[m][3] = how; argv[m][4] = id;
        argvs[m] = argv[m];
        argcs[m] = 5;
        idx[m++] = i;
    }
    if (rc_pipeline(n->conn, m, argcs, argvs, rep, err, errlen) != 0) return -1;
    int rc = 0;
    for (int j = 0; j < m; j++) {
        if (rep[j]->type == REDIS_REPLY_ERROR && rc == 0) {
            if (already && (strstr(rep[j]->str, "already the owner") || strstr(rep[j]->str, "not the owner")))
                already[idx[j]] = 1;
            else {
                snprintf(err, errlen, "%s: CLUSTER SETSLOT %d %s %.12s: %s", n->conn->where, slots[idx[j]], how, id,
                         rep[j]->str);
                rc = -1;
            }
        }
        freeReplyObject(rep[j]);
    }
    return rc;
}

/* The keys of the slots in want[], up to o->batch per slot, pipelined; then MIGRATE them to dst
 * together, at most 1000 keys per MIGRATE. *left is set when some slot may hold more keys. */
static int migrate_round(const int *slots, int k, const int *want, const mig_node_t *src, const mig_node_t *dst,
                         const mig_opts_t *o, long *moved, int *left, char *err, size_t errlen)
{
    char num[MIG_MAX_SLOTS][16], cnt[16];
    const char *argv[MIG_MAX_SLOTS][4];
    const char *const *argvs[MIG_MAX_SLOTS];
    int argcs[MIG_MAX_SLOTS], slot_of[MIG_MAX_SLOTS], m = 0;
    redisReply *rep[MIG_MAX_SLOTS];
    snprintf(cnt, sizeof cnt, "%d", o->batch);
    for (int i = 0; i < k; i++) {
        if (!want[i]) continue;
        slot_of[m] = slots[i];
        snprintf(num[m], sizeof num[m], "%d", slots[i]);
        argv[m][0] = "CLUSTER"; argv[m][1] = "GETKEYSINSLOT"; argv[m][2] = num[m]; argv[m][3] = cnt;
        argvs[m] = argv[m];
        argcs[m++] = 4;
    }
    *left = 0;
    if (rc_pipeline(src->conn, m, argcs, argvs, rep, err, errlen) != 0) return -1;
    size_t total = 0;
    int rc = 0;
    for (int j = 0; j < m; j++) {
        if (rep[j]->type != REDIS_REPLY_ARRAY) {
            snprintf(err, errlen, "%s: CLUSTER GETKEYSINSLOT %s: %s", src->conn->where, num[j],
                     rep[j]->type == REDIS_REPLY_ERROR ? rep[j]->str : "not an array");
            rc = -1;
            continue;
        }
        total += rep[j]->elements;
        if ((int)rep[j]->elements == o->batch) *left = 1;
        for (size_t e = 0; e < rep[j]->elements; e++)
            if (rep[j]->element[e]->type != REDIS_REPLY_STRING) {
                snprintf(err, errlen, "%s: CLUSTER GETKEYSINSLOT %s: a key that is not a string", src->conn->where, num[j]);
                rc = -1;
            }
    }
    /* One MIGRATE per slot (Redis refuses keys of several slots in one: CROSSSLOT), all of them
     * pipelined: the round trips are per batch of slots. */
    char port[16], tmo[16];
    snprintf(port, sizeof port, "%d", dst->port);
    snprintf(tmo, sizeof tmo, "%d", o->migrate_timeout_ms);
    const char **margv[MIG_MAX_SLOTS];
    const char *const *margvs[MIG_MAX_SLOTS];
    int margcs[MIG_MAX_SLOTS], nm = 0, mk[MIG_MAX_SLOTS], mslot[MIG_MAX_SLOTS], key_at[MIG_MAX_SLOTS];
    redisReply *mrep[MIG_MAX_SLOTS];
    for (int q = 0; rc == 0 && total && q < m; q++) {
        if (rep[q]->elements == 0) continue;
        const char **args = malloc((rep[q]->elements + 10) * sizeof *args);
        if (!args) { snprintf(err, errlen, "out of memory"); rc = -1; break; }
        int a = 0;
        args[a++] = "MIGRATE"; args[a++] = dst->ip; args[a++] = port; args[a++] = ""; args[a++] = "0"; args[a++] = tmo;
        if (o->auth && o->auth->password[0]) {
            if (o->auth->user[0]) { args[a++] = "AUTH2"; args[a++] = o->auth->user; }
            else args[a++] = "AUTH";
            args[a++] = o->auth->password;
        }
        args[a++] = "KEYS";
        key_at[nm] = a;
        mslot[nm] = slot_of[q];
        for (size_t e = 0; e < rep[q]->elements; e++) args[a++] = rep[q]->element[e]->str;
        margv[nm] = args;
        margvs[nm] = args;
        margcs[nm] = a;
        mk[nm++] = (int)rep[q]->elements;
    }
    if (rc == 0 && nm > 0) {
        if (rc_pipeline(src->conn, nm, margcs, margvs, mrep, err, errlen) != 0) rc = -1;
        for (int q = 0; rc == 0 && q < nm; q++) {
            if (mrep[q]->type == REDIS_REPLY_ERROR && strstr(mrep[q]->str, "BUSYKEY")) {
                /* The target has some of these keys already. Never replaced blindly: that could lose a
                 * write. busy_settle drops only the source's copies that are identical. */
                busy_count_t c;
                if (busy_settle(src, dst, mslot[q], margv[q] + key_at[q], (size_t)mk[q], &c, err, errlen) != 0) {
                    rc = -1;
                    break;
                }
                if (c.gone == 0 && c.dropped == 0) { /* no progress: never loop on it */
                    snprintf(err, errlen, "%s: MIGRATE of %d keys of slot %d to %s:%d: %s, but no key of them is on "
                             "both nodes now: run again", src->conn->where, mk[q], mslot[q], dst->ip, dst->port,
                             mrep[q]->str);
                    rc = -1;
                    break;
                }
                *moved += c.gone;
                *left = 1; /* GETKEYSINSLOT again: what the refused MIGRATE left behind */
            } else if (mrep[q]->type == REDIS_REPLY_ERROR) {
                snprintf(err, errlen, "%s: MIGRATE of %d keys to %s:%d: %s", src->conn->where, mk[q], dst->ip,
                         dst->port, mrep[q]->str);
                rc = -1;
            } else {
                *moved += mk[q];
            }
        }
        for (int q = 0; q < nm; q++) if (mrep[q]) freeReplyObject(mrep[q]);
    }
    for (int q = 0; q < nm; q++) free(margv[q]);
    for (int q = 0; q < m; q++) freeReplyObject(rep[q]);
    return rc;
}

int mig_move_slots(const int *slots, int n_slots, const mig_node_t *src, const mig_node_t *dst,
                   const mig_node_t *others, size_t n_others, const mig_opts_t *o, long *keys, char *err,
                   size_t errlen)
{
    int all[MIG_MAX_SLOTS], already[MIG_MAX_SLOTS] = { 0 }, todo[MIG_MAX_SLOTS];
    *keys = 0;
    if (n_slots < 1 || n_slots > MIG_MAX_SLOTS) { snprintf(err, errlen, "bad slot batch %d", n_slots); return -1; }
    for (int i = 0; i < n_slots; i++) all[i] = 1;
    if (setslot_many(dst, slots, n_slots, all, "IMPORTING", src->id, already, err, errlen) != 0) return -1;
    for (int i = 0; i < n_slots; i++) todo[i] = !already[i];
    if (setslot_many(src, slots, n_slots, todo, "MIGRATING", dst->id, already, err, errlen) != 0) return -1;
    for (int i = 0; i < n_slots; i++) todo[i] = !already[i];
    for (int round = 0;; round++) {
        int left = 0;
        if (migrate_round(slots, n_slots, todo, src, dst, o, keys, &left, err, errlen) != 0) return -1;
        if (!left) break;
    }
    /* The target first: once it owns the slots (with a new epoch), the source's NODE cannot win. */
    if (setslot_many(dst, slots, n_slots, all, "NODE", dst->id, NULL, err, errlen) != 0) return -1;
    if (setslot_many(src, slots, n_slots, all, "NODE", dst->id, NULL, err, errlen) != 0) return -1;
    for (size_t i = 0; i < n_others; i++) {
        char e2[RCI_ERR_LEN];
        if (setslot_many(&others[i], slots, n_slots, all, "NODE", dst->id, NULL, e2, sizeof e2) != 0)
            LOG_D("%s (gossip will tell it)", e2);
    }
    return 0;
}

int mig_set_owner(const mig_node_t *n, int slot, const mig_node_t *owner, char *err, size_t errlen)
{
    int want = 1;
    return setslot_many(n, &slot, 1, &want, "NODE", owner->id, NULL, err, errlen);
}
