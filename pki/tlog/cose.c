/* cose.c - COSE_Sign1 building blocks (RFC 9052, RFC 9053): the
 * Sig_structure hash and ES256 signatures as r || s. No allocation of our
 * own, no I/O. */
#include "mh_pki.h"

#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
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

/* Reads one DER INTEGER of an Ecdsa-Sig-Value into 32 big-endian bytes: it
 * must be minimal, positive and below 2^256. */
static int der_int32(mh_der *d, uint8_t out[32])
{
    mh_der_elem e;
    bool neg = false;
    const uint8_t *p;
    size_t n;

    if (mh_der_expect(d, MH_DER_INTEGER, &e) || mh_der_integer_check(&e, &neg) || neg)
        return MH_ERR_PARSE;
    p = e.val;
    n = e.len;
    if (n > 1 && p[0] == 0) { /* the sign byte of a high-bit value */
        p++;
        n--;
    }
    if (n == 0 || n > 32)
        return MH_ERR_PARSE;
    memset(out, 0, 32 - n);
    memcpy(out + 32 - n, p, n);
    return 0;
}

int mh_cose_es256_sign(mbedtls_pk_context *pk, const uint8_t hash[32],
                       int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
                       uint8_t sig[MH_RECEIPT_SIG_LEN])
{
    int ret = MH_ERR_INTERNAL;
    uint8_t der[MBEDTLS_ECDSA_MAX_LEN];
    size_t der_len = 0;
    mh_der d, in;
    mh_der_elem seq;

    if (!pk || !hash || !sig)
        return MH_ERR_INVALID_ARG;
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) ||
        mbedtls_pk_ec(*pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
        mh_err_set("the registry key must be an EC P-256 key (receipts are signed with "
                   "ES256); generate one with 'mohur key generate --type ec-p256'");
        return MH_ERR_KEY_TYPE;
    }
    if (mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, hash, 32, der, &der_len, f_rng, p_rng) != 0) {
        /* a token key leaves its own sentence (PIN, removal ...) */
        return MH_ERR_TOKEN_FAILED;
    }
    if (der_len > sizeof der) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    mh_der_init(&d, der, der_len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &seq) || !mh_der_done(&d)) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    mh_der_enter(&in, &seq);
    if (der_int32(&in, sig) || der_int32(&in, sig + 32) || !mh_der_done(&in)) {
        mh_err_set("the key returned a malformed ECDSA signature");
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    ret = 0;
out:
    if (ret)
        memset(sig, 0, MH_RECEIPT_SIG_LEN);
    return ret;
}

int mh_cose_es256_verify(const uint8_t point[MH_RECEIPT_P256_POINT], const uint8_t hash[32],
                         const uint8_t sig[MH_RECEIPT_SIG_LEN])
{
    int ret = MH_ERR_VERIFY_FAILED;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;

    if (!point || !hash || !sig)
        return MH_ERR_INVALID_ARG;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) ||
        mbedtls_ecp_point_read_binary(&grp, &q, point, MH_RECEIPT_P256_POINT) ||
        mbedtls_ecp_check_pubkey(&grp, &q)) {
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    if (mbedtls_mpi_read_binary(&r, sig, 32) || mbedtls_mpi_read_binary(&s, sig + 32, 32)) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    /* mbedtls_ecdsa_verify refuses r or s outside [1, n-1] */
    if (mbedtls_ecdsa_verify(&grp, hash, 32, &q, &r, &s) != 0)
        goto out;
    ret = 0;
out:
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ret;
}
