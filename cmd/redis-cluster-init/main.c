/* redis-cluster-init: the command line. It parses arguments, loads config and identity, and
 * hands over to the library. Exit codes: lib/status.h, docs/cli.md. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "identity.h"
#include "inspect.h"
#include "install.h"
#include "log.h"
#include "probe.h"
#include "reshard.h"
#include "runner.h"
#include "tls.h"
#include "status.h"

#define DEFAULT_CONFIG "/etc/redis-cluster-init/config.yaml"

static volatile sig_atomic_t g_interrupted = 0;

static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static const char USAGE[] =
    "usage: redis-cluster-init [--config FILE] [--log-format text|json] [--log-level LEVEL]\n"
    "                          [--timeout SECONDS] [--set KEY=VALUE]... <command> [--help]\n"
    "\n"
    "commands:\n"
    "  run        the init container's job: bring this pod into the cluster in its role, leave\n"
    "             the runtime redis.conf for the main container, exit 0\n"
    "  plan       print what run would observe and decide; changes nothing\n"
    "  status     this pod's and the cluster's state as the local node sees it (--json)\n"
    "  config     print the effective configuration (defaults, file, env, flags)\n"
    "  probe ready|alive  the main container's readiness / liveness check (exec probe)\n"
    "  rebalance  move slots (with their keys, online) so that the config's shards each hold an\n"
    "             even share; finishes moves left half-done (--dry-run: print the plan only)\n"
    "  sidecar    the native sidecar: rebalance by itself when the config's shards change, and\n"
    "             forget removed pods (--interval SECONDS, default 10)\n"
    "  install DIR  copy this binary into DIR (an emptyDir shared with another container)\n"
    "  version    print the version\n"
    "  help       this text\n"
    "\n"
    "The config file is --config, else $RCI_CONFIG, else " DEFAULT_CONFIG ".\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 config error, 4 timeout, 5 interrupted.\n";

static const struct { const char *cmd, *help; } CMD_HELP[] = {
    { "run", "usage: redis-cluster-init [global flags] run\n"
             "Run as the init container: write the runtime redis.conf, start a temporary redis-server\n"
             "(no client port), resolve the peers, create / join / replicate as this pod's ordinal\n"
             "requires, wait until the cluster's view confirms it, stop the server, exit 0.\n"
             "Needs POD_NAME (or the hostname) and POD_IP from the downward API.\n" },
    { "plan", "usage: redis-cluster-init [global flags] plan [--json]\n"
              "Print what run would observe (DNS, the local node's view, each peer's own view) and\n"
              "what it would do. Read-only: safe in a live pod.\n" },
    { "status", "usage: redis-cluster-init [global flags] status [--json]\n"
                "Print this node's role and the cluster as the local redis sees it.\n" },
    { "config", "usage: redis-cluster-init [global flags] config\n"
                "Print the effective configuration after defaults, the file, RCI_* env and --set.\n" },
    { "probe", "usage: redis-cluster-init [global flags] probe ready|alive\n"
               "The main container's exec probes. alive: the local redis-server answers PING (busy\n"
               "loading counts as alive). ready: it answers and cluster_state is ok. Connects to\n"
               "127.0.0.1:<port> with the config's password, ACL user and TLS. Exit 0 or 1, one line.\n" },
    { "rebalance", "usage: redis-cluster-init [global flags] rebalance [--dry-run]\n"
                   "Run in any pod of the cluster after changing `shards` in the config (scale out or in).\n"
                   "Reads the cluster from the local redis-server, finishes any slot left importing or\n"
                   "migrating, plans the moves (a new shard gets its share from the others; a removed\n"
                   "shard gives all its slots away) and moves each slot by SETSLOT IMPORTING/MIGRATING,\n"
                   "MIGRATE and SETSLOT NODE. Clients keep working (ASK/MOVED). Safe to run again after an\n"
                   "interruption. --dry-run prints the plan and changes nothing.\n" },
    { "sidecar", "usage: redis-cluster-init [global flags] sidecar [--interval SECONDS]\n"
                 "Run as a native sidecar (an init container with restartPolicy: Always). Every interval it\n"
                 "re-reads the config (a mounted ConfigMap changes in place) and, when every master sees\n"
                 "the same slot map, moves into this pod's master the slots the plan gives it (each slot's\n"
                 "one actor is its receiving master); the sidecar of shard 0's master forgets removed\n"
                 "pods. Logs what it does; stops on SIGTERM.\n" },
    { "install", "usage: redis-cluster-init install DIR\n"
                 "Copy this binary to DIR/redis-cluster-init (mode 0755), for the copy-into-volume layout.\n" },
    { "version", "usage: redis-cluster-init version\n" },
};

static void print_cmd_help(const char *cmd)
{
    for (size_t i = 0; i < sizeof CMD_HELP / sizeof CMD_HELP[0]; i++)
        if (strcmp(CMD_HELP[i].cmd, cmd) == 0) { fputs(CMD_HELP[i].help, stdout); return; }
    fputs(USAGE, stdout);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "redis-cluster-init: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", USAGE);
    return RCI_ERR_USAGE;
}

typedef struct {
    const char *config_path;
    const char *log_format;
    const char *log_level;
    const char *timeout;
    const char *sets[32];
    int n_sets;
} flags_t;

/* Defaults, file, env, flags: in that order, later wins. */
static int load_config(const flags_t *fl, cfg_t *cfg)
{
    char err[RCI_ERR_LEN];
    cfg_defaults(cfg);
    if (cfg_load_file(cfg, fl->config_path, err, sizeof err) != 0) goto fail;
    if (cfg_apply_env(cfg, err, sizeof err) != 0) goto fail;
    if (fl->log_format && cfg_set(cfg, "log_format", fl->log_format, "flag --log-format", err, sizeof err) != 0) goto fail;
    if (fl->log_level && cfg_set(cfg, "log_level", fl->log_level, "flag --log-level", err, sizeof err) != 0) goto fail;
    if (fl->timeout && cfg_set(cfg, "timeouts.deadline_s", fl->timeout, "flag --timeout", err, sizeof err) != 0) goto fail;
    for (int i = 0; i < fl->n_sets; i++) {
        char key[128];
        const char *eq = strchr(fl->sets[i], '=');
        if (!eq || (size_t)(eq - fl->sets[i]) >= sizeof key) {
            snprintf(err, sizeof err, "flag --set '%s': expected KEY=VALUE", fl->sets[i]);
            goto fail;
        }
        memcpy(key, fl->sets[i], (size_t)(eq - fl->sets[i]));
        key[eq - fl->sets[i]] = '\0';
        if (cfg_set(cfg, key, eq + 1, "flag --set", err, sizeof err) != 0) goto fail;
    }
    if (cfg_finalize(cfg, fl->config_path, err, sizeof err) != 0) goto fail;
    log_setup(cfg->log_format, cfg->log_level, getenv("POD_NAME"));
    return 0;
fail:
    LOG_E("config error: %s. What to do: fix the config (see docs/configuration.md); retrying will not help", err);
    return -1;
}

