#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "rclient.h"

void srv_nodes_conf_path(const cfg_t *cfg, char *buf, size_t len)
{
    snprintf(buf, len, "%s/nodes.conf", cfg->data_dir);
}

void srv_paths(const cfg_t *cfg, srv_t *srv)
{
    snprintf(srv->conf, sizeof srv->conf, "%s/.rci-init.conf", cfg->data_dir);
    snprintf(srv->sock, sizeof srv->sock, "%s/.rci-init.sock", cfg->data_dir);
    snprintf(srv->log, sizeof srv->log, "%s/.rci-init-redis.log", cfg->data_dir);
    snprintf(srv->discard, sizeof srv->discard, "%s/.rci-init-discard.rdb", cfg->data_dir);
}

/* Write text to path atomically with mode 0600. */
static int write_file_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "%s: write: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        snprintf(err, errlen, "%s: fsync/close: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "rename %s -> %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int srv_write_runtime_config(const cfg_t *cfg, const ident_t *id, const char *fqdn, const rc_auth_t *auth, char *err,
                             size_t errlen)
{
    char secret[700 + CFG_PATH] = "";
    if (auth->password[0]) {
        /* With auth.user the users are the ACL file's (or the base config's) business: requirepass
         * would give the default user that user's password. */
        const char *repl_user = cfg->masteruser[0] ? cfg->masteruser : cfg->auth_user;
        snprintf(secret, sizeof secret, "# From auth.password_file: clients and replicas authenticate.\n"
                 "%s%s%smasterauth \"%s\"\n%s%s%s%s%s%s",
                 cfg->auth_user[0] ? "" : "requirepass \"", cfg->auth_user[0] ? "" : auth->password,
                 cfg->auth_user[0] ? "" : "\"\n", auth->password,
                 repl_user[0] ? "masteruser " : "", repl_user, repl_user[0] ? "\n" : "",
                 cfg->acl_file[0] ? "aclfile " : "", cfg->acl_file, cfg->acl_file[0] ? "\n" : "");
    } else if (cfg->acl_file[0]) {
        snprintf(secret, sizeof secret, "aclfile %s\n", cfg->acl_file);
    }
    char nodes[1100];
    srv_nodes_conf_path(cfg, nodes, sizeof nodes);
    char ports[4 * CFG_PATH + 400];
    if (cfg->tls_enabled)
        snprintf(ports, sizeof ports,
                 "# TLS (tls.*) on the client port, the cluster bus and replication.\n"
                 "port %d\ntls-port %d\ntls-cluster yes\ntls-replication yes\n"
                 "tls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\n",
                 cfg->tls_plaintext_port, cfg->port, cfg->tls_cert_file, cfg->tls_key_file, cfg->tls_ca_file);
    else
        snprintf(ports, sizeof ports, "port %d\n", cfg->port);
    char text[16384];
    int n = snprintf(text, sizeof text,
        "# Written by redis-cluster-init %s for pod %s, anew at every pod start.\n"
        "# Do not edit: put your settings in the base config (paths.base_config).\n"
        "# Defaults your base config may override:\n"
        "appendonly yes\n"
        "appendfsync everysec\n"
        "# Pods are reached over the pod network; protect them with a password (see docs/security.md)\n"
        "# or a NetworkPolicy. Redis's loopback-only protected mode would refuse every peer.\n"
        "protected-mode no\n"
        "%s%s%s"
        "# Cluster settings owned by redis-cluster-init (they come last, so they win):\n"
        "%s"
        "dir %s\n"
        "cluster-enabled yes\n"
        "cluster-config-file %s\n"
        "cluster-port %d\n"
        "cluster-node-timeout %d\n"
        "cluster-announce-hostname %s\n"
        "%s%s%s"
        "cluster-preferred-endpoint-type %s\n"
        "# Replicas stay in their own shard: Redis must not move them to another master.\n"
        "cluster-allow-replica-migration no\n"
        "# A fresh replica syncs at once instead of after the 5 s default delay.\n"
        "repl-diskless-sync yes\n"
        "repl-diskless-sync-delay 0\n"
        "%s",
        RCI_VERSION, id->pod,
        cfg->base_config[0] ? "include " : "", cfg->base_config, cfg->base_config[0] ? "\n" : "",
        ports, cfg->data_dir, nodes, cfg->bus_port, cfg->node_timeout_ms, fqdn,
        id->ip[0] ? "cluster-announce-ip " : "", id->ip, id->ip[0] ? "\n" : "",
        cfg->announce == ANNOUNCE_HOSTNAME ? "hostname" : "ip", secret);
    memset(secret, 0, sizeof secret);
    if (n < 0 || (size_t)n >= sizeof text) {
        snprintf(err, errlen, "%s: the runtime config is too long", cfg->runtime_config);
        return -1;
    }
    int rc = write_file_atomic(cfg->runtime_config, text, err, errlen);
    memset(text, 0, sizeof text);
    return rc;
}

