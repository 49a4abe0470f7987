#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "fileio.h"
#include "status.h"

typedef enum { K_STR, K_INT, K_ANNOUNCE, K_LOGFMT, K_LOGLVL, K_DNSLIST, K_BOOL } key_type_t;

typedef struct {
    const char *key;  /* dotted path as written in YAML */
    key_type_t type;
    size_t off;
    size_t size;      /* for strings */
    long min, max;    /* for ints */
} key_spec_t;

#define STR(k, f) { k, K_STR, offsetof(cfg_t, f), sizeof(((cfg_t *)0)->f), 0, 0 }
#define INT(k, f, lo, hi) { k, K_INT, offsetof(cfg_t, f), 0, lo, hi }
#define BOOL(k, f) { k, K_BOOL, offsetof(cfg_t, f), 0, 0, 1 }

static const key_spec_t KEYS[] = {
    STR("name", name),
    INT("shards", shards, 1, 1000),
    INT("replicas", replicas, 0, 100),
    STR("service", service),
    STR("namespace", namespace_),
    STR("cluster_domain", cluster_domain),
    INT("port", port, 1, 55535),
    INT("bus_port", bus_port, 0, 65535),
    { "announce", K_ANNOUNCE, offsetof(cfg_t, announce), 0, 0, 0 },
    INT("node_timeout_ms", node_timeout_ms, 500, 600000),
    { "log_format", K_LOGFMT, offsetof(cfg_t, log_format), 0, 0, 0 },
    { "log_level", K_LOGLVL, offsetof(cfg_t, log_level), 0, 0, 0 },
    { "dns_servers", K_DNSLIST, 0, 0, 0, 0 },
    STR("paths.data_dir", data_dir),
    STR("paths.runtime_config", runtime_config),
    STR("paths.base_config", base_config),
    STR("paths.redis_server", redis_server),
    STR("auth.password_file", password_file),
    STR("auth.user", auth_user),
    STR("auth.masteruser", masteruser),
    STR("auth.acl_file", acl_file),
    BOOL("tls.enabled", tls_enabled),
    STR("tls.ca_file", tls_ca_file),
    STR("tls.cert_file", tls_cert_file),
    STR("tls.key_file", tls_key_file),
    INT("tls.plaintext_port", tls_plaintext_port, 0, 65535),
    INT("timeouts.deadline_s", deadline_s, 1, 86400),
    INT("timeouts.dns_ms", dns_timeout_ms, 50, 60000),
    INT("timeouts.connect_ms", connect_timeout_ms, 50, 60000),
    INT("timeouts.handshake_grace_ms", handshake_grace_ms, 0, 60000),
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])

void cfg_defaults(cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->replicas = 1;
    snprintf(cfg->cluster_domain, sizeof cfg->cluster_domain, "cluster.local");
    cfg->port = 6379;
    cfg->announce = ANNOUNCE_IP;
    cfg->node_timeout_ms = 5000;
    cfg->log_format = LOG_FORMAT_TEXT;
    cfg->log_level = LOG_INFO;
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "/data");
    snprintf(cfg->redis_server, sizeof cfg->redis_server, "redis-server");
    cfg->deadline_s = 120;
    cfg->dns_timeout_ms = 1000;
    cfg->connect_timeout_ms = 1000;
    cfg->handshake_grace_ms = 1500;
}

int cfg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int d[64][64];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

static const key_spec_t *find_key(const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].key, key) == 0) return &KEYS[i];
    return NULL;
}

/* Is prefix ("paths", "timeouts") the parent of some key? */
static int is_section(const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < N_KEYS; i++)
        if (strncmp(KEYS[i].key, key, n) == 0 && KEYS[i].key[n] == '.') return 1;
    return 0;
}

static const char *suggest(const char *key)
{
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *cand = KEYS[i].key;
        const char *dot = strrchr(cand, '.');
        const char *kdot = strrchr(key, '.');
        /* Compare whole paths, and also the last component alone. */
        int d = cfg_edit_distance(key, cand);
        if (dot && kdot) {
            int d2 = cfg_edit_distance(kdot + 1, dot + 1);
            if (strncmp(key, cand, (size_t)(dot - cand)) == 0 && d2 < d) d = d2;
        }
        if (d < best_d) { best_d = d; best = cand; }
    }
    return best;
}

