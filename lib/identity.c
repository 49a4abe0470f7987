#include "identity.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parse a canonical non-negative decimal at *p; advances *p. */
static int parse_ordinal(const char **p, int *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9') return -1;
    if (s[0] == '0' && s[1] >= '0' && s[1] <= '9') return -1; /* leading zero */
    long v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s - '0');
        if (v > 1000000) return -1;
        s++;
    }
    *out = (int)v;
    *p = s;
    return 0;
}

int ident_parse_pod_name(const char *base, const char *pod, int *shard, int *ordinal, char *err, size_t errlen)
{
    size_t bl = strlen(base);
    const char *p = pod;
    if (strncmp(p, base, bl) != 0 || strncmp(p + bl, "-shard", 6) != 0) {
        snprintf(err, errlen, "pod name '%s' does not match '%s-shard<i>-<j>': it must start with '%s-shard'", pod, base, base);
        return -1;
    }
    p += bl + 6;
    if (parse_ordinal(&p, shard) != 0 || *p != '-') {
        snprintf(err, errlen, "pod name '%s' does not match '%s-shard<i>-<j>': bad shard number after '-shard'", pod, base);
        return -1;
    }
    p++;
    if (parse_ordinal(&p, ordinal) != 0 || *p != '\0') {
        snprintf(err, errlen, "pod name '%s' does not match '%s-shard<i>-<j>': bad pod ordinal at the end", pod, base);
        return -1;
    }
    return 0;
}

int ident_load(const cfg_t *cfg, ident_t *id, char *err, size_t errlen)
{
    memset(id, 0, sizeof *id);
    const char *name = getenv("POD_NAME");
    if (name && *name) {
        snprintf(id->pod, sizeof id->pod, "%s", name);
    } else if (gethostname(id->pod, sizeof id->pod - 1) != 0 || !id->pod[0]) {
        snprintf(err, errlen, "POD_NAME is not set and the hostname is unavailable (%s); set POD_NAME from metadata.name",
                 strerror(errno));
        return -1;
    }
    const char *ip = getenv("POD_IP");
    if (ip && *ip) {
        /* Written into redis.conf as cluster-announce-ip: an address, nothing else. */
        struct in_addr a4;
        struct in6_addr a6;
        if (strlen(ip) >= sizeof id->ip || (inet_pton(AF_INET, ip, &a4) != 1 && inet_pton(AF_INET6, ip, &a6) != 1)) {
            snprintf(err, errlen, "POD_IP '%.64s' is not an IPv4 or IPv6 address; set it from status.podIP", ip);
            return -1;
        }
        snprintf(id->ip, sizeof id->ip, "%s", ip);
    }
    if (ident_parse_pod_name(cfg->name, id->pod, &id->shard, &id->ordinal, err, errlen) != 0) return -1;
    if (id->shard >= cfg->shards) {
        snprintf(err, errlen, "pod '%s' is in shard %d but the config has shards: %d (shards 0..%d)", id->pod, id->shard,
                 cfg->shards, cfg->shards - 1);
        return -1;
    }
    if (id->ordinal > cfg->replicas) {
        snprintf(err, errlen, "pod '%s' has ordinal %d but the config has replicas: %d (ordinals 0..%d)", id->pod,
                 id->ordinal, cfg->replicas, cfg->replicas);
        return -1;
    }
    return 0;
}

int ident_load_scaling(cfg_t *cfg, ident_t *id, char *err, size_t errlen)
{
    if (ident_load(cfg, id, err, errlen) == 0) return 0;
    int shard, ordinal;
    char e2[128];
    if (id->pod[0] == '\0' || ident_parse_pod_name(cfg->name, id->pod, &shard, &ordinal, e2, sizeof e2) != 0) return -1;
    if (shard < cfg->shards && ordinal <= cfg->replicas) return -1; /* another error */
    int shards = cfg->shards, replicas = cfg->replicas;
    if (shard >= cfg->shards) cfg->shards = shard + 1;
    if (ordinal > cfg->replicas) cfg->replicas = ordinal;
    if ((size_t)cfg->shards * (size_t)(cfg->replicas + 1) > CFG_MAX_PODS) {
        snprintf(err, errlen, "pod '%s' is outside the config, and a cluster that includes it would exceed %d pods",
                 id->pod, CFG_MAX_PODS);
        return -1;
    }
    if (ident_load(cfg, id, err, errlen) != 0) return -1;
    id->outside = 1;
    id->cfg_shards = shards;
    id->cfg_replicas = replicas;
    return 0;
}
