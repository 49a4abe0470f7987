#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int auth_load(const cfg_t *cfg, rc_auth_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->user, sizeof out->user, "%s", cfg->auth_user);
    if (!cfg->password_file[0]) return 0;
    FILE *f = fopen(cfg->password_file, "rb");
    if (!f) {
        snprintf(err, errlen, "auth.password_file %s: cannot open: %s", cfg->password_file, strerror(errno));
        return -1;
    }
    size_t n = fread(out->password, 1, sizeof out->password - 1, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    out->password[n] = '\0';
    /* A Secret written with echo ends with a newline: not part of the password. */
    while (n > 0 && (out->password[n - 1] == '\n' || out->password[n - 1] == '\r')) out->password[--n] = '\0';
    const char *why = NULL;
    if (more) why = "longer than 256 bytes";
    else if (n == 0) why = "empty";
    else if (strlen(out->password) != n) why = "contains a NUL byte";
    for (size_t i = 0; !why && i < n; i++) {
        unsigned char c = (unsigned char)out->password[i];
        /* Written into redis.conf: no whitespace, quotes or backslashes, no control bytes. */
        if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c == 0x7f) why = "contains whitespace, a quote, a backslash or a control byte";
    }
    if (why) {
        rc_wipe(out->password, sizeof out->password);
        snprintf(err, errlen, "auth.password_file %s: the password is %s", cfg->password_file, why);
        return -1;
    }
    return 0;
}
