/* The redis.conf renderer: every value quoted, every refused value named by its config key, and no
 * way for a value to add a directive. */
#include <stdlib.h>

#include "config.h"
#include "identity.h"
#include "render.h"
#include "t.h"

static cfg_t base(void)
{
    cfg_t cfg;
    char err[512];
    cfg_defaults(&cfg);
    snprintf(cfg.name, sizeof cfg.name, "redis");
    cfg.shards = 3;
    CHECK(cfg_finalize(&cfg, "t", err, sizeof err) == 0);
    return cfg;
}

/* Every non-comment line starts with a known directive: nothing was injected. */
static void only_known_directives(const char *text)
{
    static const char *known[] = { "appendonly ", "appendfsync ", "protected-mode ", "include ", "port ", "tls-port ",
        "tls-cluster ", "tls-replication ", "tls-cert-file ", "tls-key-file ", "tls-ca-cert-file ", "dir ",
        "cluster-enabled ", "cluster-config-file ", "cluster-port ", "cluster-node-timeout ", "cluster-announce-hostname ",
        "cluster-announce-ip ", "cluster-preferred-endpoint-type ", "cluster-allow-replica-migration ", "repl-diskless-sync ",
        "repl-diskless-sync-delay ", "requirepass ", "masterauth ", "masteruser ", "aclfile ", "unixsocket ",
        "unixsocketperm ", "cluster-announce-tls-port ", "cluster-announce-port ", "cluster-announce-bus-port ", "save ",
        "dbfilename ", "daemonize ", "logfile " };
    const char *l = text;
    while (*l) {
        size_t n = strcspn(l, "\n");
        if (n && l[0] != '#') {
            int ok = 0;
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) ok |= strncmp(l, known[i], strlen(known[i])) == 0;
            if (!ok) fprintf(stderr, "unexpected line: %.*s\n", (int)n, l);
            CHECK(ok);
        }
        l += n + (l[n] == '\n');
    }
}

