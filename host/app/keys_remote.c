/*
 * keys_remote.c - the appliance's keys split across two processes, for
 * mohurd: the ledger process opens the appliance without a token
 * (MH_APP_NO_TOKEN) and injects keys whose private operations go to the
 * signer process (mh_app_set_remote_key, mh_app_signer_open_remote); the
 * signer process opens the token (MH_APP_KEYS_ONLY) and makes those
 * operations (mh_app_key_sign, mh_app_signer_sign, mh_app_sign_note). The
 * flows (issue.c, sign.c) run unchanged on either side of the seam.
 */
#include "app_int.h"
#include "mh_hash.h"
#include "remote_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the ledger process: keys elsewhere ------------------------------------ */

const char *mh_app_key_label(const mh_app *a, enum mh_app_key_role role)
{
    return role == MH_APP_KEY_REGISTRY ? a->registry_label : a->tsa_label;
}

static int spki_of(const uint8_t *cert, size_t len, const uint8_t **spki, size_t *spki_len)
{
    mh_ca_cert_info ci;
    if (mh_ca_cert_info_get(cert, len, &ci) != 0) {
        mh_err_set("the key's certificate cannot be read");
        return MH_ERR_CERT_INVALID;
    }
    *spki = ci.spki;
    *spki_len = ci.spki_len;
    return MH_OK;
}

int mh_app_set_remote_key(mh_app *a, enum mh_app_key_role role, const uint8_t *cert, size_t len,
                          mh_app_remote_sign_fn fn, void *ctx)
{
    const uint8_t *spki;
    size_t sl;
    int rc;
    if (!(a->flags & MH_APP_NO_TOKEN)) {
        mh_err_set("remote keys are for an appliance opened without its token");
        return MH_ERR_INVALID_ARG;
    }
    if ((rc = spki_of(cert, len, &spki, &sl)) != 0)
        return rc;
    if (role == MH_APP_KEY_REGISTRY) {
        mbedtls_pk_free(&a->regpk);
        mbedtls_pk_init(&a->regpk);
        a->regpk_ok = false;
        if ((rc = mh_app_pk_remote(&a->regpk, spki, sl, fn, ctx)) != 0)
            return rc;
        a->regpk_ok = true;
        return MH_OK;
    }
    if (!a->tsa_label[0])
        return MH_OK; /* no timestamp authority configured: B-B */
    mbedtls_pk_free(&a->tsapk);
    mbedtls_pk_init(&a->tsapk);
    free(a->tsa_cert);
    a->tsa_cert = NULL;
    a->tsa_ok = false;
    if ((rc = mh_app_pk_remote(&a->tsapk, spki, sl, fn, ctx)) != 0)
        return rc;
    if (!(a->tsa_cert = malloc(len)))
        return MH_ERR_NOMEM;
    memcpy(a->tsa_cert, cert, len);
    a->tsa_cert_len = len;
    a->tsa_ok = true;
    return MH_OK;
}

int mh_app_signer_open_remote(mh_app *a, const char *issuer_id, const uint8_t *cert, size_t len,
                              mh_app_remote_sign_fn fn, void *ctx, mh_app_signer **out)
{
    int ret = MH_ERR_NOMEM;
    mh_app_signer *s = NULL;
    char reason[384];
    const uint8_t *spki;
    size_t sl;

    *out = NULL;
    const app_issuer *is = issuer_id ? mh_app_find_issuer(a, issuer_id) : NULL;
    if (!is) {
        mh_err_set("no issuer '%.64s' is configured on this appliance", issuer_id ? issuer_id : "");
        return MH_ERR_NOT_FOUND;
    }
    if (!(s = calloc(1, sizeof *s)))
        return MH_ERR_NOMEM;
    s->app = a;
    s->issuer = is;
    mbedtls_pk_init(&s->pk);
    if (!(s->cert = malloc(len)))
        goto out;
    memcpy(s->cert, cert, len);
    s->cert_len = len;
    if ((ret = spki_of(cert, len, &spki, &sl)) != 0 ||
        (ret = mh_app_pk_remote(&s->pk, spki, sl, fn, ctx)) != 0)
        goto out;
    /* the same checks as mh_app_signer_open, on this side too: the signer
     * process checked the CA database when it opened the key */
    ret = mh_app_check_path(a, cert, len, 0, 0, MH_PURPOSE_DOCUMENT, reason, sizeof reason);
    if (ret) {
        mh_err_set("the signing key's certificate may not sign: %s", reason);
        goto out;
    }
    if ((ret = mh_app_policy_issuer_cert(is, cert, len, reason, sizeof reason)) != 0) {
        mh_err_set("%s", reason);
        goto out;
    }
    (void)mh_hash_sha256(s->cert, s->cert_len, s->fp);
    mh_app_cert_subject(s->cert, s->cert_len, s->subject, sizeof s->subject);
    *out = s;
    s = NULL;
    ret = MH_OK;
out:
    mh_app_signer_close(s);
    return ret;
}

