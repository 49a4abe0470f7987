/* decide: the pure heart of the program. From what this pod observed (its own node's view of the
 * cluster, the peers' DNS answers, which MEETs are in flight) to the list of actions to take now.
 * No I/O, no clock: the runner observes, calls dec_decide, acts, and observes again until the
 * plan is DONE (or FAIL, or the deadline passes). The rules are written down in docs/design.md. */
#ifndef RCI_DECIDE_H
#define RCI_DECIDE_H

#include <stddef.h>
#include <stdint.h>
#include "cview.h"

typedef struct {
    const char *name;       /* pod name */
    const char *fqdn;       /* its DNS name: the identity it announces */
    int shard, ordinal;
    int resolved;           /* DNS answered; 0 means "not up yet" */
    char ip[64];
    int64_t since_meet_ms;  /* ms since we last sent MEET to this ip; -1 never */
} dec_peer_t;

typedef struct {
    int shards, replicas;
    int my_shard, my_ordinal;
    const char *my_fqdn;
    const cv_view_t *view;   /* our node's CLUSTER NODES */
    const cv_view_t *remote; /* optional: nodes the peers' own views hold that ours does not */
    const dec_peer_t *peers; /* every other pod of the topology */
    size_t n_peers;
    int handshake_grace_ms;  /* how long to wait for a peer to answer before treating it as not up */
    int remeet_ms;           /* resend MEET to a still-unknown peer after this long */
    int moved_master_wait_ms; /* a replica whose master moved waits this long for it at its new address */
    int64_t run_start_unix_ms; /* a PONG received after this is news from this run */
    int64_t elapsed_ms;        /* since the run started */
    /* Ids this run already forgot (run only; plan and a run's first round have none). One that is
     * seen again is a ghost wherever it appears: a node learns an id back from a gossip message a
     * peer sent before its own FORGET, and one that did not know the id when told holds no ban. */
    const char (*forgotten)[CV_ID_LEN + 1];
    size_t n_forgotten;
    int dns_trouble;           /* lookups are failing (not "no such name"): nothing can be decided */
    const char *dns_reason;    /* which, for the WAIT reason */
} dec_input_t;

typedef enum {
    ACT_SET_EPOCH,  /* CLUSTER SET-CONFIG-EPOCH epoch (fresh node only) */
    ACT_MEET,       /* CLUSTER MEET ip port bus_port (peer = index) */
    ACT_ADD_SLOTS,  /* CLUSTER ADDSLOTSRANGE first last */
    ACT_REPLICATE,  /* CLUSTER REPLICATE node_id */
    ACT_FORGET,     /* CLUSTER FORGET node_id, on this node and on every peer that answers */
    ACT_BUMP_EPOCH, /* CLUSTER BUMPEPOCH: make a claim of orphaned slots win everywhere */
    ACT_WAIT,       /* nothing to do now; observe again */
    ACT_DONE,       /* the role is confirmed by the view */
    ACT_FAIL,       /* a state this program must not touch; reason says why */
} dec_kind_t;

typedef struct {
    dec_kind_t kind;
    int peer;              /* ACT_MEET: index into peers */
    char node_id[CV_ID_LEN + 1];
    int first, last;
    uint64_t epoch;
    int data_lost;         /* ACT_ADD_SLOTS of orphaned slots: their keys are gone */
    int moved;             /* ACT_MEET: the view knows this peer at an old address (it restarted) */
    char reason[320];
} dec_action_t;

typedef struct {
    dec_action_t *actions;  /* owned; dec_plan_free. Grows as needed: there is no fixed limit. */
    size_t n, cap;
    char role[64];          /* the goal: "master of slots 0-5460", "replica of redis-shard0-0" */
} dec_plan_t;

/* Returns 0 with a plan (always at least one action, the verdict last), -1 only when out of
 * memory (plan is then empty). */
int dec_decide(const dec_input_t *in, dec_plan_t *plan);
void dec_plan_free(dec_plan_t *plan);

/* Which peer a node of the view is: by announced hostname, else by IP. -1 none, -2 this pod. */
int dec_pod_of_node(const dec_input_t *in, const cv_node_t *node);
const char *dec_kind_name(dec_kind_t k);

/* The plan's last action is the verdict: DONE, WAIT or FAIL. */
const dec_action_t *dec_verdict(const dec_plan_t *plan);
/* Does the plan take a role (claim slots, replicate) or confirm one (DONE)? Before either, the
 * peers' own views are read (lib/observe.c). */
int dec_takes_role(const dec_plan_t *plan);
/* The plan on one line, for logs and for comparing plan with run:
 * "set-epoch 2; meet redis-shard0-1 198.18.7.11; add-slots 0-5460; wait". */
void dec_plan_summary(const dec_input_t *in, const dec_plan_t *plan, char *buf, size_t len);

#endif
