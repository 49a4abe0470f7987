/* reply: hiredis's reply reader with a bound on what a reply may announce. A multi-bulk header
 * makes hiredis allocate its element array before any element arrives, so "*1555555555\r\n" from
 * a peer (or anything that answers on its port) would cost gigabytes for 14 bytes. This reader
 * refuses a reply whose arrays announce more than REPLY_MAX_ELEMENTS elements in all. */
#ifndef RCI_REPLY_H
#define RCI_REPLY_H

#include <hiredis/hiredis.h>

/* Far above any reply this program reads (CLUSTER NODES is one string; GETKEYSINSLOT batches are
 * small); 8 MB of element pointers at most. */
#define REPLY_MAX_ELEMENTS (1u << 20)

/* A reader for one connection; NULL when out of memory. Free with reply_reader_free. */
redisReader *reply_reader_new(void);
void reply_reader_free(redisReader *r);
/* After redisReaderFeed or redisReaderGetReply failed: why, in words. */
const char *reply_reader_error(const redisReader *r);

#endif
