/* tls: client-side TLS (OpenSSL) to other nodes' TLS client ports. This module only moves bytes,
 * every call bounded by a deadline; rclient builds commands and parses replies with hiredis's own
 * redisFormatCommandArgv and redisReader, so there is no hand-written RESP code.
 *
 * Peers are verified against the configured CA, as Redis verifies its own cluster-bus and
 * replication links; the certificate's host name is not checked (pods are dialled by IP). The
 * node's certificate and key are presented as the client certificate (Redis's tls-auth-clients). */
#ifndef RCI_TLS_H
#define RCI_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct tls_ctx tls_ctx_t;
typedef struct tls_conn tls_conn_t;

/* Load the CA, certificate and key (PEM). Errors name the file and OpenSSL's reason. The caller
 * frees *out with tls_ctx_free. The system OpenSSL config file is not read. */
int tls_ctx_load(tls_ctx_t **out, const char *ca_file, const char *cert_file, const char *key_file, char *err,
                 size_t errlen);
void tls_ctx_free(tls_ctx_t *ctx);

/* TCP connect to ip:port (IPv4 or IPv6 literal) and complete the TLS handshake before deadline
 * (absolute, clock_now_ms scale). The caller frees *out with tls_close. Returns 0, -1 (no TCP
 * connection) or TLS_HANDSHAKE_FAILED (connected, but the handshake failed or timed out). */
#define TLS_HANDSHAKE_FAILED (-2)
int tls_connect(tls_conn_t **out, tls_ctx_t *ctx, const char *ip, int port, int64_t deadline, char *err,
                size_t errlen);
/* Write all of buf before deadline. */
int tls_write_all(tls_conn_t *c, const char *buf, size_t len, int64_t deadline, char *err, size_t errlen);
/* Read at least one byte (at most cap) before deadline. Returns the count, or -1 with err (the
 * peer closed the connection, a timeout, a TLS error). */
ssize_t tls_read(tls_conn_t *c, char *buf, size_t cap, int64_t deadline, char *err, size_t errlen);
void tls_close(tls_conn_t *c);

#endif
