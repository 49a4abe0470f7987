/* libFuzzer target: the CLUSTER NODES / nodes.conf parser on arbitrary bytes (a peer's reply is
 * untrusted input), and the decision function on whatever view parses. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cview.h"
#include "decide.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_view_t v;
    char err[256];
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
