/* cms_verify.c - CMS SignedData verification (pki_cms.h).
 *
 * Everything is read with the mh_der cursor; caps on signers, certificates
 * and attributes bound the work. Signatures are checked with pki_sig.h's
 * strict verifier (one function below, sig_check). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "pki_cms.h"
#include "pki_tsp.h"

static const uint8_t oid_ct[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
static const uint8_t oid_md[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
static const uint8_t oid_st[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};
static const uint8_t oid_scv2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                   0x01, 0x09, 0x10, 0x02, 0x2f};
static const uint8_t oid_tst[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e};
static const uint8_t oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01}; /* + n */
static const uint8_t oid_ecdsa[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04};           /* + ... */
static const uint8_t oid_ecpub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_dsa[] = {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04};                  /* + n */
static const uint8_t oid_nist_sig[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03}; /* + n */
static const uint8_t oid_mgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};

typedef struct sd_parsed {
    mh_der_elem version, digest_algs, encap, ctype, econtent, certs, crls, signer_set;
    bool has_econtent, has_certs, has_crls;
    size_t n_si;
    mh_der_elem si[MH_CMS_MAX_SIGNERS];
    size_t n_certs;
    mh_der_elem cert[MH_CMS_MAX_CERTS];
} sd_parsed;

typedef struct si_parsed {
    mh_der_elem version, sid, digest_alg, sattrs, sig_alg, sig, uattrs;
    bool has_sattrs, has_uattrs;
} si_parsed;

static int bad(const char *what)
{
    mh_err_set(MH_ERR_PARSE, "the CMS message is malformed: %s", what);
    return MH_ERR_PARSE;
}

static int parse_sd(const uint8_t *cms, size_t len, sd_parsed *sd)
{
    mh_der d, c, s, e;
    mh_der_elem ci, oid, ctx0, sdseq, ec, ctx, el;
    bool present;

    memset(sd, 0, sizeof *sd);
    if (!cms || len == 0)
        return bad("it is empty");
    if (len > MH_CMS_MAX_INPUT) {
        mh_err_set(MH_ERR_TOO_LARGE, "the CMS message is larger than %zu bytes", MH_CMS_MAX_INPUT);
        return MH_ERR_TOO_LARGE;
    }
    mh_der_init(&d, cms, len);
    mh_der_expect(&d, MH_DER_SEQUENCE, &ci);
    if (!mh_der_done(&d))
        return bad("it is not one DER ContentInfo (BER input must be converted first)");
    mh_der_enter(&c, &ci);
    mh_der_expect(&c, MH_DER_OID, &oid);
    if (c.failed)
        return bad("no content type");
    if (!mh_der_oid_is(&oid, mh_oid_signed_data, sizeof mh_oid_signed_data)) {
        mh_err_set(MH_ERR_CMS, "the CMS message is not SignedData (it is another content type)");
        return MH_ERR_CMS;
    }
    mh_der_expect(&c, MH_DER_CTX_C(0), &ctx0);
    if (!mh_der_done(&c))
        return bad("ContentInfo");
    mh_der_enter(&c, &ctx0);
    mh_der_expect(&c, MH_DER_SEQUENCE, &sdseq);
    if (!mh_der_done(&c))
        return bad("SignedData");
    mh_der_enter(&s, &sdseq);
    mh_der_expect(&s, MH_DER_INTEGER, &sd->version);
    mh_der_expect(&s, MH_DER_SET, &sd->digest_algs);
    mh_der_expect(&s, MH_DER_SEQUENCE, &sd->encap);
    mh_der_optional(&s, MH_DER_CTX_C(0), &sd->certs, &sd->has_certs);
    mh_der_optional(&s, MH_DER_CTX_C(1), &sd->crls, &sd->has_crls);
    mh_der_expect(&s, MH_DER_SET, &sd->signer_set);
    if (!mh_der_done(&s))
        return bad("SignedData fields");
    uint64_t v;
    if (mh_der_uint(&sd->version, &v) || v > 5)
        return bad("SignedData version");
    /* encapContentInfo */
    mh_der_enter(&e, &sd->encap);
    mh_der_expect(&e, MH_DER_OID, &sd->ctype);
    mh_der_optional(&e, MH_DER_CTX_C(0), &ec, &present);
    if (!mh_der_done(&e) || mh_der_oid_check(&sd->ctype))
        return bad("encapContentInfo");
    if (present) {
        mh_der x;
        mh_der_enter(&x, &ec);
        mh_der_expect(&x, MH_DER_OCTET_STRING, &sd->econtent);
        if (!mh_der_done(&x))
            return bad("eContent");
        sd->has_econtent = true;
    }
    /* certificates */
    if (sd->has_certs) {
        mh_der_enter(&e, &sd->certs);
        while (!mh_der_empty(&e)) {
            if (mh_der_next(&e, &el))
                return bad("certificates");
            if (el.tag != MH_DER_SEQUENCE)
                continue; /* attribute and other certificate formats are not used here */
            if (sd->n_certs == MH_CMS_MAX_CERTS) {
                mh_err_set(MH_ERR_TOO_LARGE, "the CMS message holds more than %d certificates",
                           MH_CMS_MAX_CERTS);
                return MH_ERR_TOO_LARGE;
            }
            sd->cert[sd->n_certs++] = el;
        }
    }
    /* signerInfos */
    mh_der_enter(&e, &sd->signer_set);
    while (!mh_der_empty(&e)) {
        if (mh_der_expect(&e, MH_DER_SEQUENCE, &ctx))
            return bad("signerInfos");
        if (sd->n_si == MH_CMS_MAX_SIGNERS) {
            mh_err_set(MH_ERR_TOO_LARGE, "the CMS message has more than %d signers",
                       MH_CMS_MAX_SIGNERS);
            return MH_ERR_TOO_LARGE;
        }
        sd->si[sd->n_si++] = ctx;
    }
    return 0;
}

