/* cose.c - COSE_Sign1 building blocks (RFC 9052, RFC 9053): the
 * Sig_structure hash and ES256 verification of r || s (through pki/sig, the
 * one ECDSA verifier). No allocation of our own, no I/O: the firmware
 * compiles this file. Signing is in cose_sign.c. */
#include "mh_pki.h"

#include <string.h>

#include <mbedtls/sha256.h>

/* Sig_structure is built in a buffer this large (protected header and
 * payload of a receipt, and the array around them). */
#define SIG_STRUCTURE_MAX (MH_RECEIPT_MAX + 64)

int mh_cose_sign1_hash(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                       size_t payload_len, uint8_t hash[32])
{
    uint8_t buf[SIG_STRUCTURE_MAX];
    mh_cbor_w w;
    size_t n;

    if ((!prot && prot_len) || (!payload && payload_len) || !hash)
        return MH_ERR_INVALID_ARG;
    if (prot_len > MH_RECEIPT_MAX || payload_len > MH_RECEIPT_MAX)
        return MH_ERR_TOO_LARGE;
    /* ["Signature1", bstr protected, h'' external_aad, bstr payload] */
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_array(&w, 4);
    mh_cbor_put_text(&w, "Signature1", 10);
    mh_cbor_put_bytes(&w, prot, prot_len);
    mh_cbor_put_bytes(&w, NULL, 0);
    mh_cbor_put_bytes(&w, payload, payload_len);
    if (mh_cbor_w_finish(&w, &n))
        return MH_ERR_TOO_LARGE;
    if (mbedtls_sha256_ret(buf, n, hash, 0))
        return MH_ERR_INTERNAL;
    return 0;
}

int mh_cose_es256_verify(const uint8_t point[MH_RECEIPT_P256_POINT], const uint8_t hash[32],
                         const uint8_t sig[MH_RECEIPT_SIG_LEN])
{
    if (!point || !hash || !sig)
        return MH_ERR_INVALID_ARG;
    /* pki/sig: exact-width r || s, 1 <= r, s <= n - 1, point on the curve */
    return mh_pki_ecdsa_verify(MBEDTLS_ECP_DP_SECP256R1, point, MH_RECEIPT_P256_POINT, hash, 32,
                               MH_PKI_SIG_ECDSA_P1363, sig, MH_RECEIPT_SIG_LEN);
}
