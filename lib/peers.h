/* peers: every other pod of the topology, its DNS answer, and when we last MEET-ed it.
 * Resolution follows a schedule: names that do not resolve yet are retried with back-off
 * (100 ms doubling to 1 s); resolved names are refreshed every 2 s (IPs change on restart). */
#ifndef RCI_PEERS_H
#define RCI_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "decide.h"
#include "identity.h"
#include "rclient.h"
#include "topology.h"

typedef struct {
    size_t n;
    topo_pod_t *pods;        /* owned */
    dec_peer_t *peers;       /* owned; name/fqdn point into pods */
    int64_t *next_resolve;   /* owned; absolute ms */
    int *backoff_ms;         /* owned */
    int64_t *first_meet;     /* owned; absolute ms of the first MEET to peers[k].ip, -1 none */
    int *dns_failed;         /* owned; the last lookup of the name failed (not "no such name") */
    char dns_trouble[320];   /* the last failure, for messages */
    topo_pod_t me;
} peers_t;

int peers_init(peers_t *p, const cfg_t *cfg, const ident_t *id, char *err, size_t errlen);
void peers_free(peers_t *p);

/* Resolve the names that are due (all of them when force). Logs every change of address.
 * Returns the number of names whose last lookup failed for a reason other than "not found"
 * (DNS trouble; err then says which), or -1 when the resolver could not be set up. */
int peers_resolve(peers_t *p, const cfg_t *cfg, int64_t deadline, int force, char *err, size_t errlen);
/* Fill since_meet_ms of every peer for this moment. */
void peers_update_meet_ages(peers_t *p, int64_t now);
void peers_note_meet(peers_t *p, size_t k, int64_t now);
size_t peers_resolved_count(const peers_t *p);
/* Connect to resolved peer k's client port, authenticated. The timeout is short (at most 300 ms):
 * a peer without a client port (initializing, or down) must not hold the caller. */
int peers_connect(const peers_t *p, size_t k, const cfg_t *cfg, const rc_auth_t *auth, rc_conn_t *rc, char *err,
                  size_t errlen);

#endif
