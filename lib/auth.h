/* auth: the password from a mounted Secret file, checked so it can be written into a redis.conf. */
#ifndef RCI_AUTH_H
#define RCI_AUTH_H

#include <stddef.h>
#include "config.h"
#include "rclient.h"

/* Fill out from cfg (auth.password_file, auth.user). No password file: an empty password.
 * Returns -1 with err (which never contains the password) on a missing, empty or unusable file. */
int auth_load(const cfg_t *cfg, rc_auth_t *out, char *err, size_t errlen);

#endif
