#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "status.h"

int install_self(const char *dir)
{
    char dst[4096], tmp[4200];
    snprintf(dst, sizeof dst, "%s/redis-cluster-init", dir);
    /* A temporary file of this run's own, renamed over dst when whole: installs into one shared
     * directory at once (a volume more than one pod mounts) never write the same file, and no
     * one executes a file still being written (exec would fail with ETXTBSY). */
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", dst);
    int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (in < 0) { LOG_E("install: cannot open /proc/self/exe: %s", strerror(errno)); return RCI_ERR_RUNTIME; }
    int out = mkstemp(tmp);
    if (out < 0) {
        LOG_E("install: cannot create a file in %s: %s. What to do: mount a writable volume there", dir, strerror(errno));
        close(in);
        return RCI_ERR_RUNTIME;
    }
    char buf[65536];
    ssize_t n;
    int ok = 1;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w <= 0) { ok = 0; break; }
            off += w;
        }
        if (!ok) break;
    }
    if (n < 0) ok = 0;
    close(in);
    if (fchmod(out, 0755) != 0) ok = 0;
    if (close(out) != 0) ok = 0;
    if (!ok || rename(tmp, dst) != 0) {
        LOG_E("install: writing %s failed: %s", dst, strerror(errno));
        unlink(tmp);
        return RCI_ERR_RUNTIME;
    }
    LOG_I("installed %s", dst);
    return RCI_OK;
}
