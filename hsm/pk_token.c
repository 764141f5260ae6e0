/* pk_token.c - an mbedtls_pk_context whose private key stays on a token.
 *
 * This is the one file that leans on mbedTLS 2.28 internals
 * (mbedtls/pk_internal.h: struct mbedtls_pk_info_t). The context starts
 * with a public mbedtls_ecp_keypair or mbedtls_rsa_context, so that
 * mbedtls_pk_ec()/mbedtls_pk_rsa(), mbedtls_pk_write_pubkey_der() and
 * verification work as for a software key; sign_func goes to the token.
 * Moving to mbedTLS 3 means replacing this file (opaque PSA keys). */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk_internal.h>
#include <mbedtls/rsa.h>

#include "hsm_internal.h"

struct ec_ctx {
    mbedtls_ecp_keypair kp; /* must stay first: mbedtls_pk_ec() casts */
    mh_hsm_key *key;
};

struct rsa_ctx {
    mbedtls_rsa_context rsa; /* must stay first: mbedtls_pk_rsa() casts */
    mh_hsm_key *key;
};

/* mbedTLS wants its own error codes back from sign_func */
static int to_mbedtls(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MH_ERR_NOMEM:
        return MBEDTLS_ERR_PK_ALLOC_FAILED;
    case MH_ERR_KEY_TYPE:
    case MH_ERR_INVALID_ARG:
        return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
    default:
        return MBEDTLS_ERR_PK_HW_ACCEL_FAILED;
    }
}

/* ---- EC --------------------------------------------------------------- */

static size_t ec_bitlen(const void *ctx)
{
    return ((const struct ec_ctx *)ctx)->kp.grp.pbits;
}

static int ec_can_do(mbedtls_pk_type_t t)
{
    return t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECDSA;
}

static int ec_verify(void *ctx, mbedtls_md_type_t md, const unsigned char *hash, size_t hlen,
                     const unsigned char *sig, size_t slen)
{
    struct ec_ctx *c = ctx;
    (void)md;
    uint8_t raw[2 * 66];
    /* canonical DER only: mbedTLS 2.28 alone accepts malformed encodings */
    if (mh_ecdsa_der_to_raw(sig, slen, c->key->nbytes, raw))
        return MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
    int r = mbedtls_ecdsa_read_signature(&c->kp, hash, hlen, sig, slen);
    return r == MBEDTLS_ERR_ECP_SIG_LEN_MISMATCH ? MBEDTLS_ERR_PK_SIG_LEN_MISMATCH : r;
}

static int ec_sign(void *ctx, mbedtls_md_type_t md, const unsigned char *hash, size_t hlen,
                   unsigned char *sig, size_t *slen, int (*f_rng)(void *, unsigned char *, size_t),
                   void *p_rng)
{
    struct ec_ctx *c = ctx;
    (void)f_rng;
    (void)p_rng;
    return to_mbedtls(mh_hsm_sign_digest(c->key, MH_SIG_ECDSA, md, hash, hlen, sig,
                                         MBEDTLS_PK_SIGNATURE_MAX_SIZE, slen));
}

static void *ec_alloc(void)
{
    struct ec_ctx *c = calloc(1, sizeof *c);
    if (c)
        mbedtls_ecp_keypair_init(&c->kp);
    return c;
}

static void ec_free(void *ctx)
{
    struct ec_ctx *c = ctx;
    mbedtls_ecp_keypair_free(&c->kp);
    free(c);
}

static const mbedtls_pk_info_t ec_info = {
    .type = MBEDTLS_PK_ECKEY,
    .name = "EC (token)",
    .get_bitlen = ec_bitlen,
    .can_do = ec_can_do,
    .verify_func = ec_verify,
    .sign_func = ec_sign,
    .ctx_alloc_func = ec_alloc,
    .ctx_free_func = ec_free,
};

/* ---- RSA -------------------------------------------------------------- */

static size_t rsa_bitlen(const void *ctx)
{
    return 8 * mbedtls_rsa_get_len(&((const struct rsa_ctx *)ctx)->rsa);
}

