/* observe: one observation of the cluster from this pod (DNS answers, the local node's view, the
 * peers' own views, MEETs in flight) and the decision taken on it. `run` and `plan` both decide
 * through obs_decide, so what plan prints is what a round of run does. */
#ifndef RCI_OBSERVE_H
#define RCI_OBSERVE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "cview.h"
#include "decide.h"
#include "peers.h"
#include "rclient.h"

/* How long a round may reuse the peers' views an earlier round read: at 100 shards every read is
 * 199 CLUSTER NODES of 200 lines each, milliseconds of a busy server's time apiece, and a replica
 * retries REPLICATE every round (50 ms) until its view confirms it. */
#define OBS_REUSE_MS 3000

typedef struct {
    /* set by the caller */
    const cfg_t *cfg;
    const rc_auth_t *auth;
    peers_t *peers;              /* resolved (peers_resolve) and with meet ages, by the caller */
    int dns_trouble;             /* peers_resolve's count of failing lookups; its message: */
    char dns_reason[RCI_ERR_LEN];
    cv_view_t local;             /* the local node's view; obs_free frees it */
    int64_t heard_since_unix_ms; /* a PONG received after this counts as heard (run: its start) */
    int64_t elapsed_ms;          /* since the run started (plan: 0, a run's first round) */
    const char (*forgotten)[CV_ID_LEN + 1]; /* run: the ids it forgot so far (dec_input_t) */
    size_t n_forgotten;
    int64_t deadline;            /* bounds the reading of the peers' views */
    volatile sig_atomic_t *interrupted;
    /* run: the peers' views an earlier round read (`seen` of that round, with its clock_now_ms),
     * reused instead of reading again while the plan retries a role (REPLICATE, ADDSLOTSRANGE) and
     * they are at most OBS_REUSE_MS old; a DONE verdict always reads them anew. NULL: read. */
    const cv_view_t *reuse;
    int64_t reuse_at;
    /* filled by obs_read_peers */
    int peers_read;
    int peers_fresh;             /* read in this observation (not reused): seen is owned and new */
    int64_t read_at;             /* clock_now_ms of the read */
    cv_view_t seen;              /* the peers' nodes the local view did not name when read (the
                                    first copy of each id); remote is built from it */
    cv_view_t remote;            /* nodes the peers' views hold that the local one does not (by id,
                                    or known locally without a name, as gossip brings dead nodes) */
    cv_view_t selves;            /* each answering peer's own line */
    int *answered;               /* per peer: 1 answered, -2 refused our credentials/TLS, 0 no answer */
} obs_t;

/* The decision input for this observation (pointers into o and o->peers). */
void obs_input(const obs_t *o, dec_input_t *in);
/* Read every resolved peer's CLUSTER NODES at once (one deadline, lib/fanout). Read-only. With
 * o->reuse (fresh enough) and !fresh, uses that instead of reading. */
int obs_read_peers(obs_t *o, int fresh, char *err, size_t errlen);
/* Decide. When the plan takes or confirms a role (dec_takes_role), the peers' views are read
 * first (if not yet) and the decision is taken again with them: a node started without nodes.conf
 * cannot see an old id of its own pod in its own view. Returns 0, -1 out of memory. */
int obs_decide(obs_t *o, dec_plan_t *plan, char *err, size_t errlen);
void obs_free(obs_t *o);

#endif
