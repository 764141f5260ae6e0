/* file.c - writing files the one safe way: a temp file created beside the
 * target with O_EXCL | O_NOFOLLOW (so a planted symlink is never followed),
 * written, synced, and renamed over the target (which replaces a symlink
 * there instead of writing through it). */
#include "mh_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_uint tmp_counter;

int mh_file_write_temp(const char *path, const void *buf, size_t len, unsigned mode, char *tmp,
                       size_t cap)
{
    int n = snprintf(tmp, cap, "%s.tmp.%ld.%u", path, (long)getpid(),
                     atomic_fetch_add(&tmp_counter, 1u));
    if (n < 0 || (size_t)n >= cap) {
        mh_err_set("the path %.100s is too long", path);
        tmp[0] = 0;
        return MH_ERR_TOO_LARGE;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        int e = errno;
        mh_err_set("%s cannot be written: %s", path, strerror(e));
        tmp[0] = 0;
        return e == ENOSPC                 ? MH_ERR_DISK_FULL
               : e == EACCES || e == EPERM ? MH_ERR_PERMISSION
                                           : MH_ERR_IO;
    }
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            tmp[0] = 0;
            mh_err_set("%s could not be written: %s", path, strerror(e));
            return e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        tmp[0] = 0;
        mh_err_set("%s could not be written to disk: %s", path, strerror(e));
        return e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO;
    }
    return MH_OK;
}

int mh_file_commit(const char *tmp, const char *path)
{
    if (rename(tmp, path) != 0) {
        int e = errno;
        mh_err_set("%s could not be put in place: %s", path, strerror(e));
        unlink(tmp);
        return e == EACCES || e == EPERM ? MH_ERR_PERMISSION : MH_ERR_IO;
    }
    return MH_OK;
}

int mh_file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode)
{
    char tmp[4200];
    int rc = mh_file_write_temp(path, buf, len, mode, tmp, sizeof tmp);
    return rc ? rc : mh_file_commit(tmp, path);
}
