#include "cview.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

#define MAX_FIELDS 16
#define MAX_NODES 4096

static int is_hex_id(const char *s, size_t n)
{
    if (n != CV_ID_LEN) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
    }
    return 1;
}

static int parse_int(const char *s, size_t n, long lo, long hi, long *out)
{
    if (n == 0 || n > 19) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        int d = s[i] - '0';
        if (v > (LONG_MAX - d) / 10) return -1; /* 19 digits may not fit a long */
        v = v * 10 + d;
    }
    if (v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

typedef struct { const char *p; size_t n; } tok_t;

/* "ip:port@cport[,hostname[,key=value]...]"; ip may be empty or IPv6 (last ':' splits). Redis
 * 7.2 writes auxiliary fields (shard-id=..., tls-port=...) after the hostname in nodes.conf, with
 * an empty hostname when there is none ("@16379,,shard-id=..."): they are skipped. */
static int parse_addr(tok_t t, cv_node_t *node)
{
    const char *at = memchr(t.p, '@', t.n);
    if (!at) return -1;
    const char *colon = NULL;
    for (const char *q = t.p; q < at; q++) if (*q == ':') colon = q;
    if (!colon) return -1;
    size_t iplen = (size_t)(colon - t.p);
    if (iplen >= sizeof node->ip) return -1;
    memcpy(node->ip, t.p, iplen);
    node->ip[iplen] = '\0';
    long v;
    if (parse_int(colon + 1, (size_t)(at - colon - 1), 0, 65535, &v) != 0) return -1;
    node->port = (int)v;
    const char *end = t.p + t.n;
    const char *comma = memchr(at, ',', (size_t)(end - at));
    const char *cend = comma ? comma : end;
    if (parse_int(at + 1, (size_t)(cend - at - 1), 0, 65535, &v) != 0) return -1;
    node->bus_port = (int)v;
    if (comma) {
        const char *h = comma + 1;
        const char *hend = memchr(h, ',', (size_t)(end - h));
        if (!hend) hend = end;
        size_t hl = (size_t)(hend - h);
        if (hl >= sizeof node->hostname || memchr(h, '=', hl)) return -1;
        memcpy(node->hostname, h, hl);
        node->hostname[hl] = '\0';
        /* The rest must be key=value fields. */
        for (const char *f = hend; f < end;) {
            const char *fs = f + 1, *fe = memchr(fs, ',', (size_t)(end - fs));
            if (!fe) fe = end;
            if (fe == fs || !memchr(fs, '=', (size_t)(fe - fs))) return -1;
            f = fe;
        }
    }
    return 0;
}

static int parse_flags(tok_t t, unsigned *flags)
{
    static const struct { const char *name; unsigned bit; } F[] = {
        { "myself", CV_MYSELF }, { "master", CV_MASTER }, { "slave", CV_REPLICA }, { "fail?", CV_PFAIL },
        { "fail", CV_FAIL }, { "handshake", CV_HANDSHAKE }, { "noaddr", CV_NOADDR }, { "nofailover", CV_NOFAILOVER },
        { "noflags", 0 },
    };
    *flags = 0;
    size_t i = 0;
    while (i < t.n) {
        size_t j = i;
        while (j < t.n && t.p[j] != ',') j++;
        for (size_t k = 0; k < sizeof F / sizeof F[0]; k++) {
            if (strlen(F[k].name) == j - i && memcmp(F[k].name, t.p + i, j - i) == 0) *flags |= F[k].bit;
        }
        i = j + 1;
    }
    return 0;
}

static int add_range(cv_node_t *node, int first, int last)
{
    if (node->n_ranges >= 16384) return -1;
    cv_range_t *r = realloc(node->ranges, (node->n_ranges + 1) * sizeof *r);
    if (!r) return -1;
    node->ranges = r;
    r[node->n_ranges].first = first;
    r[node->n_ranges].last = last;
    node->n_ranges++;
    node->n_slots += last - first + 1;
    return 0;
}

/* "[1234->-<id>]" or "[1234-<-<id>]": a slot being moved, not ownership. */
static int parse_open_tok(tok_t t, cv_node_t *node)
{
    if (t.n < 2 || t.p[t.n - 1] != ']') return -1;
    const char *p = t.p + 1, *end = t.p + t.n - 1;
    const char *arrow = NULL;
    for (const char *q = p; q + 3 <= end; q++)
        if (q[0] == '-' && (q[1] == '>' || q[1] == '<') && q[2] == '-') { arrow = q; break; }
    long slot;
    if (!arrow || parse_int(p, (size_t)(arrow - p), 0, 16383, &slot) != 0) return -1;
    const char *id = arrow + 3;
    if (!is_hex_id(id, (size_t)(end - id))) return -1;
    if (node->n_open >= 16384) return -1;
    cv_open_t *o = realloc(node->open, (node->n_open + 1) * sizeof *o);
    if (!o) return -1;
    node->open = o;
    o[node->n_open].slot = (int)slot;
    o[node->n_open].importing = arrow[1] == '<';
    memcpy(o[node->n_open].peer, id, CV_ID_LEN);
    o[node->n_open].peer[CV_ID_LEN] = '\0';
    node->n_open++;
    return 0;
}

static int parse_slot_tok(tok_t t, cv_node_t *node)
{
    if (t.n > 0 && t.p[0] == '[') return parse_open_tok(t, node);
    const char *dash = memchr(t.p, '-', t.n);
    long a, b;
    if (dash) {
        if (parse_int(t.p, (size_t)(dash - t.p), 0, 16383, &a) != 0) return -1;
        if (parse_int(dash + 1, (size_t)(t.p + t.n - dash - 1), 0, 16383, &b) != 0) return -1;
        if (b < a) return -1;
    } else {
        if (parse_int(t.p, t.n, 0, 16383, &a) != 0) return -1;
        b = a;
    }
    return add_range(node, (int)a, (int)b);
}

static int parse_line(const char *line, size_t len, cv_node_t *node, char *why, size_t whylen)
{
    tok_t tok[MAX_FIELDS];
    size_t nt = 0, i = 0;
    memset(node, 0, sizeof *node);
    /* First 8 fields, then slots one by one. */
    while (i < len && nt < 8) {
        while (i < len && line[i] == ' ') i++;
        if (i >= len) break;
        size_t s = i;
        while (i < len && line[i] != ' ') i++;
        tok[nt].p = line + s;
        tok[nt].n = i - s;
        nt++;
    }
    if (nt < 8) { snprintf(why, whylen, "expected at least 8 fields, found %zu", nt); return -1; }
    if (!is_hex_id(tok[0].p, tok[0].n)) { snprintf(why, whylen, "bad node id"); return -1; }
    memcpy(node->id, tok[0].p, CV_ID_LEN);
    if (parse_addr(tok[1], node) != 0) { snprintf(why, whylen, "bad address '%.*s'", (int)(tok[1].n > 80 ? 80 : tok[1].n), tok[1].p); return -1; }
    parse_flags(tok[2], &node->flags);
    if (!(tok[3].n == 1 && tok[3].p[0] == '-')) {
        if (!is_hex_id(tok[3].p, tok[3].n)) { snprintf(why, whylen, "bad master id"); return -1; }
        memcpy(node->master_id, tok[3].p, CV_ID_LEN);
    }
    uint64_t pong;
    if (parse_u64(tok[5].p, tok[5].n, &pong) != 0) { snprintf(why, whylen, "bad pong time"); return -1; }
    node->pong_recv = (int64_t)pong;
    if (parse_u64(tok[6].p, tok[6].n, &node->config_epoch) != 0) { snprintf(why, whylen, "bad config epoch"); return -1; }
    node->link_connected = tok[7].n == 9 && memcmp(tok[7].p, "connected", 9) == 0;
    while (i < len) {
        while (i < len && line[i] == ' ') i++;
        if (i >= len) break;
        size_t s = i;
        while (i < len && line[i] != ' ') i++;
        tok_t t = { line + s, i - s };
        if (parse_slot_tok(t, node) != 0) { snprintf(why, whylen, "bad slot '%.*s'", (int)(t.n > 40 ? 40 : t.n), t.p); return -1; }
    }
    return 0;
}

static void free_node(cv_node_t *n)
{
    free(n->ranges);
    n->ranges = NULL;
    free(n->open);
    n->open = NULL;
}

int cv_parse(const char *text, size_t len, cv_view_t *view, char *err, size_t errlen)
{
    memset(view, 0, sizeof *view);
    size_t cap = 0, pos = 0;
    int lineno = 0;
    while (pos < len) {
        size_t s = pos;
        while (pos < len && text[pos] != '\n') pos++;
        size_t e = pos;
        pos++;
        lineno++;
        while (e > s && (text[e - 1] == '\r' || text[e - 1] == ' ')) e--;
        if (e == s) continue;
        if (e - s >= 5 && memcmp(text + s, "vars ", 5) == 0) {
            const char *ce = "currentEpoch ";
            for (size_t k = s; k + strlen(ce) < e; k++) {
                if (memcmp(text + k, ce, strlen(ce)) == 0) {
                    size_t a = k + strlen(ce), b = a;
                    while (b < e && text[b] != ' ') b++;
                    parse_u64(text + a, b - a, &view->current_epoch);
                    break;
                }
            }
            continue;
        }
        if (view->n == MAX_NODES) { snprintf(err, errlen, "more than %d nodes", MAX_NODES); cv_free(view); return -1; }
        if (view->n == cap) {
            cap = cap ? cap * 2 : 16;
            cv_node_t *nn = realloc(view->nodes, cap * sizeof *nn);
            if (!nn) { snprintf(err, errlen, "out of memory"); cv_free(view); return -1; }
            view->nodes = nn;
        }
        char why[RCI_ERR_LEN];
        if (parse_line(text + s, e - s, &view->nodes[view->n], why, sizeof why) != 0) {
            free_node(&view->nodes[view->n]);
            snprintf(err, errlen, "line %d: %s", lineno, why);
            cv_free(view);
            return -1;
        }
        view->n++;
    }
    return 0;
}

void cv_free(cv_view_t *view)
{
    for (size_t i = 0; i < view->n; i++) free_node(&view->nodes[i]);
    free(view->nodes);
    memset(view, 0, sizeof *view);
}

const cv_node_t *cv_myself(const cv_view_t *view)
{
    for (size_t i = 0; i < view->n; i++)
        if (view->nodes[i].flags & CV_MYSELF) return &view->nodes[i];
    return NULL;
}

const cv_node_t *cv_find_id(const cv_view_t *view, const char *id)
{
    for (size_t i = 0; i < view->n; i++)
        if (strcmp(view->nodes[i].id, id) == 0) return &view->nodes[i];
    return NULL;
}

int cv_owns(const cv_node_t *node, int slot)
{
    for (size_t i = 0; i < node->n_ranges; i++)
        if (slot >= node->ranges[i].first && slot <= node->ranges[i].last) return 1;
    return 0;
}

int cv_owns_any(const cv_node_t *node, int first, int last)
{
    for (size_t i = 0; i < node->n_ranges; i++)
        if (node->ranges[i].first <= last && node->ranges[i].last >= first) return 1;
    return 0;
}

int cv_owns_exactly(const cv_node_t *node, int first, int last)
{
    if (node->n_slots != last - first + 1) return 0;
    for (int s = first; s <= last; s++)
        if (!cv_owns(node, s)) return 0;
    return 1;
}

int cv_is_down(const cv_node_t *node)
{
    return (node->flags & (CV_FAIL | CV_PFAIL | CV_NOADDR | CV_HANDSHAKE)) != 0;
}

int cv_add_copy(cv_view_t *view, const cv_node_t *node, unsigned clear_flags)
{
    cv_node_t *nn = realloc(view->nodes, (view->n + 1) * sizeof *nn);
    if (!nn) return -1;
    view->nodes = nn;
    cv_node_t *c = &nn[view->n];
    *c = *node;
    c->flags &= ~clear_flags;
    c->ranges = NULL;
    if (node->n_ranges) {
        c->ranges = malloc(node->n_ranges * sizeof *c->ranges);
        if (!c->ranges) return -1;
        memcpy(c->ranges, node->ranges, node->n_ranges * sizeof *c->ranges);
    }
    c->open = NULL;
    if (node->n_open) {
        c->open = malloc(node->n_open * sizeof *c->open);
        if (!c->open) { free(c->ranges); return -1; }
        memcpy(c->open, node->open, node->n_open * sizeof *c->open);
    }
    view->n++;
    return 0;
}
