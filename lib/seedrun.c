#include "seedrun.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "server.h"
#include "topology.h"

/* A nodes.conf of a node that never knew another one: what a temporary server leaves when its init
 * is killed before it met anyone (its id was never seen, so it can be dropped). */
static int nodes_conf_blank(const cfg_t *cfg)
{
    char path[CFG_PATH + 16], *buf, why[RCI_ERR_LEN];
    size_t n;
    srv_nodes_conf_path(cfg, path, sizeof path);
    if (fio_read_all(path, 4096, &buf, &n, why, sizeof why) != 0) return 0;
    cv_view_t v;
    int empty = n == 0, parsed = !empty && cv_parse(buf, n, &v, why, sizeof why) == 0;
    free(buf);
    if (!parsed) return empty;
    const cv_node_t *me = cv_myself(&v);
    int blank = v.n == 1 && me && (me->flags & CV_MASTER) && me->n_slots == 0 && me->config_epoch == 0 &&
                v.current_epoch == 0;
    cv_free(&v);
    return blank;
}

int seedrun_data_dir_fresh(const cfg_t *cfg, char *why, size_t len)
{
    DIR *d = opendir(cfg->data_dir);
    if (!d) {
        snprintf(why, len, "the data dir %s cannot be listed", cfg->data_dir);
        return 0;
    }
    const char *rt = strrchr(cfg->runtime_config, '/');
    rt = rt ? rt + 1 : cfg->runtime_config;
    size_t dlen = strlen(cfg->data_dir);
    int rt_here = strncmp(cfg->runtime_config, cfg->data_dir, dlen) == 0 && cfg->runtime_config + dlen + 1 == rt;
    int fresh = 1;
    struct dirent *e;
    while (fresh && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "lost+found") || !strncmp(n, ".rci-", 5)) continue;
        if (rt_here && (!strcmp(n, rt) || (!strncmp(n, rt, strlen(rt)) && !strcmp(n + strlen(rt), ".tmp")))) continue;
        if (!strcmp(n, "nodes.conf") && nodes_conf_blank(cfg)) continue;
        snprintf(why, len, "the data dir holds %s", n);
        fresh = 0;
    }
    closedir(d);
    return fresh;
}

int seedrun_applies(const cfg_t *cfg, const ident_t *id, char *why, size_t len)
{
    if (!id->ip[0]) { snprintf(why, len, "POD_IP is unset"); return 0; }
    if (id->outside) { snprintf(why, len, "the config no longer has this pod"); return 0; }
    return seedrun_data_dir_fresh(cfg, why, len);
}

static void fill_input(const cfg_t *cfg, const peers_t *peers, seed_input_t *in)
{
    memset(in, 0, sizeof *in);
    in->shards = cfg->shards;
    in->replicas = cfg->replicas;
    in->my_shard = peers->me.shard;
    in->my_ordinal = peers->me.ordinal;
    in->my_fqdn = peers->me.fqdn;
    in->peers = peers->peers;
    in->n_peers = peers->n;
    in->fresh = 1;
    in->wait_ms = cfg->handshake_grace_ms * SEEDRUN_WAIT_GRACES;
    if (in->wait_ms < cfg->node_timeout_ms) in->wait_ms = cfg->node_timeout_ms;
    in->master_wait_ms = cfg->deadline_s * 1000 / 2;
}

/* DNS trouble (lookups failing, not "no such name"): who is up cannot be told. Retried for as
 * long as a replica waits for its pod 0, then the rules take over (they wait for DNS as well,
 * rule 12). At 100 shards 200 pods start with 80 000 lookups, and a DNS server that drops a few
 * turned a pod away from seeding: its rounds MEET every peer, and each fresh replica met that way
 * cannot seed either (in one 100x1 run the last replica synced after 116 s so, instead of 20). */
static int dns_trouble(const cfg_t *cfg, int64_t elapsed_ms, const char *what, char *reason, size_t len)
{
    int wait_ms = cfg->deadline_s * 1000 / 2;
    if (elapsed_ms < wait_ms) {
        snprintf(reason, len, "waiting out DNS trouble (%s; at most %d ms)", what, wait_ms);
        return SEED_WAIT;
    }
    snprintf(reason, len, "DNS trouble for %d ms (%s)", wait_ms, what);
    return SEED_NO;
}

