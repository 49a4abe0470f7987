/* seed: a fresh cluster's masters write their nodes.conf themselves, so the cluster bus is formed
 * once, by the main containers, instead of twice (by the init containers' temporary servers, then
 * again by the main servers: at 100 shards on 2 cores that doubled the bus's connections and
 * CPU, docs/design.md "Seeding").
 *
 * Every pod of a new cluster can name every shard's master in advance: its node id is derived from
 * its DNS name (seed_node_id), its slots are its shard's range and its config epoch is shard + 1,
 * as the rules of a run would make them. A fresh pod 0 whose observation shows nothing but such a
 * cluster (seed_decide) writes nodes.conf with itself owning its range and every other pod known
 * by id (seed_render); the main container's server then connects to them, and they to it,
 * without MEET. A fresh replica seeds as its pod 0's replica only once that pod 0's server answers
 * as a seeded master, so it never follows an id that no server has. Whoever does not seed joins by
 * the rules of a run, as before; an id planned for it is then a ghost those rules forget.
 *
 * Pure: no I/O, no clock. lib/seedrun.c observes and writes. */
#ifndef RCI_SEED_H
#define RCI_SEED_H

#include <stddef.h>
#include <stdint.h>
#include "cview.h"
#include "decide.h"

typedef struct {
    int shards, replicas;
    int my_shard, my_ordinal;
    const char *my_fqdn;
    const dec_peer_t *peers;     /* every other pod of the topology (dns answers in resolved/ip) */
    size_t n_peers;
    const cv_view_t *const *views; /* per peer: its CLUSTER NODES, NULL when it did not answer */
    const cv_view_t *self_view;  /* a replica: its temporary server's own view (NULL: none) */
    int self_resolves;           /* this pod's own name resolves to its address */
    const char *self_dns;        /* what it gave otherwise, for the reason */
    int fresh;                   /* the data dir holds no nodes.conf and no data */
    int64_t elapsed_ms;          /* since the observation began */
    int wait_ms;                 /* pod 0: how long to wait for its shard's replicas to answer */
    int master_wait_ms;          /* a replica: how long to wait for its pod 0 to answer; every pod:
                                    for its own name to resolve */
    const char *master_word;     /* a replica: what its pod 0 published on SEED_CHANNEL after writing
                                    its nodes.conf (seed_word), NULL when nothing came */
} seed_input_t;

typedef enum {
    SEED_NO,    /* not a fresh pod of a new cluster: the run's rules take over (reason says why) */
    SEED_WAIT,  /* pod 0: a replica of its shard has not answered yet; a replica: its pod 0 has not */
    SEED_WRITE, /* write seed_render's nodes.conf and finish */
} seed_verdict_t;

/* The Pub/Sub channel on which a pod 0 that seeded tells its replicas' temporary servers so: a
 * replica then seeds at once instead of waiting for its pod 0's main server to answer. */
#define SEED_CHANNEL "redis-cluster-init:seeded"
#define SEED_WORD_LEN 96

/* The node id a new cluster gives the pod with this DNS name: 40 hex digits. */
void seed_node_id(const char *fqdn, char out[CV_ID_LEN + 1]);
/* What the pod 0 of shard `shard` (DNS name master_fqdn) publishes once its seeded nodes.conf is
 * written: its planned id and its range, "<id> <first>-<last>". */
void seed_word(const char *master_fqdn, int shards, int shard, char out[SEED_WORD_LEN]);
seed_verdict_t seed_decide(const seed_input_t *in, char *reason, size_t len);
const char *seed_verdict_name(seed_verdict_t v);
/* Is peer p ordered before the pod (my_shard, my_ordinal)? Ordinals first, then shards. */
int seed_before(const dec_peer_t *p, int my_shard, int my_ordinal);
/* The nodes.conf of a SEED_WRITE: this node (my_ip, announced port and bus port), as the master
 * of its range with epoch my_shard + 1 (pod 0) or its pod 0's replica; every other pod as a
 * master without slots (pod 0) or its pod 0's replica, at the address DNS gave it if it is
 * ordered before this pod (seed_before; seed_decide waits until all of those resolve), else
 * noaddr: it connects to this node when it starts, and Redis takes the address from its PING.
 * Returns the length, or -1 when out is too small. */
int seed_render(const seed_input_t *in, const char *my_ip, int port, int bus_port, char *out, size_t outlen);

#endif
