#include "server.h"

#include <errno.h>
#include <limits.h>
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
#include "fileio.h"
#include "log.h"
#include "rclient.h"
#include "render.h"

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

int srv_write_runtime_config(const cfg_t *cfg, const ident_t *id, const char *fqdn, const rc_auth_t *auth, char *err,
                             size_t errlen)
{
    char text[16384], why[RCI_ERR_LEN];
    int rc = render_runtime_config(cfg, id, fqdn, auth, text, sizeof text, why, sizeof why);
    if (rc != 0) snprintf(err, errlen, "%s: %s", cfg->runtime_config, why);
    else rc = fio_write_atomic(cfg->runtime_config, text, err, errlen);
    rc_wipe(text, sizeof text); /* it may hold the password */
    return rc;
}

static int write_init_config(const cfg_t *cfg, const srv_t *srv, char *err, size_t errlen)
{
    char text[8192], why[RCI_ERR_LEN];
    if (render_init_config(cfg, srv->sock, srv->client_port, text, sizeof text, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", srv->conf, why);
        return -1;
    }
    return fio_write_atomic(srv->conf, text, err, errlen);
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

int srv_alive(srv_t *srv)
{
    int status;
    return srv->pid > 0 && !child_exited(srv, &status);
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
        int fd = open(srv->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
        /* If the init dies hard, its server must not outlive it holding the data dir. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
            fprintf(stderr, "prctl(PR_SET_PDEATHSIG): %s\n", strerror(errno));
            _exit(127);
        }
        if (getppid() != parent) _exit(127);
        /* redis-server gets a clean slate, as from a container runtime: default dispositions
         * (this program ignores SIGPIPE and catches SIGTERM) and no blocked signal. */
        for (int sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) _exit(127);
        execlp(cfg->redis_server, cfg->redis_server, srv->conf, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", cfg->redis_server, strerror(errno));
        _exit(127);
    }
    srv->pid = pid;
    if (srv->client_port)
        LOG_I("started temporary redis-server (pid %d, socket %s, client port %d: a fresh replica's, for its pod 0 "
              "to see it)", (int)pid, srv->sock, cfg->port);
    else
        LOG_I("started temporary redis-server (pid %d, socket %s, no client port)", (int)pid, srv->sock);
    /* Said apart from the start: on a loaded node the server may take seconds to answer, and the
     * next line (DNS) would otherwise seem to have taken them. */
    int64_t forked = clock_now_ms();
    for (int tries = 0;; tries++) {
        int status;
        if (child_exited(srv, &status)) {
            snprintf(err, errlen, "redis-server (%s) exited at start with status %d; see its log lines above",
                     cfg->redis_server, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            srv_log_tail(srv, 10);
            return -1;
        }
        rc_conn_t rc = { 0 };
        char e2[RCI_ERR_LEN];
        if (rc_connect_unix(&rc, srv->sock, srv->auth, 200, e2, sizeof e2) == 0) {
            const char *ping[] = { "PING" };
            int ok = rc_simple(&rc, e2, sizeof e2, 1, ping) == 0;
            rc_close(&rc);
            if (ok) {
                LOG_I("temporary redis-server answers (%lld ms after its start)", (long long)(clock_now_ms() - forked));
                return 0;
            }
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

/* Wait for the server to exit after its SHUTDOWN: SIGTERM after a second (or at the deadline),
 * SIGKILL after three; then remove its config and discard file. */
static void reap(srv_t *srv, int64_t deadline)
{
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
}

/* SHUTDOWN NOSAVE NOW on the server's socket; the connection closing is the expected answer. */
static void send_shutdown(rc_conn_t *rc)
{
    const char *shut[] = { "SHUTDOWN", "NOSAVE", "NOW" };
    redisReply *r = NULL;
    char e3[RCI_ERR_LEN];
    if (rc_command_any(rc, &r, e3, sizeof e3, 3, shut) == 0) freeReplyObject(r);
}

void srv_discard(srv_t *srv, int64_t deadline)
{
    if (srv->pid <= 0) return;
    int64_t t0 = clock_now_ms();
    /* No SHUTDOWN round trip: a fresh replica's blank server holds nothing to save, and its
     * nodes.conf is replaced (atomically) once it is gone. A SHUTDOWN took 0.4 s at the median, 1.2 s
     * at worst, of a busy server's turn (100x1 on 2 cores), on the replica's way to its main server. */
    kill(srv->pid, SIGKILL);
    reap(srv, deadline);
    LOG_I("temporary redis-server stopped in %lld ms, its nodes.conf not kept", (long long)(clock_now_ms() - t0));
}

int srv_stop(srv_t *srv, int64_t deadline, char *err, size_t errlen)
{
    if (srv->pid <= 0) return 0;
    rc_conn_t rc = { 0 };
    char e2[RCI_ERR_LEN] = "";
    int rc_ok = 0;
    /* The save gets the stop's whole budget, not a fixed second: on a loaded node (100 busy pods
     * on 2 cores) the server can take seconds to answer, and failing here would throw away a run
     * that did all its work. */
    int64_t left = clock_left_ms(deadline);
    int ms = left < 1000 ? 1000 : left > INT_MAX ? INT_MAX : (int)left;
    int64_t t0 = clock_now_ms(), saved_at = t0;
    if (rc_connect_unix(&rc, srv->sock, srv->auth, ms, e2, sizeof e2) == 0) {
        const char *save[] = { "CLUSTER", "SAVECONFIG" };
        rc_ok = rc_simple(&rc, e2, sizeof e2, 2, save) == 0;
        saved_at = clock_now_ms();
        if (!rc_ok) LOG_W("saving nodes.conf before shutdown: %s", e2);
        if (rc_connected(&rc)) send_shutdown(&rc);
        rc_close(&rc);
    }
    reap(srv, deadline);
    if (!rc_ok) {
        snprintf(err, errlen, "nodes.conf may not be saved: %s", e2[0] ? e2 : "could not reach the server");
        return -1;
    }
    /* The durations tell a busy server (the save waits for its turn on a loaded node) from a slow exit. */
    LOG_I("temporary redis-server stopped in %lld ms; nodes.conf saved (%lld ms)", (long long)(clock_now_ms() - t0),
          (long long)(saved_at - t0));
    return 0;
}
