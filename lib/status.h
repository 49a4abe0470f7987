/* status: process exit codes, shared by every command (documented in docs/cli.md). */
#ifndef RCI_STATUS_H
#define RCI_STATUS_H

enum {
    RCI_OK = 0,          /* done */
    RCI_ERR_RUNTIME = 1, /* something failed at run time; kubelet will retry */
    RCI_ERR_USAGE = 2,   /* bad command line */
    RCI_ERR_CONFIG = 3,  /* bad config file, env or pod identity; retrying will not help */
    RCI_ERR_TIMEOUT = 4, /* the overall deadline passed before the work was done */
    RCI_ERR_SIGNAL = 5,  /* interrupted by SIGTERM/SIGINT; the temporary server was stopped */
};

/* The one size of error-message buffers: every function that can fail writes its reason (which
 * peer, which file, which line, the server's words) into a char err[RCI_ERR_LEN]. */
#define RCI_ERR_LEN 512

#endif
