/* peers: every other pod of the topology, its DNS answer, and when we last MEET-ed it.
 * Resolution follows a schedule: names that do not resolve yet are retried with back-off
 * (100 ms doubling to 1 s); resolved names are refreshed every 2 s (IPs change on restart), except
 * a peer this node is connected to at that address: it is refreshed every PEERS_SETTLED_MS. With
 * 200 pods, refreshing every name every 2 s alone is 20 000 lookups a second for the DNS server. */
#ifndef RCI_PEERS_H
#define RCI_PEERS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "decide.h"
#include "fanout.h"
#include "identity.h"
#include "rclient.h"
#include "topology.h"

#define PEERS_REFRESH_MS 2000
#define PEERS_SETTLED_MS 10000

typedef struct {
    size_t n;
    topo_pod_t *pods;        /* owned */
    dec_peer_t *peers;       /* owned; name/fqdn point into pods */
    int64_t *next_resolve;   /* owned; absolute ms */
    int64_t *last_ok;        /* owned; absolute ms of the last answer with an address */
    int *backoff_ms;         /* owned */
    int64_t *first_meet;     /* owned; absolute ms of the first MEET to peers[k].ip, -1 none */
    int *dns_failed;         /* owned; the name's lookups are failing (not "no such name"): trouble */
    int *fail_streak;        /* owned; consecutive failed lookups of the name */
    volatile sig_atomic_t *interrupted; /* not owned; optional: lookups stop early when set */
    int family;              /* AF_INET / AF_INET6 (POD_IP's family), or AF_UNSPEC without POD_IP */
    char dns_trouble[RCI_ERR_LEN];   /* the last failure, for messages */
    topo_pod_t me;
} peers_t;

int peers_init(peers_t *p, const cfg_t *cfg, const ident_t *id, char *err, size_t errlen);
void peers_free(peers_t *p);

/* Which names peers_resolve looks up: those due by the retry schedule, every name, or the
 * names due plus every name that does not resolve yet (an address known is at most
 * PEERS_REFRESH_MS old; at 100 shards this spares each pod 199 lookups). */
enum { PEERS_RESOLVE_DUE = 0, PEERS_RESOLVE_ALL = 1, PEERS_RESOLVE_UNRESOLVED = 2 };

/* Resolve the names that mode says (PEERS_RESOLVE_*). Logs every change of address.
 * Returns the number of names whose last lookup failed for a reason other than "not found"
 * (DNS trouble; err then says which), or -1 when the resolver could not be set up. */
int peers_resolve(peers_t *p, const cfg_t *cfg, int64_t deadline, int mode, char *err, size_t errlen);
/* Does this pod's own name resolve to my_ip? 1 yes, 0 not (yet: no such name, or another
 * address; err says which), 2 the lookup failed (DNS trouble, err), -1 the resolver could not be
 * set up (err). */
int peers_resolve_self(const peers_t *p, const cfg_t *cfg, const char *my_ip, int64_t deadline, char *err,
                       size_t errlen);
/* A peer whose node this node's view shows connected, at the address DNS gave, is up there: its
 * next lookup waits until PEERS_SETTLED_MS after its last answer. Looks only at peers due within
 * the next half second, so a round costs little with hundreds of peers. */
void peers_note_view(peers_t *p, const cv_view_t *view, int64_t now);
/* Fill since_meet_ms of every peer for this moment. */
void peers_update_meet_ages(peers_t *p, int64_t now);
void peers_note_meet(peers_t *p, size_t k, int64_t now);
size_t peers_resolved_count(const peers_t *p);
/* One command to every resolved peer at once (lib/fanout): each peer has timeouts.connect_ms from
 * the moment its connection starts, none past deadline: a peer without a client port
 * (initializing, or down) costs at most that, once per round. Returns the number of targets in
 * *out (owned: peers_fan_free), each with its peer index in peer_of (owned too), or -1 with err
 * when out of memory. */
int peers_fan(const peers_t *p, const cfg_t *cfg, const rc_auth_t *auth, int argc, const char **argv, int64_t deadline,
              volatile sig_atomic_t *interrupted, fan_target_t **out, size_t **peer_of, char *err, size_t errlen);
/* The same, to the resolved peers k with want[k] set (want NULL: all). */
int peers_fan_some(const peers_t *p, const int *want, const cfg_t *cfg, const rc_auth_t *auth, int argc,
                   const char **argv, int64_t deadline, volatile sig_atomic_t *interrupted, fan_target_t **out,
                   size_t **peer_of, char *err, size_t errlen);
void peers_fan_free(fan_target_t *t, size_t *peer_of, size_t m);
/* The nodes.conf text with the address DNS gave each resolved peer whose node it has at another
 * one (lib/addrfix.h), in *out (malloc'd; NULL when nothing changed). Returns the number of peers
 * rewritten, with what changed in what ("redis-shard5-0 198.18.0.20 -> 198.18.0.120, ...", at most
 * a dozen named), or -1 with err (which line, or out of memory). */
int peers_readdress(const peers_t *p, const char *text, char **out, char *what, size_t whatlen, char *err,
                    size_t errlen);
/* Write into the nodes.conf at path the address DNS gave each resolved peer whose node the file
 * still has at another one (lib/addrfix.h says when and why). Returns the number of peers
 * rewritten, with what changed in what (as peers_readdress), or -1 with err (the file, the line);
 * the file is then left as it was. */
int peers_write_addresses(const peers_t *p, const char *path, char *what, size_t whatlen, char *err, size_t errlen);

#endif