/* ---- the signer process: the token's side ---------------------------------- */

static enum mh_sig_alg alg_of(int alg)
{
    switch (alg) {
    case MH_APP_REMOTE_ECDSA:
        return MH_SIG_ECDSA;
    case MH_APP_REMOTE_RSA_PKCS1:
        return MH_SIG_RSA_PKCS1;
    case MH_APP_REMOTE_RSA_PSS:
        return MH_SIG_RSA_PSS;
    default:
        return MH_SIG_AUTO;
    }
}

static int sign_with(mh_hsm_key *key, int alg, int md, const uint8_t *hash, size_t hlen,
                     uint8_t *sig, size_t cap, size_t *sig_len)
{
    enum mh_sig_alg a = alg_of(alg);
    if (a == MH_SIG_AUTO || !key) {
        mh_err_set("no such key or signature algorithm");
        return MH_ERR_INVALID_ARG;
    }
    return mh_hsm_sign_digest(key, a, (mbedtls_md_type_t)md, hash, hlen, sig, cap, sig_len);
}

int mh_app_key_cert(mh_app *a, enum mh_app_key_role role, uint8_t **der, size_t *len)
{
    *der = NULL;
    *len = 0;
    if (role == MH_APP_KEY_REGISTRY) {
        if (!a->regkey) {
            mh_err_set("the appliance was opened without its token");
            return MH_ERR_INVALID_ARG;
        }
        return mh_hsm_key_cert(a->regkey, der, len);
    }
    if (!a->tsa_ok) {
        mh_err_set("no timestamp authority is configured");
        return MH_ERR_NOT_FOUND;
    }
    if (!(*der = malloc(a->tsa_cert_len)))
        return MH_ERR_NOMEM;
    memcpy(*der, a->tsa_cert, a->tsa_cert_len);
    *len = a->tsa_cert_len;
    return MH_OK;
}

int mh_app_key_sign(mh_app *a, enum mh_app_key_role role, int alg, int md, const uint8_t *hash,
                    size_t hlen, uint8_t *sig, size_t cap, size_t *sig_len)
{
    return sign_with(role == MH_APP_KEY_REGISTRY ? a->regkey : a->tsakey, alg, md, hash, hlen, sig,
                     cap, sig_len);
}

int mh_app_signer_cert(const mh_app_signer *s, uint8_t **der, size_t *len)
{
    if (!(*der = malloc(s->cert_len)))
        return MH_ERR_NOMEM;
    memcpy(*der, s->cert, s->cert_len);
    *len = s->cert_len;
    return MH_OK;
}

int mh_app_signer_sign(mh_app_signer *s, int alg, int md, const uint8_t *hash, size_t hlen,
                       uint8_t *sig, size_t cap, size_t *sig_len)
{
    return sign_with(s->key, alg, md, hash, hlen, sig, cap, sig_len);
}

void mh_app_signer_fp(const mh_app_signer *s, uint8_t fp[32])
{
    memcpy(fp, s->fp, 32);
}

bool mh_app_token_ok(mh_app *a)
{
    mh_hsm_token_info info;
    if (!a->tok)
        return false;
    bool ok = mh_hsm_token_info_get(a->tok, &info) == 0;
    if (!ok)
        mh_err_clear();
    return ok;
}

static int note_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                   size_t *sig_len)
{
    return mh_hsm_sign_message(ctx, MH_SIG_ECDSA, MBEDTLS_MD_SHA256, msg, len, sig, cap, sig_len);
}

int mh_app_sign_note(mh_app *a, const char *origin, const char *body, size_t body_len, char *note,
                     size_t cap, size_t *note_len)
{
    uint8_t spki[256], keyid[4];
    size_t sl = 0;
    int rc;
    if (!a->regkey) {
        mh_err_set("the appliance was opened without its token");
        return MH_ERR_INVALID_ARG;
    }
    if ((rc = mh_hsm_key_public_der(a->regkey, spki, sizeof spki, &sl)) != 0 ||
        (rc = mh_note_keyid(origin, strlen(origin), MH_NOTE_ECDSA, spki, sl, keyid)) != 0)
        return rc;
    return mh_note_sign(body, body_len, origin, MH_NOTE_ECDSA, keyid, note_cb, a->regkey, note, cap,
                        note_len);
}
