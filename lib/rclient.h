/* rclient: a Redis connection (hiredis) whose every call is bounded in time and whose errors
 * name the server and the command. */
#ifndef RCI_RCLIENT_H
#define RCI_RCLIENT_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include "cview.h"

/* Credentials for AUTH after connect; an empty password means no AUTH. Never logged. */
typedef struct {
    char user[64];      /* empty: AUTH <password> (the default user) */
    char password[257];
} rc_auth_t;

typedef struct {
    redisContext *c;
    char where[160]; /* "unix:/data/.rci.sock" or "198.18.0.5:6379", for messages */
} rc_conn_t;

/* Connect and, when auth has a password, authenticate. auth may be NULL. Returns 0, -1 when the
 * server cannot be reached, RC_AUTH_FAILED when it answered but refused the credentials. */
#define RC_AUTH_FAILED (-2)
int rc_connect_unix(rc_conn_t *rc, const char *path, const rc_auth_t *auth, int timeout_ms, char *err, size_t errlen);
int rc_connect_tcp(rc_conn_t *rc, const char *ip, int port, const rc_auth_t *auth, int timeout_ms, char *err,
                   size_t errlen);
void rc_close(rc_conn_t *rc);

/* Send a command built from argv. On success *out is the reply (free with freeReplyObject); an
 * error reply is a failure (-1) with the server's words in err. */
int rc_command(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv);
/* The same, for commands whose reply is +OK (or any non-error): no reply kept. */
int rc_simple(rc_conn_t *rc, char *err, size_t errlen, int argc, const char **argv);
/* CLUSTER NODES, parsed. */
int rc_cluster_nodes(rc_conn_t *rc, cv_view_t *view, char *err, size_t errlen);

#endif
