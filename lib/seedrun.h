/* seedrun: the I/O around lib/seed.c. Is the data dir fresh, what do the peers' servers say (their
 * CLUSTER NODES, all at once through lib/fanout), and the writing of a seeded nodes.conf. `run`
 * and `plan` both decide through seedrun_observe, so plan shows whether run seeds. */
#ifndef RCI_SEEDRUN_H
#define RCI_SEEDRUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "identity.h"
#include "peers.h"
#include "rclient.h"
#include "seed.h"

/* How long a fresh pod 0 waits for its shard's replicas to answer before leaving the choice to the
 * run's rules: this many handshake graces, or the node timeout if longer (6 s by default). A
 * fresh replica waits for its pod 0 (as the rules would: rule 7) half the run's deadline. Both
 * end as soon as the awaited pod answers. */
#define SEEDRUN_WAIT_GRACES 4

/* Does the data dir hold nothing but this program's own files (the runtime config, the temporary
 * server's leftovers, a nodes.conf of a node that never knew another one) and lost+found?
 * Anything else means the pod held a node or data before (why names it). */
int seedrun_data_dir_fresh(const cfg_t *cfg, char *why, size_t len);
/* Does this pod try to seed at all? POD_IP known, a pod the config has, and a fresh data dir
 * (seedrun_data_dir_fresh). why says which, when not. Asked before the temporary server starts:
 * that server writes a nodes.conf of its own. */
int seedrun_applies(const cfg_t *cfg, const ident_t *id, char *why, size_t len);
/* What seedrun_observe carries from one call to the next (zeroed before the first). */
typedef struct {
    int self_resolved; /* this pod's own name resolved to POD_IP once */
    int looked;        /* every resolved peer's view was read once */
} seedrun_state_t;

/* One observation and the verdict on it: this pod's own name (until it first resolves to my_ip,
 * POD_IP), then anew every peer's name that does not resolve yet, then the peers' views: pod 0
 * reads every resolved peer's the first time, then its shard's replicas'; a replica reads its pod
 * 0's (none once master_word came), and every peer's once before it follows that server's answer
 * (a replica that follows master_word never does: its pod 0 did). self_view: a replica's temporary
 * server's own view, or NULL. Returns the verdict (reason filled; DNS trouble is SEED_WAIT for half
 * the deadline, then SEED_NO), or -1 when interrupted. */
int seedrun_observe(const cfg_t *cfg, const rc_auth_t *auth, peers_t *peers, const char *my_ip,
                    const cv_view_t *self_view, const char *master_word, seedrun_state_t *st, int64_t elapsed_ms,
                    int64_t deadline, volatile sig_atomic_t *interrupted, char *reason, size_t len);
/* A fresh replica: subscribe, on sub, to SEED_CHANNEL of its own temporary server (the unix socket
 * sock), where its pod 0 says it seeded. Returns 0, or -1 with err (the replica then only reads its
 * pod 0's server, as before). */
int seedrun_listen(rc_conn_t *sub, const char *sock, const rc_auth_t *auth, int timeout_ms, char *err, size_t errlen);
/* Wait at most timeout_ms for that word; a message on SEED_CHANNEL is copied into word (SEED_WORD_LEN).
 * Returns 1 when one came, 0 when not, -1 when the subscription failed (err; sub is then closed). */
int seedrun_hear(rc_conn_t *sub, int timeout_ms, char *word, char *err, size_t errlen);
/* Pod 0, once its seeded nodes.conf is written: publish seed_word on every resolved replica of its
 * shard (their temporary servers), all at once, each retried while nobody listens yet, for at most
 * SEEDRUN_TELL_MS. Logs who heard it; a replica that did not reads this pod's server instead. */
#define SEEDRUN_TELL_MS 1000
void seedrun_tell(const cfg_t *cfg, const rc_auth_t *auth, const peers_t *peers, int64_t deadline,
                  volatile sig_atomic_t *interrupted);
/* Write the seeded nodes.conf (atomically). Returns 0, or -1 with err naming the file. */
int seedrun_write(const cfg_t *cfg, const ident_t *id, const peers_t *peers, char *err, size_t errlen);
/* "master of slots 0-5460, node <id>": what a seeded node is, for logs and plan. */
void seedrun_describe(const cfg_t *cfg, const peers_t *peers, char *buf, size_t len);

#endif
