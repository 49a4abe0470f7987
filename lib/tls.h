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

/* Non-blocking steps over a socket the caller owns (lib/rclient drives them with poll and
 * deadlines). Each returns > 0 on progress (bytes moved; 1 for a finished handshake), 0 when OpenSSL
 * must wait for the socket (*want = POLLIN or POLLOUT), -1 with err on failure. */
tls_conn_t *tls_conn_new(tls_ctx_t *ctx, int fd, char *err, size_t errlen);
int tls_handshake(tls_conn_t *c, short *want, char *err, size_t errlen);
ssize_t tls_send(tls_conn_t *c, const char *buf, size_t len, short *want, char *err, size_t errlen);
ssize_t tls_recv(tls_conn_t *c, char *buf, size_t cap, short *want, char *err, size_t errlen);
/* Frees the TLS state; the socket stays the caller's to close. */
void tls_free(tls_conn_t *c);

#endif
