#include "mh_common.h"

#include <stdlib.h>
#include <string.h>

void mh_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void mh_freezero(void *p, size_t n)
{
    if (!p)
        return;
    explicit_bzero(p, n);
    free(p);
}

int mh_ct_memcmp(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(x[i] ^ y[i]);
    return d != 0;
}