static int parse_si(const mh_der_elem *el, si_parsed *si)
{
    mh_der d;
    memset(si, 0, sizeof *si);
    mh_der_enter(&d, el);
    mh_der_expect(&d, MH_DER_INTEGER, &si->version);
    if (mh_der_peek(&d) == MH_DER_SEQUENCE)
        mh_der_expect(&d, MH_DER_SEQUENCE, &si->sid);
    else
        mh_der_expect(&d, MH_DER_CTX_P(0), &si->sid);
    mh_der_expect(&d, MH_DER_SEQUENCE, &si->digest_alg);
    mh_der_optional(&d, MH_DER_CTX_C(0), &si->sattrs, &si->has_sattrs);
    mh_der_expect(&d, MH_DER_SEQUENCE, &si->sig_alg);
    mh_der_expect(&d, MH_DER_OCTET_STRING, &si->sig);
    mh_der_optional(&d, MH_DER_CTX_C(1), &si->uattrs, &si->has_uattrs);
    if (!mh_der_done(&d))
        return bad("SignerInfo");
    uint64_t v;
    if (mh_der_uint(&si->version, &v) || (v == 1) != (si->sid.tag == MH_DER_SEQUENCE) ||
        (v != 1 && v != 3))
        return bad("SignerInfo version does not match its signer identifier");
    return 0;
}

/* ---- the one place signatures are checked ------------------------------- */

typedef struct sigalg {
    enum mh_sig_alg kind;
    struct mh_pki_pss_params pss;
} sigalg;

static int sig_check(const mh_x509_cert *cert, const sigalg *alg, mbedtls_md_type_t md,
                     const uint8_t *hash, size_t hlen, const uint8_t *sig, size_t sig_len,
                     bool legacy)
{
    mh_pki_pubkey local;
    mh_pki_pubkey *kp = &local;
    int rc =
        mh_pki_spki_parse_flags(cert->spki.p, cert->spki.len, legacy ? MH_PKI_SPKI_LEGACY : 0, kp);
    if (rc)
        return (rc == MH_ERR_UNSUPPORTED_ALG || rc == MH_ERR_ALG_REFUSED) ? rc
                                                                          : MH_ERR_VERIFY_FAILED;
    if (alg->kind != MH_SIG_RSA_PKCS1 && alg->kind != MH_SIG_RSA_PSS && alg->kind != MH_SIG_ECDSA)
        return MH_ERR_UNSUPPORTED_ALG;
    rc = mh_pki_verify_hash(kp, alg->kind, MH_SIG_DER, md, hash, hlen, sig, sig_len,
                            alg->kind == MH_SIG_RSA_PSS ? &alg->pss : NULL);
    mh_wipe(&local, sizeof local);
    return rc;
}

