#include "busy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

busy_verdict_t busy_judge(const busy_copy_t *src, const busy_copy_t *dst)
{
    if (!src->present) return BUSY_GONE;
    if (!dst->present) return BUSY_FREE;
    if (src->len == dst->len && memcmp(src->dump, dst->dump, src->len) == 0 && src->expire_at == dst->expire_at)
        return BUSY_SAME;
    return BUSY_DIFFERENT;
}

/* In a slot it is migrating, a node answers ASK for a key it no longer has. */
static int is_ask(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ASK ", 4) == 0;
}

/* A copy from DUMP's and PEXPIRETIME's replies; -1 when they are not what those commands give. */
static int copy_of(const redisReply *dump, const redisReply *exp, busy_copy_t *c)
{
    memset(c, 0, sizeof *c);
    if (dump->type == REDIS_REPLY_NIL || is_ask(dump)) return 0;
    if (dump->type != REDIS_REPLY_STRING || exp->type != REDIS_REPLY_INTEGER) return -1;
    c->present = 1;
    c->dump = dump->str;
    c->len = dump->len;
    c->expire_at = exp->integer;
    return 0;
}

/* The first error among replies r[0..n) but ASK (the key is gone), as "<command>: <error>", into
 * err; 0 when there is none. */
static int reply_error(const mig_node_t *node, redisReply **r, int n, const char *const *names, char *err,
                       size_t errlen)
{
    for (int i = 0; i < n; i++)
        if (r[i]->type == REDIS_REPLY_ERROR && !is_ask(r[i])) {
            snprintf(err, errlen, "%s: %s: %s", node->conn->where, names[i], r[i]->str);
            return -1;
        }
    return 0;
}

/* A key for a message: at most 60 bytes, anything unprintable as '?'. */
static void printable(const char *key, char *out, size_t len)
{
    size_t i = 0;
    for (; key[i] && i < 60 && i + 1 < len; i++) out[i] = (key[i] >= 0x20 && key[i] < 0x7f) ? key[i] : '?';
    out[i] = '\0';
}

static void free_replies(redisReply **r, int n)
{
    for (int i = 0; i < n; i++)
        if (r[i]) freeReplyObject(r[i]);
}

/* Drop the source's identical copies (del[1..m] are keys), in the transaction WATCH opened: a write
 * to any of them since the comparison aborts it. UNWATCH when there is nothing to drop. */
static int drop_watched(const mig_node_t *src, int slot, const char **del, int m, long *dropped, char *err,
                        size_t errlen)
{
    static const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" }, *unwatch[] = { "UNWATCH" };
    if (m == 0) return rc_simple(src->conn, err, errlen, 1, unwatch);
    const char *const *argvs[3] = { multi, del, exec };
    int argcs[3] = { 1, m + 1, 1 };
    redisReply *r[3];
    if (rc_pipeline(src->conn, 3, argcs, argvs, r, err, errlen) != 0) return -1;
    static const char *names[] = { "MULTI" };
    int rc = reply_error(src, r, 1, names, err, errlen);
    if (rc == 0 && r[2]->type != REDIS_REPLY_ARRAY) {
        /* nil: a watched key was written; EXECABORT: a key went in between (DEL was refused). */
        snprintf(err, errlen, "%s: slot %d: a key changed while its two copies were compared (%s); nothing was "
                 "dropped: run again", src->conn->where, slot,
                 r[2]->type == REDIS_REPLY_ERROR ? r[2]->str : "EXEC aborted by WATCH");
        rc = -1;
    } else if (rc == 0 && r[2]->elements == 1 && r[2]->element[0]->type == REDIS_REPLY_INTEGER) {
        *dropped = r[2]->element[0]->integer;
    }
    free_replies(r, 3);
    return rc;
}

