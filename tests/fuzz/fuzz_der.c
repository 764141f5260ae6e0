/* fuzz_der.c - the DER reader walks any input without reading outside it. */
#include <stdint.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(mh_der *d, int depth)
{
    mh_der_elem e;
    while (!mh_der_empty(d) && mh_der_next(d, &e) == 0) {
        bool b, neg;
        uint64_t u;
        int64_t t;
        const uint8_t *bits;
        size_t bl;
        unsigned unused;
        (void)mh_der_bool(&e, &b);
        (void)mh_der_integer_check(&e, &neg);
        (void)mh_der_uint(&e, &u);
        (void)mh_der_bitstring(&e, &bits, &bl, &unused);
        (void)mh_der_oid_check(&e);
        (void)mh_der_time(&e, &t);
        if ((e.tag & MH_DER_CONSTRUCTED) && depth < 32) {
            mh_der in;
            mh_der_enter(&in, &e);
            walk(&in, depth + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mh_der d;
    mh_der_init(&d, data, size);
    walk(&d, 0);
    return 0;
}
