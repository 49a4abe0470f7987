#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "status.h"

int install_self(const char *dir)
{
    char dst[4096], tmp[4200];
    snprintf(dst, sizeof dst, "%s/redis-cluster-init", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (in < 0) { LOG_E("install: cannot open /proc/self/exe: %s", strerror(errno)); return RCI_ERR_RUNTIME; }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (out < 0) {
        LOG_E("install: cannot create %s: %s. What to do: mount a writable volume at %s", tmp, strerror(errno), dir);
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
