/* pk_remote.c - an mbedtls_pk_context whose private operations happen in
 * another process (mohurd's signer), reached through a callback.
 *
 * TEMPORARY SEAM. Built like hsm/pk_token.c (the same mbedTLS 2.28
 * internals, mbedtls/pk_internal.h) so that host/app's flows, which sign
 * through mbedtls_pk_context today (a->regpk, a->tsapk, signer->pk), run
 * unchanged in a process without a token. The structure issue replaces
 * both files with the mh_signer interface; keep this file this small: a
 * public key for mbedTLS's writers, and sign_func handed to the callback,
 * nothing else. */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk_internal.h>
#include <mbedtls/rsa.h>

#include "app_int.h"
#include "remote_int.h"

struct remote_ec {
    mbedtls_ecp_keypair kp; /* must stay first: mbedtls_pk_ec() casts */
    mh_app_remote_sign_fn fn;
    void *ctx;
};

struct remote_rsa {
    mbedtls_rsa_context rsa; /* must stay first: mbedtls_pk_rsa() casts */
    mh_app_remote_sign_fn fn;
    void *ctx;
};

static int to_mbedtls(int rc)
{
    if (rc == 0)
        return 0;
    return rc == MH_ERR_NOMEM ? MBEDTLS_ERR_PK_ALLOC_FAILED : MBEDTLS_ERR_PK_HW_ACCEL_FAILED;
}

static size_t ec_bitlen(const void *c)
{
    return ((const struct remote_ec *)c)->kp.grp.pbits;
}

static int ec_can_do(mbedtls_pk_type_t t)
{
    return t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECDSA;
}

static int ec_verify(void *c, mbedtls_md_type_t md, const unsigned char *hash, size_t hlen,
                     const unsigned char *sig, size_t slen)
{
    (void)md;
    int r = mbedtls_ecdsa_read_signature(&((struct remote_ec *)c)->kp, hash, hlen, sig, slen);
    return r == MBEDTLS_ERR_ECP_SIG_LEN_MISMATCH ? MBEDTLS_ERR_PK_SIG_LEN_MISMATCH : r;
}

static int ec_sign(void *c, mbedtls_md_type_t md, const unsigned char *hash, size_t hlen,
                   unsigned char *sig, size_t *slen, int (*f_rng)(void *, unsigned char *, size_t),
                   void *p_rng)
{
    struct remote_ec *e = c;
    (void)f_rng;
    (void)p_rng;
    return to_mbedtls(e->fn(e->ctx, MH_APP_REMOTE_ECDSA, (int)md, hash, hlen, sig,
                            MBEDTLS_PK_SIGNATURE_MAX_SIZE, slen));
}

static void *ec_alloc(void)
{
    struct remote_ec *e = calloc(1, sizeof *e);
    if (e)
        mbedtls_ecp_keypair_init(&e->kp);
    return e;
}

static void ec_free(void *c)
{
    mbedtls_ecp_keypair_free(&((struct remote_ec *)c)->kp);
    free(c);
}

static const mbedtls_pk_info_t ec_info = {
    .type = MBEDTLS_PK_ECKEY,
    .name = "EC (remote)",
    .get_bitlen = ec_bitlen,
    .can_do = ec_can_do,
    .verify_func = ec_verify,
    .sign_func = ec_sign,
    .ctx_alloc_func = ec_alloc,
    .ctx_free_func = ec_free,
};

static size_t rsa_bitlen(const void *c)
{
    return 8 * mbedtls_rsa_get_len(&((const struct remote_rsa *)c)->rsa);
}

static int rsa_can_do(mbedtls_pk_type_t t)
{
    return t == MBEDTLS_PK_RSA || t == MBEDTLS_PK_RSASSA_PSS;
}

static int rsa_verify(void *c, mbedtls_md_type_t md, const unsigned char *hash, size_t hlen,
                      const unsigned char *sig, size_t slen)
{
    struct remote_rsa *r = c;
    if (slen != mbedtls_rsa_get_len(&r->rsa))
        return MBEDTLS_ERR_RSA_VERIFY_FAILED;
    return mbedtls_rsa_pkcs1_verify(&r->rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, md, (unsigned int)hlen,
                                    hash, sig);
}

static int rsa_sign(void *c, mbedtls_md_type_t md, const unsigned char *hash, size_t hlen,
                    unsigned char *sig, size_t *slen, int (*f_rng)(void *, unsigned char *, size_t),
                    void *p_rng)
{
    struct remote_rsa *r = c;
    (void)f_rng;
    (void)p_rng;
    int alg =
        r->rsa.padding == MBEDTLS_RSA_PKCS_V21 ? MH_APP_REMOTE_RSA_PSS : MH_APP_REMOTE_RSA_PKCS1;
    return to_mbedtls(
        r->fn(r->ctx, alg, (int)md, hash, hlen, sig, MBEDTLS_PK_SIGNATURE_MAX_SIZE, slen));
}

static void *rsa_alloc(void)
{
    struct remote_rsa *r = calloc(1, sizeof *r);
    if (r)
        mbedtls_rsa_init(&r->rsa, MBEDTLS_RSA_PKCS_V15, 0);
    return r;
}

static void rsa_free(void *c)
{
    mbedtls_rsa_free(&((struct remote_rsa *)c)->rsa);
    free(c);
}

static const mbedtls_pk_info_t rsa_info = {
    .type = MBEDTLS_PK_RSA,
    .name = "RSA (remote)",
    .get_bitlen = rsa_bitlen,
    .can_do = rsa_can_do,
    .verify_func = rsa_verify,
    .sign_func = rsa_sign,
    .ctx_alloc_func = rsa_alloc,
    .ctx_free_func = rsa_free,
};

int mh_app_pk_remote(mbedtls_pk_context *pk, const uint8_t *spki, size_t spki_len,
                     mh_app_remote_sign_fn fn, void *ctx)
{
    mbedtls_pk_context pub;
    int rc = MH_ERR_KEY_TYPE;
    mbedtls_pk_init(&pub);
    if (mbedtls_pk_parse_public_key(&pub, spki, spki_len) != 0) {
        mh_err_set("the remote key's public half cannot be read");
        goto out;
    }
    if (mbedtls_pk_get_type(&pub) == MBEDTLS_PK_ECKEY) {
        if (mbedtls_pk_setup(pk, &ec_info))
            goto nomem;
        struct remote_ec *e = pk->pk_ctx;
        e->fn = fn;
        e->ctx = ctx;
        const mbedtls_ecp_keypair *src = mbedtls_pk_ec(pub);
        if (mbedtls_ecp_group_copy(&e->kp.grp, &src->grp) || mbedtls_ecp_copy(&e->kp.Q, &src->Q))
            goto nomem;
    } else if (mbedtls_pk_get_type(&pub) == MBEDTLS_PK_RSA) {
        if (mbedtls_pk_setup(pk, &rsa_info))
            goto nomem;
        struct remote_rsa *r = pk->pk_ctx;
        r->fn = fn;
        r->ctx = ctx;
        if (mbedtls_rsa_copy(&r->rsa, mbedtls_pk_rsa(pub)))
            goto nomem;
    } else {
        mh_err_set("a remote key is EC or RSA");
        goto out;
    }
    rc = MH_OK;
    goto out;
nomem:
    rc = MH_ERR_NOMEM;
    mbedtls_pk_free(pk);
out:
    mbedtls_pk_free(&pub);
    return rc;
}
