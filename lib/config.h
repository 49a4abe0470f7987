/* config: the cluster description from YAML (libyaml document API), defaults, env overrides.
 * cfg_t holds only fixed-size fields: nothing to free. */
#ifndef RCI_CONFIG_H
#define RCI_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include "log.h"

#define CFG_STR 256
#define CFG_PATH 1024
#define CFG_MAX_DNS 4
/* Most pods (shards x (1 + replicas)) a config may describe: Redis Cluster's ~1000-node design. */
#define CFG_MAX_PODS 1000
/* Longest DNS name (RFC 1035, without the final dot). */
#define CFG_MAX_FQDN 253

typedef enum { ANNOUNCE_IP = 0, ANNOUNCE_HOSTNAME } cfg_announce_t;

typedef struct {
    char name[64];            /* base name: StatefulSets are <name>-shard<i> */
    int shards;               /* >= 1 */
    int replicas;             /* replicas per shard, >= 0 */
    char service[64];         /* governing headless service */
    char namespace_[64];      /* pod namespace */
    char cluster_domain[CFG_STR];
    int port;
    int bus_port;             /* 0 in the file means port + 10000 */
    cfg_announce_t announce;  /* preferred endpoint type given to clients */
    int node_timeout_ms;
    log_format_t log_format;
    log_level_t log_level;
    char dns_servers[CFG_MAX_DNS][64]; /* empty: use the pod's resolv.conf */
    int n_dns_servers;
    /* paths */
    char data_dir[CFG_PATH];
    char runtime_config[CFG_PATH]; /* empty: <data_dir>/redis.conf */
    char base_config[CFG_PATH];    /* optional include */
    char redis_server[CFG_PATH];
    /* auth */
    char password_file[CFG_PATH]; /* a mounted Secret holding the password; empty: no password */
    char auth_user[64];           /* ACL user whose password is in password_file; empty: default user */
    char masteruser[64];          /* ACL user replicas sync as (masteruser); empty: auth_user */
    char acl_file[CFG_PATH];      /* Redis's aclfile (the users); empty: none */
    /* tls */
    int tls_enabled;              /* TLS on the client port, the cluster bus and replication */
    char tls_ca_file[CFG_PATH];   /* CA that signs every node's certificate */
    char tls_cert_file[CFG_PATH]; /* this node's certificate (server and client) */
    char tls_key_file[CFG_PATH];  /* its private key */
    int tls_plaintext_port;       /* a plaintext client port beside the TLS one; 0: TLS only */
    /* timeouts */
    int deadline_s;
    int dns_timeout_ms;
    int connect_timeout_ms;
    int handshake_grace_ms;
} cfg_t;

void cfg_defaults(cfg_t *cfg);

/* Parse the YAML file at path into cfg (on top of what cfg holds). On error returns -1 and
 * writes "file:line:col: key 'k': reason" into err. */
int cfg_load_file(cfg_t *cfg, const char *path, char *err, size_t errlen);
/* Same, from a buffer; name is used in messages. */
int cfg_load_buffer(cfg_t *cfg, const char *name, const char *buf, size_t len, char *err, size_t errlen);

/* Apply the documented RCI_* environment overrides (see docs/configuration.md). */
int cfg_apply_env(cfg_t *cfg, char *err, size_t errlen);
/* Set one key from a string ("shards", "paths.data_dir", ...), as env and flags do. */
int cfg_set(cfg_t *cfg, const char *key, const char *value, const char *origin, char *err, size_t errlen);

/* Fill derived values and check cross-field rules and required values. */
int cfg_finalize(cfg_t *cfg, const char *file, char *err, size_t errlen);

/* Print the effective configuration as YAML. */
void cfg_print(const cfg_t *cfg, FILE *out);

/* Levenshtein distance, for "did you mean". */
int cfg_edit_distance(const char *a, const char *b);

#endif
