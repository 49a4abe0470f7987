/* server: the runtime redis.conf the main container starts with, and the temporary redis-server
 * the init runs on the same data dir. The temporary server has no client port (port 0): only the
 * cluster bus and a private unix socket, so no client write and no replica sync can reach a
 * server that has not loaded the data; it loads no data and writes none (nodes.conf only). A
 * fresh replica's is the exception (client_port): it has no data to protect, and its pod 0 reads
 * its view there (lib/seed.c). */
#ifndef RCI_SERVER_H
#define RCI_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "config.h"
#include "identity.h"
#include "rclient.h"

typedef struct {
    pid_t pid;           /* 0 when not running */
    char conf[1100];     /* the temporary server's own config */
    char sock[1100];     /* its unix socket */
    char log[1100];      /* its stdout/stderr */
    char discard[1100];  /* where a replica's sync would land: removed before and after */
    const rc_auth_t *auth; /* for the init's own connections; not owned */
    int client_port;     /* a fresh replica's server also answers on the client port (render_init_config) */
} srv_t;

/* The path of nodes.conf in the data dir. */
void srv_nodes_conf_path(const cfg_t *cfg, char *buf, size_t len);
void srv_paths(const cfg_t *cfg, srv_t *srv);
/* The largest nodes.conf read whole (a 100-shard cluster's is about 40 KB). */
#define SRV_NODES_CONF_MAX ((size_t)64 << 20)

/* Write the runtime config atomically (tmp + rename, mode 0600: it may hold the password). */
int srv_write_runtime_config(const cfg_t *cfg, const ident_t *id, const char *fqdn, const rc_auth_t *auth, char *err,
                             size_t errlen);
/* Start the temporary server and wait (until deadline) until it answers PING on its socket. */
int srv_start(const cfg_t *cfg, srv_t *srv, int64_t deadline, char *err, size_t errlen);
/* How long stopping may take (the save of nodes.conf included), even past the run's deadline:
 * within kubelet's default 30 s grace when the pod is being stopped. */
#define SRV_STOP_MS 15000
/* Save nodes.conf (waiting for the answer until deadline), shut down without saving data, reap;
 * SIGTERM then SIGKILL if it lingers. */
int srv_stop(srv_t *srv, int64_t deadline, char *err, size_t errlen);
/* Kill it (SIGKILL: nothing of it is kept, a seeded nodes.conf replaces its own, lib/seed.c) and
 * reap. */
void srv_discard(srv_t *srv, int64_t deadline);
/* Is the temporary server still running? (Reaps it when it exited.) */
int srv_alive(srv_t *srv);
/* Print the last lines of the server's log at error level (to explain a failure). */
void srv_log_tail(const srv_t *srv, int lines);

#endif
