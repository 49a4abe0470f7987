/* probe: the main container's readiness and liveness checks, run by the kubelet as exec probes.
 * They reach the local redis-server the way the config says (password, ACL user, TLS), which a
 * plain `redis-cli ping` cannot. */
#ifndef RCI_PROBE_H
#define RCI_PROBE_H

#include <stdio.h>
#include "config.h"
#include "rclient.h"

typedef enum { PROBE_ALIVE, PROBE_READY } probe_kind_t;

/* PROBE_ALIVE: the server answers at all (PONG, or busy loading / running a script).
 * PROBE_READY: it answers and its cluster_state is ok.
 * Prints one line to out; returns an exit status (RCI_OK, or RCI_ERR_RUNTIME when not). */
/* note (may be NULL): a line printed after the verdict (a pod whose shard is being removed). */
int probe_run(const cfg_t *cfg, const rc_auth_t *auth, probe_kind_t kind, const char *note, FILE *out);

#endif
