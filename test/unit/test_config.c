#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "t.h"

static int load(const char *yaml, cfg_t *cfg, char *err, size_t errlen)
{
    cfg_defaults(cfg);
    if (cfg_load_buffer(cfg, "c.yaml", yaml, strlen(yaml), err, errlen) != 0) return -1;
    return cfg_finalize(cfg, "c.yaml", err, errlen);
}

static void expect_error(const char *yaml, const char *needle)
{
    cfg_t cfg;
    char err[512] = "";
    CHECK(load(yaml, &cfg, err, sizeof err) != 0);
    CHECK_CONTAINS(err, needle);
}

static const char FULL[] =
    "name: cache\n"
    "shards: 12\n"
    "replicas: 2\n"
    "service: cache-nodes\n"
    "namespace: prod\n"
    "cluster_domain: k8s.example\n"
    "port: 7000\n"
    "bus_port: 17000\n"
    "announce: hostname\n"
    "node_timeout_ms: 8000\n"
    "log_format: json\n"
    "log_level: debug\n"
    "dns_servers: [10.0.0.10, 10.0.0.11]\n"
    "paths:\n"
    "  data_dir: /var/lib/redis\n"
    "  runtime_config: /etc/redis-run/redis.conf\n"
    "  base_config: /etc/redis/base.conf\n"
    "  redis_server: /usr/local/bin/redis-server\n"
    "auth:\n"
    "  password_file: /etc/redis-auth/password\n"
    "  user: operator\n"
    "  masteruser: replicator\n"
    "  acl_file: /etc/redis-auth/users.acl\n"
    "tls:\n"
    "  enabled: true\n"
    "  ca_file: /etc/redis-tls/ca.crt\n"
    "  cert_file: /etc/redis-tls/tls.crt\n"
    "  key_file: /etc/redis-tls/tls.key\n"
    "  plaintext_port: 7001\n"
    "timeouts:\n"
    "  deadline_s: 300\n"
    "  dns_ms: 500\n"
    "  connect_ms: 700\n"
    "  handshake_grace_ms: 2000\n";

