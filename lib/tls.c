#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"


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
    char why[RCI_ERR_LEN];
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

tls_conn_t *tls_conn_new(tls_ctx_t *ctx, int fd, char *err, size_t errlen)
{
    tls_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "TLS: out of memory");
        return NULL;
    }
    c->fd = fd;
    c->ssl = SSL_new(ctx->ssl_ctx);
    char why[RCI_ERR_LEN];
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
        snprintf(err, errlen, "TLS: cannot set up the connection: %s", ssl_reason(why, sizeof why));
        tls_free(c);
        return NULL;
    }
    SSL_set_connect_state(c->ssl);
    return c;
}

/* After an SSL_* call returned r <= 0: 0 with *want set when OpenSSL waits for the socket,
 * -1 with err otherwise. */
static int ssl_want(tls_conn_t *c, int r, short *want, const char *what, char *err, size_t errlen)
{
    int saved_errno = errno;
    char why[RCI_ERR_LEN];
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ: *want = POLLIN; return 0;
    case SSL_ERROR_WANT_WRITE: *want = POLLOUT; return 0;
    case SSL_ERROR_ZERO_RETURN:
        snprintf(err, errlen, "%s: the peer closed the TLS connection", what);
        return -1;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (saved_errno == EAGAIN || saved_errno == EINTR) { *want = POLLIN; return 0; }
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

int tls_handshake(tls_conn_t *c, short *want, char *err, size_t errlen)
{
    errno = 0;
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) return 1;
    return ssl_want(c, r, want, "TLS handshake", err, errlen);
}

ssize_t tls_send(tls_conn_t *c, const char *buf, size_t len, short *want, char *err, size_t errlen)
{
    if (len > (1u << 30)) len = 1u << 30;
    errno = 0;
    int r = SSL_write(c->ssl, buf, (int)len);
    if (r > 0) return r;
    return ssl_want(c, r, want, "TLS write", err, errlen);
}

ssize_t tls_recv(tls_conn_t *c, char *buf, size_t cap, short *want, char *err, size_t errlen)
{
    if (cap > (1u << 30)) cap = 1u << 30;
    errno = 0;
    int r = SSL_read(c->ssl, buf, (int)cap);
    if (r > 0) return r;
    return ssl_want(c, r, want, "TLS read", err, errlen);
}

void tls_free(tls_conn_t *c)
{
    if (!c) return;
    if (c->ssl) {
        /* One best-effort close_notify; the socket is non-blocking, so this never waits. */
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    free(c);
}
