#include "reply.h"

#include <stdio.h>
#include <stdlib.h>

/* Lives beside its reader (reader->privdata; each read task carries it): hiredis's own reply
 * functions, wrapped so that arrays are counted. */
typedef struct {
    redisReplyObjectFunctions fn;
    const redisReplyObjectFunctions *base;
    unsigned long announced; /* elements announced by the reply being read */
    int refused;
    char why[128];
} reply_guard_t;

static void *guarded_array(const redisReadTask *task, int elements)
{
    reply_guard_t *g = task->privdata;
    if (!task->parent) g->announced = 0; /* a new top-level reply */
    g->announced += elements > 0 ? (unsigned long)elements : 0;
    if (g->announced > REPLY_MAX_ELEMENTS) {
        g->refused = 1;
        snprintf(g->why, sizeof g->why, "the reply announces more than %u array elements", REPLY_MAX_ELEMENTS);
        return NULL; /* the reader fails this reply and frees what it built */
    }
    return g->base->createArray(task, elements);
}

redisReader *reply_reader_new(void)
{
    redisReader *r = redisReaderCreate();
    if (!r) return NULL;
    reply_guard_t *g = calloc(1, sizeof *g);
    if (!g || !r->fn || !r->fn->createArray) {
        free(g);
        redisReaderFree(r);
        return NULL;
    }
    g->base = r->fn;
    g->fn = *r->fn;
    g->fn.createArray = guarded_array;
    r->fn = &g->fn;
    r->privdata = g;
    return r;
}

void reply_reader_free(redisReader *r)
{
    if (!r) return;
    reply_guard_t *g = r->privdata;
    redisReaderFree(r); /* frees a half-read reply through g->fn, so g goes last */
    free(g);
}

const char *reply_reader_error(const redisReader *r)
{
    const reply_guard_t *g = r->privdata;
    return g && g->refused ? g->why : r->errstr;
}