static int rsa_can_do(mbedtls_pk_type_t t)
{
    return t == MBEDTLS_PK_RSA || t == MBEDTLS_PK_RSASSA_PSS;
}

static int rsa_verify(void *ctx, mbedtls_md_type_t md, const unsigned char *hash, size_t hlen,
                      const unsigned char *sig, size_t slen)
{
    struct rsa_ctx *c = ctx;
    if (slen != mbedtls_rsa_get_len(&c->rsa))
        return MBEDTLS_ERR_RSA_VERIFY_FAILED;
    return mbedtls_rsa_pkcs1_verify(&c->rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, md, (unsigned int)hlen,
                                    hash, sig);
}

static int rsa_sign(void *ctx, mbedtls_md_type_t md, const unsigned char *hash, size_t hlen,
                    unsigned char *sig, size_t *slen, int (*f_rng)(void *, unsigned char *, size_t),
                    void *p_rng)
{
    struct rsa_ctx *c = ctx;
    (void)f_rng;
    (void)p_rng;
    enum mh_sig_alg alg =
        c->rsa.padding == MBEDTLS_RSA_PKCS_V21 ? MH_SIG_RSA_PSS : MH_SIG_RSA_PKCS1;
    return to_mbedtls(
        mh_hsm_sign_digest(c->key, alg, md, hash, hlen, sig, MBEDTLS_PK_SIGNATURE_MAX_SIZE, slen));
}

static void *rsa_alloc(void)
{
    struct rsa_ctx *c = calloc(1, sizeof *c);
    if (c)
        mbedtls_rsa_init(&c->rsa, MBEDTLS_RSA_PKCS_V15, 0);
    return c;
}

static void rsa_free(void *ctx)
{
    struct rsa_ctx *c = ctx;
    mbedtls_rsa_free(&c->rsa);
    free(c);
}

static const mbedtls_pk_info_t rsa_info = {
    .type = MBEDTLS_PK_RSA,
    .name = "RSA (token)",
    .get_bitlen = rsa_bitlen,
    .can_do = rsa_can_do,
    .verify_func = rsa_verify,
    .sign_func = rsa_sign,
    .ctx_alloc_func = rsa_alloc,
    .ctx_free_func = rsa_free,
};

int mh_hsm_key_pk(mh_hsm_key *key, mbedtls_pk_context *pk)
{
    mh_err_clear();
    mbedtls_pk_context pub;
    mbedtls_pk_init(&pub);
    int rc = MH_ERR_KEY_TYPE;
    if (key->type == MH_KEY_ED25519) {
        mh_err_set(MH_ERR_UNSUPPORTED,
                   "mbedTLS 2.28 has no Ed25519; key '%s' cannot back an mbedTLS key", key->label);
        return MH_ERR_UNSUPPORTED;
    }
    if (mbedtls_pk_parse_public_key(&pub, key->spki, key->spki_len))
        goto out;
    if (mbedtls_pk_get_type(&pub) == MBEDTLS_PK_ECKEY) {
        if (mbedtls_pk_setup(pk, &ec_info))
            goto nomem;
        struct ec_ctx *c = pk->pk_ctx;
        c->key = key;
        const mbedtls_ecp_keypair *src = mbedtls_pk_ec(pub);
        if (mbedtls_ecp_group_copy(&c->kp.grp, &src->grp) || mbedtls_ecp_copy(&c->kp.Q, &src->Q))
            goto nomem;
    } else if (mbedtls_pk_get_type(&pub) == MBEDTLS_PK_RSA) {
        if (mbedtls_pk_setup(pk, &rsa_info))
            goto nomem;
        struct rsa_ctx *c = pk->pk_ctx;
        c->key = key;
        if (mbedtls_rsa_copy(&c->rsa, mbedtls_pk_rsa(pub)))
            goto nomem;
    } else {
        goto out;
    }
    rc = 0;
    goto out;
nomem:
    rc = MH_ERR_NOMEM;
    mbedtls_pk_free(pk);
out:
    mbedtls_pk_free(&pub);
    return rc;
}