/* signatureAlgorithm -> kind, checked against the digest algorithm. */
static int parse_sig_alg(const mh_der_elem *el, mbedtls_md_type_t md, sigalg *out)
{
    mh_der d;
    mh_der_elem oid, par = {0};
    bool has_par;
    memset(out, 0, sizeof *out);
    mh_der_enter(&d, el);
    mh_der_expect(&d, MH_DER_OID, &oid);
    mh_der_optional(&d, MH_DER_NULL, &par, &has_par);
    if (!has_par && !mh_der_empty(&d))
        mh_der_next(&d, &par);
    if (!mh_der_done(&d) || mh_der_oid_check(&oid))
        return MH_ERR_PARSE;
    bool null_par = mh_der_empty(&d) && (!par.raw || par.tag == MH_DER_NULL);
    mbedtls_md_type_t amd = MBEDTLS_MD_NONE;
    if (oid.len == sizeof oid_rsa + 1 && memcmp(oid.val, oid_rsa, sizeof oid_rsa) == 0) {
        uint8_t n = oid.val[sizeof oid_rsa];
        switch (n) {
        case 1:
            amd = md;
            break;
        case 5:
            amd = MBEDTLS_MD_SHA1;
            break;
        case 11:
            amd = MBEDTLS_MD_SHA256;
            break;
        case 12:
            amd = MBEDTLS_MD_SHA384;
            break;
        case 13:
            amd = MBEDTLS_MD_SHA512;
            break;
        case 14:
            amd = MBEDTLS_MD_SHA224;
            break;
        case 10: {
            /* RSASSA-PSS-params; the defaults (SHA-1, MGF1-SHA-1, 20) apply */
            mh_der p, x;
            mh_der_elem seq, f, a1;
            bool pr;
            mbedtls_md_type_t h = MBEDTLS_MD_SHA1, mg = MBEDTLS_MD_SHA1;
            uint64_t salt = 20, trailer = 1;
            if (!has_par && par.tag == MH_DER_SEQUENCE)
                seq = par;
            else
                return MH_ERR_PARSE;
            mh_der_enter(&p, &seq);
            mh_der_optional(&p, MH_DER_CTX_C(0), &f, &pr);
            if (pr) {
                mh_der_enter(&x, &f);
                if (mh_der_expect(&x, MH_DER_SEQUENCE, &a1) || !mh_der_done(&x) ||
                    mh_cms_md_alg_parse(&a1, &h))
                    return MH_ERR_PARSE;
            }
            mh_der_optional(&p, MH_DER_CTX_C(1), &f, &pr);
            if (pr) {
                mh_der y;
                mh_der_elem moid, mpar;
                mh_der_enter(&x, &f);
                if (mh_der_expect(&x, MH_DER_SEQUENCE, &a1) || !mh_der_done(&x))
                    return MH_ERR_PARSE;
                mh_der_enter(&y, &a1);
                mh_der_expect(&y, MH_DER_OID, &moid);
                mh_der_expect(&y, MH_DER_SEQUENCE, &mpar);
                if (!mh_der_done(&y) || !mh_der_oid_is(&moid, oid_mgf1, sizeof oid_mgf1))
                    return MH_ERR_UNSUPPORTED_ALG;
                if (mh_cms_md_alg_parse(&mpar, &mg))
                    return MH_ERR_PARSE;
            }
            mh_der_optional(&p, MH_DER_CTX_C(2), &f, &pr);
            if (pr) {
                mh_der_enter(&x, &f);
                if (mh_der_expect(&x, MH_DER_INTEGER, &a1) || !mh_der_done(&x) ||
                    mh_der_uint(&a1, &salt) || salt > 1024)
                    return MH_ERR_PARSE;
            }
            mh_der_optional(&p, MH_DER_CTX_C(3), &f, &pr);
            if (pr) {
                mh_der_enter(&x, &f);
                if (mh_der_expect(&x, MH_DER_INTEGER, &a1) || !mh_der_done(&x) ||
                    mh_der_uint(&a1, &trailer) || trailer != 1)
                    return MH_ERR_PARSE;
            }
            if (!mh_der_done(&p))
                return MH_ERR_PARSE;
            if (h != md)
                return MH_ERR_VERIFY_FAILED;
            out->kind = MH_SIG_RSA_PSS;
            out->pss.mgf1_md = mg;
            out->pss.salt_len = (size_t)salt;
            out->pss.salt_any = false;
            return 0;
        }
        default:
            return MH_ERR_UNSUPPORTED_ALG;
        }
        if (!null_par)
            return MH_ERR_PARSE;
        out->kind = MH_SIG_RSA_PKCS1;
    } else if (oid.len >= sizeof oid_ecdsa + 1 &&
               memcmp(oid.val, oid_ecdsa, sizeof oid_ecdsa) == 0) {
        const uint8_t *t = oid.val + sizeof oid_ecdsa;
        size_t tl = oid.len - sizeof oid_ecdsa;
        if (tl == 1 && t[0] == 1)
            amd = MBEDTLS_MD_SHA1;
        else if (tl == 2 && t[0] == 3 && t[1] >= 1 && t[1] <= 4)
            amd = t[1] == 1   ? MBEDTLS_MD_SHA224
                  : t[1] == 2 ? MBEDTLS_MD_SHA256
                  : t[1] == 3 ? MBEDTLS_MD_SHA384
                              : MBEDTLS_MD_SHA512;
        else
            return MH_ERR_UNSUPPORTED_ALG;
        if (par.raw)
            return MH_ERR_PARSE; /* RFC 5758: parameters absent */
        out->kind = MH_SIG_ECDSA;
    } else if (mh_der_oid_is(&oid, oid_ecpub, sizeof oid_ecpub)) {
        amd = md;
        out->kind = MH_SIG_ECDSA;
    } else if ((oid.len == sizeof oid_dsa + 1 && memcmp(oid.val, oid_dsa, sizeof oid_dsa) == 0) ||
               (oid.len == sizeof oid_nist_sig + 1 &&
                memcmp(oid.val, oid_nist_sig, sizeof oid_nist_sig) == 0 &&
                oid.val[sizeof oid_nist_sig] <= 2)) {
        out->kind = MH_SIG_DSA;
        return MH_ERR_UNSUPPORTED_ALG;
    } else {
        return MH_ERR_UNSUPPORTED_ALG;
    }
    if (amd != md)
        return MH_ERR_VERIFY_FAILED;
    return 0;
}

