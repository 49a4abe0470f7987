/* addrfix: a nodes.conf's addresses of its peers, brought up to date from DNS before the main
 * container's server loads it. Pure: text in, text out.
 *
 * Why: when pods restart at once with new IPs, a run MEETs each peer at its new address, but a
 * peer whose server does not answer within the handshake grace (rule 8) stays in the temporary
 * server's view, and so in the nodes.conf it saves, at its old address. If that peer's own run
 * did the same with this pod, both main servers start knowing only each other's dead address and
 * never connect: Redis repairs such a pair only once one marks the other failing (a node timeout
 * later), and meanwhile each one's CLUSTER SLOTS and MOVED send clients to a dead address. */
#ifndef RCI_ADDRFIX_H
#define RCI_ADDRFIX_H

#include <stddef.h>
#include "cview.h"

typedef struct {
    const char *fqdn; /* in: the peer's DNS name, which its node announces as its hostname */
    const char *ip;   /* in: the address its name resolves to now; NULL or "" when it does not */
    char old_ip[64];  /* out: the address the file had for it when its line was rewritten, else "" */
} af_peer_t;

/* Rewrite the nodes.conf `text`: every node line that is not myself, not noaddr and not in
 * handshake, whose announced hostname is a peer's fqdn resolving to another address than the
 * line's, gets that address (ports, flags and the rest kept). Every other line is copied as is.
 * Returns the number of lines rewritten, with the new text in *out (malloc'd, the caller frees;
 * NULL when the count is 0), or -1 with err (which line) when a node line cannot be read or
 * memory runs out: then nothing should be written. */
int af_rewrite(const char *text, af_peer_t *peers, size_t n_peers, char **out, char *err, size_t errlen);

/* Drop from the nodes.conf `text` every node line whose id is one of ids[0..n_ids) (ids a run
 * forgot, which its temporary server may have learned again by gossip before it saved). Every other
 * line is copied as is. Returns the number of lines dropped, with the new text in *out (malloc'd,
 * the caller frees; NULL when the count is 0), or -1 with err when memory runs out. */
int af_drop(const char *text, const char (*ids)[CV_ID_LEN + 1], size_t n_ids, char **out, char *err, size_t errlen);

#endif
