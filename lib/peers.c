#include "peers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrfix.h"
#include "clock.h"
#include "dns.h"
#include "fileio.h"
#include "log.h"
#include "server.h"

int peers_init(peers_t *p, const cfg_t *cfg, const ident_t *id, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    size_t total = topo_count(cfg);
    p->n = total - 1;
    p->pods = calloc(total, sizeof *p->pods);
    p->peers = calloc(total, sizeof *p->peers);
    p->next_resolve = calloc(total, sizeof *p->next_resolve);
    p->last_ok = calloc(total, sizeof *p->last_ok);
    p->backoff_ms = calloc(total, sizeof *p->backoff_ms);
    p->first_meet = calloc(total, sizeof *p->first_meet);
    p->dns_failed = calloc(total, sizeof *p->dns_failed);
    p->fail_streak = calloc(total, sizeof *p->fail_streak);
    if (!p->pods || !p->peers || !p->next_resolve || !p->last_ok || !p->backoff_ms || !p->first_meet || !p->dns_failed ||
        !p->fail_streak) {
        peers_free(p);
        snprintf(err, errlen, "out of memory for %zu peers", total);
        return -1;
    }
    /* Ask DNS for the pod's own address family only: on a dual-stack cluster a peer's address must
     * not flip between IPv4 and IPv6 (each flip would look like a new address and send a MEET). */
    struct in6_addr a6;
    struct in_addr a4;
    p->family = inet_pton(AF_INET, id->ip, &a4) == 1 ? AF_INET : inet_pton(AF_INET6, id->ip, &a6) == 1 ? AF_INET6
                : AF_UNSPEC;
    size_t me = topo_index(cfg, id->shard, id->ordinal), j = 0;
    for (size_t k = 0; k < total; k++) {
        if (k == me) { topo_pod(cfg, k, &p->me); continue; }
        topo_pod(cfg, k, &p->pods[j]);
        dec_peer_t *d = &p->peers[j];
        d->name = p->pods[j].name;
        d->fqdn = p->pods[j].fqdn;
        d->shard = p->pods[j].shard;
        d->ordinal = p->pods[j].ordinal;
        d->since_meet_ms = -1;
        p->first_meet[j] = -1;
        p->backoff_ms[j] = 100;
        j++;
    }
    return 0;
}

void peers_free(peers_t *p)
{
    free(p->pods);
    free(p->peers);
    free(p->next_resolve);
    free(p->last_ok);
    free(p->backoff_ms);
    free(p->first_meet);
    free(p->dns_failed);
    free(p->fail_streak);
    memset(p, 0, sizeof *p);
}

/* The resolver's options for one round: the config's servers (or resolv.conf), this pod's address
 * family, one timeouts.dns_ms bounded by deadline. servers must hold CFG_MAX_DNS * 65 bytes. */
static void resolver_opts(const peers_t *p, const cfg_t *cfg, int64_t now, int64_t deadline, char *servers,
                          dns_opts_t *o)
{
    servers[0] = '\0';
    for (int i = 0; i < cfg->n_dns_servers; i++) {
        if (i) strcat(servers, ",");
        strcat(servers, cfg->dns_servers[i]);
    }
    int64_t dl = now + cfg->dns_timeout_ms;
    if (dl > deadline) dl = deadline;
    dns_opts_t d = { servers, p->family, cfg->dns_timeout_ms / 2 > 0 ? cfg->dns_timeout_ms / 2 : 1, dl,
                     p->interrupted };
    *o = d;
}

int peers_resolve_self(const peers_t *p, const cfg_t *cfg, const char *my_ip, int64_t deadline, char *err,
                       size_t errlen)
{
    char servers[CFG_MAX_DNS * 65];
    dns_opts_t o;
    resolver_opts(p, cfg, clock_now_ms(), deadline, servers, &o);
    const char *names[] = { p->me.fqdn };
    dns_result_t res;
    memset(&res, 0, sizeof res);
    if (dns_resolve_all(names, 1, &res, &o, err, errlen) != 0) return -1;
    if (res.status == DNS_OK && strcmp(res.ip, my_ip) == 0) return 1;
    if (res.status == DNS_OK) snprintf(err, errlen, "%s resolves to %s, not POD_IP %s", p->me.fqdn, res.ip, my_ip);
    else snprintf(err, errlen, "%s: %s", p->me.fqdn, res.status == DNS_NOTFOUND ? "no such name yet" : res.detail);
    return res.status == DNS_OK || res.status == DNS_NOTFOUND ? 0 : 2;
}

