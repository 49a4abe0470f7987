#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

struct tls_ctx {
    SSL_CTX *ssl_ctx;
};

struct tls_conn {
    int fd;
    SSL *ssl;
};

/* OpenSSL's most specific reason for the last failure; clears its error queue. */
static const char *ssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(buf, len, "%s", r ? r : (e ? "unknown OpenSSL error" : "no reason given"));
    ERR_clear_error();
    return buf;
}

/* fopen first: "Permission denied" says more than OpenSSL's "system lib". */
static int check_readable(const char *key, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s %s: cannot open: %s", key, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

int tls_ctx_load(tls_ctx_t **out, const char *ca_file, const char *cert_file, const char *key_file, char *err,
                 size_t errlen)
{
    *out = NULL;
    char why[160];
    if (check_readable("tls.ca_file", ca_file, err, errlen) != 0 ||
        check_readable("tls.cert_file", cert_file, err, errlen) != 0 ||
        check_readable("tls.key_file", key_file, err, errlen) != 0)
        return -1;
    /* The binary runs in other people's images: their openssl.cnf must not change its behaviour. */
    if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
        snprintf(err, errlen, "TLS: cannot initialise OpenSSL: %s", ssl_reason(why, sizeof why));
        return -1;
    }
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (!c) {
        snprintf(err, errlen, "TLS: cannot create a context: %s", ssl_reason(why, sizeof why));
        return -1;
    }
    const char *fail = NULL, *file = NULL;
    if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1) fail = "minimum version TLS 1.2", file = "";
    else if (SSL_CTX_load_verify_locations(c, ca_file, NULL) != 1) fail = "tls.ca_file", file = ca_file;
    else if (SSL_CTX_use_certificate_chain_file(c, cert_file) != 1) fail = "tls.cert_file", file = cert_file;
    else if (SSL_CTX_use_PrivateKey_file(c, key_file, SSL_FILETYPE_PEM) != 1) fail = "tls.key_file", file = key_file;
    if (fail && ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
        ERR_clear_error();
        snprintf(err, errlen, "tls.key_file %s is not the key of tls.cert_file %s", key_file, cert_file);
        SSL_CTX_free(c);
        return -1;
    }
    if (fail) {
        snprintf(err, errlen, "%s %s: %s", fail, file, ssl_reason(why, sizeof why));
        SSL_CTX_free(c);
        return -1;
    }
    if (SSL_CTX_check_private_key(c) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "tls.key_file %s is not the key of tls.cert_file %s", key_file, cert_file);
        SSL_CTX_free(c);
        return -1;
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    tls_ctx_t *t = calloc(1, sizeof *t);
    if (!t) {
        SSL_CTX_free(c);
        snprintf(err, errlen, "TLS: out of memory");
        return -1;
    }
    t->ssl_ctx = c;
    *out = t;
    return 0;
}

void tls_ctx_free(tls_ctx_t *ctx)
{
    if (!ctx) return;
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
}

/* Wait for events on fd until deadline. */
static int wait_fd(int fd, short events, int64_t deadline, const char *what, char *err, size_t errlen)
{
    for (;;) {
        int64_t left = clock_left_ms(deadline);
        if (left <= 0) {
            snprintf(err, errlen, "%s: timed out", what);
            return -1;
        }
        struct pollfd p = { .fd = fd, .events = events };
        int n = poll(&p, 1, (int)left);
        if (n > 0) return 0;
        if (n < 0 && errno != EINTR) {
            snprintf(err, errlen, "%s: poll: %s", what, strerror(errno));
            return -1;
        }
    }
}

