/*
 * policy.c - the trust policy, in one place (docs/trust.md): who may sign
 * which kind with which certificate, which parties a kind has, what a
 * document id may be. Signing (issue.c, cosign.c), revoking and verifying
 * (verify.c) all call these functions; none of them decides on its own.
 */
#include "app_int.h"
#include "mh_hash.h"
#include "mh_qr.h"

#include <stdio.h>
#include <string.h>

/* id-kp-documentSigning (RFC 9336), id-kp-emailProtection, anyExtendedKeyUsage */
static const uint8_t eku_doc_signing[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24};
static const uint8_t eku_email[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04};
static const uint8_t eku_any[] = {0x55, 0x1d, 0x25, 0x00};

static bool span_is(const mh_x509_span *s, const uint8_t *v, size_t n)
{
    return s->len == n && memcmp(s->p, v, n) == 0;
}

int mh_app_policy_signer_cert(const uint8_t *der, size_t len, bool issuer, char *why, size_t cap)
{
    mh_x509_cert c;
    if (mh_x509_cert_parse(&c, der, len) != 0) {
        snprintf(why, cap, "the signer's certificate cannot be read");
        return MH_ERR_PERMISSION;
    }
    if (c.is_ca || ((c.ext_present & MH_EXT_KEY_USAGE) &&
                    (c.key_usage & (MH_KU_KEY_CERT_SIGN | MH_KU_CRL_SIGN)))) {
        snprintf(why, cap,
                 "the signer's certificate is a CA certificate: it may sign certificates and "
                 "CRLs, never documents");
        return MH_ERR_PERMISSION;
    }
    if (!(c.ext_present & MH_EXT_KEY_USAGE)) {
        snprintf(why, cap,
                 "the signer's certificate has no key usage, so it does not say it may sign "
                 "documents");
        return MH_ERR_PERMISSION;
    }
    uint16_t need =
        issuer ? MH_KU_NON_REPUDIATION : MH_KU_NON_REPUDIATION | MH_KU_DIGITAL_SIGNATURE;
    if (!(c.key_usage & need)) {
        snprintf(why, cap,
                 "the signer's certificate does not allow signing documents (its key usage "
                 "lacks %s)",
                 issuer ? "nonRepudiation" : "digitalSignature and nonRepudiation");
        return MH_ERR_PERMISSION;
    }
    if (c.ext_present & MH_EXT_EXT_KEY_USAGE) {
        bool ok = false;
        for (size_t i = 0; i < c.n_eku && !ok; i++)
            ok = span_is(&c.eku[i], eku_doc_signing, sizeof eku_doc_signing) ||
                 span_is(&c.eku[i], eku_email, sizeof eku_email) ||
                 span_is(&c.eku[i], eku_any, sizeof eku_any);
        if (!ok) {
            snprintf(why, cap,
                     "the signer's certificate is for another purpose (its extended key usage "
                     "does not include document signing)");
            return MH_ERR_PERMISSION;
        }
    }
    return MH_OK;
}

int mh_app_policy_issuer(const app_issuer *is, const mh_kind *k, const uint8_t *cert, size_t len,
                         char *why, size_t cap)
{
    bool kind_ok = false;
    for (size_t i = 0; i < is->info.nkinds && !kind_ok; i++)
        kind_ok = strcmp(is->info.kinds[i], k->id) == 0;
    if (!kind_ok) {
        snprintf(why, cap,
                 "issuer '%s' may not issue documents of kind '%s' (config.json says which "
                 "kinds each issuer may sign)",
                 is->info.id, k->id);
        return MH_ERR_PERMISSION;
    }
    return mh_app_policy_issuer_cert(is, cert, len, why, cap);
}

int mh_app_policy_issuer_cert(const app_issuer *is, const uint8_t *cert, size_t len, char *why,
                              size_t cap)
{
    /* what the certificate is comes first: a CA key is refused as such */
    int rc = mh_app_policy_signer_cert(cert, len, true, why, cap);
    if (rc)
        return rc;
    uint8_t fp[32];
    (void)mh_hash_sha256(cert, len, fp);
    bool registered = false;
    for (size_t i = 0; i < is->ncerts; i++)
        registered |= mh_ct_memcmp(is->fp[i], fp, 32) == 0;
    if (!registered) {
        char subj[256];
        mh_app_cert_subject(cert, len, subj, sizeof subj);
        snprintf(why, cap,
                 "the certificate '%.120s' is not registered for issuer '%s'; only its "
                 "registered certificates may sign its documents ('mohur issuer add-cert' "
                 "registers one)",
                 subj, is->info.id);
        return MH_ERR_PERMISSION;
    }
    return MH_OK;
}

int mh_app_policy_party(const mh_kind *k, size_t position, const uint8_t *cert, size_t len,
                        char *why, size_t cap)
{
    if (position == 0 || position >= k->nparties) {
        if (k->nparties == 1)
            snprintf(why, cap,
                     "a %s is signed by its issuer alone: no other signature may be added",
                     k->names[MH_LANG_EN]);
        else
            snprintf(why, cap, "a %s has %zu signing parties, and all of them have signed",
                     k->names[MH_LANG_EN], k->nparties);
        return MH_ERR_PERMISSION;
    }
    return mh_app_policy_signer_cert(cert, len, false, why, cap);
}

int mh_app_policy_number(const char *v, const char *what, bool slash_ok)
{
    size_t n = strlen(v);
    if (n == 0 || n > 64) {
        mh_err_set(MH_ERR_INVALID_ARG, "%s must be 1 to 64 characters", what);
        return MH_ERR_INVALID_ARG;
    }
    if (!mh_utf8_valid((const uint8_t *)v, n)) {
        mh_err_set(MH_ERR_INVALID_ARG, "%s is not valid UTF-8 text", what);
        return MH_ERR_INVALID_ARG;
    }
    if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "%s cannot be '.' or '..'", what);
        return MH_ERR_INVALID_ARG;
    }
    if (v[0] == ' ' || v[n - 1] == ' ') {
        mh_err_set(MH_ERR_INVALID_ARG, "%s '%s' starts or ends with a space", what, v);
        return MH_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < n && (unsigned char)v[i + 1] <= 0x9f)) {
            mh_err_set(MH_ERR_INVALID_ARG, "%s contains a control character", what);
            return MH_ERR_INVALID_ARG;
        }
        if (c == '\\' || (c == '/' && !slash_ok)) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "%s '%s' contains '%c', which a number on a roster may not (each "
                       "becomes a file name)",
                       what, v, c);
            return MH_ERR_INVALID_ARG;
        }
    }
    return MH_OK;
}

int mh_app_policy_doc_id(const char *issuer, const mh_kind *k, const char *id)
{
    size_t il = strlen(issuer), kl = strlen(k->id);
    if (strncmp(id, issuer, il) != 0 || id[il] != '/' || strncmp(id + il + 1, k->id, kl) != 0 ||
        id[il + 1 + kl] != '/') {
        mh_err_set(MH_ERR_PERMISSION,
                   "the document id '%.80s' is not in issuer '%s''s namespace for this kind: it "
                   "must be %s/%s/NUMBER",
                   id, issuer, issuer, k->id);
        return MH_ERR_PERMISSION;
    }
    return mh_app_policy_number(id + il + 1 + kl + 1, "the document number", true);
}

int mh_app_policy_qr_level(const mh_kind *k)
{
    switch (k->qr_level) {
    case 'L':
        return MH_QR_LEVEL_L;
    case 'Q':
        return MH_QR_LEVEL_Q;
    case 'H':
        return MH_QR_LEVEL_H;
    default:
        return MH_QR_LEVEL_M;
    }
}