/* ---- attributes --------------------------------------------------------- */

typedef struct attrs {
    const mh_der_elem *ct, *md, *st, *scv2;
    mh_der_elem v[4];
} attrs;

/* Reads the attributes of interest; each must have exactly one value and
 * appear once. `sorted`: insist on DER order of the SET OF. */
static int parse_attrs(const mh_der_elem *set, attrs *a, bool sorted)
{
    mh_der d;
    mh_der_elem at, prev = {0};
    size_t n = 0;
    memset(a, 0, sizeof *a);
    mh_der_enter(&d, set);
    while (!mh_der_empty(&d)) {
        mh_der x, vs;
        mh_der_elem oid, vset, val;
        if (mh_der_expect(&d, MH_DER_SEQUENCE, &at))
            return bad("an attribute");
        if (++n > MH_CMS_MAX_ATTRS) {
            mh_err_set(MH_ERR_TOO_LARGE, "a signer has more than %d attributes", MH_CMS_MAX_ATTRS);
            return MH_ERR_TOO_LARGE;
        }
        if (sorted && prev.raw) {
            size_t m = prev.raw_len < at.raw_len ? prev.raw_len : at.raw_len;
            int c = memcmp(prev.raw, at.raw, m);
            if (c > 0 || (c == 0 && prev.raw_len > at.raw_len))
                return bad("the signed attributes are not in DER order");
        }
        prev = at;
        mh_der_enter(&x, &at);
        mh_der_expect(&x, MH_DER_OID, &oid);
        mh_der_expect(&x, MH_DER_SET, &vset);
        if (!mh_der_done(&x) || vset.len == 0)
            return bad("an attribute");
        int idx = -1;
        if (mh_der_oid_is(&oid, oid_ct, sizeof oid_ct))
            idx = 0;
        else if (mh_der_oid_is(&oid, oid_md, sizeof oid_md))
            idx = 1;
        else if (mh_der_oid_is(&oid, oid_st, sizeof oid_st))
            idx = 2;
        else if (mh_der_oid_is(&oid, oid_scv2, sizeof oid_scv2))
            idx = 3;
        if (idx < 0)
            continue;
        mh_der_enter(&vs, &vset);
        mh_der_next(&vs, &val);
        if (!mh_der_done(&vs))
            return bad("an attribute must have exactly one value");
        const mh_der_elem **slot = idx == 0   ? &a->ct
                                   : idx == 1 ? &a->md
                                   : idx == 2 ? &a->st
                                              : &a->scv2;
        if (*slot)
            return bad("an attribute appears twice");
        a->v[idx] = val;
        *slot = &a->v[idx];
    }
    return 0;
}

int mh_cms_signed_attrs_read(const uint8_t *der, size_t len, mh_cms_sattrs_info *out)
{
    mh_der d;
    mh_der_elem set;
    attrs a;
    memset(out, 0, sizeof *out);
    mh_der_init(&d, der, len);
    if (mh_der_expect(&d, MH_DER_SET, &set) || !mh_der_done(&d))
        return bad("the signed attributes");
    int rc = parse_attrs(&set, &a, true);
    if (rc)
        return rc;
    if (!a.ct || !a.md || a.ct->tag != MH_DER_OID || a.md->tag != MH_DER_OCTET_STRING)
        return bad("the signed attributes (content-type and message-digest)");
    out->content_is_data = mh_der_oid_is(a.ct, mh_oid_id_data, sizeof mh_oid_id_data);
    out->message_digest = a.md->val;
    out->message_digest_len = a.md->len;
    if (a.st) {
        if (mh_der_time(a.st, &out->signing_time))
            return bad("the signing-time attribute");
        out->has_signing_time = true;
    }
    return 0;
}

static void sfail(mh_cms_signer_result *r, int code, const char *fmt, ...) MH_PRINTF(3, 4);
static void sfail(mh_cms_signer_result *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    r->status = code;
}

