/* pinfile.c - the one PIN-file policy (common_file.h). */
#include "mh_common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mh_file_read_pin(const char *path, char *pin, size_t cap, size_t *len)
{
    int ret = MH_ERR_PIN_REQUIRED;
    size_t n = 0;
    struct stat st;

    if (len)
        *len = 0;
    if (cap < 2)
        return MH_ERR_INVALID_ARG;
    pin[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            mh_err_set(MH_ERR_PIN_REQUIRED,
                       "the PIN file '%s' is a symbolic link; give the file itself", path);
        else
            mh_err_set(MH_ERR_PIN_REQUIRED, "the PIN file '%s' cannot be opened: %s", path,
                       strerror(errno));
        return MH_ERR_PIN_REQUIRED;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        mh_err_set(ret, "the PIN file '%s' is not a regular file", path);
        goto out;
    }
    if (st.st_mode & (S_IROTH | S_IWOTH)) {
        mh_err_set(MH_ERR_PERMISSION,
                   "the PIN file '%s' can be read by other users; make it private "
                   "(chmod 600) first",
                   path);
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    for (;;) {
        if (n >= cap) {
            mh_err_set(MH_ERR_PIN_INVALID, "the PIN file '%s' is larger than a PIN can be", path);
            ret = MH_ERR_PIN_INVALID;
            goto out;
        }
        ssize_t r = read(fd, pin + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            mh_err_set(ret, "the PIN file '%s' cannot be read", path);
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    while (n && (pin[n - 1] == '\n' || pin[n - 1] == '\r'))
        n--;
    if (n >= cap) {
        mh_err_set(MH_ERR_PIN_INVALID, "the PIN file '%s' is larger than a PIN can be", path);
        ret = MH_ERR_PIN_INVALID;
        goto out;
    }
    pin[n] = '\0';
    if (n == 0) {
        mh_err_set(ret, "the PIN file '%s' holds no PIN", path);
        goto out;
    }
    if (memchr(pin, '\0', n) || memchr(pin, '\n', n) || memchr(pin, '\r', n)) {
        mh_err_set(MH_ERR_PIN_INVALID, "the PIN file '%s' must hold the PIN on one line", path);
        ret = MH_ERR_PIN_INVALID;
        goto out;
    }
    if (len)
        *len = n;
    ret = MH_OK;
out:
    close(fd);
    if (ret)
        mh_wipe(pin, cap);
    return ret;
}
