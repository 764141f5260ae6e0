/* common_file.h - part of mh_common.h: files, the one safe way.
 *
 * Reading: a whole file, capped, into memory; a document must be a regular
 * file (opened without blocking, so a FIFO with no writer is refused
 * instead of hanging). Writing: atomically and without following a
 * symlink planted at the name. PIN files: one policy for every reader
 * (hsm/'s pin-source=file:, the CLI's --pin-file, the daemon's
 * configuration). Errors carry a sentence (mh_err_message). */
#ifndef MH_COMMON_FILE_H
#define MH_COMMON_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flags of mh_file_read(). */
#define MH_FILE_ANY 0u      /* a regular file, a pipe or a device (not a directory) */
#define MH_FILE_REGULAR 1u  /* only a regular file */
#define MH_FILE_NOFOLLOW 2u /* refuse a symlink at the last component */

/* Reads the whole file at path, at most cap bytes, into a malloc'd buffer
 * with a NUL after the data (*len excludes it). MH_ERR_NOT_FOUND,
 * MH_ERR_PERMISSION, MH_ERR_TOO_LARGE ("more than mohur accepts here"),
 * MH_ERR_IO (a directory, not a regular file, a read error), MH_ERR_NOMEM. */
int mh_file_read(const char *path, size_t cap, unsigned flags, uint8_t **buf,
                 size_t *len) MH_WARN_UNUSED;
/* The same from an open descriptor (standard input, say) until its end;
 * name is what messages call it. The descriptor stays open. */
int mh_file_read_fd(int fd, const char *name, size_t cap, uint8_t **buf,
                    size_t *len) MH_WARN_UNUSED;

/* Writes a file atomically and without following a symlink planted at its
 * name: a temp file beside it (O_EXCL | O_NOFOLLOW, mode), fsync, rename
 * over the target. MH_ERR_DISK_FULL, MH_ERR_PERMISSION or MH_ERR_IO with a
 * sentence; nothing is left behind on failure. */
int mh_file_write_atomic(const char *path, const void *buf, size_t len,
                         unsigned mode) MH_WARN_UNUSED;
/* The first half: the temp file (its name in tmp), to be renamed into place
 * with mh_file_commit() or unlinked. */
int mh_file_write_temp(const char *path, const void *buf, size_t len, unsigned mode, char *tmp,
                       size_t cap) MH_WARN_UNUSED;
int mh_file_commit(const char *tmp, const char *path) MH_WARN_UNUSED;

/* The PIN-file policy (the strict one): the file is opened with
 * O_NOFOLLOW (a symlink is refused), must be a regular file that other
 * users can neither read nor write (chmod 600; its group may read it, for
 * a service's group), and holds the PIN on its one line (trailing
 * newlines are dropped). The PIN goes NUL-terminated
 * into pin (cap bytes; wiped on failure); *len (may be NULL) gets its
 * length. MH_ERR_PIN_REQUIRED (missing, unreadable, not a regular file,
 * empty), MH_ERR_PERMISSION (others may read it), MH_ERR_PIN_INVALID (too
 * long, more than one line, a NUL byte). Never puts the PIN in a message. */
int mh_file_read_pin(const char *path, char *pin, size_t cap, size_t *len) MH_WARN_UNUSED;

#endif