/* signing-certificate-v2 must name the signer certificate. */
static int check_scv2(const mh_der_elem *v, const mh_x509_cert *cert)
{
    mh_der d, c, id, is, gns;
    mh_der_elem certs = {0}, first = {0}, h, isr, gn, serial, alg;
    mbedtls_md_type_t md = MBEDTLS_MD_SHA256;
    uint8_t hash[MBEDTLS_MD_MAX_SIZE];
    bool present;

    mh_der_enter(&d, v);
    mh_der_expect(&d, MH_DER_SEQUENCE, &certs);
    mh_der_enter(&c, &certs);
    mh_der_expect(&c, MH_DER_SEQUENCE, &first);
    mh_der_enter(&id, &first);
    if (mh_der_peek(&id) == MH_DER_SEQUENCE) {
        mh_der_expect(&id, MH_DER_SEQUENCE, &alg);
        if (id.failed || mh_cms_md_alg_parse(&alg, &md))
            return MH_ERR_UNSUPPORTED_ALG;
    }
    mh_der_expect(&id, MH_DER_OCTET_STRING, &h);
    mh_der_optional(&id, MH_DER_SEQUENCE, &isr, &present);
    if (!mh_der_done(&id) || d.failed || c.failed)
        return MH_ERR_PARSE;
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    if (!mi || h.len != mbedtls_md_get_size(mi) || mbedtls_md(mi, cert->raw.p, cert->raw.len, hash))
        return MH_ERR_VERIFY_FAILED;
    if (mh_ct_memcmp(hash, h.val, h.len) != 0)
        return MH_ERR_VERIFY_FAILED;
    if (present) {
        bool found = false;
        mh_der_enter(&is, &isr);
        mh_der_expect(&is, MH_DER_SEQUENCE, &gn);
        mh_der_expect(&is, MH_DER_INTEGER, &serial);
        if (!mh_der_done(&is))
            return MH_ERR_PARSE;
        mh_der_enter(&gns, &gn);
        while (!mh_der_empty(&gns)) {
            mh_der_elem g;
            if (mh_der_next(&gns, &g))
                return MH_ERR_PARSE;
            if (g.tag == MH_DER_CTX_C(4) && g.len == cert->issuer.raw.len &&
                memcmp(g.val, cert->issuer.raw.p, g.len) == 0)
                found = true;
        }
        if (!found || serial.len != cert->serial.len ||
            memcmp(serial.val, cert->serial.p, serial.len) != 0)
            return MH_ERR_VERIFY_FAILED;
    }
    return 0;
}

/* ---- verification ------------------------------------------------------- */

static int find_cert(const sd_parsed *sd, const mh_cms_verify_opts *o, const si_parsed *si,
                     mh_x509_cert *out)
{
    mh_der_elem iss = {0}, ser = {0};
    if (si->sid.tag == MH_DER_SEQUENCE) {
        mh_der d;
        mh_der_enter(&d, &si->sid);
        mh_der_expect(&d, MH_DER_SEQUENCE, &iss);
        mh_der_expect(&d, MH_DER_INTEGER, &ser);
        if (!mh_der_done(&d))
            return MH_ERR_PARSE;
    }
    size_t n = sd->n_certs + (o ? o->cert_n : 0);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *der;
        size_t len;
        if (i < sd->n_certs) {
            der = sd->cert[i].raw;
            len = sd->cert[i].raw_len;
        } else {
            der = o->certs[i - sd->n_certs];
            len = o->cert_len[i - sd->n_certs];
        }
        if (!der || len > MH_CMS_MAX_CERT_LEN || mh_x509_cert_parse(out, der, len))
            continue;
        if (si->sid.tag == MH_DER_SEQUENCE) {
            if (out->issuer.raw.len == iss.raw_len && out->serial.len == ser.len &&
                memcmp(out->issuer.raw.p, iss.raw, iss.raw_len) == 0 &&
                memcmp(out->serial.p, ser.val, ser.len) == 0)
                return 0;
        } else if ((out->ext_present & MH_EXT_SKI) && out->ski.len == si->sid.len &&
                   memcmp(out->ski.p, si->sid.val, si->sid.len) == 0) {
            return 0;
        }
    }
    return MH_ERR_NOT_FOUND;
}

