/* cview: a node's view of the cluster, parsed from CLUSTER NODES (or nodes.conf). Pure.
 * cv_parse allocates; the caller frees with cv_free. Malformed input is an error, never a crash. */
#ifndef RCI_CVIEW_H
#define RCI_CVIEW_H

#include <stddef.h>
#include <stdint.h>

#define CV_ID_LEN 40

enum {
    CV_MYSELF = 1 << 0,
    CV_MASTER = 1 << 1,
    CV_REPLICA = 1 << 2,
    CV_PFAIL = 1 << 3,
    CV_FAIL = 1 << 4,
    CV_HANDSHAKE = 1 << 5,
    CV_NOADDR = 1 << 6,
    CV_NOFAILOVER = 1 << 7,
};

typedef struct { int first, last; } cv_range_t;

/* A slot in the middle of a move, as its node's own CLUSTER NODES line shows it: [s->-id] the
 * node migrates slot s to id; [s-<-id] it imports slot s from id. Only the "myself" line has them. */
typedef struct {
    int slot;
    int importing;                 /* 1: importing from peer; 0: migrating to peer */
    char peer[CV_ID_LEN + 1];
} cv_open_t;

typedef struct {
    char id[CV_ID_LEN + 1];
    char ip[64];          /* empty when unknown */
    int port, bus_port;
    char hostname[256];   /* announced hostname, empty if none */
    unsigned flags;
    char master_id[CV_ID_LEN + 1]; /* empty for masters */
    uint64_t config_epoch;
    int64_t pong_recv;    /* unix ms of the last PONG this view's node got from it; 0 never */
    int link_connected;
    cv_range_t *ranges;   /* owned slots */
    size_t n_ranges;
    int n_slots;
    cv_open_t *open;      /* slots being moved (owned array) */
    size_t n_open;
} cv_node_t;

typedef struct {
    cv_node_t *nodes;
    size_t n;
    uint64_t current_epoch; /* from nodes.conf "vars", 0 from CLUSTER NODES */
} cv_view_t;

int cv_parse(const char *text, size_t len, cv_view_t *view, char *err, size_t errlen);
void cv_free(cv_view_t *view);

const cv_node_t *cv_myself(const cv_view_t *view);
const cv_node_t *cv_find_id(const cv_view_t *view, const char *id);
/* Does node own slot s / any slot in [first, last]? */
int cv_owns(const cv_node_t *node, int slot);
int cv_owns_any(const cv_node_t *node, int first, int last);
/* Owns exactly [first, last] and nothing else? */
int cv_owns_exactly(const cv_node_t *node, int first, int last);
/* A node in a state in which it cannot be trusted to be alive. */
int cv_is_down(const cv_node_t *node);
/* Append a deep copy of node to view, without the given flags. */
int cv_add_copy(cv_view_t *view, const cv_node_t *node, unsigned clear_flags);

#endif
