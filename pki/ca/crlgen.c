/* crlgen.c - writing X.509 v2 CRLs (RFC 5280 5.1); mbedTLS has no CRL
 * writer. Written backwards with mbedtls/asn1write.h:
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

#include "mh_pki.h"

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

static int wrap(unsigned char **p, unsigned char *start, uint8_t tag, size_t inner)
{
    int l1 = mbedtls_asn1_write_len(p, start, inner);
    if (l1 < 0)
        return l1;
    int l2 = mbedtls_asn1_write_tag(p, start, tag);
    if (l2 < 0)
        return l2;
    return (int)inner + l1 + l2;
}

/* An Extension: OID, [critical,] OCTET STRING around `inner` bytes. */
static int ext(unsigned char **p, unsigned char *start, const char *oid, size_t oid_len,
               size_t inner)
{
    int l = wrap(p, start, MH_DER_OCTET_STRING, inner);
    if (l < 0)
        return l;
    int lo = mbedtls_asn1_write_oid(p, start, oid, oid_len);
    if (lo < 0)
        return lo;
    return wrap(p, start, MH_DER_SEQUENCE, (size_t)(l + lo));
}

/* A non-negative INTEGER from big-endian bytes (minimal encoding). */
static int w_uint_bytes(unsigned char **p, unsigned char *start, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    int l = mbedtls_asn1_write_raw_buffer(p, start, v, n);
    if (l < 0)
        return l;
    if (v[0] & 0x80) {
        if (*p - start < 1)
            return MH_ERR_BUFFER_TOO_SMALL;
        *--(*p) = 0;
        l++;
    }
    return wrap(p, start, MH_DER_INTEGER, (size_t)l);
}

#define W(expr)                                                                                    \
    do {                                                                                           \
        int l_ = (expr);                                                                           \
        if (l_ < 0) {                                                                              \
            ret = l_ <= MH_ERR_LAST_ ? MH_ERR_BUFFER_TOO_SMALL : l_;                               \
            goto out;                                                                              \
        }                                                                                          \
        n += (size_t)l_;                                                                           \
    } while (0)

/* Re-wraps the bytes written since `mark` in a tag. */
#define WRAP(mark, tag)                                                                            \
    do {                                                                                           \
        size_t inner_ = n - (mark);                                                                \
        n = (mark);                                                                                \
        W(wrap(&p, start, tag, inner_));                                                           \
    } while (0)

int mh_crl_write(const mh_crl_req *r, uint8_t *out, size_t cap, size_t *len)
{
    int ret = MH_ERR_INVALID_ARG;
    mh_x509_cert *ci = calloc(1, sizeof *ci); /* the CA's certificate */
    mbedtls_md_type_t md;
    uint8_t *tbs = NULL, aki[20];
    size_t tbs_cap, n = 0;
    unsigned char *start, *p;

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
    start = tbs;
    p = tbs + tbs_cap;

    /* crlExtensions [0] { SEQUENCE { AKI, cRLNumber } } */
    {
        size_t m0 = n, m;
        uint8_t num[9];
        for (int i = 0; i < 8; i++)
            num[1 + i] = (uint8_t)(r->crl_number >> (56 - 8 * i));
        num[0] = 0;
        m = n;
        W(w_uint_bytes(&p, start, num, sizeof num));
        {
            size_t inner = n - m;
            n = m;
            W(ext(&p, start, OID_CRL_NUMBER, L(OID_CRL_NUMBER), inner));
        }
        m = n;
        W(mbedtls_asn1_write_tagged_string(&p, start, MH_DER_CTX_P(0), (const char *)aki, 20));
        WRAP(m, MH_DER_SEQUENCE);
        {
            size_t inner = n - m;
            n = m;
            W(ext(&p, start, OID_AKI, L(OID_AKI), inner));
        }
        WRAP(m0, MH_DER_SEQUENCE);
        WRAP(m0, MH_DER_CTX_C(0));
    }
    /* revokedCertificates, in the order given */
    if (r->n_entries > 0) {
        size_t m0 = n;
        for (size_t i = r->n_entries; i-- > 0;) {
            const mh_crl_entry *e = &r->entries[i];
            size_t m = n;
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
                size_t me = n;
                W(mbedtls_asn1_write_enum(&p, start, e->reason));
                {
                    size_t inner = n - me;
                    n = me;
                    W(ext(&p, start, OID_REASON, L(OID_REASON), inner));
                }
                WRAP(me, MH_DER_SEQUENCE);
            }
            W(mh_ca_w_time(&p, start, e->date));
            W(w_uint_bytes(&p, start, e->serial, e->serial_len));
            WRAP(m, MH_DER_SEQUENCE);
        }
        WRAP(m0, MH_DER_SEQUENCE);
    }
    W(mh_ca_w_time(&p, start, r->next_update));
    W(mh_ca_w_time(&p, start, r->this_update));
    W(mbedtls_asn1_write_raw_buffer(&p, start, ci->subject.raw.p, ci->subject.raw.len));
    W(mh_ca_w_sigalg(&p, start, r->issuer_key, md));
    W(mbedtls_asn1_write_int(&p, start, 1)); /* v2 */
    WRAP(0, MH_DER_SEQUENCE);

    ret = mh_ca_sign_wrap(r->issuer_key, md, p, n, ci->spki.p, ci->spki.len, out, cap, len);
out:
    free(ci);
    free(tbs);
    return ret;
}
