/* test_signer.h - a software key (mbedtls_pk_context) as an mh_signer, for
 * tests that sign with keys they generate: test_signer(&pk) wherever pki
 * wants a signer. The signer lives in a small table keyed by the key's
 * address and is set up again at each call (the key may have changed). */
#ifndef MH_TEST_SIGNER_H
#define MH_TEST_SIGNER_H

#include <stdlib.h>

#include "mh_pki.h"

static inline const mh_signer *test_signer_alg(mbedtls_pk_context *pk, enum mh_sig_alg alg)
{
    static struct {
        mbedtls_pk_context *pk;
        mh_pki_soft_signer s;
    } t[32];
    size_t i = 0;
    while (i < sizeof t / sizeof t[0] && t[i].pk && t[i].pk != pk)
        i++;
    if (i == sizeof t / sizeof t[0] || mh_pki_soft_signer_init(&t[i].s, pk, alg) != 0)
        abort();
    t[i].pk = pk;
    return &t[i].s.signer;
}

static inline const mh_signer *test_signer(mbedtls_pk_context *pk)
{
    return test_signer_alg(pk, MH_SIG_AUTO);
}

#endif
