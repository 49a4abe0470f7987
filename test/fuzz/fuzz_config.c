/* libFuzzer target: the config loader on arbitrary bytes. Errors are expected; crashes, leaks and
 * out-of-bounds reads (ASan) are not. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg_t cfg;
    char err[512];
    cfg_defaults(&cfg);
    if (cfg_load_buffer(&cfg, "fuzz.yaml", (const char *)data, size, err, sizeof err) == 0)
        cfg_finalize(&cfg, "fuzz.yaml", err, sizeof err);
    return 0;
}
