/* fileio: whole small files in and out. Reads are bounded (a file bigger than the caller expects
 * is an error, not a silent truncation); writes are atomic (a crash leaves the old file or the new
 * one, never half of one). */
#ifndef RCI_FILEIO_H
#define RCI_FILEIO_H

#include <stddef.h>

/* Read the whole of path into a new NUL-terminated buffer (*text, the caller frees; *len its length
 * without the NUL). A file of more than max bytes is an error. Returns 0, or -1 with err naming the
 * file; errno is then the cause (ENOENT: no such file, EFBIG: larger than max). */
int fio_read_all(const char *path, size_t max, char **text, size_t *len, char *err, size_t errlen);

/* Write text to path atomically (path.tmp, fsync, rename) with mode 0600. Returns 0, or -1 with
 * err. */
int fio_write_atomic(const char *path, const char *text, char *err, size_t errlen);

#endif