static void verify_with(const sd_parsed *sd, const mh_der_elem *el, const mh_cms_verify_opts *o,
                        const uint8_t *content, size_t clen, mbedtls_md_type_t given_md,
                        const uint8_t *given, size_t given_len, mh_x509_cert *cert,
                        mh_cms_signer_result *r)
{
    si_parsed si;
    sigalg alg;
    attrs a;
    bool legacy = o && (o->flags & MH_CMS_LEGACY);
    uint8_t dig[MBEDTLS_MD_MAX_SIZE], hash[MBEDTLS_MD_MAX_SIZE];
    int rc;

    memset(r, 0, sizeof *r);
    r->status = MH_ERR_VERIFY_FAILED;
    if (parse_si(el, &si)) {
        sfail(r, MH_ERR_PARSE, "the SignerInfo is malformed");
        return;
    }
    r->signature = si.sig.val;
    r->signature_len = si.sig.len;
    if (si.has_sattrs) {
        r->sattrs = si.sattrs.val;
        r->sattrs_len = si.sattrs.len;
    }
    if (si.has_uattrs) {
        r->uattrs = si.uattrs.val;
        r->uattrs_len = si.uattrs.len;
    }
    if (find_cert(sd, o, &si, cert)) {
        sfail(r, MH_ERR_NOT_FOUND,
              "the signer's certificate is not in the message (give it with the certificates)");
        return;
    }
    r->cert = cert->raw.p;
    r->cert_len = cert->raw.len;
    rc = mh_cms_md_alg_parse(&si.digest_alg, &r->md);
    if (rc) {
        sfail(r, MH_ERR_UNSUPPORTED_ALG, "the digest algorithm is not supported");
        return;
    }
    rc = parse_sig_alg(&si.sig_alg, r->md, &alg);
    r->sig = alg.kind;
    if (rc == MH_ERR_UNSUPPORTED_ALG || rc == MH_ERR_ALG_REFUSED) {
        sfail(r, rc, "the signature algorithm is not supported (%s)",
              alg.kind == MH_SIG_DSA ? "DSA" : "unknown OID");
        return;
    }
    if (rc) {
        sfail(r, MH_ERR_VERIFY_FAILED,
              "the signature algorithm is malformed or does not match the digest algorithm");
        return;
    }
    if (r->md == MBEDTLS_MD_SHA1 && !legacy) {
        sfail(r, MH_ERR_ALG_REFUSED,
              "the signature uses SHA-1, which is refused by policy (broken for collisions)");
        return;
    }
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(r->md);
    size_t hl = mbedtls_md_get_size(mi);
    if (given) {
        if (given_md != r->md || given_len != hl) {
            sfail(r, MH_ERR_VERIFY_FAILED, "the content digest given is not %s",
                  mh_cms_md_name(r->md));
            return;
        }
        memcpy(dig, given, hl);
    } else if (content) {
        if (mbedtls_md(mi, content, clen, dig)) {
            sfail(r, MH_ERR_INTERNAL, "hashing failed");
            return;
        }
    } else {
        sfail(r, MH_ERR_INVALID_ARG,
              "the signature is detached: give the signed content to verify it");
        return;
    }

    if (si.has_sattrs) {
        rc = parse_attrs(&si.sattrs, &a, !legacy);
        if (rc) {
            sfail(r, rc, "%s", mh_err_message(rc));
            return;
        }
        if (!a.ct || !a.md) {
            sfail(r, MH_ERR_VERIFY_FAILED, "the %s attribute is missing",
                  !a.md ? "message-digest" : "content-type");
            return;
        }
        if (a.ct->tag != MH_DER_OID || a.ct->len != sd->ctype.len ||
            memcmp(a.ct->val, sd->ctype.val, a.ct->len) != 0) {
            sfail(r, MH_ERR_VERIFY_FAILED,
                  "the content-type attribute differs from the signed content's type");
            return;
        }
        if (a.md->tag != MH_DER_OCTET_STRING || a.md->len != hl ||
            mh_ct_memcmp(a.md->val, dig, hl) != 0) {
            r->failed_check = MH_CMS_CHECK_DIGEST;
            sfail(r, MH_ERR_VERIFY_FAILED,
                  "the content does not match the signature (message-digest differs): "
                  "the content was changed or is not the one signed");
            return;
        }
        if (a.st) {
            if (mh_der_time(a.st, &r->signing_time)) {
                sfail(r, MH_ERR_VERIFY_FAILED, "the signing-time attribute is malformed");
                return;
            }
            r->has_signing_time = true;
        }
        if (a.scv2) {
            rc = check_scv2(a.scv2, cert);
            if (rc) {
                r->failed_check = MH_CMS_CHECK_SIGNING_CERT;
                sfail(r,
                      (rc == MH_ERR_UNSUPPORTED_ALG || rc == MH_ERR_ALG_REFUSED)
                          ? rc
                          : MH_ERR_VERIFY_FAILED,
                      "the signing-certificate-v2 attribute does not name the signer's "
                      "certificate (certificate swapped?)");
                return;
            }
            r->has_signing_cert_v2 = true;
        }
        /* the signature covers the attributes as a SET OF (tag 0x31) */
        mbedtls_md_context_t mc;
        static const uint8_t set_tag = MH_DER_SET;
        mbedtls_md_init(&mc);
        rc = mbedtls_md_setup(&mc, mi, 0) || mbedtls_md_starts(&mc) ||
             mbedtls_md_update(&mc, &set_tag, 1) ||
             mbedtls_md_update(&mc, si.sattrs.raw + 1, si.sattrs.raw_len - 1) ||
             mbedtls_md_finish(&mc, hash);
        mbedtls_md_free(&mc);
        if (rc) {
            sfail(r, MH_ERR_INTERNAL, "hashing failed");
            return;
        }
    } else {
        if (!mh_der_oid_is(&sd->ctype, mh_oid_id_data, sizeof mh_oid_id_data)) {
            sfail(r, MH_ERR_VERIFY_FAILED,
                  "signed attributes are missing (required for this content type)");
            return;
        }
        memcpy(hash, dig, hl);
    }
    rc = sig_check(cert, &alg, r->md, hash, hl, si.sig.val, si.sig.len, legacy);
    if (rc == MH_ERR_UNSUPPORTED_ALG || rc == MH_ERR_ALG_REFUSED) {
        sfail(r, rc, "%s", mh_err_message(rc));
        return;
    }
    if (rc) {
        r->failed_check = MH_CMS_CHECK_SIGNATURE;
        sfail(r, MH_ERR_VERIFY_FAILED,
              "the signature is not valid for the signer's certificate (forged, damaged, or "
              "another certificate)");
        return;
    }
    r->status = 0;
    snprintf(r->reason, sizeof r->reason, "valid");

    /* CAdES-B-T: an id-aa-signatureTimeStampToken over the signature value */
    if (si.has_uattrs) {
        mh_der d;
        mh_der_elem at;
        size_t n = 0;
        mh_der_enter(&d, &si.uattrs);
        while (!mh_der_empty(&d) && mh_der_expect(&d, MH_DER_SEQUENCE, &at) == 0 &&
               n++ < MH_CMS_MAX_ATTRS) {
            mh_der x, vs;
            mh_der_elem oid, vset, tok;
            mh_der_enter(&x, &at);
            mh_der_expect(&x, MH_DER_OID, &oid);
            mh_der_expect(&x, MH_DER_SET, &vset);
            if (!mh_der_done(&x) || !mh_der_oid_is(&oid, oid_tst, sizeof oid_tst))
                continue;
            r->has_tst = true;
            r->tst_status = MH_ERR_TIMESTAMP;
            if (o && (o->flags & MH_CMS_NO_TST))
                break;
            mh_der_enter(&vs, &vset);
            if (mh_der_next(&vs, &tok) || !mh_der_done(&vs))
                break;
            mh_tsp_info ti;
            mh_cms_verify_opts to = {0};
            if (o)
                to = *o;
            int trc =
                mh_tsp_token_verify(tok.raw, tok.raw_len, NULL, si.sig.val, si.sig.len, &to, &ti);
            r->tst_status = trc;
            if (trc == 0) {
                r->tst_time = ti.gen_time;
                r->tst_cert = ti.tsa_cert;
                r->tst_cert_len = ti.tsa_cert_len;
            }
            break;
        }
    }
    r->validate_at = (r->has_tst && r->tst_status == 0) ? r->tst_time
                     : r->has_signing_time              ? r->signing_time
                                                        : 0;
}