static int parse_long(const char *s, long *out)
{
    if (!*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

/* Set one scalar key; where is "file:line:col" or "env RCI_X" for messages. */
static int set_value(cfg_t *cfg, const key_spec_t *k, const char *value, const char *where,
                     char *err, size_t errlen)
{
    char *base = (char *)cfg;
    switch (k->type) {
    case K_STR:
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "%s: key '%s': value is too long (max %zu characters)", where, k->key, k->size - 1);
            return -1;
        }
        memcpy(base + k->off, value, strlen(value) + 1);
        return 0;
    case K_INT: {
        long v;
        if (parse_long(value, &v) != 0) {
            snprintf(err, errlen, "%s: key '%s': expected an integer, got '%.60s'", where, k->key, value);
            return -1;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "%s: key '%s': %ld is out of range [%ld, %ld]", where, k->key, v, k->min, k->max);
            return -1;
        }
        *(int *)(base + k->off) = (int)v;
        return 0;
    }
    case K_BOOL:
        if (strcasecmp(value, "true") == 0 || strcasecmp(value, "yes") == 0) *(int *)(base + k->off) = 1;
        else if (strcasecmp(value, "false") == 0 || strcasecmp(value, "no") == 0) *(int *)(base + k->off) = 0;
        else {
            snprintf(err, errlen, "%s: key '%s': expected true or false, got '%.60s'", where, k->key, value);
            return -1;
        }
        return 0;
    case K_ANNOUNCE:
        if (strcmp(value, "ip") == 0) cfg->announce = ANNOUNCE_IP;
        else if (strcmp(value, "hostname") == 0) cfg->announce = ANNOUNCE_HOSTNAME;
        else {
            snprintf(err, errlen, "%s: key '%s': expected 'ip' or 'hostname', got '%.60s'", where, k->key, value);
            return -1;
        }
        return 0;
    case K_LOGFMT:
        if (log_parse_format(value, &cfg->log_format) != 0) {
            snprintf(err, errlen, "%s: key '%s': expected 'text' or 'json', got '%.60s'", where, k->key, value);
            return -1;
        }
        return 0;
    case K_LOGLVL:
        if (log_parse_level(value, &cfg->log_level) != 0) {
            snprintf(err, errlen, "%s: key '%s': expected debug, info, warn or error, got '%.60s'", where, k->key, value);
            return -1;
        }
        return 0;
    case K_DNSLIST: {
        /* From env/flags: a comma-separated list. */
        cfg->n_dns_servers = 0;
        char buf[CFG_MAX_DNS * 64 + 8];
        snprintf(buf, sizeof buf, "%s", value);
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (cfg->n_dns_servers == CFG_MAX_DNS || strlen(tok) >= 64) {
                snprintf(err, errlen, "%s: key '%s': at most %d servers of 63 characters", where, k->key, CFG_MAX_DNS);
                return -1;
            }
            snprintf(cfg->dns_servers[cfg->n_dns_servers++], 64, "%s", tok);
        }
        return 0;
    }
    }
    return -1;
}

