#include "probe.h"

#include <string.h>

#include "status.h"

/* Error replies that still mean "alive": restarting it would only make things worse. */
static int busy_but_alive(const char *msg)
{
    return strncmp(msg, "LOADING", 7) == 0 || strncmp(msg, "BUSY", 4) == 0 || strncmp(msg, "MASTERDOWN", 10) == 0;
}

int probe_run(const cfg_t *cfg, const rc_auth_t *auth, probe_kind_t kind, const char *note, FILE *out)
{
    char err[RCI_ERR_LEN];
    rc_conn_t rc = { 0 };
    /* A probe has its own timeout (timeoutSeconds, 1 s by default): stay well inside it. */
    int ms = cfg->connect_timeout_ms < 800 ? cfg->connect_timeout_ms : 800;
    int c = rc_connect_tcp(&rc, "127.0.0.1", cfg->port, auth, ms, err, sizeof err);
    if (c == RC_AUTH_FAILED && kind == PROBE_ALIVE) {
        /* The server answered: it is alive. Restarting it would not fix the credentials; the
         * readiness probe keeps the pod out of service and says why. */
        fprintf(out, "alive, but %s\n", err);
        return RCI_OK;
    }
    if (c != 0) {
        fprintf(out, "not %s: %s\n", kind == PROBE_READY ? "ready" : "alive", err);
        return RCI_ERR_RUNTIME;
    }
    int status = RCI_ERR_RUNTIME;
    redisReply *r = NULL;
    if (kind == PROBE_ALIVE) {
        const char *argv[] = { "PING" };
        if (rc_command_any(&rc, &r, err, sizeof err, 1, argv) != 0) {
            fprintf(out, "not alive: %s\n", err);
        } else if (r->type == REDIS_REPLY_ERROR && !busy_but_alive(r->str)) {
            fprintf(out, "not alive: %s: PING: %s\n", rc.where, r->str);
        } else {
            fprintf(out, "alive: %s\n", r->type == REDIS_REPLY_ERROR ? r->str : "PONG");
            status = RCI_OK;
        }
    } else {
        char state[32];
        if (rc_cluster_state(&rc, state, sizeof state, err, sizeof err) != 0) {
            fprintf(out, "not ready: %s\n", err);
        } else {
            status = strcmp(state, "ok") == 0 ? RCI_OK : RCI_ERR_RUNTIME;
            fprintf(out, "%s: cluster_state:%s\n", status == RCI_OK ? "ready" : "not ready", state);
        }
    }
    if (r) freeReplyObject(r);
    rc_close(&rc);
    if (note) fprintf(out, "%s\n", note);
    return status;
}
