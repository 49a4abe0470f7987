/* rclient: Redis connections whose every step is bounded in time and size, and whose errors name
 * the server and the command. One non-blocking state machine (rc_op_t) serves plain TCP, unix
 * sockets and TLS alike: commands are formatted and replies parsed by hiredis
 * (redisFormatCommandArgv, redisReader); lib/tls.c only moves bytes. The blocking calls below run
 * one operation under poll(); lib/fanout.c runs many at once. */
#ifndef RCI_RCLIENT_H
#define RCI_RCLIENT_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include "cview.h"
#include "status.h"
#include "tls.h"

/* A reply larger than this is refused: no reply this program reads comes near it. */
#define RC_MAX_REPLY (64u << 20)

/* How this program proves itself to nodes: AUTH after connect (an empty password means no
 * AUTH; never logged) and, for TCP, TLS with the node's certificate against the CA. */
typedef struct {
    char user[64];      /* empty: AUTH <password> (the default user) */
    char password[257];
    tls_ctx_t *tls;     /* not owned; NULL: plaintext TCP. Unix sockets are always plaintext. */
} rc_auth_t;

/* Wipe a secret so the compiler cannot drop the store (memset of a dead buffer can vanish at -O2). */
void rc_wipe(void *p, size_t n);

typedef struct {
    int live;             /* 1 once connected (and authenticated) */
    int has_fd;           /* fd is open (also while connecting) */
    int fd;
    tls_conn_t *tls;      /* with TLS; NULL otherwise */
    redisReader *reader;
    int timeout_ms;       /* each command's bound */
    char where[160];      /* "unix:/data/.rci.sock" or "198.18.0.5:6379 (TLS)", for messages */
} rc_conn_t;

/* Connect and, when auth has a password, authenticate, all within timeout_ms. auth may be NULL.
 * Returns 0, -1 when the server cannot be reached, RC_AUTH_FAILED when it answered but refused
 * the credentials, RC_TLS_FAILED when the TLS handshake failed. */
#define RC_AUTH_FAILED (-2)
/* With TLS: the port answered, but the handshake failed (an untrusted certificate, a plaintext port). */
#define RC_TLS_FAILED (-3)
/* Connected, but the command's reply did not come (timeout, closed, malformed, too large). */
#define RC_IO_FAILED (-4)
int rc_connect_unix(rc_conn_t *rc, const char *path, const rc_auth_t *auth, int timeout_ms, char *err, size_t errlen);
int rc_connect_tcp(rc_conn_t *rc, const char *ip, int port, const rc_auth_t *auth, int timeout_ms, char *err,
                   size_t errlen);
int rc_connected(const rc_conn_t *rc);
void rc_close(rc_conn_t *rc);

/* Send a command built from argv. On success *out is the reply (free with freeReplyObject); an
 * error reply is a failure (-1) with the server's words in err. After an I/O failure the
 * connection is closed. */
int rc_command(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv);
/* The same, but an error reply is a reply (0), for callers that judge it themselves. */
int rc_command_any(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv);
/* Pipeline: n commands sent at once, their n replies read (error replies are replies). replies[i]
 * is command i's reply (free each with freeReplyObject). One bound (timeout_ms) for the whole
 * exchange. After an I/O failure the connection is closed and no reply is kept. */
int rc_pipeline(rc_conn_t *rc, int n, const int *argcs, const char *const *const *argvs, redisReply **replies,
                char *err, size_t errlen);
/* The same, for commands whose reply is +OK (or any non-error): no reply kept. */
int rc_simple(rc_conn_t *rc, char *err, size_t errlen, int argc, const char **argv);
/* Wait at most timeout_ms for a reply the server sends unasked (a Pub/Sub message on a connection
 * that subscribed). Returns 1 with *out (free with freeReplyObject), 0 when none came (the
 * connection stays usable), -1 when the connection failed (it is then closed; err says why). */
int rc_wait_push(rc_conn_t *rc, int timeout_ms, redisReply **out, char *err, size_t errlen);
/* A CLUSTER NODES reply (untrusted: any type, any bytes) into view; where names the server. */
int rc_parse_cluster_nodes(const redisReply *r, const char *where, cv_view_t *view, char *err, size_t errlen);
/* CLUSTER INFO's cluster_state ("ok", "fail"; "unknown" when the reply lacks it) into state. */
int rc_cluster_state(rc_conn_t *rc, char *state, size_t len, char *err, size_t errlen);
/* CLUSTER NODES, parsed. */
int rc_cluster_nodes(rc_conn_t *rc, cv_view_t *view, char *err, size_t errlen);

/* ---- The state machine, for lib/fanout.c: connect (+ TLS) (+ AUTH) (+ one command). ---- */
typedef enum { RC_OP_CONNECT, RC_OP_HANDSHAKE, RC_OP_IO, RC_OP_DONE } rc_op_stage_t;

typedef struct {
    rc_conn_t conn;
    rc_op_stage_t stage;
    short want;            /* POLLIN / POLLOUT while not done */
    char *out;             /* owned: the pipelined request */
    size_t out_len, out_off;
    int n_expect;          /* replies this operation reads */
    int authing;           /* the first expected reply is AUTH's */
    char auth_user[64];    /* for messages */
    redisReply *reply;     /* the command's reply (owned until taken) */
    redisReply **many;     /* pipelines: every reply, in order (not owned; NULL: keep the last) */
    int many_n;
    size_t in_total;
    int result;            /* when done: 0, -1, RC_AUTH_FAILED, RC_TLS_FAILED or RC_IO_FAILED */
    char err[RCI_ERR_LEN]; /* why it failed; conn.where names the server */
} rc_op_t;

/* Start connecting to ip:port (or, with port < 0, the unix socket at ip) and queue AUTH (when
 * auth has a password) and the command argv (argc may be 0). Returns 0, or -1 with op->result
 * and op->err set (the operation is then already done). */
int rc_op_start(rc_op_t *op, const char *ip, int port, const rc_auth_t *auth, int argc, const char **argv);
/* Progress after poll() reported revents on op->conn.fd. */
void rc_op_step(rc_op_t *op, short revents);
/* Give up (deadline, signal): done with RC_IO_FAILED or -1 and why. */
void rc_op_abort(rc_op_t *op, const char *why);
/* Free what the operation still owns (the connection, the reply, buffers). */
void rc_op_free(rc_op_t *op);

#endif
