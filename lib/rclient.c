#include "rclient.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static struct timeval tv_ms(int ms)
{
    struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

/* AUTH without ever putting the password in a message. */
static int authenticate(rc_conn_t *rc, const rc_auth_t *auth, char *err, size_t errlen)
{
    const char *argv[3] = { "AUTH" };
    int argc = 1;
    if (auth->user[0]) argv[argc++] = auth->user;
    argv[argc++] = auth->password;
    redisReply *r = redisCommandArgv(rc->c, argc, argv, NULL);
    if (!r) {
        snprintf(err, errlen, "%s: AUTH: %s", rc->where, rc->c->errstr[0] ? rc->c->errstr : "no reply");
        return -1;
    }
    int ok = r->type != REDIS_REPLY_ERROR;
    if (!ok)
        snprintf(err, errlen, "%s: AUTH%s%s refused: %s (check auth.password_file and the servers' password)",
                 rc->where, auth->user[0] ? " as " : "", auth->user, r->str);
    freeReplyObject(r);
    return ok ? 0 : -1;
}

static int finish_connect(rc_conn_t *rc, redisContext *c, const rc_auth_t *auth, int timeout_ms, char *err,
                          size_t errlen)
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
    if (auth && auth->password[0] && authenticate(rc, auth, err, errlen) != 0) {
        rc_close(rc);
        return RC_AUTH_FAILED;
    }
    return 0;
}

int rc_connect_unix(rc_conn_t *rc, const char *path, const rc_auth_t *auth, int timeout_ms, char *err, size_t errlen)
{
    snprintf(rc->where, sizeof rc->where, "unix:%s", path);
    return finish_connect(rc, redisConnectUnixWithTimeout(path, tv_ms(timeout_ms)), auth, timeout_ms, err, errlen);
}

int rc_connect_tcp(rc_conn_t *rc, const char *ip, int port, const rc_auth_t *auth, int timeout_ms, char *err,
                   size_t errlen)
{
    snprintf(rc->where, sizeof rc->where, "%s:%d", ip, port);
    return finish_connect(rc, redisConnectWithTimeout(ip, port, tv_ms(timeout_ms)), auth, timeout_ms, err, errlen);
}

void rc_close(rc_conn_t *rc)
{
    if (rc->c) redisFree(rc->c);
    rc->c = NULL;
}

int rc_command(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv)
{
    *out = NULL;
    if (!rc->c) {
        snprintf(err, errlen, "%s: not connected", rc->where);
        return -1;
    }
    redisReply *r = redisCommandArgv(rc->c, argc, argv, NULL);
    if (!r) {
        snprintf(err, errlen, "%s: %s: %s", rc->where, argv[0], rc->c->errstr[0] ? rc->c->errstr : "no reply");
        /* The context is unusable after an I/O error. */
        rc_close(rc);
        return -1;
    }
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

int rc_cluster_nodes(rc_conn_t *rc, cv_view_t *view, char *err, size_t errlen)
{
    const char *argv[] = { "CLUSTER", "NODES" };
    redisReply *r;
    if (rc_command(rc, &r, err, errlen, 2, argv) != 0) return -1;
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
        snprintf(err, errlen, "%s: CLUSTER NODES: unexpected reply type %d", rc->where, r->type);
        freeReplyObject(r);
        return -1;
    }
    char why[200];
    int rc_ = cv_parse(r->str, r->len, view, why, sizeof why);
    if (rc_ != 0) snprintf(err, errlen, "%s: CLUSTER NODES: %s", rc->where, why);
    freeReplyObject(r);
    return rc_;
}
