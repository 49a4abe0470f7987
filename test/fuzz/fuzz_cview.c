/* libFuzzer target: the CLUSTER NODES / nodes.conf parser on arbitrary bytes (a peer's reply is
 * untrusted input), the decision function on whatever view parses, and the nodes.conf address
 * rewrite (lib/addrfix) on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrfix.h"
#include "cview.h"
#include "decide.h"

static void rewrite(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *out = NULL, err[256];
    if (!text) return;
    memcpy(text, data, size);
    text[size] = '\0';
    af_peer_t ap[2] = { { "redis-shard0-1.svc", "198.18.0.11", "" }, { "redis-shard1-0.svc", "fd00::12", "" } };
    af_rewrite(text, ap, 2, &out, err, sizeof err); /* ASan and UBSan judge it */
    free(out);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_view_t v;
    char err[256];
    rewrite(data, size);
    if (cv_parse((const char *)data, size, &v, err, sizeof err) != 0) return 0;
    dec_peer_t peers[2] = {
        { "redis-shard0-1", "redis-shard0-1.svc", 0, 1, 1, "198.18.0.11", -1 },
        { "redis-shard1-0", "redis-shard1-0.svc", 1, 0, 1, "198.18.0.12", 5000 },
    };
    dec_input_t in = {
        .shards = 2, .replicas = 1, .my_shard = 0, .my_ordinal = 0, .my_fqdn = "redis-shard0-0.svc",
        .view = &v, .remote = &v, .peers = peers, .n_peers = 2, .handshake_grace_ms = 1500, .remeet_ms = 1000,
        .run_start_unix_ms = 1000, .elapsed_ms = 100,
    };
    dec_plan_t plan;
    if (dec_decide(&in, &plan) == 0) dec_plan_free(&plan);
    cv_free(&v);
    return 0;
}
