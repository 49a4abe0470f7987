#include "dns.h"

#include <ares.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

const char *dns_status_name(dns_status_t s)
{
    static const char *names[] = { "pending", "ok", "not found", "failed" };
    return names[s];
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    dns_result_t *r = arg;
    /* Stable choice: IPv4 first when both families came back (AF_UNSPEC), in the server's order. */
    const struct ares_addrinfo_node *node = NULL;
    for (const struct ares_addrinfo_node *n = res ? res->nodes : NULL; n; n = n->ai_next) {
        if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
        if (!node || (node->ai_family == AF_INET6 && n->ai_family == AF_INET)) node = n;
    }
    if (status == ARES_SUCCESS && node) {
        const void *addr = node->ai_family == AF_INET6
                               ? (const void *)&((const struct sockaddr_in6 *)node->ai_addr)->sin6_addr
                               : (const void *)&((const struct sockaddr_in *)node->ai_addr)->sin_addr;
        if (inet_ntop(node->ai_family, addr, r->ip, sizeof r->ip)) r->status = DNS_OK;
        else { r->status = DNS_FAILED; snprintf(r->detail, sizeof r->detail, "unprintable address"); }
    } else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
        r->status = DNS_NOTFOUND;
        snprintf(r->detail, sizeof r->detail, "%s", ares_strerror(status));
    } else {
        r->status = DNS_FAILED;
        if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED || status == ARES_ETIMEOUT)
            snprintf(r->detail, sizeof r->detail, "no answer from the DNS server in time");
        else if (status == ARES_ECONNREFUSED)
            snprintf(r->detail, sizeof r->detail, "the DNS server refused the connection");
        else
            snprintf(r->detail, sizeof r->detail, "%s", ares_strerror(status));
    }
    if (res) ares_freeaddrinfo(res);
}

int dns_resolve_all(const char *const *names, size_t n, dns_result_t *out, const dns_opts_t *opts, char *err,
                    size_t errlen)
{
    memset(out, 0, n * sizeof *out);
    int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares library init: %s", ares_strerror(rc));
        return -1;
    }
    ares_channel ch;
    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.timeout = opts->attempt_timeout_ms;
    o.tries = 2;
    /* DNS only, never /etc/hosts: kubelet writes a StatefulSet pod's own FQDN there, while its
     * peers find it only through DNS; "this pod's name resolves" must mean what they see. It
     * also spares a read of /etc/hosts per name (199 per lookup round at 100 shards). */
    char lookups[] = "b";
    o.lookups = lookups;
    rc = ares_init_options(&ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares init (reading /etc/resolv.conf): %s", ares_strerror(rc));
        ares_library_cleanup();
        return -1;
    }
    if (opts->servers_csv && *opts->servers_csv) {
        rc = ares_set_servers_ports_csv(ch, opts->servers_csv); /* "ip" or "ip:port" */
        if (rc != ARES_SUCCESS) {
            snprintf(err, errlen, "dns_servers '%s': %s", opts->servers_csv, ares_strerror(rc));
            ares_destroy(ch);
            ares_library_cleanup();
            return -1;
        }
    }
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = opts->family;
    hints.ai_flags = ARES_AI_NOSORT;
    for (size_t i = 0; i < n; i++) ares_getaddrinfo(ch, names[i], NULL, &hints, on_addrinfo, &out[i]);

    for (;;) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        nfds_t np = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            /* c-ares's ARES_GETSOCK_WRITABLE shifts a signed 1 by up to 31: compute it unsigned. */
            unsigned b = (unsigned)bits;
            short ev = (short)(((b & (1u << i)) ? POLLIN : 0) | ((b & (1u << (i + ARES_GETSOCK_MAXNUM))) ? POLLOUT : 0));
            if (!ev) continue;
            pfd[np].fd = socks[i];
            pfd[np].events = ev;
            pfd[np].revents = 0;
            np++;
        }
        if (np == 0) break; /* every query has called back */
        int64_t left = clock_left_ms(opts->deadline);
        if (left == 0 || (opts->interrupted && *opts->interrupted)) break;
        struct timeval cap = { (time_t)(left / 1000), (suseconds_t)((left % 1000) * 1000) };
        struct timeval tv, *tvp = ares_timeout(ch, &cap, &tv);
        int wait_ms = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
        int r = poll(pfd, np, wait_ms > 0 ? wait_ms : 1);
        if (r < 0 && errno != EINTR) {
            snprintf(err, errlen, "DNS: poll: %s", strerror(errno));
            ares_destroy(ch);
            ares_library_cleanup();
            return -1;
        }
        if (r <= 0) {
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts and retries */
            continue;
        }
        for (nfds_t k = 0; k < np; k++) {
            if (!pfd[k].revents) continue;
            ares_socket_t rd = (pfd[k].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[k].fd : ARES_SOCKET_BAD;
            ares_socket_t wr = (pfd[k].revents & (POLLOUT | POLLERR | POLLHUP)) ? pfd[k].fd : ARES_SOCKET_BAD;
            ares_process_fd(ch, rd, wr);
        }
    }
    /* Cancelled queries call back with ARES_ECANCELLED/EDESTRUCTION: they become DNS_FAILED. */
    ares_destroy(ch);
    ares_library_cleanup();
    for (size_t i = 0; i < n; i++) {
        if (out[i].status == DNS_PENDING) {
            out[i].status = DNS_FAILED;
            snprintf(out[i].detail, sizeof out[i].detail, "no answer before the deadline");
        }
    }
    return 0;
}
