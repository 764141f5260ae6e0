/* crlgen.c - writing X.509 v2 CRLs (RFC 5280 5.1); mbedTLS has no CRL
 * writer. Written backwards with pki's DER writer (pki_der.h):
 *
 *   CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signature }
 *   TBSCertList ::= SEQUENCE {
 *     version INTEGER (1 = v2), signature AlgorithmIdentifier, issuer Name,
 *     thisUpdate Time, nextUpdate Time,
 *     revokedCertificates SEQUENCE OF SEQUENCE {
 *       userCertificate INTEGER, revocationDate Time,
 *       crlEntryExtensions { reasonCode (non-critical) } -- omitted for unspecified
 *     } OPTIONAL,                                          -- omitted when empty
 *     crlExtensions [0] EXPLICIT { authorityKeyIdentifier, cRLNumber } }
 */
#define MH_CA_INTERNAL
#include <stdlib.h>
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "pki_ca.h"

#define OID_AKI "\x55\x1d\x23"
#define OID_CRL_NUMBER "\x55\x1d\x14"
#define OID_REASON "\x55\x1d\x15"
#define L(s) (sizeof(s) - 1)

static const struct {
    int code;
    const char *name;
} reasons[] = {
    {MH_CRL_UNSPECIFIED, "unspecified"},
    {MH_CRL_KEY_COMPROMISE, "keyCompromise"},
    {MH_CRL_CA_COMPROMISE, "cACompromise"},
    {MH_CRL_AFFILIATION_CHANGED, "affiliationChanged"},
    {MH_CRL_SUPERSEDED, "superseded"},
    {MH_CRL_CESSATION_OF_OPERATION, "cessationOfOperation"},
    {MH_CRL_CERTIFICATE_HOLD, "certificateHold"},
    {MH_CRL_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn"},
};
#define N_REASONS (sizeof reasons / sizeof reasons[0])

int mh_crl_reason_from_name(const char *name)
{
    for (size_t i = 0; name && i < N_REASONS; i++)
        if (strcmp(name, reasons[i].name) == 0)
            return reasons[i].code;
    return -1;
}

const char *mh_crl_reason_name(int reason)
{
    for (size_t i = 0; i < N_REASONS; i++)
        if (reasons[i].code == reason)
            return reasons[i].name;
    return NULL;
}

size_t mh_crl_size_max(size_t n_entries)
{
    /* header, names, extensions and a signature, plus per entry: SEQUENCE,
     * INTEGER (20 bytes), Time, reasonCode extension */
    return 4096 + 2 * 1024 + n_entries * 64;
}

/* Wraps the extension value written since mark: Extension { OID, OCTET
 * STRING { value } } (none of a CRL's is critical). */
static void ext(mh_derw *w, const uint8_t *mark, const char *oid, size_t oid_len)
{
    mh_derw_wrap(w, MH_DER_OCTET_STRING, mark);
    mh_derw_tlv(w, MH_DER_OID, oid, oid_len);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
}

int mh_crl_write(const mh_crl_req *r, uint8_t *out, size_t cap, size_t *len)
{
    int ret = MH_ERR_INVALID_ARG;
    mh_x509_cert *ci = calloc(1, sizeof *ci); /* the CA's certificate */
    mbedtls_md_type_t md;
    uint8_t *tbs = NULL, aki[20];
    size_t tbs_cap;

    if (!r || !out || !len || !r->issuer_key || !r->issuer_cert)
        goto out;
    if (r->n_entries > 1000000 || (r->n_entries && !r->entries)) {
        mh_err_set(ret, "too many revoked certificates for one CRL");
        goto out;
    }
    if (r->next_update <= r->this_update) {
        mh_err_set(ret, "the CRL's next update must be after its this update (check --days)");
        goto out;
    }
    md = r->md;
    if ((ret = mh_ca_sig_alg(r->issuer_key, &md)) != 0)
        goto out;
    if (!ci) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if (mh_x509_cert_parse(ci, r->issuer_cert, r->issuer_cert_len) != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "the CA certificate is not a DER X.509 certificate mohur can read");
        ret = MH_ERR_PARSE;
        goto out;
    }
    if ((ci->ext_present & MH_EXT_SKI) && ci->ski.len == sizeof aki)
        memcpy(aki, ci->ski.p, sizeof aki);
    else if ((ret = mh_ca_key_id(ci->spki.p, ci->spki.len, aki)) != 0)
        goto out;
    tbs_cap = mh_crl_size_max(r->n_entries);
    tbs = malloc(tbs_cap);
    if (!tbs) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    mh_derw w;
    mh_derw_init(&w, tbs, tbs_cap);
    const uint8_t *end = w.p;

    /* crlExtensions [0] { SEQUENCE { AKI, cRLNumber } } */
    {
        const uint8_t *exts = w.p, *m = w.p;
        mh_derw_uint(&w, r->crl_number);
        ext(&w, m, OID_CRL_NUMBER, L(OID_CRL_NUMBER));
        m = w.p;
        mh_derw_tlv(&w, MH_DER_CTX_P(0), aki, sizeof aki);
        mh_derw_wrap(&w, MH_DER_SEQUENCE, m);
        ext(&w, m, OID_AKI, L(OID_AKI));
        mh_derw_wrap(&w, MH_DER_SEQUENCE, exts);
        mh_derw_wrap(&w, MH_DER_CTX_C(0), exts);
    }
    /* revokedCertificates, in the order given */
    if (r->n_entries > 0) {
        const uint8_t *list = w.p;
        for (size_t i = r->n_entries; i-- > 0;) {
            const mh_crl_entry *e = &r->entries[i];
            const uint8_t *m = w.p;
            if (e->serial_len == 0 || e->serial_len > sizeof e->serial) {
                mh_err_set(MH_ERR_INVALID_ARG,
                           "a revoked certificate has an empty or oversized serial");
                ret = MH_ERR_INVALID_ARG;
                goto out;
            }
            if (e->reason != MH_CRL_UNSPECIFIED) {
                if (!mh_crl_reason_name(e->reason)) {
                    mh_err_set(MH_ERR_INVALID_ARG, "unknown revocation reason %d", e->reason);
                    ret = MH_ERR_INVALID_ARG;
                    goto out;
                }
                const uint8_t *me = w.p;
                uint8_t reason = (uint8_t)e->reason;
                mh_derw_tlv(&w, MH_DER_ENUMERATED, &reason, 1);
                ext(&w, me, OID_REASON, L(OID_REASON));
                mh_derw_wrap(&w, MH_DER_SEQUENCE, me);
            }
            mh_derw_time(&w, e->date, false);
            mh_derw_uint_bytes(&w, e->serial, e->serial_len);
            mh_derw_wrap(&w, MH_DER_SEQUENCE, m);
        }
        mh_derw_wrap(&w, MH_DER_SEQUENCE, list);
    }
    mh_derw_time(&w, r->next_update, false);
    mh_derw_time(&w, r->this_update, false);
    mh_derw_raw(&w, ci->subject.raw.p, ci->subject.raw.len);
    if ((ret = mh_ca_w_sigalg(&w, r->issuer_key, md)) != 0)
        goto out;
    mh_derw_uint(&w, 1); /* v2 */
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed) {
        ret = MH_ERR_BUFFER_TOO_SMALL;
        goto out;
    }

    ret = mh_ca_sign_wrap(r->issuer_key, md, w.p, mh_derw_len(&w, end), ci->spki.p, ci->spki.len,
                          out, cap, len);
out:
    free(ci);
    free(tbs);
    return ret;
}
