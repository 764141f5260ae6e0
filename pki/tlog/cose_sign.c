/* cose_sign.c - ES256 signing for COSE_Sign1 (RFC 9053 2.1): the key's
 * DER signature (an mbedtls_pk_context, maybe a token key) as r || s. The
 * firmware does not compile this file. */
#include "mh_pki.h"

#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>

int mh_cose_es256_sign(mbedtls_pk_context *pk, const uint8_t hash[32],
                       int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
                       uint8_t sig[MH_RECEIPT_SIG_LEN])
{
    uint8_t der[MBEDTLS_ECDSA_MAX_LEN];
    size_t der_len = 0;

    if (!pk || !hash || !sig)
        return MH_ERR_INVALID_ARG;
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) ||
        mbedtls_pk_ec(*pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
        mh_err_set(MH_ERR_KEY_TYPE,
                   "the registry key must be an EC P-256 key (receipts are signed with "
                   "ES256); generate one with 'mohur key generate --type ec-p256'");
        return MH_ERR_KEY_TYPE;
    }
    mh_err_clear();
    if (mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, hash, 32, der, &der_len, f_rng, p_rng) != 0) {
        /* a token key leaves its own code and sentence (PIN, removal ...) */
        int rc = mh_err_code();
        return rc ? rc : MH_ERR_TOKEN_FAILED;
    }
    /* the verifier's own strict reading: canonical DER, r and s in range */
    if (der_len > sizeof der || mh_pki_ecdsa_der_to_raw(MBEDTLS_ECP_DP_SECP256R1, der, der_len, sig,
                                                        MH_RECEIPT_SIG_LEN, NULL) != 0) {
        memset(sig, 0, MH_RECEIPT_SIG_LEN);
        mh_err_set(MH_ERR_INTERNAL, "the key returned a malformed ECDSA signature");
        return MH_ERR_INTERNAL;
    }
    return 0;
}

int mh_cose_sign1_make(mbedtls_pk_context *pk, const uint8_t kid[MH_RECEIPT_KID_LEN],
                       const uint8_t *payload, size_t payload_len,
                       int (*f_rng)(void *, unsigned char *, size_t), void *p_rng, uint8_t *out,
                       size_t cap, size_t *len)
{
    uint8_t prot[5 + MH_RECEIPT_KID_LEN] = {0xa2, 0x01, 0x26, 0x04, 0x48};
    uint8_t hash[32], sig[MH_RECEIPT_SIG_LEN];
    mh_cbor_w w;
    int ret;

    if (!pk || !kid || (!payload && payload_len) || !out || !len)
        return MH_ERR_INVALID_ARG;
    *len = 0;
    memcpy(prot + 5, kid, MH_RECEIPT_KID_LEN);
    if ((ret = mh_cose_sign1_hash(prot, sizeof prot, payload, payload_len, hash)) != 0 ||
        (ret = mh_cose_es256_sign(pk, hash, f_rng, p_rng, sig)) != 0)
        return ret;
    mh_cbor_w_init(&w, out, cap);
    mh_cbor_put_tag(&w, 18);
    mh_cbor_put_array(&w, 4);
    mh_cbor_put_bytes(&w, prot, sizeof prot);
    mh_cbor_put_map(&w, 0);
    mh_cbor_put_bytes(&w, payload, payload_len);
    mh_cbor_put_bytes(&w, sig, sizeof sig);
    return mh_cbor_w_finish(&w, len);
}
