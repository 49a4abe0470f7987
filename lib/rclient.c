#include "rclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"

/* A peer's reply larger than this is refused: no reply this program reads comes near it. */
#define RC_MAX_REPLY (64u << 20)

static struct timeval tv_ms(int ms)
{
    struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

int rc_connected(const rc_conn_t *rc)
{
    return rc->c != NULL || rc->tls != NULL;
}

void rc_close(rc_conn_t *rc)
{
    if (rc->c) redisFree(rc->c);
    rc->c = NULL;
    if (rc->tls) tls_close(rc->tls);
    rc->tls = NULL;
    if (rc->reader) redisReaderFree(rc->reader);
    rc->reader = NULL;
}

/* One command over TLS: hiredis formats it and parses the reply; tls.c moves the bytes. */
static redisReply *tls_roundtrip(rc_conn_t *rc, int argc, const char **argv, char *why, size_t whylen)
{
    int64_t deadline = clock_now_ms() + rc->timeout_ms;
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, NULL);
    if (len < 0 || !cmd) {
        snprintf(why, whylen, "cannot format the command");
        return NULL;
    }
    int w = tls_write_all(rc->tls, cmd, (size_t)len, deadline, why, whylen);
    redisFreeCommand(cmd);
    if (w != 0) return NULL;
    size_t total = 0;
    for (;;) {
        void *reply = NULL;
        if (redisReaderGetReply(rc->reader, &reply) != REDIS_OK) {
            snprintf(why, whylen, "malformed reply: %s", rc->reader->errstr);
            return NULL;
        }
        if (reply) return reply;
        char buf[16384];
        ssize_t n = tls_read(rc->tls, buf, sizeof buf, deadline, why, whylen);
        if (n < 0) return NULL;
        total += (size_t)n;
        if (total > RC_MAX_REPLY) {
            snprintf(why, whylen, "reply larger than %u bytes", RC_MAX_REPLY);
            return NULL;
        }
        if (redisReaderFeed(rc->reader, buf, (size_t)n) != REDIS_OK) {
            snprintf(why, whylen, "malformed reply: %s", rc->reader->errstr);
            return NULL;
        }
    }
}

/* Send argv, return the reply, or NULL with the reason in why (the connection is then closed:
 * after an I/O error it is unusable). */
static redisReply *roundtrip(rc_conn_t *rc, int argc, const char **argv, char *why, size_t whylen)
{
    redisReply *r;
    if (rc->tls) {
        r = tls_roundtrip(rc, argc, argv, why, whylen);
    } else {
        r = redisCommandArgv(rc->c, argc, argv, NULL);
        if (!r) snprintf(why, whylen, "%s", rc->c->errstr[0] ? rc->c->errstr : "no reply");
    }
    if (!r) rc_close(rc);
    return r;
}

/* AUTH without ever putting the password in a message. */
static int authenticate(rc_conn_t *rc, const rc_auth_t *auth, char *err, size_t errlen)
{
    const char *argv[3] = { "AUTH" };
    int argc = 1;
    if (auth->user[0]) argv[argc++] = auth->user;
    argv[argc++] = auth->password;
    char why[200];
    redisReply *r = roundtrip(rc, argc, argv, why, sizeof why);
    if (!r) {
        snprintf(err, errlen, "%s: AUTH: %s", rc->where, why);
        return -1;
    }
    int ok = r->type != REDIS_REPLY_ERROR;
    if (!ok)
        snprintf(err, errlen, "%s: AUTH%s%s refused: %s (check auth.password_file and the servers' password)",
                 rc->where, auth->user[0] ? " as " : "", auth->user, r->str);
    freeReplyObject(r);
    return ok ? 0 : -1;
}

static int finish_connect(rc_conn_t *rc, const rc_auth_t *auth, char *err, size_t errlen)
{
    if (auth && auth->password[0] && authenticate(rc, auth, err, errlen) != 0) {
        rc_close(rc);
        return RC_AUTH_FAILED;
    }
    return 0;
}

static int take_context(rc_conn_t *rc, redisContext *c, int timeout_ms, char *err, size_t errlen)
{
    if (!c) {
        snprintf(err, errlen, "%s: cannot allocate a connection", rc->where);
        return -1;
    }
    if (c->err) {
        snprintf(err, errlen, "%s: connect: %s", rc->where, c->errstr);
        redisFree(c);
        return -1;
    }
    redisSetTimeout(c, tv_ms(timeout_ms));
    rc->c = c;
    return 0;
}

