#include "seed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

const char *seed_verdict_name(seed_verdict_t v)
{
    static const char *names[] = { "no", "wait", "write" };
    return names[v];
}

/* FNV-1a over the text, from a per-part basis, then splitmix64's finalizer: three independent
 * 64-bit parts give the 160 bits of a node id. Not a secret, only distinct: two pods' names never
 * map to one id in practice, and a name maps to the same id on every pod. */
static uint64_t mix(uint64_t basis, const char *s)
{
    uint64_t h = basis;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27; h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

void seed_node_id(const char *fqdn, char out[CV_ID_LEN + 1])
{
    char key[300];
    snprintf(key, sizeof key, "redis-cluster-init seed 1 %s", fqdn);
    uint64_t a = mix(1469598103934665603ull, key);
    uint64_t b = mix(0x9e3779b97f4a7c15ull, key);
    uint64_t c = mix(0xc2b2ae3d27d4eb4full, key);
    snprintf(out, CV_ID_LEN + 1, "%016llx%016llx%08llx", (unsigned long long)a, (unsigned long long)b,
             (unsigned long long)(c >> 32));
}

void seed_word(const char *master_fqdn, int shards, int shard, char out[SEED_WORD_LEN])
{
    char id[CV_ID_LEN + 1];
    int first, last;
    seed_node_id(master_fqdn, id);
    topo_slot_range(shards, shard, &first, &last);
    snprintf(out, SEED_WORD_LEN, "%s %d-%d", id, first, last);
}

static seed_verdict_t say(seed_verdict_t v, char *reason, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static seed_verdict_t say(seed_verdict_t v, char *reason, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, len, fmt, ap);
    va_end(ap);
    return v;
}

/* The planned master (pod 0) of shard s: its peer index, or -1 when it is this pod. */
static int master_peer(const seed_input_t *in, int s)
{
    if (s == in->my_shard && in->my_ordinal == 0) return -1;
    for (size_t k = 0; k < in->n_peers; k++)
        if (in->peers[k].shard == s && in->peers[k].ordinal == 0) return (int)k;
    return -1;
}

/* Is peer p ordered before this pod? Ordinals first (every pod 0 before every replica: with
 * OrderedReady a replica is created after its pod 0), then shards. Of two seeded pods only the
 * later one is written the other's address (seed_render): its main server connects, and Redis
 * gives the earlier one the address from that PING. A main server up early so retries only the
 * peers before it, not every peer whose server is not up yet (docs/design.md). */
int seed_before(const dec_peer_t *p, int my_shard, int my_ordinal)
{
    return p->ordinal < my_ordinal || (p->ordinal == my_ordinal && p->shard < my_shard);
}

/* Is this view one of a cluster being seeded, in which this pod was never heard of? A node that
 * knows nobody else (a fresh temporary server), or one that lists this pod's planned id, where
 * every node owning slots is a planned master holding only slots of its own range, and this pod's
 * name or planned id appears only as a planned node, without slots, that no one has had a PONG
 * from. */
static int view_fits(const seed_input_t *in, const char (*ids)[CV_ID_LEN + 1], const char *my_id,
                     const dec_peer_t *from, const cv_view_t *v, char *reason, size_t len)
{
    /* A view that knows other nodes but not this pod's planned id belongs to a cluster formed
     * without this pod (scaled out since, or from another config): its nodes would ignore this
     * pod's node, which nobody met. */
    if (v->n > 1 && !cv_find_id(v, my_id)) {
        snprintf(reason, len, "%s's view (%zu nodes) does not list this pod: its cluster was formed without it",
                 from->name, v->n);
        return 0;
    }
    for (size_t i = 0; i < v->n; i++) {
        const cv_node_t *n = &v->nodes[i];
        const char *label = n->hostname[0] ? n->hostname : n->ip[0] ? n->ip : "no address";
        if (strcmp(n->id, my_id) == 0 || (n->hostname[0] && strcmp(n->hostname, in->my_fqdn) == 0)) {
            if (strcmp(n->id, my_id) != 0 || n->pong_recv != 0 || n->n_slots > 0 || (n->flags & CV_MYSELF)) {
                snprintf(reason, len, "%s knows this pod already (node %.40s, %s): its data dir was replaced", from->name,
                         n->id, n->pong_recv ? "heard from before" : "another id");
                return 0;
            }
            continue;
        }
        if (n->n_slots == 0) continue;
        int s = 0;
        while (s < in->shards && strcmp(ids[s], n->id) != 0) s++;
        int first, last;
        if (s < in->shards) topo_slot_range(in->shards, s, &first, &last);
        if (s == in->shards || !cv_owns_exactly(n, first, last)) {
            /* a partial claim of the own range is a claim still spreading: fits too */
            int inside = s < in->shards;
            for (size_t r = 0; inside && r < n->n_ranges; r++)
                inside = n->ranges[r].first >= first && n->ranges[r].last <= last;
            if (!inside) {
                snprintf(reason, len, "%s's view has a formed cluster (node %.40s, %s, owns slots outside a new "
                         "cluster's split of %d shards)", from->name, n->id, label, in->shards);
                return 0;
            }
        }
    }
    return 1;
}

/* The planned ids of every shard's master, by shard (calloc'ed; NULL when out of memory). */
static char (*planned_masters(const seed_input_t *in, const char *my_id))[CV_ID_LEN + 1]
{
    char (*ids)[CV_ID_LEN + 1] = calloc((size_t)(in->shards > 0 ? in->shards : 1), sizeof *ids);
    if (!ids) return NULL;
    for (int s = 0; s < in->shards; s++) {
        int k = master_peer(in, s);
        if (k >= 0) seed_node_id(in->peers[k].fqdn, ids[s]);
        else memcpy(ids[s], my_id, CV_ID_LEN + 1);
    }
    return ids;
}

/* A replica seeds only on its shard's pod 0 having seeded: that master's own view says so (its
 * planned id, owning only its range), or it said so on SEED_CHANNEL after writing its nodes.conf,
 * so the replica never follows an id no server will have. */
static seed_verdict_t decide_replica(const seed_input_t *in, const char (*ids)[CV_ID_LEN + 1], char *reason,
                                     size_t len)
{
    int k = master_peer(in, in->my_shard);
    if (k < 0) return say(SEED_NO, reason, len, "the config has no pod 0 for this shard");
    const dec_peer_t *m = &in->peers[k];
    const cv_view_t *v = in->views[k];
    if (!v && in->master_word) {
        char want[SEED_WORD_LEN];
        seed_word(m->fqdn, in->shards, in->my_shard, want);
        if (strcmp(in->master_word, want) != 0)
            return say(SEED_NO, reason, len, "%s said it seeded as '%.*s', not as planned ('%s')", m->name, 80,
                       in->master_word, want);
        return SEED_WRITE;
    }
    if (!v) {
        if (in->elapsed_ms < in->master_wait_ms)
            return say(SEED_WAIT, reason, len, "waiting for %s%s to answer as a seeded master (at most %d ms)", m->name,
                       m->resolved ? "" : " to resolve and", in->master_wait_ms);
        return say(SEED_NO, reason, len, "%s did not answer within %d ms", m->name, in->master_wait_ms);
    }
    const cv_node_t *self = cv_myself(v);
    int first, last;
    topo_slot_range(in->shards, in->my_shard, &first, &last);
    if (!self || strcmp(self->id, ids[in->my_shard]) != 0 || !(self->flags & CV_MASTER) ||
        !cv_owns_exactly(self, first, last))
        return say(SEED_NO, reason, len, "%s is not a seeded master of slots %d-%d (node %.40s)", m->name, first, last,
                   self ? self->id : "?");
    return SEED_WRITE;
}

seed_verdict_t seed_decide(const seed_input_t *in, char *reason, size_t len)
{
    if (!in->fresh) return say(SEED_NO, reason, len, "the data dir holds nodes.conf or data");
    /* A node that met this pod's temporary server would keep its id as a ghost. */
    if (in->self_view && in->self_view->n > 1)
        return say(SEED_NO, reason, len, "this pod's temporary server was met by %zu other node(s) already",
                   in->self_view->n - 1);
    /* A peer that seeds after this pod must find it in DNS: a pod that does not resolve this one
     * writes it without an address, and if this pod missed that peer too, neither ever connects.
     * Once this pod's name resolves, every pod that seeds later knows its address. */
    if (!in->self_resolves) {
        if (in->elapsed_ms < in->master_wait_ms)
            return say(SEED_WAIT, reason, len, "waiting for this pod's own name to resolve (%s; at most %d ms)",
                       in->self_dns ? in->self_dns : "?", in->master_wait_ms);
        return say(SEED_NO, reason, len, "this pod's own name did not resolve within %d ms (%s)", in->master_wait_ms,
                   in->self_dns ? in->self_dns : "?");
    }
    char my_id[CV_ID_LEN + 1];
    seed_node_id(in->my_fqdn, my_id);
    char (*ids)[CV_ID_LEN + 1] = planned_masters(in, my_id);
    if (!ids) return say(SEED_NO, reason, len, "out of memory");
    seed_verdict_t v = SEED_WRITE;
    size_t answered = 0;
    for (size_t k = 0; k < in->n_peers && v == SEED_WRITE; k++) {
        if (!in->views[k]) continue;
        answered++;
        if (!view_fits(in, (const char (*)[CV_ID_LEN + 1])ids, my_id, &in->peers[k], in->views[k], reason, len))
            v = SEED_NO;
    }
    if (v == SEED_WRITE && in->my_ordinal != 0) v = decide_replica(in, (const char (*)[CV_ID_LEN + 1])ids, reason, len);
    free(ids);
    if (v != SEED_WRITE) return v;
    /* The peers before this pod are the ones it connects to: one it cannot name an address for,
     * which writes this pod noaddr, would never meet it. */
    const char *unresolved = NULL;
    size_t n_unresolved = 0;
    for (size_t k = 0; k < in->n_peers; k++) {
        if (!seed_before(&in->peers[k], in->my_shard, in->my_ordinal) || in->peers[k].resolved) continue;
        if (!unresolved) unresolved = in->peers[k].name;
        n_unresolved++;
    }
    if (unresolved && in->elapsed_ms < in->master_wait_ms)
        return say(SEED_WAIT, reason, len, "waiting for %s%s to resolve: this pod connects to it (at most %d ms)",
                   unresolved, n_unresolved > 1 ? " and others before this pod" : "", in->master_wait_ms);
    if (unresolved)
        return say(SEED_NO, reason, len, "%s%s did not resolve within %d ms", unresolved,
                   n_unresolved > 1 ? " and others before this pod" : "", in->master_wait_ms);
    if (in->my_ordinal != 0) {
        int k = master_peer(in, in->my_shard);
        if (!in->views[k])
            return say(SEED_WRITE, reason, len, "%s said it seeded (%s)", in->peers[k].name, in->master_word);
        return say(SEED_WRITE, reason, len, "%s is a seeded master and knows no other node for this pod",
                   in->peers[k].name);
    }
    /* A replica of this shard that resolves but does not answer may be a pod holding this shard's
     * data whose init is still running (its temporary server has no client port): seeding now
     * would give this pod's old id back to an empty master. Wait for it, then leave the choice to
     * the run's rules. A fresh replica's temporary server answers (render_init_config). */
    const char *silent = NULL;
    size_t n_silent = 0;
    for (size_t k = 0; k < in->n_peers; k++) {
        const dec_peer_t *p = &in->peers[k];
        if (p->shard != in->my_shard || !p->resolved || in->views[k]) continue;
        if (!silent) silent = p->name;
        n_silent++;
    }
    if (silent && in->elapsed_ms < in->wait_ms)
        return say(SEED_WAIT, reason, len, "waiting for replica %s%s to answer (at most %d ms): it may hold this "
                   "shard's data", silent, n_silent > 1 ? " and others" : "", in->wait_ms);
    if (silent)
        return say(SEED_NO, reason, len, "replica %s resolves but did not answer within %d ms: it may hold this "
                   "shard's data", silent, in->wait_ms);
    return say(SEED_WRITE, reason, len, "a new cluster: %zu of %zu peers answered, none knows this pod or a formed "
               "cluster", answered, in->n_peers);
}

typedef struct {
    char *out;
    size_t len, used;
    int overflow;
} sbuf_t;

static void put(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(sbuf_t *b, const char *fmt, ...)
{
    if (b->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->out + b->used, b->len - b->used, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= b->len - b->used) { b->overflow = 1; return; }
    b->used += (size_t)w;
}

/* One pod's line: planned id, address (noaddr without one), role, and for this pod's master its
 * range and epoch. */
static void put_pod(sbuf_t *b, const seed_input_t *in, const char *fqdn, const char *ip, int shard, int ordinal,
                    int me, int port, int bus_port)
{
    char id[CV_ID_LEN + 1], master[CV_ID_LEN + 1] = "-";
    seed_node_id(fqdn, id);
    if (ordinal > 0) {
        int k = master_peer(in, shard);
        seed_node_id(k >= 0 ? in->peers[k].fqdn : in->my_fqdn, master);
    }
    const char *role = ordinal > 0 ? "slave" : "master";
    if (ip)
        put(b, "%s %s:%d@%d,%s %s%s %s 0 0 %d connected", id, ip, port, bus_port, fqdn, me ? "myself," : "", role,
            master, me && ordinal == 0 ? shard + 1 : 0);
    else
        put(b, "%s :%d@%d,%s %s,noaddr %s 0 0 0 connected", id, port, bus_port, fqdn, role, master);
    if (me && ordinal == 0) {
        int first, last;
        topo_slot_range(in->shards, shard, &first, &last);
        put(b, " %d-%d", first, last);
    }
    put(b, "\n");
}

int seed_render(const seed_input_t *in, const char *my_ip, int port, int bus_port, char *out, size_t outlen)
{
    sbuf_t b = { out, outlen, 0, 0 };
    if (outlen) out[0] = '\0';
    put_pod(&b, in, in->my_fqdn, my_ip, in->my_shard, in->my_ordinal, 1, port, bus_port);
    for (size_t k = 0; k < in->n_peers; k++) {
        const dec_peer_t *p = &in->peers[k];
        int before = seed_before(p, in->my_shard, in->my_ordinal);
        put_pod(&b, in, p->fqdn, before && p->resolved ? p->ip : NULL, p->shard, p->ordinal, 0, port, bus_port);
    }
    put(&b, "vars currentEpoch %d lastVoteEpoch 0\n", in->shards);
    return b.overflow ? -1 : (int)b.used;
}
