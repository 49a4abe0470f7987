#include "rclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "reply.h"

void rc_wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

int rc_connected(const rc_conn_t *rc)
{
    return rc->live;
}

static void conn_release(rc_conn_t *rc)
{
    if (rc->tls) tls_free(rc->tls);
    rc->tls = NULL;
    if (rc->has_fd) close(rc->fd);
    rc->has_fd = 0;
    rc->fd = -1;
    reply_reader_free(rc->reader);
    rc->reader = NULL;
    rc->live = 0;
}

void rc_close(rc_conn_t *rc)
{
    conn_release(rc);
}

/* ---------------- the state machine ---------------- */

static void op_fail(rc_op_t *op, int result, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void op_fail(rc_op_t *op, int result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->err, sizeof op->err, fmt, ap);
    va_end(ap);
    op->result = result;
    op->stage = RC_OP_DONE;
    op->want = 0;
}

static int append_command(rc_op_t *op, int argc, const char **argv)
{
    char *cmd = NULL;
    long long len = redisFormatCommandArgv(&cmd, argc, argv, NULL);
    if (len < 0 || !cmd) return -1;
    char *nb = realloc(op->out, op->out_len + (size_t)len);
    if (!nb) {
        redisFreeCommand(cmd);
        return -1;
    }
    memcpy(nb + op->out_len, cmd, (size_t)len);
    op->out = nb;
    op->out_len += (size_t)len;
    op->n_expect++;
    /* The request may hold a password: wipe hiredis's copy before freeing it. */
    rc_wipe(cmd, (size_t)len);
    redisFreeCommand(cmd);
    return 0;
}

static int queue_auth(rc_op_t *op, const rc_auth_t *auth)
{
    if (!auth || !auth->password[0]) return 0;
    const char *argv[3] = { "AUTH" };
    int argc = 1;
    if (auth->user[0]) argv[argc++] = auth->user;
    argv[argc++] = auth->password;
    op->authing = 1;
    snprintf(op->auth_user, sizeof op->auth_user, "%s", auth->user);
    return append_command(op, argc, argv);
}

/* A non-blocking socket connecting to ip:port, or to the unix socket at path (port < 0). */
static int sock_open(rc_op_t *op, const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (port < 0) {
        struct sockaddr_un *u = (struct sockaddr_un *)&ss;
        if (strlen(ip) >= sizeof u->sun_path) { op_fail(op, -1, "socket path too long"); return -1; }
        u->sun_family = AF_UNIX;
        memcpy(u->sun_path, ip, strlen(ip) + 1);
        sl = sizeof *u;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            a4->sin_port = htons((uint16_t)port);
            sl = sizeof *a4;
        } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons((uint16_t)port);
            sl = sizeof *a6;
        } else {
            op_fail(op, -1, "'%s' is not an IP address", ip);
            return -1;
        }
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        op_fail(op, -1, "socket: %s", strerror(errno));
        return -1;
    }
    op->conn.fd = fd;
    op->conn.has_fd = 1;
    if (port >= 0) {
        int one = 1;
        /* Small request/reply exchanges: Nagle would only add latency. If the option cannot be
         * set the connection is slower, not wrong: go on without it. */
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) one = 0;
    }
    if (connect(fd, (struct sockaddr *)&ss, sl) == 0) return 1;
    if (errno == EINPROGRESS || errno == EAGAIN) return 0;
    op_fail(op, -1, "connect: %s", strerror(errno));
    return -1;
}