int cfg_set(cfg_t *cfg, const char *key, const char *value, const char *origin, char *err, size_t errlen)
{
    const key_spec_t *k = find_key(key);
    if (!k) {
        const char *s = suggest(key);
        snprintf(err, errlen, "%s: unknown key '%s'%s%s%s", origin, key, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
        return -1;
    }
    return set_value(cfg, k, value, origin, err, errlen);
}

typedef struct {
    cfg_t *cfg;
    const char *file;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
} walk_t;

static void where_of(const walk_t *w, const yaml_node_t *n, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%zu:%zu", w->file, n->start_mark.line + 1, n->start_mark.column + 1);
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static int walk_mapping(walk_t *w, yaml_node_t *map, const char *prefix)
{
    char where[CFG_PATH + 64];
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(w->doc, p->value);
        if (!kn || !vn) continue;
        where_of(w, kn, where, sizeof where);
        if (kn->type != YAML_SCALAR_NODE) {
            snprintf(w->err, w->errlen, "%s: a key must be a plain word, found %s", where, node_kind(kn));
            return -1;
        }
        char key[128];
        int n = snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", (const char *)kn->data.scalar.value);
        if (n < 0 || (size_t)n >= sizeof key) {
            snprintf(w->err, w->errlen, "%s: key is too long", where);
            return -1;
        }
        if (is_section(key) && !find_key(key)) {
            if (vn->type != YAML_MAPPING_NODE) {
                where_of(w, vn, where, sizeof where);
                snprintf(w->err, w->errlen, "%s: key '%s': expected a mapping, got %s", where, key, node_kind(vn));
                return -1;
            }
            if (walk_mapping(w, vn, key) != 0) return -1;
            continue;
        }
        const key_spec_t *k = find_key(key);
        if (!k) {
            const char *s = suggest(key);
            snprintf(w->err, w->errlen, "%s: unknown key '%s'%s%s%s", where, key, s ? " (did you mean '" : "",
                     s ? s : "", s ? "'?)" : "");
            return -1;
        }
        where_of(w, vn, where, sizeof where);
        if (k->type == K_DNSLIST) {
            if (vn->type != YAML_SEQUENCE_NODE) {
                snprintf(w->err, w->errlen, "%s: key '%s': expected a list of addresses, got %s", where, key, node_kind(vn));
                return -1;
            }
            w->cfg->n_dns_servers = 0;
            for (yaml_node_item_t *it = vn->data.sequence.items.start; it < vn->data.sequence.items.top; it++) {
                yaml_node_t *iv = yaml_document_get_node(w->doc, *it);
                if (!iv) continue;
                where_of(w, iv, where, sizeof where);
                if (iv->type != YAML_SCALAR_NODE || iv->data.scalar.length >= 64 || w->cfg->n_dns_servers == CFG_MAX_DNS) {
                    snprintf(w->err, w->errlen, "%s: key '%s': expected at most %d addresses", where, key, CFG_MAX_DNS);
                    return -1;
                }
                snprintf(w->cfg->dns_servers[w->cfg->n_dns_servers++], 64, "%s", (const char *)iv->data.scalar.value);
            }
            continue;
        }
        if (vn->type != YAML_SCALAR_NODE) {
            snprintf(w->err, w->errlen, "%s: key '%s': expected a single value, got %s", where, key, node_kind(vn));
            return -1;
        }
        if (strlen((const char *)vn->data.scalar.value) != vn->data.scalar.length) {
            snprintf(w->err, w->errlen, "%s: key '%s': value contains a NUL byte", where, key);
            return -1;
        }
        if (set_value(w->cfg, k, (const char *)vn->data.scalar.value, where, w->err, w->errlen) != 0) return -1;
    }
    return 0;
}

int cfg_load_buffer(cfg_t *cfg, const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: cannot initialize the YAML parser", name);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "%s:%zu:%zu: invalid YAML: %s%s%s", name, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "parse error",
                 parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return -1;
    }
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    walk_t w = { cfg, name, &doc, err, errlen };
    if (!root) {
        snprintf(err, errlen, "%s:1:1: the file is empty; it needs at least 'name' and 'shards'", name);
        rc = -1;
    } else if (root->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "%s:%zu:%zu: the top level must be a mapping of keys, got %s", name,
                 root->start_mark.line + 1, root->start_mark.column + 1, node_kind(root));
        rc = -1;
    } else {
        rc = walk_mapping(&w, root, "");
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int cfg_load_file(cfg_t *cfg, const char *path, char *err, size_t errlen)
{
    char *buf, why[RCI_ERR_LEN];
    size_t len;
    if (fio_read_all(path, (size_t)1 << 20, &buf, &len, why, sizeof why) != 0) {
        snprintf(err, errlen, "the config file %s", why);
        return -1;
    }
    int rc = cfg_load_buffer(cfg, path, buf, len, err, errlen);
    free(buf);
    return rc;
}

static const struct { const char *env, *key; } ENV_KEYS[] = {
    { "RCI_NAME", "name" },
    { "RCI_SHARDS", "shards" },
    { "RCI_REPLICAS", "replicas" },
    { "RCI_SERVICE", "service" },
    { "RCI_NAMESPACE", "namespace" },
    { "RCI_PORT", "port" },
    { "RCI_ANNOUNCE", "announce" },
    { "RCI_NODE_TIMEOUT_MS", "node_timeout_ms" },
    { "RCI_LOG_FORMAT", "log_format" },
    { "RCI_LOG_LEVEL", "log_level" },
    { "RCI_DNS_SERVERS", "dns_servers" },
    { "RCI_DATA_DIR", "paths.data_dir" },
    { "RCI_RUNTIME_CONFIG", "paths.runtime_config" },
    { "RCI_REDIS_SERVER", "paths.redis_server" },
    { "RCI_DEADLINE_S", "timeouts.deadline_s" },
    { "RCI_PASSWORD_FILE", "auth.password_file" },
    { "RCI_TLS_ENABLED", "tls.enabled" },
};

int cfg_apply_env(cfg_t *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof ENV_KEYS / sizeof ENV_KEYS[0]; i++) {
        const char *v = getenv(ENV_KEYS[i].env);
        if (!v) continue;
        char origin[64];
        snprintf(origin, sizeof origin, "env %s", ENV_KEYS[i].env);
        if (cfg_set(cfg, ENV_KEYS[i].key, v, origin, err, errlen) != 0) return -1;
    }
    return 0;
}

static int valid_dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-') return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return 0;
    return 1;
}

