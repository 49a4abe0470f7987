/* rclient: a Redis connection whose every call is bounded in time and whose errors name the
 * server and the command. Plain TCP and unix sockets go through hiredis's own I/O; TLS goes
 * through lib/tls.c, with the commands formatted and the replies parsed by hiredis
 * (redisFormatCommandArgv, redisReader). */
#ifndef RCI_RCLIENT_H
#define RCI_RCLIENT_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include "cview.h"
#include "tls.h"

/* How this program proves itself to nodes: AUTH after connect (an empty password means no
 * AUTH; never logged) and, for TCP, TLS with the node's certificate against the CA. */
typedef struct {
    char user[64];      /* empty: AUTH <password> (the default user) */
    char password[257];
    tls_ctx_t *tls;     /* not owned; NULL: plaintext TCP. Unix sockets are always plaintext. */
} rc_auth_t;

typedef struct {
    redisContext *c;      /* plain TCP or unix socket; NULL when TLS or not connected */
    tls_conn_t *tls;      /* TLS; NULL otherwise */
    redisReader *reader;  /* with tls */
    int timeout_ms;       /* each command's bound */
    char where[160]; /* "unix:/data/.rci.sock" or "198.18.0.5:6379", for messages */
} rc_conn_t;

/* Connect and, when auth has a password, authenticate. auth may be NULL. Returns 0, -1 when the
 * server cannot be reached, RC_AUTH_FAILED when it answered but refused the credentials,
 * RC_TLS_FAILED when the TLS handshake failed. */
#define RC_AUTH_FAILED (-2)
/* With TLS: the port answered, but the handshake failed (an untrusted certificate, a plaintext port). */
#define RC_TLS_FAILED (-3)
int rc_connect_unix(rc_conn_t *rc, const char *path, const rc_auth_t *auth, int timeout_ms, char *err, size_t errlen);
int rc_connect_tcp(rc_conn_t *rc, const char *ip, int port, const rc_auth_t *auth, int timeout_ms, char *err,
                   size_t errlen);
int rc_connected(const rc_conn_t *rc);
void rc_close(rc_conn_t *rc);

/* Send a command built from argv. On success *out is the reply (free with freeReplyObject); an
 * error reply is a failure (-1) with the server's words in err. */
int rc_command(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv);
/* The same, but an error reply is a reply (0), for callers that judge it themselves. */
int rc_command_any(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv);
/* The same, for commands whose reply is +OK (or any non-error): no reply kept. */
int rc_simple(rc_conn_t *rc, char *err, size_t errlen, int argc, const char **argv);
/* A CLUSTER NODES reply (untrusted: any type, any bytes) into view; where names the server. */
int rc_parse_cluster_nodes(const redisReply *r, const char *where, cv_view_t *view, char *err, size_t errlen);
/* CLUSTER INFO's cluster_state ("ok", "fail"; "unknown" when the reply lacks it) into state. */
int rc_cluster_state(rc_conn_t *rc, char *state, size_t len, char *err, size_t errlen);
/* CLUSTER NODES, parsed. */
int rc_cluster_nodes(rc_conn_t *rc, cv_view_t *view, char *err, size_t errlen);

#endif