static void test_valid(void)
{
    cfg_t c;
    char err[512] = "";
    CHECK(load("name: redis\nshards: 3\n", &c, err, sizeof err) == 0);
    CHECK_STR(c.name, "redis");
    CHECK(c.shards == 3 && c.replicas == 1 && c.port == 6379 && c.bus_port == 16379);
    CHECK_STR(c.service, "redis-headless");
    CHECK_STR(c.runtime_config, "/data/redis.conf");
    CHECK(load(FULL, &c, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK(c.shards == 12 && c.replicas == 2 && c.port == 7000 && c.bus_port == 17000);
    CHECK(c.announce == ANNOUNCE_HOSTNAME && c.log_format == LOG_FORMAT_JSON && c.log_level == LOG_DEBUG);
    CHECK(c.n_dns_servers == 2);
    CHECK_STR(c.dns_servers[1], "10.0.0.11");
    CHECK_STR(c.namespace_, "prod");
    CHECK_STR(c.data_dir, "/var/lib/redis");
    CHECK_STR(c.runtime_config, "/etc/redis-run/redis.conf");
    CHECK(c.deadline_s == 300 && c.dns_timeout_ms == 500 && c.connect_timeout_ms == 700 && c.handshake_grace_ms == 2000);
    CHECK_STR(c.auth_user, "operator");
    CHECK_STR(c.masteruser, "replicator");
    CHECK_STR(c.acl_file, "/etc/redis-auth/users.acl");
    CHECK(c.tls_enabled == 1 && c.tls_plaintext_port == 7001);
    CHECK_STR(c.tls_key_file, "/etc/redis-tls/tls.key");
    CHECK(load("name: r\nshards: 1\ntls:\n  enabled: False\n", &c, err, sizeof err) == 0 && c.tls_enabled == 0);
    CHECK(load("name: r\nshards: 1\ntls:\n  enabled: yes\n  ca_file: /a\n  cert_file: /b\n  key_file: /c\n", &c, err,
               sizeof err) == 0 && c.tls_enabled == 1 && c.tls_plaintext_port == 0);
    CHECK(load("name: r\nshards: 1\nreplicas: 0\n", &c, err, sizeof err) == 0);
    CHECK(c.replicas == 0);
}

static void test_errors(void)
{
    expect_error("name: redis\nshards: 3\nreplicass: 1\n", "c.yaml:3:1: unknown key 'replicass' (did you mean 'replicas'?)");
    expect_error("name: redis\nshards: 3\npaths:\n  data_dri: /x\n", "c.yaml:4:3: unknown key 'paths.data_dri' (did you mean 'paths.data_dir'?)");
    expect_error("name: redis\nshards: 3\nzzzzzzzz: 1\n", "unknown key 'zzzzzzzz'");
    expect_error("name: redis\nshards: three\n", "c.yaml:2:9: key 'shards': expected an integer, got 'three'");
    expect_error("name: redis\nshards: 0\n", "c.yaml:2:9: key 'shards': 0 is out of range [1, 1000]");
    expect_error("name: redis\nshards: 3\nreplicas: -1\n", "key 'replicas': -1 is out of range");
    expect_error("name: redis\nshards: 3\nport: 70000\n", "key 'port': 70000 is out of range");
    expect_error("name: redis\nshards: 3\nport: 6379\nbus_port: 6379\n", "must differ");
    expect_error("name: redis\nshards: 3\nannounce: dns\n", "c.yaml:3:11: key 'announce': expected 'ip' or 'hostname'");
    expect_error("name: redis\nshards: 3\nlog_format: xml\n", "key 'log_format'");
    expect_error("name: redis\nshards: [1\n", "c.yaml:3:1: invalid YAML");
    expect_error("name: redis\n  shards: 3\n", "invalid YAML");
    expect_error("shards: 3\n", "c.yaml: missing required key 'name'");
    expect_error("name: redis\n", "missing required key 'shards'");
    expect_error("", "empty");
    expect_error("- a\n- b\n", "top level must be a mapping");
    expect_error("name: redis\nshards: 3\npaths: /data\n", "key 'paths': expected a mapping");
    expect_error("name: redis\nshards: {a: 1}\n", "key 'shards': expected a single value, got a mapping");
    expect_error("name: Redis_X\nshards: 3\n", "not a valid DNS label");
    expect_error("name: redis\nshards: 3\npaths:\n  data_dir: relative\n", "absolute path");
    expect_error("name: redis\nshards: 3\ndns_servers: 1.2.3.4\n", "expected a list");
    expect_error("name: redis\nshards: 99999999999999999999\n", "expected an integer");
    expect_error("name: redis\nshards: 3\ntls:\n  enabled: maybe\n", "c.yaml:4:12: key 'tls.enabled': expected true or false, got 'maybe'");
    expect_error("name: redis\nshards: 3\ntls:\n  enabled: true\n", "tls.enabled is true but key 'tls.ca_file' is not set");
    expect_error("name: redis\nshards: 3\ntls:\n  enabled: true\n  ca_file: /a\n  cert_file: /b\n",
                 "key 'tls.key_file' is not set");
    expect_error("name: redis\nshards: 3\ntls:\n  enabled: true\n  ca_file: /a b\n  cert_file: /b\n  key_file: /c\n",
                 "key 'tls.ca_file': the value must not contain whitespace");
    /* Every value that reaches redis.conf is checked: a newline would inject a directive. */
    expect_error("name: redis\nshards: 3\ncluster_domain: \"cluster.local\\nrequirepass x\"\n",
                 "key 'cluster_domain': 'cluster.local");
    expect_error("name: redis\nshards: 3\ncluster_domain: Cluster.Local\n", "is not a DNS name");
    expect_error("name: redis\nshards: 3\ncluster_domain: a..b\n", "is not a DNS name");
    expect_error("name: redis\nshards: 3\npaths:\n  data_dir: \"/data\\ninclude /etc/x\"\n",
                 "key 'paths.data_dir': the value must not contain");
    expect_error("name: redis\nshards: 3\npaths:\n  base_config: \"/a\\\"b\"\n", "key 'paths.base_config'");
    expect_error("name: redis\nshards: 3\nauth:\n  password_file: /p\n  user: \"op erator\"\n", "key 'auth.user'");
    /* The limits agree: at most 1000 pods; a pod's DNS name may not pass 253 characters (never cut). */
    expect_error("name: redis\nshards: 501\nreplicas: 1\n", "501 x (1 + 1) = 1002 pods; at most 1000");
    {
        cfg_t cfg;
        char err[512];
        CHECK(load("name: redis\nshards: 500\nreplicas: 1\n", &cfg, err, sizeof err) == 0);
    }
    char longdom[400] = "name: redis\nshards: 3\nnamespace: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
                        "cluster_domain: ";
    for (int i = 0; i < 3; i++) strcat(longdom, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.");
    strcat(longdom, "local\n");
    expect_error(longdom, "DNS allows 253");
    expect_error("name: redis\nshards: 3\ntls:\n  enabled: true\n  ca_file: /a\n  cert_file: /b\n  key_file: /c\n"
                 "  plaintext_port: 6379\n", "key 'tls.plaintext_port': must differ");
    expect_error("name: redis\nshards: 3\ntls:\n  plaintext_port: 6380\n", "tls.enabled is not true");
    expect_error("name: redis\nshards: 3\ntls:\n  ca_fle: /a\n", "did you mean 'tls.ca_file'");
    expect_error("name: redis\nshards: 3\nauth:\n  user: operator\n", "key 'auth.user' needs 'auth.password_file'");
}

static void test_env_and_set(void)
{
    cfg_t c;
    char err[512] = "";
    cfg_defaults(&c);
    CHECK(cfg_load_buffer(&c, "c.yaml", "name: redis\nshards: 3\n", 22, err, sizeof err) == 0);
    setenv("RCI_SHARDS", "5", 1);
    setenv("RCI_DATA_DIR", "/pvc", 1);
    CHECK(cfg_apply_env(&c, err, sizeof err) == 0);
    CHECK(c.shards == 5);
    CHECK_STR(c.data_dir, "/pvc");
    setenv("RCI_SHARDS", "x", 1);
    CHECK(cfg_apply_env(&c, err, sizeof err) != 0);
    CHECK_CONTAINS(err, "env RCI_SHARDS: key 'shards': expected an integer");
    unsetenv("RCI_SHARDS");
    unsetenv("RCI_DATA_DIR");
    CHECK(cfg_set(&c, "timeouts.deadline_s", "9", "flag", err, sizeof err) == 0 && c.deadline_s == 9);
    CHECK(cfg_set(&c, "timeout.deadline_s", "9", "flag --set", err, sizeof err) != 0);
    CHECK_CONTAINS(err, "did you mean 'timeouts.deadline_s'");
    CHECK(cfg_edit_distance("kitten", "sitting") == 3);
}

/* Every truncation and many byte mutations of a full file: errors are fine, crashes are not. */
static void test_fuzz(void)
{
    size_t len = sizeof FULL - 1;
    char buf[sizeof FULL];
    char err[512];
    cfg_t c;
    for (size_t cut = 0; cut <= len; cut++) {
        cfg_defaults(&c);
        memcpy(buf, FULL, cut);
        if (cfg_load_buffer(&c, "t.yaml", buf, cut, err, sizeof err) == 0) cfg_finalize(&c, "t.yaml", err, sizeof err);
    }
    static const char alphabet[] = ":-[]{}#&*!|>'\"%@` \n\t\0a1\xff";
    uint32_t seed = 12345;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, FULL, len);
        int nmut = 1 + round % 4;
        for (int m = 0; m < nmut; m++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            buf[pos] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
        }
        cfg_defaults(&c);
        if (cfg_load_buffer(&c, "m.yaml", buf, len, err, sizeof err) == 0) cfg_finalize(&c, "m.yaml", err, sizeof err);
    }
    CHECK(1);
}

int main(void)
{
    test_valid();
    test_errors();
    test_env_and_set();
    test_fuzz();
    return T_DONE();
}