/* The peers' views and the verdict on them: every resolved peer's (full), or only those awaited:
 * pod 0 its shard's replicas, a replica its pod 0 (none once its pod 0 said it seeded). At 100
 * shards every seeded peer's view is 200 lines of a busy server. Returns the verdict, or -1 when
 * interrupted. */
static int look(const cfg_t *cfg, const rc_auth_t *auth, peers_t *peers, const cv_view_t *self_view,
                const char *master_word, int64_t elapsed_ms, int full, int64_t deadline,
                volatile sig_atomic_t *interrupted, char *reason, size_t len)
{
    cv_view_t *views = calloc(peers->n ? peers->n : 1, sizeof *views);
    const cv_view_t **vp = calloc(peers->n ? peers->n : 1, sizeof *vp);
    if (!views || !vp) {
        free(views); free(vp);
        snprintf(reason, len, "out of memory");
        return SEED_NO;
    }
    fan_target_t *t = NULL;
    size_t *of = NULL;
    const char *argv[] = { "CLUSTER", "NODES" };
    char err[RCI_ERR_LEN];
    int *want = NULL;
    if (!full) {
        want = calloc(peers->n ? peers->n : 1, sizeof *want);
        if (!want) { free(views); free(vp); snprintf(reason, len, "out of memory"); return SEED_NO; }
        for (size_t k = 0; k < peers->n && !master_word; k++) {
            const dec_peer_t *p = &peers->peers[k];
            want[k] = p->shard == peers->me.shard && (p->ordinal == 0) == (peers->me.ordinal > 0);
        }
    }
    int64_t t0 = clock_now_ms();
    int fm = peers_fan_some(peers, want, cfg, auth, 2, argv, deadline, interrupted, &t, &of, err, sizeof err);
    free(want);
    if (full && fm >= 0) {
        /* How much of the cluster this pod could see: a person reading the log at 3 a.m. wants it. */
        size_t got = 0;
        for (size_t i = 0; i < (size_t)fm; i++) got += t[i].result == 0;
        LOG_I("read the peers' views: %zu of %d resolved peers answered in %lld ms (the others have no server on "
              "the client port yet, or did not answer in time)", got, fm, (long long)(clock_now_ms() - t0));
    }
    int verdict = SEED_NO;
    const char *refused = NULL;
    if (fm < 0) {
        snprintf(reason, len, "%s", err);
        verdict = interrupted && *interrupted ? -1 : SEED_NO;
        goto out;
    }
    for (size_t i = 0; i < (size_t)fm; i++) {
        size_t k = of[i];
        char why[RCI_ERR_LEN];
        if (t[i].result == RC_AUTH_FAILED || t[i].result == RC_TLS_FAILED) {
            if (!refused) refused = peers->peers[k].name;
        } else if (t[i].result == 0 && rc_parse_cluster_nodes(t[i].reply, t[i].err, &views[k], why, sizeof why) == 0) {
            vp[k] = &views[k];
        } else if (t[i].result == 0) {
            LOG_D("the view of %s: %s", peers->peers[k].name, why);
        }
    }
    if (refused) {
        /* A peer whose view cannot be read may hold a formed cluster. */
        snprintf(reason, len, "%s refuses our password or TLS: its view cannot be read", refused);
    } else {
        seed_input_t in;
        fill_input(cfg, peers, &in);
        in.views = vp;
        in.self_view = self_view;
        in.self_resolves = 1;
        in.master_word = master_word;
        in.elapsed_ms = elapsed_ms;
        verdict = seed_decide(&in, reason, len);
    }
out:
    if (fm >= 0) peers_fan_free(t, of, (size_t)fm); /* also with no target: t and of were allocated */
    for (size_t k = 0; k < peers->n; k++) cv_free(&views[k]);
    free(views);
    free(vp);
    return verdict;
}

