/* fanout: one command to many nodes at once. Every connection is in flight together (up to a
 * window of FAN_WINDOW), each target has the same budget from the moment its connection starts, the
 * whole round is bounded by one deadline, and a signal stops it early: a round over many slow or
 * unreachable peers costs about one timeout, not one per peer. */
#ifndef RCI_FANOUT_H
#define RCI_FANOUT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "rclient.h"

#define FAN_WINDOW 256

typedef struct {
    const char *ip;        /* in: the node's address (not owned) */
    int port;              /* in */
    int result;            /* out: 0 answered, -1 unreachable, RC_AUTH_FAILED, RC_TLS_FAILED, RC_IO_FAILED */
    redisReply *reply;     /* out, when result is 0: the caller frees it (freeReplyObject); may be an error reply */
    char err[RCI_ERR_LEN]; /* out, otherwise: "<ip:port>: <why>" */
} fan_target_t;

/* Connect to every target (TLS and AUTH as auth says) and send argv, all at once, until each has
 * answered or timed out: a target has timeout_ms from the moment its connection starts (on a
 * loaded machine, starting hundreds of connections can itself take seconds: the last ones started
 * get their whole budget too), and none runs past deadline (absolute, clock_now_ms scale). Returns
 * the number of targets that answered, or -1 when *interrupted became set (the unfinished targets
 * say "interrupted"). */
int fan_command(fan_target_t *t, size_t n, const rc_auth_t *auth, int argc, const char **argv, int timeout_ms,
                int64_t deadline, volatile sig_atomic_t *interrupted);
/* Free the replies fan_command left in t. */
void fan_free(fan_target_t *t, size_t n);

#endif
