/*
 * keys_remote.c - the appliance's keys split across two processes, for
 * mohurd: the ledger process opens the appliance without a token
 * (MH_APP_NO_TOKEN) and is given, for each key, the key's certificate and
 * an mh_signer whose sign goes to the signer process
 * (mh_app_set_remote_key, mh_app_signer_open_remote); the flows sign with
 * it bound to their request (mh_app_bind), so the signer process learns
 * which ledger entry each signature is for. The signer process opens the
 * token (MH_APP_KEYS_ONLY) and signs with the token's mh_signers
 * (mh_app_key_signer, mh_app_signer_key, mh_app_sign_note). The flows
 * (issue.c, sign.c) are the same on either side.
 */
#include "app_int.h"
#include "mh_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the ledger process: keys elsewhere ------------------------------------ */

const char *mh_app_key_label(const mh_app *a, enum mh_app_key_role role)
{
    return role == MH_APP_KEY_REGISTRY ? a->registry_label : a->tsa_label;
}

/* The remote key's signer: remote's sign and ctx, the algorithm the
 * certificate's key implies and its SPKI (which points into cert: cert
 * must outlive it). */
static int remote_signer(const uint8_t *cert, size_t len, const mh_signer *remote, mh_signer *out)
{
    int rc = MH_ERR_NOMEM;
    mh_x509_cert *c = calloc(1, sizeof *c);
    mh_pki_pubkey *pk = calloc(1, sizeof *pk);
    memset(out, 0, sizeof *out);
    if (!c || !pk)
        goto out;
    if (!remote || !remote->sign) {
        rc = mh_err_set(MH_ERR_INVALID_ARG, "a remote key needs a signer");
        goto out;
    }
    if (mh_x509_cert_parse(c, cert, len) != 0 ||
        mh_pki_spki_parse(c->spki.p, c->spki.len, pk) != 0) {
        rc = mh_err_set(MH_ERR_CERT_INVALID,
                        "the key's certificate or its public key cannot be read");
        goto out;
    }
    switch (pk->type) {
    case MH_PKI_KEY_EC:
        out->alg = MH_SIG_ECDSA;
        break;
    case MH_PKI_KEY_RSA:
        out->alg = MH_SIG_RSA_PKCS1;
        break;
    case MH_PKI_KEY_ED25519:
        out->alg = MH_SIG_ED25519;
        break;
    default:
        rc = mh_err_set(MH_ERR_KEY_TYPE, "a remote key is EC, RSA or Ed25519");
        goto out;
    }
    out->sign = remote->sign;
    out->ctx = remote->ctx;
    out->spki = c->spki.p;
    out->spki_len = c->spki.len;
    out->name = remote->name;
    rc = MH_OK;
out:
    free(c);
    free(pk);
    return rc;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

int mh_app_set_remote_key(mh_app *a, enum mh_app_key_role role, const uint8_t *cert, size_t len,
                          const mh_signer *remote)
{
    uint8_t *copy = NULL;
    int rc;
    if (!(a->flags & MH_APP_NO_TOKEN))
        return mh_err_set(MH_ERR_INVALID_ARG,
                          "remote keys are for an appliance opened without its token");
    if (role == MH_APP_KEY_TSA && !a->tsa_label[0])
        return MH_OK; /* no timestamp authority configured: B-B */
    if (!(copy = dup_bytes(cert, len)))
        return MH_ERR_NOMEM;
    if (role == MH_APP_KEY_REGISTRY) {
        a->regpk_ok = false;
        if ((rc = remote_signer(copy, len, remote, &a->regsigner)) != 0) {
            free(copy);
            return rc;
        }
        free(a->reg_cert);
        a->reg_cert = copy;
        a->reg_cert_len = len;
        a->reg_remote = true;
        a->regpk_ok = true;
        return MH_OK;
    }
    a->tsa_ok = false;
    if ((rc = remote_signer(copy, len, remote, &a->tsasigner)) != 0) {
        free(copy);
        return rc;
    }
    free(a->tsa_cert);
    a->tsa_cert = copy;
    a->tsa_cert_len = len;
    a->tsa_remote = true;
    a->tsa_ok = true;
    return MH_OK;
}

int mh_app_signer_open_remote(mh_app *a, const char *issuer_id, const uint8_t *cert, size_t len,
                              const mh_signer *remote, mh_app_signer **out)
{
    int ret = MH_ERR_NOMEM;
    mh_app_signer *s = NULL;
    char reason[384];

    *out = NULL;
    const app_issuer *is = issuer_id ? mh_app_find_issuer(a, issuer_id) : NULL;
    if (!is)
        return mh_err_set(MH_ERR_NOT_FOUND, "no issuer '%.64s' is configured on this appliance",
                          issuer_id ? issuer_id : "");
    if (!(s = calloc(1, sizeof *s)))
        return MH_ERR_NOMEM;
    s->app = a;
    s->issuer = is;
    s->remote = true;
    if (!(s->cert = dup_bytes(cert, len)))
        goto out;
    s->cert_len = len;
    if ((ret = remote_signer(s->cert, s->cert_len, remote, &s->signer)) != 0)
        goto out;
    /* the same checks as mh_app_signer_open, on this side too: the signer
     * process checked the CA database when it opened the key */
    ret = mh_app_check_path(a, cert, len, 0, 0, MH_PURPOSE_DOCUMENT, reason, sizeof reason);
    if (ret) {
        mh_err_set(ret, "the signing key's certificate may not sign: %s", reason);
        goto out;
    }
    if ((ret = mh_app_policy_issuer_cert(is, cert, len, reason, sizeof reason)) != 0) {
        mh_err_set(ret, "%s", reason);
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

/* The sign of an external signer: the far side signs, and what comes back
 * must verify with the certificate's key over the very digest asked for,
 * or the flow stops (and voids its entry): a signature that is not the
 * registered key's never goes into a document. */
static int verified_sign(const mh_signer *self, mbedtls_md_type_t md, const uint8_t *in,
                         size_t in_len, bool message, enum mh_sig_enc enc, uint8_t *sig, size_t cap,
                         size_t *sig_len)
{
    const mh_app_remote_call *call = self->ctx;
    const mh_app_signer *s = call->ctx;
    mh_app_remote_call inner = {s->ext.ctx, call->request};
    mh_signer far = *self;
    far.sign = s->ext.sign;
    far.ctx = &inner;
    if (message)
        return mh_err_set(MH_ERR_KEY_TYPE, "an external key signs digests only");
    /* what the far side is shown must be what it signs: the digest is the
     * hash of the signed attributes the flow gave it (mh_app_tbs) */
    const mh_app_tbs *t = call->request ? call->request->tbs : NULL;
    if (t) {
        uint8_t h[64];
        size_t hl = 0;
        if (!t->ready || mh_hash_md(md, t->signed_attrs, t->signed_attrs_len, h, sizeof h, &hl) ||
            hl != in_len || mh_ct_memcmp(h, in, hl) != 0) {
            mh_err_clear();
            return mh_err_set(MH_ERR_INTERNAL,
                              "the digest to sign is not that of the signed attributes the "
                              "client would be shown; nothing was asked of it");
        }
    }
    int rc = s->ext.sign(&far, md, in, in_len, false, enc, sig, cap, sig_len);
    if (rc)
        return rc;
    mh_pki_pubkey *pk = calloc(1, sizeof *pk);
    if (!pk)
        return MH_ERR_NOMEM;
    bool good = mh_pki_spki_parse(self->spki, self->spki_len, pk) == 0 &&
                mh_pki_verify_hash(pk, self->alg, enc, md, in, in_len, sig, *sig_len, NULL) == 0;
    free(pk);
    if (!good) {
        mh_err_clear();
        return mh_err_set(MH_ERR_VERIFY_FAILED,
                          "the signature that came back does not verify with the certificate's "
                          "key over what was to be signed; nothing was signed with it");
    }
    return MH_OK;
}

int mh_app_signer_open_external(mh_app *a, const char *issuer_id, const uint8_t *cert, size_t len,
                                const mh_signer *far, mh_app_signer **out)
{
    mh_app_signer *s = NULL;
    *out = NULL;
    if (!far || !far->sign)
        return mh_err_set(MH_ERR_INVALID_ARG, "an external key needs a signer");
    mh_signer shim = {.sign = verified_sign, .name = far->name};
    int rc = mh_app_signer_open_remote(a, issuer_id, cert, len, &shim, &s);
    if (rc)
        return rc;
    if (s->signer.alg != MH_SIG_ECDSA && s->signer.alg != MH_SIG_RSA_PKCS1) {
        mh_app_signer_close(s);
        return mh_err_set(MH_ERR_KEY_TYPE,
                          "a key outside the appliance signs with ECDSA or RSA (PKCS#1 v1.5)");
    }
    s->ext = *far;
    s->signer.ctx = s;
    *out = s;
    return MH_OK;
}

const mh_signer *mh_app_bind(const mh_signer *k, bool remote, const mh_app_request *rq,
                             app_bound *tmp)
{
    if (!remote)
        return k;
    tmp->s = *k;
    tmp->call.ctx = k->ctx;
    tmp->call.request = rq;
    tmp->s.ctx = &tmp->call;
    return &tmp->s;
}

/* ---- the signer process: the token's side ---------------------------------- */

int mh_app_key_cert(mh_app *a, enum mh_app_key_role role, uint8_t **der, size_t *len)
{
    *der = NULL;
    *len = 0;
    if (role == MH_APP_KEY_REGISTRY) {
        if (!a->regkey)
            return mh_err_set(MH_ERR_INVALID_ARG, "the appliance was opened without its token");
        return mh_hsm_key_cert(a->regkey, der, len);
    }
    if (!a->tsa_ok)
        return mh_err_set(MH_ERR_NOT_FOUND, "no timestamp authority is configured");
    if (!(*der = dup_bytes(a->tsa_cert, a->tsa_cert_len)))
        return MH_ERR_NOMEM;
    *len = a->tsa_cert_len;
    return MH_OK;
}

const mh_signer *mh_app_key_signer(const mh_app *a, enum mh_app_key_role role)
{
    if (role == MH_APP_KEY_REGISTRY)
        return a->regkey ? &a->regsigner : NULL;
    return a->tsakey && a->tsa_ok ? &a->tsasigner : NULL;
}

int mh_app_signer_cert(const mh_app_signer *s, uint8_t **der, size_t *len)
{
    if (!(*der = dup_bytes(s->cert, s->cert_len)))
        return MH_ERR_NOMEM;
    *len = s->cert_len;
    return MH_OK;
}

const mh_signer *mh_app_signer_key(const mh_app_signer *s)
{
    return s && s->key ? &s->signer : NULL;
}

void mh_app_signer_fp(const mh_app_signer *s, uint8_t fp[32])
{
    memcpy(fp, s->fp, 32);
}

bool mh_app_token_ok(mh_app *a)
{
    mh_hsm_token_info info;
    return a->tok && mh_hsm_token_info_get(a->tok, &info) == 0;
}

int mh_app_sign_note(mh_app *a, const char *origin, const char *body, size_t body_len, char *note,
                     size_t cap, size_t *note_len)
{
    uint8_t keyid[4];
    int rc;
    if (!a->regkey)
        return mh_err_set(MH_ERR_INVALID_ARG, "the appliance was opened without its token");
    if ((rc = mh_note_keyid(origin, strlen(origin), MH_NOTE_ECDSA, a->regsigner.spki,
                            a->regsigner.spki_len, keyid)) != 0)
        return rc;
    return mh_note_sign(body, body_len, origin, MH_NOTE_ECDSA, keyid, &a->regsigner, note, cap,
                        note_len);
}