int seedrun_observe(const cfg_t *cfg, const rc_auth_t *auth, peers_t *peers, const char *my_ip,
                    const cv_view_t *self_view, const char *master_word, seedrun_state_t *st, int64_t elapsed_ms,
                    int64_t deadline, volatile sig_atomic_t *interrupted, char *reason, size_t len)
{
    /* This pod's own name first, then anew every peer's name that did not resolve yet: a peer
     * that seeds after this pod's name resolved finds it, and this pod finds every peer that
     * seeded before (docs/design.md). */
    int all = 0;
    if (!st->self_resolved) {
        char self_dns[RCI_ERR_LEN] = "";
        int self_ok = peers_resolve_self(peers, cfg, my_ip, deadline, self_dns, sizeof self_dns);
        if (self_ok < 0) {
            snprintf(reason, len, "%s", self_dns);
            return SEED_NO;
        }
        if (self_ok == 2) {
            char what[RCI_ERR_LEN + 64];
            snprintf(what, sizeof what, "DNS lookups failing for this pod's own name: %s", self_dns);
            return dns_trouble(cfg, elapsed_ms, what, reason, len);
        }
        if (!self_ok) {
            seed_input_t in;
            fill_input(cfg, peers, &in);
            in.self_dns = self_dns;
            in.master_word = master_word;
            in.elapsed_ms = elapsed_ms;
            return seed_decide(&in, reason, len);
        }
        st->self_resolved = all = 1;
    }
    char dns[RCI_ERR_LEN];
    int trouble = peers_resolve(peers, cfg, deadline, all ? PEERS_RESOLVE_UNRESOLVED : PEERS_RESOLVE_DUE, dns,
                                sizeof dns);
    if (trouble < 0) {
        snprintf(reason, len, "%s", dns);
        return SEED_NO;
    }
    if (trouble > 0) return dns_trouble(cfg, elapsed_ms, dns, reason, len);
    /* Pod 0 reads every peer's view in its first observation. A replica reads only its pod 0's (none
     * once its pod 0 said it seeded: that pod 0 read every view and found no formed cluster), and
     * every peer's only before it follows its pod 0's server: at 100 shards this spares 100
     * replicas 199 connections each while the pods start. */
    int replica = peers->me.ordinal > 0;
    int full = !replica && !st->looked;
    int v = look(cfg, auth, peers, self_view, master_word, elapsed_ms, full, deadline, interrupted, reason, len);
    if (full && v >= 0) st->looked = 1;
    if (replica && !st->looked && v == SEED_WRITE && !master_word) {
        v = look(cfg, auth, peers, self_view, master_word, elapsed_ms, 1, deadline, interrupted, reason, len);
        if (v >= 0) st->looked = 1;
    }
    return v;
}