/* The signer's certificate is parsed into the one certificate model
 * (pki_x509.h), kept on the heap: it is large. */
static void verify_signer(const sd_parsed *sd, const mh_der_elem *el, const mh_cms_verify_opts *o,
                          const uint8_t *content, size_t clen, mbedtls_md_type_t given_md,
                          const uint8_t *given, size_t given_len, mh_cms_signer_result *r)
{
    mh_x509_cert *cert = calloc(1, sizeof *cert);
    if (!cert) {
        memset(r, 0, sizeof *r);
        sfail(r, MH_ERR_NOMEM, "out of memory");
        return;
    }
    verify_with(sd, el, o, content, clen, given_md, given, given_len, cert, r);
    free(cert);
}

static int verify_common(const uint8_t *cms, size_t len, const uint8_t *content, size_t clen,
                         mbedtls_md_type_t md, const uint8_t *digest, size_t dlen,
                         const mh_cms_verify_opts *opts, mh_cms_result *res)
{
    sd_parsed sd;
    int ret = MH_ERR_INVALID_ARG;

    if (!res)
        goto out;
    memset(res, 0, sizeof *res);
    if (opts && opts->cert_n && (!opts->certs || !opts->cert_len))
        goto out;
    ret = parse_sd(cms, len, &sd);
    if (ret)
        goto out;
    res->ctype = sd.ctype.val;
    res->ctype_len = sd.ctype.len;
    res->detached = !sd.has_econtent;
    if (sd.has_econtent) {
        res->content = sd.econtent.val;
        res->content_len = sd.econtent.len;
        if (content || digest) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "the signature encloses its content; do not give the content separately");
            ret = MH_ERR_INVALID_ARG;
            goto out;
        }
        content = sd.econtent.val;
        clen = sd.econtent.len;
    }
    if (sd.has_crls) {
        res->crls = sd.crls.val;
        res->crls_len = sd.crls.len;
    }
    res->n_certs = sd.n_certs;
    for (size_t i = 0; i < sd.n_certs; i++) {
        res->certs[i] = sd.cert[i].raw;
        res->cert_len[i] = sd.cert[i].raw_len;
    }
    res->n_signers = sd.n_si;
    if (sd.n_si == 0) {
        mh_err_set(MH_ERR_CMS, "the CMS message has no signers (it only carries certificates)");
        ret = MH_ERR_CMS;
        goto out;
    }
    ret = 0;
    for (size_t i = 0; i < sd.n_si; i++) {
        mh_cms_signer_result *r = &res->signers[i];
        verify_signer(&sd, &sd.si[i], opts, content, clen, md, digest, dlen, r);
        if (r->status && !ret) {
            ret = r->status == MH_ERR_UNSUPPORTED_ALG ? MH_ERR_UNSUPPORTED_ALG
                  : r->status == MH_ERR_ALG_REFUSED   ? MH_ERR_ALG_REFUSED
                  : r->status == MH_ERR_INVALID_ARG   ? MH_ERR_INVALID_ARG
                                                      : MH_ERR_VERIFY_FAILED;
            mh_err_set(r->status == MH_ERR_UNSUPPORTED_ALG ? MH_ERR_UNSUPPORTED_ALG
                       : r->status == MH_ERR_ALG_REFUSED   ? MH_ERR_ALG_REFUSED
                       : r->status == MH_ERR_INVALID_ARG   ? MH_ERR_INVALID_ARG
                                                           : MH_ERR_VERIFY_FAILED,
                       "signer %zu: %s", i + 1, r->reason);
        }
    }