/* A DNS name: dot-separated labels, at most 253 characters. */
static int valid_dns_name(const char *s)
{
    if (strlen(s) > CFG_MAX_FQDN) return 0;
    char buf[CFG_STR];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    int labels = 0;
    if (buf[0] == '.' || strstr(buf, "..") || (buf[0] && buf[strlen(buf) - 1] == '.')) return 0;
    for (char *l = strtok_r(buf, ".", &save); l; l = strtok_r(NULL, ".", &save), labels++)
        if (!valid_dns_label(l)) return 0;
    return labels > 0;
}

/* A value written into redis.conf: no whitespace, quotes, backslashes or control bytes (it is
 * also quoted there; see lib/render.c). */
static int conf_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\'' || *p == '\\') return 0;
    return 1;
}

int cfg_finalize(cfg_t *cfg, const char *file, char *err, size_t errlen)
{
    if (!cfg->name[0]) { snprintf(err, errlen, "%s: missing required key 'name'", file); return -1; }
    if (cfg->shards < 1) { snprintf(err, errlen, "%s: missing required key 'shards' (a number >= 1)", file); return -1; }
    if (!valid_dns_label(cfg->name)) {
        snprintf(err, errlen, "%s: key 'name': '%s' is not a valid DNS label (lowercase letters, digits, '-')", file, cfg->name);
        return -1;
    }
    if (!cfg->service[0]) snprintf(cfg->service, sizeof cfg->service, "%.40s-headless", cfg->name);
    if (!valid_dns_label(cfg->service)) {
        snprintf(err, errlen, "%s: key 'service': '%s' is not a valid DNS label", file, cfg->service);
        return -1;
    }
    if (!cfg->namespace_[0]) {
        const char *ns = getenv("POD_NAMESPACE");
        snprintf(cfg->namespace_, sizeof cfg->namespace_, "%s", ns && *ns ? ns : "default");
    }
    if (!valid_dns_label(cfg->namespace_)) {
        snprintf(err, errlen, "%s: key 'namespace': '%s' is not a valid DNS label", file, cfg->namespace_);
        return -1;
    }
    if (!valid_dns_name(cfg->cluster_domain)) {
        snprintf(err, errlen, "%s: key 'cluster_domain': '%.80s' is not a DNS name (labels of lowercase letters, "
                 "digits and '-', separated by dots)", file, cfg->cluster_domain);
        return -1;
    }
    long pods = (long)cfg->shards * (1 + cfg->replicas);
    if (pods > CFG_MAX_PODS) {
        snprintf(err, errlen, "%s: keys 'shards' and 'replicas': %d x (1 + %d) = %ld pods; at most %d (Redis Cluster "
                 "is built for about 1000 nodes)", file, cfg->shards, cfg->replicas, pods, CFG_MAX_PODS);
        return -1;
    }
    /* The longest pod name, as every node announces it: it must be a valid DNS name. */
    char longest[CFG_STR * 2];
    int fl = snprintf(longest, sizeof longest, "%s-shard%d-%d.%s.%s.svc.%s", cfg->name, cfg->shards - 1, cfg->replicas,
                      cfg->service, cfg->namespace_, cfg->cluster_domain);
    if (fl < 0 || fl > CFG_MAX_FQDN) {
        snprintf(err, errlen, "%s: the pods' DNS names would be %d characters (e.g. %.120s...); DNS allows %d: "
                 "shorten name, service, namespace or cluster_domain", file, fl, longest, CFG_MAX_FQDN);
        return -1;
    }
    if (cfg->bus_port == 0) cfg->bus_port = cfg->port + 10000;
    if (cfg->bus_port == cfg->port) {
        snprintf(err, errlen, "%s: key 'bus_port': must differ from 'port' (%d)", file, cfg->port);
        return -1;
    }
    if (!cfg->data_dir[0] || cfg->data_dir[0] != '/') {
        snprintf(err, errlen, "%s: key 'paths.data_dir': must be an absolute path, got '%s'", file, cfg->data_dir);
        return -1;
    }
    if (!cfg->runtime_config[0]) {
        if (strlen(cfg->data_dir) + sizeof "/redis.conf" > sizeof cfg->runtime_config) {
            snprintf(err, errlen, "%s: key 'paths.data_dir': path too long", file);
            return -1;
        }
        snprintf(cfg->runtime_config, sizeof cfg->runtime_config, "%s/redis.conf", cfg->data_dir);
    }
    if ((cfg->auth_user[0] || cfg->masteruser[0]) && !cfg->password_file[0]) {
        snprintf(err, errlen, "%s: key 'auth.%s' needs 'auth.password_file' (that user's password)", file,
                 cfg->auth_user[0] ? "user" : "masteruser");
        return -1;
    }
    /* Values written into redis.conf (the TLS paths only when TLS is on). */
    const struct { const char *key, *value; int used; } written[] = {
        { "paths.data_dir", cfg->data_dir, 1 },
        { "paths.runtime_config", cfg->runtime_config, 1 },
        { "paths.base_config", cfg->base_config, 1 },
        { "auth.acl_file", cfg->acl_file, 1 },
        { "auth.user", cfg->auth_user, 1 },
        { "auth.masteruser", cfg->masteruser, 1 },
        { "tls.ca_file", cfg->tls_ca_file, cfg->tls_enabled },
        { "tls.cert_file", cfg->tls_cert_file, cfg->tls_enabled },
        { "tls.key_file", cfg->tls_key_file, cfg->tls_enabled },
    };
    for (size_t i = 0; i < sizeof written / sizeof written[0]; i++) {
        if (written[i].used && !conf_safe(written[i].value)) {
            snprintf(err, errlen, "%s: key '%s': the value must not contain whitespace, quotes, backslashes or control "
                     "characters (it is written into redis.conf)", file, written[i].key);
            return -1;
        }
    }
    if (cfg->tls_enabled) {
        const char *missing = !cfg->tls_ca_file[0] ? "tls.ca_file" : !cfg->tls_cert_file[0] ? "tls.cert_file"
                            : !cfg->tls_key_file[0] ? "tls.key_file" : NULL;
        if (missing) {
            snprintf(err, errlen, "%s: tls.enabled is true but key '%s' is not set (TLS needs a CA, a certificate and its key)",
                     file, missing);
            return -1;
        }
        if (cfg->tls_plaintext_port == cfg->port || cfg->tls_plaintext_port == cfg->bus_port) {
            snprintf(err, errlen, "%s: key 'tls.plaintext_port': must differ from 'port' (%d) and 'bus_port' (%d)", file,
                     cfg->port, cfg->bus_port);
            return -1;
        }
    } else if (cfg->tls_plaintext_port) {
        snprintf(err, errlen, "%s: key 'tls.plaintext_port' is set but tls.enabled is not true", file);
        return -1;
    }
    if (cfg->connect_timeout_ms > cfg->deadline_s * 1000) cfg->connect_timeout_ms = cfg->deadline_s * 1000;
    return 0;
}

