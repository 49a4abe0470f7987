#include "fanout.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Longest single poll: a signal is noticed within this even if poll were restarted. */
#define FAN_POLL_SLICE_MS 100

static void finish(fan_target_t *t, rc_op_t *op)
{
    t->result = op->result;
    if (op->result == 0) {
        t->reply = op->reply;
        op->reply = NULL;
    } else {
        snprintf(t->err, sizeof t->err, "%s: %s", op->conn.where, op->err);
    }
    rc_op_free(op);
}

int fan_command(fan_target_t *t, size_t n, const rc_auth_t *auth, int argc, const char **argv, int timeout_ms,
                int64_t deadline, volatile sig_atomic_t *interrupted)
{
    size_t window = n < FAN_WINDOW ? n : FAN_WINDOW;
    for (size_t i = 0; i < n; i++) {
        t[i].result = -1;
        t[i].reply = NULL;
        snprintf(t[i].err, sizeof t[i].err, "%s:%d: not tried before the deadline", t[i].ip, t[i].port);
    }
    if (n == 0) return 0;
    rc_op_t *ops = calloc(window, sizeof *ops);
    size_t *of = calloc(window, sizeof *of);     /* slot -> target */
    int *busy = calloc(window, sizeof *busy);
    int64_t *until = calloc(window, sizeof *until); /* slot -> the end of its target's budget */
    struct pollfd *pfd = calloc(window, sizeof *pfd);
    size_t *pslot = calloc(window, sizeof *pslot); /* pollfd -> slot */
    if (!ops || !of || !busy || !until || !pfd || !pslot) {
        for (size_t i = 0; i < n; i++) snprintf(t[i].err, sizeof t[i].err, "%s:%d: out of memory", t[i].ip, t[i].port);
        free(ops); free(of); free(busy); free(until); free(pfd); free(pslot);
        return 0;
    }
    size_t next = 0, active = 0;
    int answered = 0, stopped = 0;
    for (;;) {
        /* Fill the window; a signal or the deadline stops the filling too (hundreds of connects on a
         * loaded machine take a while). */
        for (size_t s = 0; s < window && next < n && !(interrupted && *interrupted) && clock_left_ms(deadline) > 0;
             s++) {
            if (busy[s]) continue;
            size_t i = next++;
            rc_op_start(&ops[s], t[i].ip, t[i].port, auth, argc, argv);
            if (ops[s].stage == RC_OP_DONE) {
                finish(&t[i], &ops[s]);
                answered += t[i].result == 0;
                continue;
            }
            until[s] = clock_now_ms() + timeout_ms;
            if (until[s] > deadline) until[s] = deadline;
            busy[s] = 1;
            of[s] = i;
            active++;
        }
        if (active == 0 && next == n) break;
        int64_t now = clock_now_ms();
        if ((interrupted && *interrupted) || clock_left_ms(deadline) == 0) {
            stopped = interrupted && *interrupted;
            for (size_t s = 0; s < window; s++) {
                if (!busy[s]) continue;
                rc_op_abort(&ops[s], stopped ? "interrupted" : "timed out");
                finish(&t[of[s]], &ops[s]);
                busy[s] = 0;
            }
            for (; next < n; next++)
                if (stopped) snprintf(t[next].err, sizeof t[next].err, "%s:%d: interrupted", t[next].ip, t[next].port);
            break;
        }
        /* Targets whose budget is spent give up; the others are polled until the first budget ends. */
        int64_t wake = deadline;
        nfds_t np = 0;
        for (size_t s = 0; s < window; s++) {
            if (!busy[s]) continue;
            if (now >= until[s]) {
                rc_op_abort(&ops[s], "timed out");
                finish(&t[of[s]], &ops[s]);
                busy[s] = 0;
                active--;
                continue;
            }
            if (until[s] < wake) wake = until[s];
            pfd[np].fd = ops[s].conn.fd;
            pfd[np].events = ops[s].want;
            pfd[np].revents = 0;
            pslot[np++] = s;
        }
        if (np == 0) continue; /* the window has room again */
        int64_t left = wake - now;
        int r = poll(pfd, np, (int)(left < FAN_POLL_SLICE_MS ? left : FAN_POLL_SLICE_MS));
        if (r < 0 && errno != EINTR) {
            char why[RCI_ERR_LEN];
            snprintf(why, sizeof why, "poll: %s", strerror(errno));
            for (size_t s = 0; s < window; s++) {
                if (!busy[s]) continue;
                rc_op_abort(&ops[s], why);
                finish(&t[of[s]], &ops[s]);
                busy[s] = 0;
            }
            break;
        }
        for (nfds_t k = 0; r > 0 && k < np; k++) {
            if (!pfd[k].revents) continue;
            size_t s = pslot[k];
            rc_op_step(&ops[s], pfd[k].revents);
            if (ops[s].stage != RC_OP_DONE) continue;
            finish(&t[of[s]], &ops[s]);
            answered += t[of[s]].result == 0;
            busy[s] = 0;
            active--;
        }
    }
    free(ops); free(of); free(busy); free(until); free(pfd); free(pslot);
    return stopped ? -1 : answered;
}

void fan_free(fan_target_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].reply) freeReplyObject(t[i].reply);
        t[i].reply = NULL;
    }
}
