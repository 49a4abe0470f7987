#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* SETSLOT on one node; *already is set when the node answers that the step is done already
 * (the target owns the slot, or the source no longer does). */
static int setslot(const mig_node_t *n, int slot, const char *how, const char *id, int *already, char *err,
                   size_t errlen)
{
    char s[16];
    snprintf(s, sizeof s, "%d", slot);
    const char *argv[] = { "CLUSTER", "SETSLOT", s, how, id };
    redisReply *r = NULL;
    if (already) *already = 0;
    if (rc_command_any(n->conn, &r, err, errlen, 5, argv) != 0) return -1;
    int rc = 0;
    if (r->type == REDIS_REPLY_ERROR) {
        if (already && (strstr(r->str, "already the owner") || strstr(r->str, "not the owner"))) *already = 1;
        else {
            snprintf(err, errlen, "%s: CLUSTER SETSLOT %d %s %.12s: %s", n->conn->where, slot, how, id, r->str);
            rc = -1;
        }
    }
    freeReplyObject(r);
    return rc;
}

/* MIGRATE one batch of keys; returns the number of keys in the batch, 0 when the slot is empty. */
static int migrate_batch(int slot, const mig_node_t *src, const mig_node_t *dst, const mig_opts_t *o, char *err,
                         size_t errlen)
{
    char s[16], cnt[16];
    snprintf(s, sizeof s, "%d", slot);
    snprintf(cnt, sizeof cnt, "%d", o->batch);
    const char *gk[] = { "CLUSTER", "GETKEYSINSLOT", s, cnt };
    redisReply *keys = NULL;
    if (rc_command(src->conn, &keys, err, errlen, 4, gk) != 0) return -1;
    if (keys->type != REDIS_REPLY_ARRAY) {
        snprintf(err, errlen, "%s: CLUSTER GETKEYSINSLOT %d: not an array", src->conn->where, slot);
        freeReplyObject(keys);
        return -1;
    }
    int n = (int)keys->elements;
    if (n == 0) { freeReplyObject(keys); return 0; }
    char port[16], tmo[16];
    snprintf(port, sizeof port, "%d", dst->port);
    snprintf(tmo, sizeof tmo, "%d", o->migrate_timeout_ms);
    const char **argv = malloc((size_t)(n + 10) * sizeof *argv);
    if (!argv) { freeReplyObject(keys); snprintf(err, errlen, "out of memory"); return -1; }
    int a = 0;
    argv[a++] = "MIGRATE";
    argv[a++] = dst->ip;
    argv[a++] = port;
    argv[a++] = "";
    argv[a++] = "0";
    argv[a++] = tmo;
    if (o->auth && o->auth->password[0]) {
        if (o->auth->user[0]) { argv[a++] = "AUTH2"; argv[a++] = o->auth->user; }
        else argv[a++] = "AUTH";
        argv[a++] = o->auth->password;
    }
    argv[a++] = "KEYS";
    for (int k = 0; k < n; k++) {
        if (keys->element[k]->type != REDIS_REPLY_STRING) {
            snprintf(err, errlen, "%s: CLUSTER GETKEYSINSLOT %d: a key that is not a string", src->conn->where, slot);
            free(argv);
            freeReplyObject(keys);
            return -1;
        }
        argv[a + k] = keys->element[k]->str;
    }
    redisReply *r = NULL;
    int rc = rc_command_any(src->conn, &r, err, errlen, a + n, argv);
    free(argv);
    freeReplyObject(keys);
    if (rc != 0) return -1;
    if (r->type == REDIS_REPLY_ERROR) {
        /* BUSYKEY: the target has a key of that name. Never replaced: that would lose a write. */
        snprintf(err, errlen, "%s: MIGRATE of %d keys of slot %d to %s:%d: %s", src->conn->where, n, slot, dst->ip,
                 dst->port, r->str);
        freeReplyObject(r);
        return -1;
    }
    freeReplyObject(r); /* OK, or NOKEY when the keys expired meanwhile */
    return n;
}

int mig_set_owner(const mig_node_t *n, int slot, const mig_node_t *owner, char *err, size_t errlen)
{
    return setslot(n, slot, "NODE", owner->id, NULL, err, errlen);
}

int mig_move_slot(int slot, const mig_node_t *src, const mig_node_t *dst, const mig_node_t *others, size_t n_others,
                  const mig_opts_t *o, long *keys, char *err, size_t errlen)
{
    int already = 0;
    *keys = 0;
    if (setslot(dst, slot, "IMPORTING", src->id, &already, err, errlen) != 0) return -1;
    if (!already && setslot(src, slot, "MIGRATING", dst->id, &already, err, errlen) != 0) return -1;
    while (!already) {
        int n = migrate_batch(slot, src, dst, o, err, errlen);
        if (n < 0) return -1;
        if (n == 0) break;
        *keys += n;
    }
    /* The target first: once it owns the slot (with a new epoch), the source's NODE cannot win. */
    if (setslot(dst, slot, "NODE", dst->id, NULL, err, errlen) != 0) return -1;
    if (setslot(src, slot, "NODE", dst->id, NULL, err, errlen) != 0) return -1;
    for (size_t i = 0; i < n_others; i++) {
        char e2[RCI_ERR_LEN];
        if (setslot(&others[i], slot, "NODE", dst->id, NULL, e2, sizeof e2) != 0) LOG_D("%s (gossip will tell it)", e2);
    }
    return 0;
}
