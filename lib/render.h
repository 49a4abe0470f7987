/* render: the redis.conf text this program writes, as pure functions (config and identity in,
 * text out). Every value is checked and written in double quotes, so no value can break its line
 * or add a directive: a value with a control byte, a quote or a backslash is refused with the
 * config key that carried it. */
#ifndef RCI_RENDER_H
#define RCI_RENDER_H

#include <stddef.h>
#include "config.h"
#include "identity.h"
#include "rclient.h"

/* The runtime config the main container starts with. Returns 0, or -1 with err naming the key. */
int render_runtime_config(const cfg_t *cfg, const ident_t *id, const char *fqdn, const rc_auth_t *auth, char *out,
                          size_t outlen, char *err, size_t errlen);
/* The init container's temporary server: the runtime config included, a unix socket at sock, and
 * no client port unless client_port: a fresh replica's server holds no data a client could write
 * or a replica could sync (it owns no slots and becomes a replica), and a fresh pod 0 reads its
 * view to know it is fresh (lib/seed.c). */
int render_init_config(const cfg_t *cfg, const char *sock, int client_port, char *out, size_t outlen, char *err, size_t errlen);
/* The temporary server never syncs from a master: its replication handshake authenticates as this
 * user (a password_file is set) or with this password (none is), which the master refuses. */
#define RENDER_NO_SYNC_USER "redis-cluster-init-temporary-server-never-syncs"
/* The bus port of such a fresh replica's temporary server (client_port): one next to bus_port that
 * no node is told of, so that no main server reaches it (docs/design.md, "Seeding"). */
int render_quiet_bus_port(const cfg_t *cfg);
/* Can value be written into redis.conf (in quotes)? No control bytes, quotes or backslashes. */
int render_value_ok(const char *value);

#endif