int busy_settle(const mig_node_t *src, const mig_node_t *dst, int slot, const char *const *keys, size_t n,
                busy_count_t *count, char *err, size_t errlen)
{
    count->gone = count->dropped = 0;
    if (n == 0) return 0;
    static const char *asking[] = { "ASKING" };
    int ns = 3 * (int)n, nd = 4 * (int)n, rc = -1;
    const char **words = malloc(6 * n * sizeof *words), **del = malloc((n + 1) * sizeof *del),
               **names = malloc((size_t)nd * sizeof *names);
    const char *const **argvs = malloc((size_t)nd * sizeof *argvs);
    int *argcs = malloc((size_t)nd * sizeof *argcs);
    redisReply **rs = calloc((size_t)ns, sizeof *rs), **rd = calloc((size_t)nd, sizeof *rd);
    if (!words || !del || !names || !argvs || !argcs || !rs || !rd) {
        snprintf(err, errlen, "out of memory comparing %zu keys of slot %d", n, slot);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        words[6 * i] = "DUMP"; words[6 * i + 1] = keys[i];
        words[6 * i + 2] = "PEXPIRETIME"; words[6 * i + 3] = keys[i];
        words[6 * i + 4] = "WATCH"; words[6 * i + 5] = keys[i];
    }
    /* The source: each key WATCHed before it is read, so that the copies dropped are the ones
     * compared. One key per WATCH: in a migrating slot a multi-key command whose keys are not all
     * there is refused (TRYAGAIN), and a gone key is answered ASK. */
    for (size_t i = 0; i < n; i++) {
        argvs[3 * i] = &words[6 * i + 4]; argcs[3 * i] = 2; names[3 * i] = "WATCH";
        argvs[3 * i + 1] = &words[6 * i]; argcs[3 * i + 1] = 2; names[3 * i + 1] = "DUMP";
        argvs[3 * i + 2] = &words[6 * i + 2]; argcs[3 * i + 2] = 2; names[3 * i + 2] = "PEXPIRETIME";
    }
    if (rc_pipeline(src->conn, ns, argcs, argvs, rs, err, errlen) != 0) goto out;
    if (reply_error(src, rs, ns, names, err, errlen) != 0) goto unwatch;
    /* The target serves a slot it imports only to a client that said ASKING, one command at a time. */
    for (size_t i = 0; i < n; i++) {
        argvs[4 * i] = asking; argcs[4 * i] = 1; names[4 * i] = "ASKING";
        argvs[4 * i + 1] = &words[6 * i]; argcs[4 * i + 1] = 2; names[4 * i + 1] = "DUMP";
        argvs[4 * i + 2] = asking; argcs[4 * i + 2] = 1; names[4 * i + 2] = "ASKING";
        argvs[4 * i + 3] = &words[6 * i + 2]; argcs[4 * i + 3] = 2; names[4 * i + 3] = "PEXPIRETIME";
    }
    if (rc_pipeline(dst->conn, nd, argcs, argvs, rd, err, errlen) != 0) goto unwatch;
    if (reply_error(dst, rd, nd, names, err, errlen) != 0) goto unwatch;
    int m = 0;
    size_t differ = 0;
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        busy_copy_t s, d;
        if (copy_of(rs[3 * i + 1], rs[3 * i + 2], &s) != 0 || copy_of(rd[4 * i + 1], rd[4 * i + 3], &d) != 0) {
            snprintf(err, errlen, "slot %d: DUMP / PEXPIRETIME of a key gave an unexpected reply", slot);
            goto unwatch;
        }
        switch (busy_judge(&s, &d)) {
        case BUSY_SAME: del[++m] = keys[i]; break;
        case BUSY_DIFFERENT: if (!differ++) first = keys[i]; break;
        case BUSY_GONE: count->gone++; break;
        case BUSY_FREE: break;
        }
    }
    del[0] = "DEL";
    if (drop_watched(src, slot, del, m, &count->dropped, err, errlen) != 0) goto out;
    if (count->dropped)
        LOG_I("slot %d: %ld key(s) were on both %s and %s, identical (a move was cut short after the target "
              "stored them): dropped the source's copies", slot, count->dropped, src->conn->where,
              dst->conn->where);
    if (differ) {
        char k[64];
        printable(first, k, sizeof k);
        snprintf(err, errlen,
                 "slot %d: %zu key(s) are on both %s (the source) and %s (the target) with different values, "
                 "first '%s'. A move was likely cut short after the target stored them, but either copy may "
                 "have been written since: compare them (DUMP; on the target after ASKING), delete the "
                 "wrong one, then run rebalance again",
                 slot, differ, src->conn->where, dst->conn->where, k);
        goto out;
    }
    rc = 0;
    goto out;
unwatch:
    if (src->conn->live) {
        char e2[RCI_ERR_LEN];
        static const char *unwatch_argv[] = { "UNWATCH" };
        (void)rc_simple(src->conn, e2, sizeof e2, 1, unwatch_argv);
    }
out:
    if (rs) free_replies(rs, ns);
    if (rd) free_replies(rd, nd);
    free(words); free(del); free(names); free((void *)argvs); free(argcs); free(rs); free(rd);
    return rc;
}