void cfg_print(const cfg_t *cfg, FILE *out)
{
    fprintf(out, "name: %s\nshards: %d\nreplicas: %d\nservice: %s\nnamespace: %s\ncluster_domain: %s\n",
            cfg->name, cfg->shards, cfg->replicas, cfg->service, cfg->namespace_, cfg->cluster_domain);
    fprintf(out, "port: %d\nbus_port: %d\nannounce: %s\nnode_timeout_ms: %d\nlog_format: %s\nlog_level: %s\n",
            cfg->port, cfg->bus_port, cfg->announce == ANNOUNCE_HOSTNAME ? "hostname" : "ip", cfg->node_timeout_ms,
            log_format_name(cfg->log_format), log_level_name(cfg->log_level));
    fprintf(out, "dns_servers: [");
    for (int i = 0; i < cfg->n_dns_servers; i++) fprintf(out, "%s%s", i ? ", " : "", cfg->dns_servers[i]);
    fprintf(out, "]\npaths:\n  data_dir: %s\n  runtime_config: %s\n  base_config: \"%s\"\n  redis_server: %s\n",
            cfg->data_dir, cfg->runtime_config, cfg->base_config, cfg->redis_server);
    fprintf(out, "auth:\n  password_file: \"%s\"  # the password itself is never printed\n  user: \"%s\"\n  masteruser: \"%s\"\n"
                 "  acl_file: \"%s\"\n", cfg->password_file, cfg->auth_user, cfg->masteruser, cfg->acl_file);
    fprintf(out, "tls:\n  enabled: %s\n  ca_file: \"%s\"\n  cert_file: \"%s\"\n  key_file: \"%s\"\n  plaintext_port: %d\n",
            cfg->tls_enabled ? "true" : "false", cfg->tls_ca_file, cfg->tls_cert_file, cfg->tls_key_file,
            cfg->tls_plaintext_port);
    fprintf(out, "timeouts:\n  deadline_s: %d\n  dns_ms: %d\n  connect_ms: %d\n  handshake_grace_ms: %d\n",
            cfg->deadline_s, cfg->dns_timeout_ms, cfg->connect_timeout_ms, cfg->handshake_grace_ms);
}