out:
    return ret;
}

int mh_cms_verify(const uint8_t *cms, size_t len, const uint8_t *content, size_t content_len,
                  const mh_cms_verify_opts *opts, mh_cms_result *res)
{
    if (!content && content_len)
        return MH_ERR_INVALID_ARG;
    return verify_common(cms, len, content, content_len, MBEDTLS_MD_NONE, NULL, 0, opts, res);
}

int mh_cms_verify_digest(const uint8_t *cms, size_t len, mbedtls_md_type_t md,
                         const uint8_t *digest, size_t dlen, const mh_cms_verify_opts *opts,
                         mh_cms_result *res)
{
    if (!digest)
        return MH_ERR_INVALID_ARG;
    return verify_common(cms, len, NULL, 0, md, digest, dlen, opts, res);
}

/* ---- the signature value, and adding a timestamp ------------------------ */

int mh_cms_signature_value(const uint8_t *cms, size_t len, size_t index, const uint8_t **sig,
                           size_t *sig_len)
{
    sd_parsed sd;
    si_parsed si;
    int rc = parse_sd(cms, len, &sd);
    if (rc)
        return rc;
    if (index >= sd.n_si) {
        mh_err_set(MH_ERR_NOT_FOUND, "the CMS message has no signer %zu", index + 1);
        return MH_ERR_NOT_FOUND;
    }
    rc = parse_si(&sd.si[index], &si);
    if (rc)
        return rc;
    *sig = si.sig.val;
    *sig_len = si.sig.len;
    return 0;
}

int mh_cms_add_timestamp(const uint8_t *cms, size_t len, size_t index, const uint8_t *tst,
                         size_t tst_len, uint8_t *out, size_t cap, size_t *out_len)
{
    sd_parsed sd;
    si_parsed si;
    mh_derw w;
    int rc;

    if (!tst || !tst_len || !out || !out_len || (out < cms + len && cms < out + cap))
        return MH_ERR_INVALID_ARG; /* out must not overlap the input */
    rc = parse_sd(cms, len, &sd);
    if (rc)
        return rc;
    if (index >= sd.n_si) {
        mh_err_set(MH_ERR_NOT_FOUND, "the CMS message has no signer %zu", index + 1);
        return MH_ERR_NOT_FOUND;
    }
    rc = parse_si(&sd.si[index], &si);
    if (rc)
        return rc;
    mh_derw_init(&w, out, cap);
    uint8_t *end = w.p;
    for (size_t i = sd.n_si; i-- > 0;) {
        if (i != index) {
            mh_derw_raw(&w, sd.si[i].raw, sd.si[i].raw_len);
            continue;
        }
        uint8_t *se = w.p;
        uint8_t *ue = w.p;
        uint8_t *ae = w.p;
        mh_derw_raw(&w, tst, tst_len);
        mh_derw_wrap(&w, MH_DER_SET, ae);
        mh_derw_tlv(&w, MH_DER_OID, oid_tst, sizeof oid_tst);
        mh_derw_wrap(&w, MH_DER_SEQUENCE, ae);
        if (si.has_uattrs)
            mh_derw_raw(&w, si.uattrs.val, si.uattrs.len);
        mh_derw_wrap(&w, MH_DER_CTX_C(1), ue);
        /* everything of the SignerInfo up to its signature, unchanged */
        mh_derw_raw(&w, sd.si[i].val, (size_t)(si.sig.raw + si.sig.raw_len - sd.si[i].val));
        mh_derw_wrap(&w, MH_DER_SEQUENCE, se);
    }
    mh_derw_wrap(&w, MH_DER_SET, end);
    if (sd.has_crls)
        mh_derw_raw(&w, sd.crls.raw, sd.crls.raw_len);
    if (sd.has_certs)
        mh_derw_raw(&w, sd.certs.raw, sd.certs.raw_len);
    mh_derw_raw(&w, sd.encap.raw, sd.encap.raw_len);
    mh_derw_raw(&w, sd.digest_algs.raw, sd.digest_algs.raw_len);
    mh_derw_raw(&w, sd.version.raw, sd.version.raw_len);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    mh_derw_wrap(&w, MH_DER_CTX_C(0), end);
    mh_derw_tlv(&w, MH_DER_OID, mh_oid_signed_data, sizeof mh_oid_signed_data);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed) {
        mh_err_set(MH_ERR_BUFFER_TOO_SMALL, "adding the timestamp: the output buffer is too small");
        return MH_ERR_BUFFER_TOO_SMALL;
    }
    *out_len = mh_derw_len(&w, end);
    memmove(out, w.p, *out_len);
    return 0;
}
