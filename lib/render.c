#include "render.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *out;
    size_t cap, len;
    int overflow;
    char *err;
    size_t errlen;
    int bad; /* a value was refused; err says which */
} buf_t;

static void put(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf_t *b, const char *fmt, ...)
{
    if (b->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->out + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) { b->overflow = 1; return; }
    b->len += (size_t)n;
}

int render_value_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') return 0;
    return 1;
}

/* directive "value" (from config key `key`, for the message when the value is refused). */
static void quoted(buf_t *b, const char *directive, const char *value, const char *key)
{
    if (b->bad) return;
    if (!render_value_ok(value)) {
        snprintf(b->err, b->errlen, "key '%s': the value must not contain control characters, quotes or backslashes "
                 "(it is written into redis.conf)", key);
        b->bad = 1;
        return;
    }
    put(b, "%s \"%s\"\n", directive, value);
}

static int finish(buf_t *b)
{
    if (b->bad) return -1;
    if (b->overflow) {
        snprintf(b->err, b->errlen, "the rendered config is longer than %zu bytes", b->cap);
        return -1;
    }
    return 0;
}

int render_runtime_config(const cfg_t *cfg, const ident_t *id, const char *fqdn, const rc_auth_t *auth, char *out,
                          size_t outlen, char *err, size_t errlen)
{
    buf_t b = { out, outlen, 0, 0, err, errlen, 0 };
    out[0] = '\0';
    put(&b, "# Written by redis-cluster-init %s for pod %s, anew at every pod start.\n"
            "# Do not edit: put your settings in the base config (paths.base_config).\n"
            "# Defaults your base config may override:\n"
            "appendonly yes\n"
            "appendfsync everysec\n"
            "# Pods are reached over the pod network; protect them with a password (see docs/security.md)\n"
            "# or a NetworkPolicy. Redis's loopback-only protected mode would refuse every peer.\n"
            "protected-mode no\n",
        RCI_VERSION, id->pod);
    if (cfg->base_config[0]) quoted(&b, "include", cfg->base_config, "paths.base_config");
    put(&b, "# Cluster settings owned by redis-cluster-init (they come last, so they win):\n");
    if (cfg->tls_enabled) {
        put(&b, "# TLS (tls.*) on the client port, the cluster bus and replication.\n"
                "port %d\ntls-port %d\ntls-cluster yes\ntls-replication yes\n",
            cfg->tls_plaintext_port, cfg->port);
        quoted(&b, "tls-cert-file", cfg->tls_cert_file, "tls.cert_file");
        quoted(&b, "tls-key-file", cfg->tls_key_file, "tls.key_file");
        quoted(&b, "tls-ca-cert-file", cfg->tls_ca_file, "tls.ca_file");
    } else {
        put(&b, "port %d\n", cfg->port);
    }
    quoted(&b, "dir", cfg->data_dir, "paths.data_dir");
    put(&b, "cluster-enabled yes\n");
    char nodes[CFG_PATH + 16];
    snprintf(nodes, sizeof nodes, "%s/nodes.conf", cfg->data_dir);
    quoted(&b, "cluster-config-file", nodes, "paths.data_dir");
    put(&b, "cluster-port %d\ncluster-node-timeout %d\n", cfg->bus_port, cfg->node_timeout_ms);
    quoted(&b, "cluster-announce-hostname", fqdn, "cluster_domain");
    if (id->ip[0]) quoted(&b, "cluster-announce-ip", id->ip, "POD_IP");
    put(&b, "cluster-preferred-endpoint-type %s\n"
            "# Replicas stay in their own shard: Redis must not move them to another master.\n"
            "cluster-allow-replica-migration no\n"
            "# A fresh replica syncs at once instead of after the 5 s default delay.\n"
            "repl-diskless-sync yes\n"
            "repl-diskless-sync-delay 0\n",
        cfg->announce == ANNOUNCE_HOSTNAME ? "hostname" : "ip");
    if (auth->password[0]) {
        put(&b, "# From auth.password_file: clients and replicas authenticate.\n");
        /* With auth.user the users are the ACL file's (or the base config's) business: requirepass
         * would give the default user that user's password. */
        if (!cfg->auth_user[0]) quoted(&b, "requirepass", auth->password, "auth.password_file");
        quoted(&b, "masterauth", auth->password, "auth.password_file");
        const char *repl_user = cfg->masteruser[0] ? cfg->masteruser : cfg->auth_user;
        if (repl_user[0]) quoted(&b, "masteruser", repl_user, cfg->masteruser[0] ? "auth.masteruser" : "auth.user");
    }
    if (cfg->acl_file[0]) quoted(&b, "aclfile", cfg->acl_file, "auth.acl_file");
    return finish(&b);
}

