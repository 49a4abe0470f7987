/* libFuzzer target: a peer's raw reply bytes (what a TLS connection hands over) through hiredis's
 * redisReader (lib/reply.c's bounded one), as rclient feeds it, then the CLUSTER NODES handling of whatever reply comes out:
 * wrong types, truncated or huge replies must be errors, never a crash or an out-of-bounds read. */
#include <stddef.h>
#include <stdint.h>

#include "cview.h"
#include "rclient.h"
#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    redisReader *reader = reply_reader_new();
    if (!reader) return 0;
    /* Fed in uneven pieces, as reads from a socket arrive. */
    size_t off = 0, piece = 1;
    while (off < size) {
        size_t n = size - off < piece ? size - off : piece;
        if (redisReaderFeed(reader, (const char *)data + off, n) != REDIS_OK) break;
        off += n;
        piece = piece * 3 + 1;
        void *reply = NULL;
        while (redisReaderGetReply(reader, &reply) == REDIS_OK && reply) {
            cv_view_t v;
            char err[256];
            if (rc_parse_cluster_nodes(reply, "fuzz", &v, err, sizeof err) == 0) cv_free(&v);
            freeReplyObject(reply);
            reply = NULL;
        }
    }
    reply_reader_free(reader);
    return 0;
}
