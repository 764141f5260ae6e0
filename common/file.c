/* file.c - files the one safe way (common_file.h).
 *
 * Reading: capped, into memory, a regular file opened without blocking when
 * the caller asks for one. Writing: a temp file created beside the target
 * with O_EXCL | O_NOFOLLOW (so a planted symlink is never followed),
 * written, synced, and renamed over the target (which replaces a symlink
 * there instead of writing through it). */
#include "mh_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading ---------------------------------------------------------------- */

static int open_err(const char *path, int e)
{
    if (e == ENOENT || e == ENOTDIR) {
        mh_err_set(MH_ERR_NOT_FOUND, "reading %s: there is no such file", path);
        return MH_ERR_NOT_FOUND;
    }
    if (e == ELOOP) {
        mh_err_set(MH_ERR_PERMISSION,
                   "reading %s: it is a symbolic link, which is refused here; give the file "
                   "itself",
                   path);
        return MH_ERR_PERMISSION;
    }
    mh_err_set(e == EACCES || e == EPERM ? MH_ERR_PERMISSION : MH_ERR_IO, "reading %s: %s", path,
               strerror(e));
    return e == EACCES || e == EPERM ? MH_ERR_PERMISSION : MH_ERR_IO;
}

int mh_file_read_fd(int fd, const char *name, size_t cap, uint8_t **out, size_t *outlen)
{
    int ret = MH_ERR_IO;
    uint8_t *buf = NULL;
    size_t len = 0, size;
    struct stat st;

    *out = NULL;
    *outlen = 0;
    if (cap > SIZE_MAX - 2)
        cap = SIZE_MAX - 2;
    if (fstat(fd, &st) != 0) {
        mh_err_set(MH_ERR_IO, "reading %s: %s", name, strerror(errno));
        return MH_ERR_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        mh_err_set(MH_ERR_IO, "reading %s: it is a directory, not a file", name);
        return MH_ERR_IO;
    }
    if (S_ISREG(st.st_mode)) {
        if ((unsigned long long)st.st_size > cap) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "reading %s: the file is %llu bytes, more than mohur accepts here (%zu "
                       "bytes)",
                       name, (unsigned long long)st.st_size, cap);
            return MH_ERR_TOO_LARGE;
        }
        /* one byte to see the file grow, one for the NUL */
        size = (size_t)st.st_size + 2;
    } else {
        size = cap + 2 < 65536 ? cap + 2 : 65536;
    }
    buf = malloc(size);
    if (!buf)
        return MH_ERR_NOMEM;
    for (;;) {
        if (len + 1 >= size) {
            /* grow (pipes, or a file that grew since fstat) */
            if (size >= cap + 2) {
                mh_err_set(MH_ERR_TOO_LARGE, "reading %s: more than mohur accepts here (%zu bytes)",
                           name, cap);
                ret = MH_ERR_TOO_LARGE;
                goto out;
            }
            size_t nsize = size > (cap + 2) / 2 ? cap + 2 : size * 2;
            uint8_t *nbuf = realloc(buf, nsize);
            if (!nbuf) {
                ret = MH_ERR_NOMEM;
                goto out;
            }
            buf = nbuf;
            size = nsize;
        }
        ssize_t r = read(fd, buf + len, size - len - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            mh_err_set(ret, "reading %s: %s", name, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > cap) {
            mh_err_set(MH_ERR_TOO_LARGE, "reading %s: more than mohur accepts here (%zu bytes)",
                       name, cap);
            ret = MH_ERR_TOO_LARGE;
            goto out;
        }
    }
    buf[len] = '\0';
    *out = buf;
    buf = NULL; /* transferred */
    *outlen = len;
    ret = MH_OK;
out:
    free(buf);
    return ret;
}

int mh_file_read(const char *path, size_t cap, unsigned flags, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    /* O_NONBLOCK: a FIFO with no writer is refused below instead of hanging */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
                            ((flags & MH_FILE_NOFOLLOW) ? O_NOFOLLOW : 0));
    if (fd < 0)
        return open_err(path, errno);
    struct stat st;
    int ret;
    if (fstat(fd, &st) != 0) {
        mh_err_set(MH_ERR_IO, "reading %s: %s", path, strerror(errno));
        ret = MH_ERR_IO;
    } else if ((flags & MH_FILE_REGULAR) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        mh_err_set(MH_ERR_IO,
                   "reading %s: it is not a regular file (a pipe, socket or device); give a "
                   "file",
                   path);
        ret = MH_ERR_IO;
    } else {
        /* blocking reads from here on (a pipe given on purpose) */
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        ret = mh_file_read_fd(fd, path, cap, out, outlen);
    }
    close(fd);
    return ret;
}

/* ---- writing ---------------------------------------------------------------- */

static atomic_uint tmp_counter;

int mh_file_write_temp(const char *path, const void *buf, size_t len, unsigned mode, char *tmp,
                       size_t cap)
{
    int n = snprintf(tmp, cap, "%s.tmp.%ld.%u", path, (long)getpid(),
                     atomic_fetch_add(&tmp_counter, 1u));
    if (n < 0 || (size_t)n >= cap) {
        mh_err_set(MH_ERR_TOO_LARGE, "the path %.100s is too long", path);
        tmp[0] = 0;
        return MH_ERR_TOO_LARGE;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        int e = errno;
        mh_err_set(e == ENOSPC                 ? MH_ERR_DISK_FULL
                   : e == EACCES || e == EPERM ? MH_ERR_PERMISSION
                                               : MH_ERR_IO,
                   "%s cannot be written: %s", path, strerror(e));
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
            mh_err_set(e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO, "%s could not be written: %s",
                       path, strerror(e));
            return e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        tmp[0] = 0;
        mh_err_set(e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO,
                   "%s could not be written to disk: %s", path, strerror(e));
        return e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO;
    }
    return MH_OK;
}

int mh_file_commit(const char *tmp, const char *path)
{
    if (rename(tmp, path) != 0) {
        int e = errno;
        mh_err_set(e == EACCES || e == EPERM ? MH_ERR_PERMISSION : MH_ERR_IO,
                   "%s could not be put in place: %s", path, strerror(e));
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