int rc_op_start(rc_op_t *op, const char *ip, int port, const rc_auth_t *auth, int argc, const char **argv)
{
    memset(op, 0, sizeof *op);
    op->conn.fd = -1;
    tls_ctx_t *tls = port >= 0 && auth ? auth->tls : NULL;
    if (port < 0) snprintf(op->conn.where, sizeof op->conn.where, "unix:%s", ip);
    else snprintf(op->conn.where, sizeof op->conn.where, "%s:%d%s", ip, port, tls ? " (TLS)" : "");
    op->conn.reader = reply_reader_new();
    if (!op->conn.reader || queue_auth(op, auth) != 0 || (argc > 0 && append_command(op, argc, argv) != 0)) {
        op_fail(op, -1, "out of memory");
        return -1;
    }
    int c = sock_open(op, ip, port);
    if (c < 0) return -1;
    if (tls) {
        char why[RCI_ERR_LEN];
        op->conn.tls = tls_conn_new(tls, op->conn.fd, why, sizeof why);
        if (!op->conn.tls) {
            op_fail(op, -1, "%s", why);
            return -1;
        }
    }
    op->stage = RC_OP_CONNECT;
    op->want = POLLOUT;
    if (c == 1) rc_op_step(op, POLLOUT);
    return 0;
}

/* Read what is there; take replies as they complete. */
static void op_read(rc_op_t *op)
{
    for (;;) {
        char buf[16384];
        ssize_t n;
        if (op->conn.tls) {
            char why[RCI_ERR_LEN];
            short want = POLLIN;
            n = tls_recv(op->conn.tls, buf, sizeof buf, &want, why, sizeof why);
            if (n < 0) { op_fail(op, RC_IO_FAILED, "%s", why); return; }
            if (n == 0) { op->want = want; return; }
        } else {
            n = recv(op->conn.fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) { op->want = POLLIN; return; }
            if (n < 0) { op_fail(op, RC_IO_FAILED, "read: %s", strerror(errno)); return; }
            if (n == 0) { op_fail(op, RC_IO_FAILED, "the server closed the connection"); return; }
        }
        op->in_total += (size_t)n;
        if (op->in_total > RC_MAX_REPLY) {
            op_fail(op, RC_IO_FAILED, "reply larger than %u bytes", RC_MAX_REPLY);
            return;
        }
        if (redisReaderFeed(op->conn.reader, buf, (size_t)n) != REDIS_OK) {
            op_fail(op, RC_IO_FAILED, "malformed reply: %s", reply_reader_error(op->conn.reader));
            return;
        }
        for (;;) {
            void *reply = NULL;
            if (redisReaderGetReply(op->conn.reader, &reply) != REDIS_OK) {
                op_fail(op, RC_IO_FAILED, "malformed reply: %s", reply_reader_error(op->conn.reader));
                return;
            }
            if (!reply) break;
            redisReply *r = reply;
            if (op->authing) {
                op->authing = 0;
                op->n_expect--;
                int refused = r->type == REDIS_REPLY_ERROR;
                if (refused)
                    op_fail(op, RC_AUTH_FAILED, "AUTH%s%s refused: %s (check auth.password_file and the servers' password)",
                            op->auth_user[0] ? " as " : "", op->auth_user, r->str);
                freeReplyObject(r);
                if (refused) return;
            } else if (op->many) {
                op->many[op->many_n++] = r;
                op->n_expect--;
            } else {
                if (op->reply) freeReplyObject(op->reply);
                op->reply = r;
                op->n_expect--;
            }
            if (op->n_expect == 0) {
                op->stage = RC_OP_DONE;
                op->want = 0;
                op->result = 0;
                return;
            }
        }
    }
}

static void op_write(rc_op_t *op)
{
    while (op->out_off < op->out_len) {
        ssize_t n;
        if (op->conn.tls) {
            char why[RCI_ERR_LEN];
            short want = POLLOUT;
            n = tls_send(op->conn.tls, op->out + op->out_off, op->out_len - op->out_off, &want, why, sizeof why);
            if (n < 0) { op_fail(op, RC_IO_FAILED, "%s", why); return; }
            if (n == 0) { op->want = want; return; }
        } else {
            n = send(op->conn.fd, op->out + op->out_off, op->out_len - op->out_off, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) { op->want = POLLOUT; return; }
            if (n < 0) { op_fail(op, RC_IO_FAILED, "write: %s", strerror(errno)); return; }
        }
        op->out_off += (size_t)n;
    }
    if (op->n_expect == 0) {
        op->stage = RC_OP_DONE;
        op->want = 0;
        op->result = 0;
        return;
    }
    op_read(op);
}