/* The sidecar re-reads its config every round: a mounted ConfigMap changes in place. */
static int reload_config(void *ctx, cfg_t *cfg)
{
    return load_config((const flags_t *)ctx, cfg);
}

static int load_identity(cfg_t *cfg, ident_t *id)
{
    char err[RCI_ERR_LEN];
    if (ident_load_scaling(cfg, id, err, sizeof err) != 0) {
        LOG_E("identity error: %s. What to do: check the StatefulSet name, the config's name/shards/replicas, and the "
              "POD_NAME env (fieldRef metadata.name)", err);
        return -1;
    }
    log_set_pod(id->pod);
    if (id->outside)
        LOG_W("this pod is not in the config (shards: %d, replicas: %d): its StatefulSet is being scaled in. It keeps "
              "its data and role; 'redis-cluster-init rebalance' (or the sidecar) moves its slots to the remaining "
              "shards. Delete its StatefulSet only once its shard holds no slots ('status' says so)", id->cfg_shards,
              id->cfg_replicas);
    return 0;
}

int main(int argc, char **argv)
{
    flags_t fl = { 0 };
    log_set_pod(getenv("POD_NAME"));
    fl.config_path = getenv("RCI_CONFIG");
    if (!fl.config_path || !*fl.config_path) fl.config_path = DEFAULT_CONFIG;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { fputs(USAGE, stdout); return RCI_OK; }
        if (strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) slot = &fl.config_path;
        else if (strcmp(a, "--log-format") == 0) slot = &fl.log_format;
        else if (strcmp(a, "--log-level") == 0) slot = &fl.log_level;
        else if (strcmp(a, "--timeout") == 0) slot = &fl.timeout;
        else if (strcmp(a, "--set") == 0) {
            if (fl.n_sets == 32) return usage_error("too many --set flags");
            slot = &fl.sets[fl.n_sets++];
        } else return usage_error("unknown flag '%s'", a);
        if (i + 1 >= argc) return usage_error("flag '%s' needs a value", a);
        *slot = argv[++i];
    }
    if (i >= argc) return usage_error("missing command");
    /* Commands that load no config still honour --log-format. */
    log_format_t early;
    if (fl.log_format && log_parse_format(fl.log_format, &early) == 0) log_setup(early, LOG_INFO, getenv("POD_NAME"));
    const char *cmd = argv[i++];
    int want_help = 0, json = 0, dry_run = 0, interval = 10;
    const char *operand = NULL;
    for (int j = i; j < argc; j++) {
        if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) want_help = 1;
        else if (strcmp(argv[j], "--json") == 0 && (strcmp(cmd, "status") == 0 || strcmp(cmd, "plan") == 0)) json = 1;
        else if (strcmp(argv[j], "--dry-run") == 0 && strcmp(cmd, "rebalance") == 0) dry_run = 1;
        else if (strcmp(argv[j], "--interval") == 0 && strcmp(cmd, "sidecar") == 0 && j + 1 < argc) {
            char *end;
            long v = strtol(argv[++j], &end, 10);
            if (*end || v < 1 || v > 3600) return usage_error("--interval wants 1..3600 seconds, not '%s'", argv[j]);
            interval = (int)v;
        }
        else if (!operand && argv[j][0] != '-' && (strcmp(cmd, "install") == 0 || strcmp(cmd, "probe") == 0))
            operand = argv[j];
        else return usage_error("unexpected argument '%s'", argv[j]);
    }
    if (want_help || strcmp(cmd, "help") == 0) { print_cmd_help(cmd); return RCI_OK; }
    if (strcmp(cmd, "version") == 0) { printf("redis-cluster-init %s\n", RCI_VERSION); return RCI_OK; }
    if (strcmp(cmd, "install") == 0) {
        if (!operand) return usage_error("install needs a directory");
        return install_self(operand);
    }
    if (strcmp(cmd, "run") && strcmp(cmd, "plan") && strcmp(cmd, "status") && strcmp(cmd, "config") &&
        strcmp(cmd, "probe") && strcmp(cmd, "rebalance") && strcmp(cmd, "sidecar"))
        return usage_error("unknown command '%s'", cmd);
    probe_kind_t probe = PROBE_READY;
    if (strcmp(cmd, "probe") == 0) {
        if (operand && strcmp(operand, "alive") == 0) probe = PROBE_ALIVE;
        else if (!operand || strcmp(operand, "ready") != 0) return usage_error("probe needs 'ready' or 'alive'");
    }

    /* Signals: set once, early. A peer that closes a connection must not kill the process. run
     * (and plan, which can wait on DNS and peers) turn SIGTERM/SIGINT into a clean early stop (run:
     * of its temporary server); the other commands keep the default, so Ctrl-C ends them at once. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) != 0) { perror("redis-cluster-init: sigaction(SIGPIPE)"); return RCI_ERR_RUNTIME; }
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "plan") == 0 || strcmp(cmd, "rebalance") == 0 ||
        strcmp(cmd, "sidecar") == 0) {
        sa.sa_handler = on_signal; /* no SA_RESTART: a blocking wait returns EINTR and sees the flag */
        if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
            perror("redis-cluster-init: sigaction");
            return RCI_ERR_RUNTIME;
        }
    }

    cfg_t cfg;
    if (load_config(&fl, &cfg) != 0) return RCI_ERR_CONFIG;
    if (strcmp(cmd, "config") == 0) { cfg_print(&cfg, stdout); return RCI_OK; }
    /* A probe needs no identity: the main container has no downward-API env. Nor does rebalance:
     * it works on the whole cluster, from any pod or a Job. */
    int is_probe = strcmp(cmd, "probe") == 0, is_rebalance = strcmp(cmd, "rebalance") == 0;
    int is_sidecar = strcmp(cmd, "sidecar") == 0;
    ident_t id;
    if (!is_probe && !is_rebalance && !is_sidecar && load_identity(&cfg, &id) != 0) return RCI_ERR_CONFIG;
    rc_auth_t auth;
    char err[RCI_ERR_LEN];
    if (auth_load(&cfg, &auth, err, sizeof err) != 0) {
        LOG_E("config error: %s. What to do: mount the password Secret at that path", err);
        return RCI_ERR_CONFIG;
    }
    if (cfg.tls_enabled && tls_ctx_load(&auth.tls, cfg.tls_ca_file, cfg.tls_cert_file, cfg.tls_key_file, err,
                                        sizeof err) != 0) {
        rc_wipe(&auth, sizeof auth);
        LOG_E("config error: %s. What to do: mount the TLS Secret (CA, certificate, key) at those paths", err);
        return RCI_ERR_CONFIG;
    }
    int rc;
    if (is_probe) {
        /* The main container has no downward-API env: the pod name is the hostname. A pod whose
         * shard the config no longer has says so in every probe's output (kubectl describe). */
        char note[256] = "";
        ident_t pid;
        char e2[RCI_ERR_LEN];
        cfg_t wide = cfg;
        if (ident_load_scaling(&wide, &pid, e2, sizeof e2) == 0 && pid.outside && pid.shard >= pid.cfg_shards)
            snprintf(note, sizeof note, "WARNING: shard %d is being removed (the config has shards: %d): do not delete "
                     "its StatefulSet while it holds slots ('redis-cluster-init status' says)", pid.shard, pid.cfg_shards);
        rc = probe_run(&cfg, &auth, probe, note[0] ? note : NULL, stdout);
    }
    else if (is_rebalance) {
        rs_opts_t ro = { dry_run, 100, &g_interrupted, 0 };
        rc = rs_rebalance(&cfg, &auth, &ro, stdout, NULL);
    } else if (is_sidecar) rc = rs_sidecar(reload_config, &fl, &auth, interval, &g_interrupted);
    else if (strcmp(cmd, "run") == 0) rc = runner_run(&cfg, &id, &auth, &g_interrupted);
    else if (strcmp(cmd, "plan") == 0) rc = inspect_plan(&cfg, &id, &auth, json, stdout, &g_interrupted);
    else rc = inspect_status(&cfg, &id, &auth, json, stdout);
    tls_ctx_free(auth.tls);
    rc_wipe(&auth, sizeof auth);
    return rc;
}
