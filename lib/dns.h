/* dns: resolve many names at once with c-ares, every query in flight together, bounded by a
 * deadline. Honours the pod's /etc/resolv.conf (search list, ndots) unless servers are given; never
 * reads /etc/hosts (DNS is where the peers look). */
#ifndef RCI_DNS_H
#define RCI_DNS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { DNS_PENDING = 0, DNS_OK, DNS_NOTFOUND, DNS_FAILED } dns_status_t;

typedef struct {
    dns_status_t status;
    char ip[64];        /* numeric, when DNS_OK: the first address of the wanted family */
    char detail[96];    /* c-ares's reason otherwise */
} dns_result_t;

typedef struct {
    const char *servers_csv; /* NULL or "" = resolv.conf */
    int family;              /* AF_INET or AF_INET6: ask for that family only (the pod's own, so a
                                dual-stack peer's address never flips); AF_UNSPEC: both, IPv4 first */
    int attempt_timeout_ms;  /* per try */
    int64_t deadline;        /* absolute, clock_now_ms() scale */
    volatile sig_atomic_t *interrupted; /* optional: stop early when it becomes set */
} dns_opts_t;

/* Resolve names[0..n) into out[0..n). Returns 0 when the resolver ran (each result says how its
 * name fared), -1 with err when the resolver itself could not be set up. */
int dns_resolve_all(const char *const *names, size_t n, dns_result_t *out, const dns_opts_t *opts, char *err,
                    size_t errlen);
const char *dns_status_name(dns_status_t s);

#endif
