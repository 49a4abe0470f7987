#include "addrfix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Is `flag` one of the comma-separated flags in [f, f + len)? */
static int has_flag(const char *f, size_t len, const char *flag)
{
    size_t fl = strlen(flag);
    while (len > 0) {
        size_t t = 0;
        while (t < len && f[t] != ',') t++;
        if (t == fl && memcmp(f, flag, fl) == 0) return 1;
        if (t == len) break;
        f += t + 1;
        len -= t + 1;
    }
    return 0;
}

static af_peer_t *peer_named(af_peer_t *peers, size_t n, const char *name, size_t len)
{
    for (size_t k = 0; k < n; k++)
        if (peers[k].fqdn && strlen(peers[k].fqdn) == len && memcmp(peers[k].fqdn, name, len) == 0) return &peers[k];
    return NULL;
}

/* One line [l, l + len) without its newline, copied to out (room for len + 64 bytes). Returns the
 * bytes written, with *changed set when its address was rewritten, or -1 when it is not a node line. */
static long rewrite_line(const char *l, size_t len, af_peer_t *peers, size_t n, char *out, int *changed)
{
    *changed = 0;
    if (len == 0 || (len >= 5 && memcmp(l, "vars ", 5) == 0)) {
        memcpy(out, l, len);
        return (long)len;
    }
    const char *end = l + len;
    const char *addr = memchr(l, ' ', len);
    if (!addr) return -1;
    addr++;
    const char *addr_end = memchr(addr, ' ', (size_t)(end - addr));
    if (!addr_end) return -1;
    const char *flags = addr_end + 1;
    const char *flags_end = memchr(flags, ' ', (size_t)(end - flags));
    if (!flags_end) flags_end = end;
    const char *at = memchr(addr, '@', (size_t)(addr_end - addr));
    if (!at) return -1;
    const char *colon = NULL;
    for (const char *p = addr; p < at; p++)
        if (*p == ':') colon = p;
    if (!colon) return -1;
    const char *host = memchr(at, ',', (size_t)(addr_end - at));
    size_t flen = (size_t)(flags_end - flags);
    af_peer_t *peer = NULL;
    if (host && !has_flag(flags, flen, "myself") && !has_flag(flags, flen, "noaddr") &&
        !has_flag(flags, flen, "handshake")) {
        host++;
        const char *host_end = memchr(host, ',', (size_t)(addr_end - host));
        if (!host_end) host_end = addr_end;
        peer = peer_named(peers, n, host, (size_t)(host_end - host));
    }
    size_t ip_len = (size_t)(colon - addr);
    size_t new_len = peer && peer->ip ? strlen(peer->ip) : 0;
    if (new_len == 0 || new_len >= sizeof peer->old_ip ||
        (new_len == ip_len && memcmp(peer->ip, addr, ip_len) == 0)) {
        memcpy(out, l, len);
        return (long)len;
    }
    size_t keep = ip_len < sizeof peer->old_ip ? ip_len : sizeof peer->old_ip - 1;
    memcpy(peer->old_ip, addr, keep);
    peer->old_ip[keep] = '\0';
    size_t head = (size_t)(addr - l), tail = (size_t)(end - colon);
    memcpy(out, l, head);
    memcpy(out + head, peer->ip, new_len);
    memcpy(out + head + new_len, colon, tail);
    *changed = 1;
    return (long)(head + new_len + tail);
}

int af_rewrite(const char *text, af_peer_t *peers, size_t n_peers, char **out, char *err, size_t errlen)
{
    *out = NULL;
    for (size_t k = 0; k < n_peers; k++) peers[k].old_ip[0] = '\0';
    size_t len = strlen(text), lines = 1;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    char *buf = malloc(len + lines * 64 + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t o = 0;
    int rewritten = 0, lineno = 0;
    for (const char *l = text; *l;) {
        size_t ll = strcspn(l, "\n");
        int changed;
        lineno++;
        long w = rewrite_line(l, ll, peers, n_peers, buf + o, &changed);
        if (w < 0) {
            snprintf(err, errlen, "line %d is not a node line: %.80s", lineno, l);
            free(buf);
            return -1;
        }
        o += (size_t)w;
        rewritten += changed;
        l += ll;
        if (*l == '\n') {
            buf[o++] = '\n';
            l++;
        }
    }
    buf[o] = '\0';
    if (rewritten == 0) {
        free(buf);
        return 0;
    }
    *out = buf;
    return rewritten;
}

int af_drop(const char *text, const char (*ids)[CV_ID_LEN + 1], size_t n_ids, char **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t len = strlen(text);
    char *buf = malloc(len + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t o = 0;
    int dropped = 0;
    for (const char *l = text; *l;) {
        size_t ll = strcspn(l, "\n"), id_len = strcspn(l, " \n");
        int drop = 0;
        for (size_t i = 0; i < n_ids && !drop; i++)
            drop = id_len == strlen(ids[i]) && memcmp(l, ids[i], id_len) == 0;
        if (l[ll] == '\n') ll++;
        if (drop) {
            dropped++;
        } else {
            memcpy(buf + o, l, ll);
            o += ll;
        }
        l += ll;
    }
    buf[o] = '\0';
    if (dropped == 0) {
        free(buf);
        return 0;
    }
    *out = buf;
    return dropped;
}