int seedrun_listen(rc_conn_t *sub, const char *sock, const rc_auth_t *auth, int timeout_ms, char *err, size_t errlen)
{
    if (rc_connect_unix(sub, sock, auth, timeout_ms, err, errlen) != 0) return -1;
    const char *argv[] = { "SUBSCRIBE", SEED_CHANNEL };
    redisReply *r;
    if (rc_command(sub, &r, err, errlen, 2, argv) != 0) {
        rc_close(sub);
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

int seedrun_hear(rc_conn_t *sub, int timeout_ms, char *word, char *err, size_t errlen)
{
    redisReply *r;
    int got = rc_wait_push(sub, timeout_ms, &r, err, errlen);
    if (got <= 0) return got;
    /* ["message", channel, payload]; anything else on this connection is not the word. */
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_STRING &&
             strcmp(r->element[0]->str, "message") == 0 && r->element[2]->type == REDIS_REPLY_STRING &&
             r->element[2]->len < SEED_WORD_LEN && strlen(r->element[2]->str) == r->element[2]->len;
    if (ok) snprintf(word, SEED_WORD_LEN, "%s", r->element[2]->str);
    freeReplyObject(r);
    return ok;
}

void seedrun_tell(const cfg_t *cfg, const rc_auth_t *auth, const peers_t *peers, int64_t deadline,
                  volatile sig_atomic_t *interrupted)
{
    char word[SEED_WORD_LEN];
    seed_word(peers->me.fqdn, cfg->shards, peers->me.shard, word);
    int *want = calloc(peers->n ? peers->n : 1, sizeof *want);
    if (!want) return;
    size_t left = 0;
    for (size_t k = 0; k < peers->n; k++) {
        want[k] = peers->peers[k].shard == peers->me.shard && peers->peers[k].ordinal > 0 && peers->peers[k].resolved;
        left += (size_t)want[k];
    }
    const char *argv[] = { "PUBLISH", SEED_CHANNEL, word };
    int64_t until = clock_now_ms() + SEEDRUN_TELL_MS;
    if (until > deadline) until = deadline;
    char last[RCI_ERR_LEN] = "";
    /* A replica's temporary server answers on its client port a moment before its init subscribes:
     * PUBLISH then reaches nobody (0), and is sent again. */
    while (left > 0 && !*interrupted) {
        fan_target_t *t = NULL;
        size_t *of = NULL;
        char err[RCI_ERR_LEN];
        int m = peers_fan_some(peers, want, cfg, auth, 3, argv, until, interrupted, &t, &of, err, sizeof err);
        if (m < 0) { snprintf(last, sizeof last, "%s", err); break; }
        for (int i = 0; i < m; i++) {
            const redisReply *r = t[i].reply;
            if (t[i].result == 0 && r->type == REDIS_REPLY_INTEGER && r->integer > 0) {
                LOG_I("told replica %s that this pod seeded: it seeds now", peers->peers[of[i]].name);
                want[of[i]] = 0;
                left--;
            } else if (t[i].result != 0) {
                snprintf(last, sizeof last, "%s", t[i].err);
            } else if (r->type == REDIS_REPLY_ERROR) {
                /* Refused (an ACL without the channel): asking again would not help. */
                LOG_I("replica %s did not hear that this pod seeded (PUBLISH: %s): it waits for this pod's server "
                      "instead", peers->peers[of[i]].name, r->str);
                want[of[i]] = 0;
                left--;
            } else {
                snprintf(last, sizeof last, "nobody listened on %s yet", t[i].ip);
            }
        }
        peers_fan_free(t, of, (size_t)m);
        if (left == 0 || clock_left_ms(until) <= 0) break;
        clock_sleep_ms(50, until);
    }
    for (size_t k = 0; k < peers->n; k++)
        if (want[k])
            LOG_I("replica %s did not hear that this pod seeded (%s): it waits for this pod's server instead",
                  peers->peers[k].name, last[0] ? last : "no answer");
    free(want);
}

int seedrun_write(const cfg_t *cfg, const ident_t *id, const peers_t *peers, char *err, size_t errlen)
{
    seed_input_t in;
    fill_input(cfg, peers, &in);
    size_t cap = 512 * (peers->n + 2);
    char *text = malloc(cap);
    if (!text) { snprintf(err, errlen, "out of memory"); return -1; }
    char path[CFG_PATH + 16];
    srv_nodes_conf_path(cfg, path, sizeof path);
    int rc = -1;
    if (seed_render(&in, id->ip, cfg->port, cfg->bus_port, text, cap) < 0)
        snprintf(err, errlen, "%s: the seeded config does not fit %zu bytes", path, cap);
    else
        rc = fio_write_atomic(path, text, err, errlen);
    free(text);
    return rc;
}

void seedrun_describe(const cfg_t *cfg, const peers_t *peers, char *buf, size_t len)
{
    char id[CV_ID_LEN + 1];
    int first, last;
    seed_node_id(peers->me.fqdn, id);
    topo_slot_range(cfg->shards, peers->me.shard, &first, &last);
    if (peers->me.ordinal == 0) {
        snprintf(buf, len, "master of slots %d-%d, config epoch %d, node %s", first, last, peers->me.shard + 1, id);
        return;
    }
    const char *master = "?";
    for (size_t k = 0; k < peers->n; k++)
        if (peers->peers[k].shard == peers->me.shard && peers->peers[k].ordinal == 0) master = peers->peers[k].name;
    snprintf(buf, len, "replica of %s (slots %d-%d), node %s", master, first, last, id);
}