static int tcp_connect(const char *ip, int port, int64_t deadline, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
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
        snprintf(err, errlen, "'%s' is not an IP address", ip);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        if (errno != EINPROGRESS) {
            snprintf(err, errlen, "connect: %s", strerror(errno));
            close(fd);
            return -1;
        }
        if (wait_fd(fd, POLLOUT, deadline, "connect", err, errlen) != 0) {
            close(fd);
            return -1;
        }
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
            snprintf(err, errlen, "connect: %s", strerror(soerr ? soerr : errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* After an SSL_* call returned r <= 0: wait for what OpenSSL wants, or explain the failure.
 * Returns 0 to retry, -1 with err. */
static int ssl_retry(tls_conn_t *c, int r, int64_t deadline, const char *what, char *err, size_t errlen)
{
    int saved_errno = errno;
    char why[160];
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ: return wait_fd(c->fd, POLLIN, deadline, what, err, errlen);
    case SSL_ERROR_WANT_WRITE: return wait_fd(c->fd, POLLOUT, deadline, what, err, errlen);
    case SSL_ERROR_ZERO_RETURN:
        snprintf(err, errlen, "%s: the peer closed the TLS connection", what);
        return -1;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (saved_errno) snprintf(err, errlen, "%s: %s", what, strerror(saved_errno));
        else snprintf(err, errlen, "%s: the peer closed the connection", what);
        return -1;
    default: {
        long v = SSL_get_verify_result(c->ssl);
        if (v != X509_V_OK) {
            ERR_clear_error();
            snprintf(err, errlen, "%s: the peer's certificate is not trusted: %s (is it signed by tls.ca_file?)", what,
                     X509_verify_cert_error_string(v));
        } else {
            snprintf(err, errlen, "%s: %s", what, ssl_reason(why, sizeof why));
        }
        return -1;
    }
    }
}

int tls_connect(tls_conn_t **out, tls_ctx_t *ctx, const char *ip, int port, int64_t deadline, char *err,
                size_t errlen)
{
    *out = NULL;
    int fd = tcp_connect(ip, port, deadline, err, errlen);
    if (fd < 0) return -1;
    tls_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        snprintf(err, errlen, "TLS: out of memory");
        return -1;
    }
    c->fd = fd;
    c->ssl = SSL_new(ctx->ssl_ctx);
    char why[160];
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
        snprintf(err, errlen, "TLS: cannot set up the connection: %s", ssl_reason(why, sizeof why));
        tls_close(c);
        return -1;
    }
    for (;;) {
        errno = 0;
        int r = SSL_connect(c->ssl);
        if (r == 1) break;
        if (ssl_retry(c, r, deadline, "TLS handshake", err, errlen) != 0) {
            /* A plaintext server reads the ClientHello as a command and waits for more. */
            if (strstr(err, "timed out")) {
                size_t n = strlen(err);
                snprintf(err + n, errlen - n, " (a plaintext port? tls.enabled must match the servers)");
            }
            tls_close(c);
            return TLS_HANDSHAKE_FAILED;
        }
    }
    *out = c;
    return 0;
}

int tls_write_all(tls_conn_t *c, const char *buf, size_t len, int64_t deadline, char *err, size_t errlen)
{
    size_t off = 0;
    while (off < len) {
        size_t chunk = len - off > (1u << 30) ? (1u << 30) : len - off;
        errno = 0;
        int r = SSL_write(c->ssl, buf + off, (int)chunk);
        if (r > 0) {
            off += (size_t)r;
            continue;
        }
        if (ssl_retry(c, r, deadline, "TLS write", err, errlen) != 0) return -1;
    }
    return 0;
}

ssize_t tls_read(tls_conn_t *c, char *buf, size_t cap, int64_t deadline, char *err, size_t errlen)
{
    if (cap > (1u << 30)) cap = 1u << 30;
    for (;;) {
        errno = 0;
        int r = SSL_read(c->ssl, buf, (int)cap);
        if (r > 0) return r;
        if (ssl_retry(c, r, deadline, "TLS read", err, errlen) != 0) return -1;
    }
}

void tls_close(tls_conn_t *c)
{
    if (!c) return;
    if (c->ssl) {
        /* One best-effort close_notify; the socket is non-blocking, so this never waits. */
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->fd >= 0) close(c->fd);
    free(c);
}