int main(void)
{
    char out[16384], err[512];
    ident_t id = { .pod = "redis-shard1-0", .ip = "198.18.0.5", .shard = 1, .ordinal = 0 };
    rc_auth_t auth = { 0 };
    const char *fqdn = "redis-shard1-0.redis-headless.default.svc.cluster.local";

    cfg_t cfg = base();
    CHECK(render_runtime_config(&cfg, &id, fqdn, &auth, out, sizeof out, err, sizeof err) == 0);
    CHECK_CONTAINS(out, "\ndir \"/data\"\n");
    CHECK_CONTAINS(out, "\ncluster-config-file \"/data/nodes.conf\"\n");
    CHECK_CONTAINS(out, "\ncluster-announce-hostname \"redis-shard1-0.redis-headless.default.svc.cluster.local\"\n");
    CHECK_CONTAINS(out, "\ncluster-announce-ip \"198.18.0.5\"\n");
    CHECK_CONTAINS(out, "\nport 6379\n");
    CHECK(!strstr(out, "requirepass") && !strstr(out, "include"));
    only_known_directives(out);

    /* Password, ACL users, TLS, base config: all quoted. */
    snprintf(auth.password, sizeof auth.password, "s3cret");
    snprintf(cfg.auth_user, sizeof cfg.auth_user, "operator");
    snprintf(cfg.masteruser, sizeof cfg.masteruser, "replicator");
    snprintf(cfg.acl_file, sizeof cfg.acl_file, "/etc/acl/users.acl");
    snprintf(cfg.base_config, sizeof cfg.base_config, "/etc/redis/base with space.conf");
    cfg.tls_enabled = 1;
    snprintf(cfg.tls_ca_file, sizeof cfg.tls_ca_file, "/tls/ca.crt");
    snprintf(cfg.tls_cert_file, sizeof cfg.tls_cert_file, "/tls/tls.crt");
    snprintf(cfg.tls_key_file, sizeof cfg.tls_key_file, "/tls/tls.key");
    CHECK(render_runtime_config(&cfg, &id, fqdn, &auth, out, sizeof out, err, sizeof err) == 0);
    CHECK_CONTAINS(out, "\ninclude \"/etc/redis/base with space.conf\"\n");
    CHECK_CONTAINS(out, "\nmasterauth \"s3cret\"\nmasteruser \"replicator\"\naclfile \"/etc/acl/users.acl\"\n");
    CHECK(!strstr(out, "requirepass")); /* with auth.user the ACL file owns the users */
    CHECK_CONTAINS(out, "\ntls-ca-cert-file \"/tls/ca.crt\"\n");
    CHECK_CONTAINS(out, "\nport 0\ntls-port 6379\n");
    only_known_directives(out);

    /* Hostile values, as if they got past the loader: refused with the key that carried them. */
    struct { const char *what; int which; const char *value; const char *key; } bad[] = {
        { "newline in data_dir", 0, "/data\nrequirepass x", "key 'paths.data_dir'" },
        { "quote in base_config", 1, "/a\" \"b", "key 'paths.base_config'" },
        { "backslash in acl_file", 2, "/a\\nb", "key 'auth.acl_file'" },
        { "CR in a TLS file", 3, "/tls/ca.crt\rdir /", "key 'tls.ca_file'" },
        { "newline in POD_IP", 4, "1.2.3.4\nport 1", "key 'POD_IP'" },
        { "newline in the FQDN", 5, "a.b\ninclude /x", "key 'cluster_domain'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg_t c = cfg;
        ident_t d = id;
        const char *f = fqdn;
        switch (bad[i].which) {
        case 0: snprintf(c.data_dir, sizeof c.data_dir, "%s", bad[i].value); break;
        case 1: snprintf(c.base_config, sizeof c.base_config, "%s", bad[i].value); break;
        case 2: snprintf(c.acl_file, sizeof c.acl_file, "%s", bad[i].value); break;
        case 3: snprintf(c.tls_ca_file, sizeof c.tls_ca_file, "%s", bad[i].value); break;
        case 4: snprintf(d.ip, sizeof d.ip, "%s", bad[i].value); break;
        default: f = bad[i].value; break;
        }
        err[0] = '\0';
        int r = render_runtime_config(&c, &d, f, &auth, out, sizeof out, err, sizeof err);
        if (r == 0) fprintf(stderr, "accepted: %s\n", bad[i].what);
        CHECK(r != 0);
        CHECK_CONTAINS(err, bad[i].key);
    }

    /* The temporary server's config includes the runtime config and has no client port. */
    cfg = base();
    CHECK(render_init_config(&cfg, "/data/.rci-init.sock", 0, out, sizeof out, err, sizeof err) == 0);
    CHECK_CONTAINS(out, "include \"/data/redis.conf\"\nport 0\nunixsocket \"/data/.rci-init.sock\"\n");
    only_known_directives(out);
    CHECK(render_init_config(&cfg, "/data/x\nport 6379", 0, out, sizeof out, err, sizeof err) != 0);
    /* A fresh replica's: the client port, and the bus on a port no node is told of. */
    CHECK(render_init_config(&cfg, "/data/.rci-init.sock", 1, out, sizeof out, err, sizeof err) == 0);
    CHECK(strstr(out, "port 0\n") == NULL);
    char want[64];
    snprintf(want, sizeof want, "cluster-port %d\n", cfg.bus_port + 1);
    CHECK_CONTAINS(out, want);
    snprintf(want, sizeof want, "cluster-announce-bus-port %d\n", cfg.bus_port);
    CHECK_CONTAINS(out, want);
    only_known_directives(out);
    /* It never syncs from a master: its AUTH is refused, after the included runtime config's
     * masterauth (the later line wins). Without a password: AUTH <password> to a default user
     * with none; with one: a user no master has. */
    CHECK_CONTAINS(out, "\nmasterauth \"" RENDER_NO_SYNC_USER "\"\n");
    CHECK(strstr(out, "masteruser") == NULL);
    CHECK(strstr(out, "masterauth") > strstr(out, "include "));
    snprintf(cfg.password_file, sizeof cfg.password_file, "/secret/password");
    CHECK(render_init_config(&cfg, "/data/.rci-init.sock", 0, out, sizeof out, err, sizeof err) == 0);
    CHECK_CONTAINS(out, "\nmasteruser \"" RENDER_NO_SYNC_USER "\"\nmasterauth \"-\"\n");
    CHECK(strstr(out, "masteruser") > strstr(out, "include "));
    only_known_directives(out);
    cfg.password_file[0] = '\0';
    /* ... never the client port, nor the plaintext one beside TLS. */
    cfg.port = cfg.bus_port + 1;
    CHECK(render_quiet_bus_port(&cfg) == cfg.bus_port + 2);
    cfg.port = 6379;

    /* Too small a buffer is an error, never a cut config. */
    CHECK(render_runtime_config(&cfg, &id, fqdn, &auth, out, 200, err, sizeof err) != 0);
    CHECK_CONTAINS(err, "longer than 200 bytes");
    return T_DONE();
}
