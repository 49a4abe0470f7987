/* The bounded reply reader: ordinary replies pass whole, and a reply that announces more array
 * elements than any reply this program reads is an error before anything large is allocated
 * (the fuzzer found "*1555555555\r\n" costing gigabytes in hiredis's plain reader). */
#include <stdlib.h>

#include "reply.h"
#include "t.h"

/* Feeds text in pieces of `piece` bytes; returns the number of replies read, or -1 on an error. */
static int feed(const char *text, size_t len, size_t piece, char *why, size_t whylen)
{
    redisReader *r = reply_reader_new();
    CHECK(r != NULL);
    if (!r) return -1;
    int replies = 0;
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        void *reply = NULL;
        if (redisReaderFeed(r, text + off, n) != REDIS_OK) goto bad;
        for (;;) {
            if (redisReaderGetReply(r, &reply) != REDIS_OK) goto bad;
            if (!reply) break;
            freeReplyObject(reply);
            replies++;
        }
    }
    reply_reader_free(r);
    return replies;
bad:
    snprintf(why, whylen, "%s", reply_reader_error(r));
    reply_reader_free(r);
    return -1;
}

int main(void)
{
    char why[256] = "";
    static const char ok[] = "+OK\r\n*2\r\n$3\r\nfoo\r\n*3\r\n:1\r\n:2\r\n$-1\r\n*0\r\n*-1\r\n$5\r\nhello\r\n";
    for (size_t piece = 1; piece <= sizeof ok; piece++) CHECK(feed(ok, sizeof ok - 1, piece, why, sizeof why) == 5);

    static const char huge[] = "*1555555555\r\n\n\n\n$2\r\n";
    CHECK(feed(huge, sizeof huge - 1, 1, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "announces more than");

    /* The bound itself is allowed (an incomplete reply: no reply, no error); the bound plus the
     * outer array's 2, in one reply, is not: nested arrays count together. */
    char hdr[64];
    snprintf(hdr, sizeof hdr, "*%u\r\n", REPLY_MAX_ELEMENTS);
    why[0] = '\0';
    CHECK(feed(hdr, strlen(hdr), 64, why, sizeof why) == 0);
    CHECK_STR(why, "");
    snprintf(hdr, sizeof hdr, "*2\r\n*%u\r\n", REPLY_MAX_ELEMENTS);
    CHECK(feed(hdr, strlen(hdr), 64, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "announces more than");

    /* Each reply gets the whole bound: many large-ish replies in a row are fine. */
    size_t big = 4 * (size_t)(REPLY_MAX_ELEMENTS / 2) + 32;
    char *many = malloc(big * 3);
    CHECK(many != NULL);
    if (many) {
        size_t off = 0;
        for (int k = 0; k < 3; k++) {
            off += (size_t)sprintf(many + off, "*%u\r\n", REPLY_MAX_ELEMENTS / 2);
            for (unsigned e = 0; e < REPLY_MAX_ELEMENTS / 2; e++) { memcpy(many + off, ":1\r\n", 4); off += 4; }
        }
        CHECK(feed(many, off, 65536, why, sizeof why) == 3);
        free(many);
    }

    /* Malformed bytes still read as hiredis's own protocol error. */
    CHECK(feed("?x\r\n", 4, 4, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "Protocol error");
    return T_DONE();
}
