/* inspect: the read-only commands a person runs inside a pod: plan and status. */
#ifndef RCI_INSPECT_H
#define RCI_INSPECT_H

#include <signal.h>
#include <stdio.h>
#include "config.h"
#include "identity.h"
#include "rclient.h"

/* Each returns an RCI_* status. */
/* plan stops early (RCI_ERR_SIGNAL) when *interrupted becomes set. */
int inspect_plan(const cfg_t *cfg, const ident_t *id, const rc_auth_t *auth, int json, FILE *out,
                 volatile sig_atomic_t *interrupted);
int inspect_status(const cfg_t *cfg, const ident_t *id, const rc_auth_t *auth, int json, FILE *out);

#endif