int peers_resolve(peers_t *p, const cfg_t *cfg, int64_t deadline, int mode, char *err, size_t errlen)
{
    int64_t now = clock_now_ms();
    const char **names = calloc(p->n ? p->n : 1, sizeof *names);
    size_t *idx = calloc(p->n ? p->n : 1, sizeof *idx);
    dns_result_t *res = calloc(p->n ? p->n : 1, sizeof *res);
    if (!names || !idx || !res) {
        free(names); free(idx); free(res);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t m = 0;
    for (size_t k = 0; k < p->n; k++) {
        int want = mode == PEERS_RESOLVE_ALL || (mode == PEERS_RESOLVE_UNRESOLVED && !p->peers[k].resolved);
        if (want || now >= p->next_resolve[k]) { names[m] = p->peers[k].fqdn; idx[m] = k; m++; }
    }
    if (m > 0) {
        char servers[CFG_MAX_DNS * 65];
        dns_opts_t o;
        resolver_opts(p, cfg, now, deadline, servers, &o);
        if (dns_resolve_all(names, m, res, &o, err, errlen) != 0) {
            free(names); free(idx); free(res);
            return -1;
        }
        now = clock_now_ms();
        size_t fresh = 0;
        for (size_t i = 0; i < m; i++) {
            size_t k = idx[i];
            dec_peer_t *d = &p->peers[k];
            /* A failed refresh of a name that resolved keeps its address; it is trouble only when
             * it fails twice in a row, or when the name never resolved. */
            p->fail_streak[k] = res[i].status == DNS_FAILED ? p->fail_streak[k] + 1 : 0;
            p->dns_failed[k] = res[i].status == DNS_FAILED && (!d->resolved || p->fail_streak[k] >= 2);
            if (res[i].status == DNS_FAILED)
                snprintf(p->dns_trouble, sizeof p->dns_trouble, "%s: %s", d->fqdn, res[i].detail);
            if (res[i].status == DNS_OK) {
                if (!d->resolved || strcmp(d->ip, res[i].ip) != 0) {
                    /* A pod that moved is worth a line each; first answers are summed up below. */
                    if (d->resolved) {
                        LOG_I("dns: %s -> %s (was %s)", d->fqdn, res[i].ip, d->ip);
                    } else {
                        LOG_D("dns: %s -> %s", d->fqdn, res[i].ip);
                        fresh++;
                    }
                    snprintf(d->ip, sizeof d->ip, "%s", res[i].ip);
                    d->resolved = 1;
                    p->first_meet[k] = -1;
                }
                p->backoff_ms[k] = 100;
                p->last_ok[k] = now;
                p->next_resolve[k] = now + PEERS_REFRESH_MS;
            } else {
                /* A failed lookup says nothing about the pod: keep what we knew. "No such name"
                 * means the pod is gone (or not created yet). */
                if (res[i].status == DNS_NOTFOUND) {
                    if (d->resolved) LOG_W("dns: %s no longer resolves (%s)", d->fqdn, res[i].detail);
                    d->resolved = 0;
                }
                LOG_D("dns: %s: %s (%s)", d->fqdn, dns_status_name(res[i].status), res[i].detail);
                p->next_resolve[k] = now + p->backoff_ms[k];
                if (p->backoff_ms[k] < 1000) p->backoff_ms[k] *= 2;
            }
        }
        if (fresh) {
            size_t known = 0;
            for (size_t k = 0; k < p->n; k++) known += p->peers[k].resolved != 0;
            LOG_I("dns: %zu peer name%s resolved for the first time (%zu of %zu peers resolve now)", fresh,
                  fresh == 1 ? "" : "s", known, p->n);
        }
    }
    free(names); free(idx); free(res);
    int troubled = 0;
    for (size_t k = 0; k < p->n; k++) troubled += p->dns_failed[k];
    if (troubled)
        snprintf(err, errlen, "DNS lookups failing for %d of %zu peers, e.g. %s", troubled, p->n, p->dns_trouble);
    return troubled;
}

void peers_note_view(peers_t *p, const cv_view_t *view, int64_t now)
{
    for (size_t k = 0; k < p->n; k++) {
        const dec_peer_t *d = &p->peers[k];
        int64_t settled = p->last_ok[k] + PEERS_SETTLED_MS;
        if (!d->resolved || p->next_resolve[k] > now + 500 || p->next_resolve[k] >= settled) continue;
        for (size_t i = 0; i < view->n; i++) {
            const cv_node_t *node = &view->nodes[i];
            if ((node->flags & CV_MYSELF) || !node->link_connected || cv_is_down(node)) continue;
            if (strcmp(node->ip, d->ip) == 0) { p->next_resolve[k] = settled; break; }
        }
    }
}

void peers_update_meet_ages(peers_t *p, int64_t now)
{
    for (size_t k = 0; k < p->n; k++)
        p->peers[k].since_meet_ms = p->first_meet[k] < 0 ? -1 : now - p->first_meet[k];
}

void peers_note_meet(peers_t *p, size_t k, int64_t now)
{
    if (p->first_meet[k] < 0) p->first_meet[k] = now;
}

size_t peers_resolved_count(const peers_t *p)
{
    size_t c = 0;
    for (size_t k = 0; k < p->n; k++) c += p->peers[k].resolved != 0;
    return c;
}

int peers_fan(const peers_t *p, const cfg_t *cfg, const rc_auth_t *auth, int argc, const char **argv, int64_t deadline,
              volatile sig_atomic_t *interrupted, fan_target_t **out, size_t **peer_of, char *err, size_t errlen)
{
    return peers_fan_some(p, NULL, cfg, auth, argc, argv, deadline, interrupted, out, peer_of, err, errlen);
}

int peers_fan_some(const peers_t *p, const int *want, const cfg_t *cfg, const rc_auth_t *auth, int argc,
                   const char **argv, int64_t deadline, volatile sig_atomic_t *interrupted, fan_target_t **out,
                   size_t **peer_of, char *err, size_t errlen)
{
    fan_target_t *t = calloc(p->n ? p->n : 1, sizeof *t);
    size_t *of = calloc(p->n ? p->n : 1, sizeof *of);
    if (!t || !of) {
        free(t);
        free(of);
        snprintf(err, errlen, "out of memory for a round to %zu peers", p->n);
        return -1;
    }
    size_t m = 0;
    for (size_t k = 0; k < p->n; k++) {
        if (!p->peers[k].resolved || (want && !want[k])) continue;
        t[m].ip = p->peers[k].ip;
        t[m].port = cfg->port;
        of[m++] = k;
    }
    fan_command(t, m, auth, argc, argv, cfg->connect_timeout_ms, deadline, interrupted);
    *out = t;
    *peer_of = of;
    return (int)m;
}

void peers_fan_free(fan_target_t *t, size_t *peer_of, size_t m)
{
    fan_free(t, m);
    free(t);
    free(peer_of);
}

int peers_readdress(const peers_t *p, const char *text, char **out, char *what, size_t whatlen, char *err,
                    size_t errlen)
{
    what[0] = '\0';
    *out = NULL;
    af_peer_t *ap = calloc(p->n ? p->n : 1, sizeof *ap);
    if (!ap) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < p->n; k++) {
        ap[k].fqdn = p->peers[k].fqdn;
        ap[k].ip = p->peers[k].resolved ? p->peers[k].ip : NULL;
    }
    int n = af_rewrite(text, ap, p->n, out, err, errlen);
    for (size_t k = 0, named = 0; n > 0 && k < p->n; k++) {
        if (!ap[k].old_ip[0]) continue;
        size_t at = strlen(what);
        if (named++ == 12) {
            snprintf(what + at, whatlen - at, ", ...");
            break;
        }
        snprintf(what + at, whatlen - at, "%s%s %s -> %s", at ? ", " : "", p->peers[k].name, ap[k].old_ip,
                 p->peers[k].ip);
    }
    free(ap);
    return n;
}

int peers_write_addresses(const peers_t *p, const char *path, char *what, size_t whatlen, char *err, size_t errlen)
{
    what[0] = '\0';
    char *text, *out = NULL, why[RCI_ERR_LEN];
    size_t len;
    if (fio_read_all(path, SRV_NODES_CONF_MAX, &text, &len, err, errlen) != 0) return -1;
    int n = peers_readdress(p, text, &out, what, whatlen, why, sizeof why);
    free(text);
    if (n < 0) snprintf(err, errlen, "%s: %s", path, why);
    if (n > 0 && fio_write_atomic(path, out, err, errlen) != 0) n = -1;
    free(out);
    return n;
}
