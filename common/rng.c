/* rng.c - randomness from the kernel (common_rng.h). */
#include "mh_common.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int mh_rng_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            mh_err_set(MH_ERR_INTERNAL, "the system's random generator failed: %s",
                       n < 0 ? strerror(errno) : "no bytes");
            return MH_ERR_INTERNAL;
        }
        p += n;
        len -= (size_t)n;
    }
    return MH_OK;
}

int mh_rng_mbedtls(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return mh_rng_bytes(buf, len) == MH_OK ? 0 : -1;
}