void rc_op_step(rc_op_t *op, short revents)
{
    (void)revents;
    if (op->stage == RC_OP_CONNECT) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(op->conn.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
        if (soerr == EINPROGRESS || soerr == EALREADY) return;
        if (soerr != 0) { op_fail(op, -1, "connect: %s", strerror(soerr)); return; }
        op->stage = op->conn.tls ? RC_OP_HANDSHAKE : RC_OP_IO;
    }
    if (op->stage == RC_OP_HANDSHAKE) {
        char why[RCI_ERR_LEN];
        short want = POLLIN;
        int h = tls_handshake(op->conn.tls, &want, why, sizeof why);
        if (h < 0) { op_fail(op, RC_TLS_FAILED, "%s", why); return; }
        if (h == 0) { op->want = want; return; }
        op->stage = RC_OP_IO;
    }
    if (op->stage == RC_OP_IO) op_write(op); /* writes what is left, then reads what is expected */
}

void rc_op_abort(rc_op_t *op, const char *why)
{
    if (op->stage == RC_OP_DONE) return;
    const char *what = op->stage == RC_OP_CONNECT ? "connect" : op->stage == RC_OP_HANDSHAKE ? "TLS handshake"
                       : op->authing ? "AUTH" : "reply";
    int result = op->stage == RC_OP_CONNECT ? -1 : op->stage == RC_OP_HANDSHAKE ? RC_TLS_FAILED : RC_IO_FAILED;
    /* A plaintext server reads the ClientHello as a command and waits for more. */
    const char *hint = op->stage == RC_OP_HANDSHAKE && strstr(why, "timed out")
                           ? " (a plaintext port? tls.enabled must match the servers)" : "";
    op_fail(op, result, "%s: %s%s", what, why, hint);
}

void rc_op_free(rc_op_t *op)
{
    conn_release(&op->conn);
    if (op->reply) freeReplyObject(op->reply);
    op->reply = NULL;
    if (op->out) {
        rc_wipe(op->out, op->out_len);
        free(op->out);
    }
    op->out = NULL;
}

/* Run one operation to its end or to deadline. */
static void op_run(rc_op_t *op, int64_t deadline)
{
    while (op->stage != RC_OP_DONE) {
        int64_t left = clock_left_ms(deadline);
        if (left <= 0) { rc_op_abort(op, "timed out"); return; }
        struct pollfd p = { .fd = op->conn.fd, .events = op->want };
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno != EINTR) {
            char why[RCI_ERR_LEN];
            snprintf(why, sizeof why, "poll: %s", strerror(errno));
            rc_op_abort(op, why);
            return;
        }
        if (n > 0) rc_op_step(op, p.revents);
    }
}

/* ---------------- the blocking API ---------------- */

static int connect_any(rc_conn_t *rc, const char *addr, int port, const rc_auth_t *auth, int timeout_ms, char *err,
                       size_t errlen)
{
    rc_op_t op;
    memset(rc, 0, sizeof *rc);
    rc->fd = -1;
    if (rc_op_start(&op, addr, port, auth, 0, NULL) == 0) op_run(&op, clock_now_ms() + timeout_ms);
    snprintf(rc->where, sizeof rc->where, "%s", op.conn.where);
    if (op.result != 0) {
        snprintf(err, errlen, "%s: %s", op.conn.where, op.err);
        rc_op_free(&op);
        return op.result == RC_IO_FAILED ? -1 : op.result;
    }
    *rc = op.conn;
    rc->live = 1;
    rc->timeout_ms = timeout_ms;
    op.conn.fd = -1;
    op.conn.has_fd = 0;
    op.conn.tls = NULL;
    op.conn.reader = NULL;
    rc_op_free(&op);
    return 0;
}