static int write_init_config(const cfg_t *cfg, const srv_t *srv, char *err, size_t errlen)
{
    char ports[200];
    /* No client port, but the cluster must learn the ports the main container will listen on.
     * With tls-cluster, Redis announces the TLS port as the node's port. */
    if (cfg->tls_enabled)
        snprintf(ports, sizeof ports, "tls-port 0\ncluster-announce-tls-port %d\ncluster-announce-port %d\n", cfg->port,
                 cfg->tls_plaintext_port);
    else
        snprintf(ports, sizeof ports, "cluster-announce-port %d\n", cfg->port);
    char text[8192];
    snprintf(text, sizeof text,
        "# The init container's temporary server: the runtime config, without a client port.\n"
        "include %s\n"
        "port 0\n"
        "unixsocket %s\n"
        "unixsocketperm 700\n"
        "%s"
        "cluster-announce-bus-port %d\n"
        "appendonly no\n"
        "save \"\"\n"
        "dbfilename .rci-init-discard.rdb\n"
        "daemonize no\n"
        "logfile \"\"\n",
        cfg->runtime_config, srv->sock, ports, cfg->bus_port);
    return write_file_atomic(srv->conf, text, err, errlen);
}

void srv_log_tail(const srv_t *srv, int lines)
{
    FILE *f = fopen(srv->log, "r");
    if (!f) return;
    char ring[16][512];
    int n = 0;
    while (fgets(ring[n % 16], sizeof ring[0], f)) n++;
    fclose(f);
    if (lines > 16) lines = 16;
    int start = n > lines ? n - lines : 0;
    for (int i = start; i < n; i++) {
        char *l = ring[i % 16];
        l[strcspn(l, "\n")] = '\0';
        LOG_E("redis-server: %s", l);
    }
}

static int child_exited(srv_t *srv, int *status)
{
    pid_t r = waitpid(srv->pid, status, WNOHANG);
    if (r == srv->pid) { srv->pid = 0; return 1; }
    return 0;
}

int srv_start(const cfg_t *cfg, srv_t *srv, int64_t deadline, char *err, size_t errlen)
{
    srv_paths(cfg, srv);
    if (write_init_config(cfg, srv, err, errlen) != 0) return -1;
    unlink(srv->discard);
    unlink(srv->sock);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* If the init dies hard, its server must not outlive it holding the data dir. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127);
        int fd = open(srv->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execlp(cfg->redis_server, cfg->redis_server, srv->conf, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", cfg->redis_server, strerror(errno));
        _exit(127);
    }
    srv->pid = pid;
    LOG_I("started temporary redis-server (pid %d, socket %s, no client port)", (int)pid, srv->sock);
    for (int tries = 0;; tries++) {
        int status;
        if (child_exited(srv, &status)) {
            snprintf(err, errlen, "redis-server (%s) exited at start with status %d; see its log lines above",
                     cfg->redis_server, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            srv_log_tail(srv, 10);
            return -1;
        }
        rc_conn_t rc = { 0 };
        char e2[256];
        if (rc_connect_unix(&rc, srv->sock, srv->auth, 200, e2, sizeof e2) == 0) {
            const char *ping[] = { "PING" };
            int ok = rc_simple(&rc, e2, sizeof e2, 1, ping) == 0;
            rc_close(&rc);
            if (ok) return 0;
        }
        if (clock_left_ms(deadline) == 0) {
            snprintf(err, errlen, "redis-server did not answer on %s before the deadline: %s", srv->sock, e2);
            srv_log_tail(srv, 10);
            return -1;
        }
        /* Poll fast at first (a server starts in a few ms), then every 50 ms. */
        clock_sleep_ms(tries < 20 ? 5 : 50, deadline);
    }
}

int srv_stop(srv_t *srv, int64_t deadline, char *err, size_t errlen)
{
    if (srv->pid <= 0) return 0;
    rc_conn_t rc = { 0 };
    char e2[256] = "";
    int rc_ok = 0;
    if (rc_connect_unix(&rc, srv->sock, srv->auth, 1000, e2, sizeof e2) == 0) {
        const char *save[] = { "CLUSTER", "SAVECONFIG" };
        rc_ok = rc_simple(&rc, e2, sizeof e2, 2, save) == 0;
        if (!rc_ok) LOG_W("saving nodes.conf before shutdown: %s", e2);
        const char *shut[] = { "SHUTDOWN", "NOSAVE", "NOW" };
        redisReply *r = redisCommandArgv(rc.c, 3, shut, NULL); /* the server closes the link: no reply */
        if (r) freeReplyObject(r);
        rc_close(&rc);
    }
    int sent_term = 0;
    int64_t kill_at = clock_now_ms() + 3000;
    for (;;) {
        int status;
        if (child_exited(srv, &status)) break;
        int64_t now = clock_now_ms();
        if (!sent_term && (now >= kill_at - 2000 || clock_left_ms(deadline) == 0)) {
            kill(srv->pid, SIGTERM);
            sent_term = 1;
        }
        if (now >= kill_at) {
            LOG_W("redis-server pid %d did not stop; sending SIGKILL", (int)srv->pid);
            kill(srv->pid, SIGKILL);
            waitpid(srv->pid, &status, 0);
            srv->pid = 0;
            break;
        }
        clock_sleep_ms(10, kill_at);
    }
    unlink(srv->conf);
    unlink(srv->discard);
    if (!rc_ok) {
        snprintf(err, errlen, "nodes.conf may not be saved: %s", e2[0] ? e2 : "could not reach the server");
        return -1;
    }
    LOG_I("temporary redis-server stopped; nodes.conf saved");
    return 0;
}
