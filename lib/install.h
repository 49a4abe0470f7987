/* install: copy this very binary into a directory (the copy-into-volume layout). */
#ifndef RCI_INSTALL_H
#define RCI_INSTALL_H

/* Returns an RCI_* status. */
int install_self(const char *dir);

#endif