int rc_connect_unix(rc_conn_t *rc, const char *path, const rc_auth_t *auth, int timeout_ms, char *err, size_t errlen)
{
    return connect_any(rc, path, -1, auth, timeout_ms, err, errlen);
}

int rc_connect_tcp(rc_conn_t *rc, const char *ip, int port, const rc_auth_t *auth, int timeout_ms, char *err,
                   size_t errlen)
{
    return connect_any(rc, ip, port, auth, timeout_ms, err, errlen);
}

int rc_pipeline(rc_conn_t *rc, int n, const int *argcs, const char *const *const *argvs, redisReply **replies,
                char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) replies[i] = NULL;
    if (!rc->live) {
        snprintf(err, errlen, "%s: not connected", rc->where);
        return -1;
    }
    if (n == 0) return 0;
    rc_op_t op;
    memset(&op, 0, sizeof op);
    op.conn = *rc;
    op.stage = RC_OP_IO;
    op.want = POLLOUT;
    op.many = replies;
    for (int i = 0; i < n; i++) {
        if (append_command(&op, argcs[i], (const char **)argvs[i]) != 0) {
            snprintf(err, errlen, "%s: %s: out of memory", rc->where, argvs[i][0]);
            free(op.out);
            return -1;
        }
    }
    rc_op_step(&op, POLLOUT);
    op_run(&op, clock_now_ms() + rc->timeout_ms);
    free(op.out);
    op.out = NULL;
    if (op.result != 0) {
        if (n == 1) snprintf(err, errlen, "%s: %s: %s", rc->where, argvs[0][0], op.err);
        else snprintf(err, errlen, "%s: %s (pipeline of %d): %s", rc->where, argvs[0][0], n, op.err);
        for (int i = 0; i < op.many_n; i++) { freeReplyObject(replies[i]); replies[i] = NULL; }
        rc_close(rc);
        return -1;
    }
    return 0;
}

int rc_wait_push(rc_conn_t *rc, int timeout_ms, redisReply **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!rc->live) {
        snprintf(err, errlen, "%s: not connected", rc->where);
        return -1;
    }
    /* One read may have brought more than one message: the reader keeps the rest. */
    void *reply = NULL;
    if (redisReaderGetReply(rc->reader, &reply) != REDIS_OK) {
        snprintf(err, errlen, "%s: malformed message: %s", rc->where, reply_reader_error(rc->reader));
        rc_close(rc);
        return -1;
    }
    if (reply) { *out = reply; return 1; }
    struct pollfd p = { .fd = rc->fd, .events = POLLIN };
    int n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : 0);
    if (n < 0 && errno != EINTR) {
        snprintf(err, errlen, "%s: poll: %s", rc->where, strerror(errno));
        rc_close(rc);
        return -1;
    }
    if (n <= 0) return 0;
    /* Something came: read one whole message, within the command bound. */
    rc_op_t op;
    memset(&op, 0, sizeof op);
    op.conn = *rc;
    op.stage = RC_OP_IO;
    op.want = POLLIN;
    op.n_expect = 1;
    op_read(&op);
    op_run(&op, clock_now_ms() + rc->timeout_ms);
    *rc = op.conn;
    if (op.result != 0) {
        snprintf(err, errlen, "%s: waiting for a message: %s", rc->where, op.err);
        if (op.reply) freeReplyObject(op.reply);
        rc_close(rc);
        return -1;
    }
    *out = op.reply;
    return 1;
}

int rc_command_any(rc_conn_t *rc, redisReply **out, char *err, size_t errlen, int argc, const char **argv)
{
    const char *const *argvs[1] = { argv };
    return rc_pipeline(rc, 1, &argc, argvs, out, err, errlen);
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
    char why[RCI_ERR_LEN];
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
