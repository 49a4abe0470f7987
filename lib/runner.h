/* runner: the init job. Observe, decide (decide.h), act, until the view confirms the role. */
#ifndef RCI_RUNNER_H
#define RCI_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include "config.h"
#include "identity.h"
#include "rclient.h"

/* Returns an RCI_* exit status. interrupted is set by the signal handler of main. On failure the
 * last log line says what failed and what to do. */
int runner_run(const cfg_t *cfg, const ident_t *id, const rc_auth_t *auth, volatile sig_atomic_t *interrupted);

#endif