int render_quiet_bus_port(const cfg_t *cfg)
{
    static const int step[] = { 1, 2, 3, -1, -2, -3 };
    for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
        int q = cfg->bus_port + step[i];
        if (q >= 1 && q <= 65535 && q != cfg->port && (!cfg->tls_enabled || q != cfg->tls_plaintext_port)) return q;
    }
    return cfg->bus_port; /* not reached: at most two of the six are taken */
}

int render_init_config(const cfg_t *cfg, const char *sock, int client_port, char *out, size_t outlen, char *err,
                       size_t errlen)
{
    buf_t b = { out, outlen, 0, 0, err, errlen, 0 };
    out[0] = '\0';
    if (client_port)
        put(&b, "# The init container's temporary server: the runtime config (a fresh replica: its client port too).\n");
    else
        put(&b, "# The init container's temporary server: the runtime config, without a client port.\n");
    quoted(&b, "include", cfg->runtime_config, "paths.runtime_config");
    if (!client_port) put(&b, "port 0\n");
    /* A fresh replica's server listens for the bus on a port no node knows: a seeded main server
     * connecting to this pod's address before its own main server is up is refused and tries
     * again, instead of meeting this server under another id and writing this pod noaddr. */
    if (client_port) put(&b, "cluster-port %d\n", render_quiet_bus_port(cfg));
    quoted(&b, "unixsocket", sock, "paths.data_dir");
    put(&b, "unixsocketperm 700\n");
    /* Without a client port the cluster must still learn the ports the main container will listen
     * on. With tls-cluster, Redis announces the TLS port as the node's port. */
    if (cfg->tls_enabled)
        put(&b, "%scluster-announce-tls-port %d\ncluster-announce-port %d\n", client_port ? "" : "tls-port 0\n",
            cfg->port, cfg->tls_plaintext_port);
    else
        put(&b, "cluster-announce-port %d\n", cfg->port);
    put(&b, "cluster-announce-bus-port %d\n"
            "appendonly no\n"
            "save \"\"\n"
            "dbfilename .rci-init-discard.rdb\n"
            "daemonize no\n"
            "logfile \"\"\n",
        cfg->bus_port);
    /* A replica's temporary server must not sync: what it would load is thrown away, and each
     * sync costs the master a fork and its whole dataset (docs/design.md, "A temporary server
     * never syncs"). Its handshake stops at AUTH, which the master refuses: without a password,
     * AUTH <password> to a default user that has none (no ACL LOG entry); with one, as a user no
     * master has, whom the master's ACL LOG entry then names. Not without AUTH: a refused PSYNC
     * makes Redis reconnect at once, in a loop (about 1500 times a second on loopback). */
    if (cfg->password_file[0])
        put(&b, "# Replication stops at AUTH: this user does not exist (the temporary server never syncs).\n"
                "masteruser \"%s\"\nmasterauth \"-\"\n", RENDER_NO_SYNC_USER);
    else
        put(&b, "# Replication stops at AUTH: the master has no password (the temporary server never syncs).\n"
                "masterauth \"%s\"\n", RENDER_NO_SYNC_USER);
    return finish(&b);
}
