/* test_hsm_sign.h - signing with a token key through its mh_signer, in the
 * shape the hsm tests call: DER for ECDSA. */
#ifndef MH_TEST_HSM_SIGN_H
#define MH_TEST_HSM_SIGN_H

#include "mh_hsm.h"

static inline int hsm_sign_digest(mh_hsm_key *k, enum mh_sig_alg alg, mbedtls_md_type_t md,
                                  const uint8_t *d, size_t dl, uint8_t *sig, size_t cap, size_t *sl)
{
    mh_signer s;
    int rc = mh_hsm_key_signer(k, alg, &s);
    return rc ? rc : mh_signer_sign(&s, md, d, dl, MH_SIG_DER, sig, cap, sl);
}

static inline int hsm_sign_message(mh_hsm_key *k, enum mh_sig_alg alg, mbedtls_md_type_t md,
                                   const uint8_t *m, size_t ml, uint8_t *sig, size_t cap,
                                   size_t *sl)
{
    mh_signer s;
    int rc = mh_hsm_key_signer(k, alg, &s);
    return rc ? rc : mh_signer_sign_message(&s, md, m, ml, MH_SIG_DER, sig, cap, sl);
}

#endif