static void init_conn(rc_conn_t *rc, int timeout_ms)
{
    rc->c = NULL;
    rc->tls = NULL;
    rc->reader = NULL;
    rc->timeout_ms = timeout_ms;
}

int rc_connect_unix(rc_conn_t *rc, const char *path, const rc_auth_t *auth, int timeout_ms, char *err, size_t errlen)
{
    init_conn(rc, timeout_ms);
    snprintf(rc->where, sizeof rc->where, "unix:%s", path);
    if (take_context(rc, redisConnectUnixWithTimeout(path, tv_ms(timeout_ms)), timeout_ms, err, errlen) != 0) return -1;
    return finish_connect(rc, auth, err, errlen);
}

int rc_connect_tcp(rc_conn_t *rc, const char *ip, int port, const rc_auth_t *auth, int timeout_ms, char *err,
                   size_t errlen)
{
    tls_ctx_t *tls = auth ? auth->tls : NULL;
    init_conn(rc, timeout_ms);
    snprintf(rc->where, sizeof rc->where, "%s:%d%s", ip, port, tls ? " (TLS)" : "");
    if (!tls) {
        if (take_context(rc, redisConnectWithTimeout(ip, port, tv_ms(timeout_ms)), timeout_ms, err, errlen) != 0)
            return -1;
        return finish_connect(rc, auth, err, errlen);
    }
    char why[300];
    int t = tls_connect(&rc->tls, tls, ip, port, clock_now_ms() + timeout_ms, why, sizeof why);
    if (t != 0) {
        snprintf(err, errlen, "%s: %s", rc->where, why); /* "connect: ..." or "TLS handshake: ..." */
        return t == TLS_HANDSHAKE_FAILED ? RC_TLS_FAILED : -1;
    }
    rc->reader = redisReaderCreate();
    if (!rc->reader) {
        rc_close(rc);
        snprintf(err, errlen, "%s: cannot allocate a reply reader", rc->where);
        return -1;
    }
    return finish_connect(rc, auth, err, errlen);
}

int rc_command_any(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv)
{
    *out = NULL;
    if (!rc_connected(rc)) {
        snprintf(err, errlen, "%s: not connected", rc->where);
        return -1;
    }
    char why[300];
    *out = roundtrip(rc, argc, argv, why, sizeof why);
    if (!*out) {
        snprintf(err, errlen, "%s: %s: %s", rc->where, argv[0], why);
        return -1;
    }
    return 0;
}

int rc_command(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv)
{
    redisReply *r;
    if (rc_command_any(rc, &r, err, errlen, argc, argv) != 0) return -1;
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s: %s%s%s: %s", rc->where, argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "",
                 r->str);
        freeReplyObject(r);
        return -1;
    }
    *out = r;
    return 0;
}

int rc_simple(rc_conn_t *rc, char *err, size_t errlen, int argc, const char **argv)
{
    redisReply *r;
    if (rc_command(rc, &r, err, errlen, argc, argv) != 0) return -1;
    freeReplyObject(r);
    return 0;
}

int rc_parse_cluster_nodes(const redisReply *r, const char *where, cv_view_t *view, char *err, size_t errlen)
{
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
        snprintf(err, errlen, "%s: CLUSTER NODES: unexpected reply type %d", where, r->type);
        return -1;
    }
    char why[200];
    if (cv_parse(r->str, r->len, view, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: CLUSTER NODES: %s", where, why);
        return -1;
    }
    return 0;
}

int rc_cluster_nodes(rc_conn_t *rc, cv_view_t *view, char *err, size_t errlen)
{
    const char *argv[] = { "CLUSTER", "NODES" };
    redisReply *r;
    if (rc_command(rc, &r, err, errlen, 2, argv) != 0) return -1;
    int status = rc_parse_cluster_nodes(r, rc->where, view, err, errlen);
    freeReplyObject(r);
    return status;
}

int rc_cluster_state(rc_conn_t *rc, char *state, size_t len, char *err, size_t errlen)
{
    const char *argv[] = { "CLUSTER", "INFO" };
    redisReply *r;
    if (rc_command(rc, &r, err, errlen, 2, argv) != 0) return -1;
    if (r->type != REDIS_REPLY_STRING) {
        snprintf(err, errlen, "%s: CLUSTER INFO: unexpected reply type %d", rc->where, r->type);
        freeReplyObject(r);
        return -1;
    }
    const char *st = strstr(r->str, "cluster_state:");
    size_t n = st ? strspn(st + 14, "abcdefghijklmnopqrstuvwxyz") : 0;
    snprintf(state, len, "%.*s", (int)n, n ? st + 14 : "unknown");
    freeReplyObject(r);
    return 0;
}
