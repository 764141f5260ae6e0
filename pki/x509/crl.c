/* crl.c - X.509 CRL parsing (RFC 5280 section 5) into a struct that points
 * into the input (pki_x509.h). No allocation, no I/O. */
#include <stdio.h>
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "x509_ext.h"

#define OID_CE(n) 0x55, 0x1d, (n)

static const char crl_what[] = "the CRL";

static int crl_bad(const char *detail)
{
    return mh_x509_bad(crl_what, detail);
}

static int read_alg(mh_der *d, mh_der_elem *alg)
{
    mh_der s;
    mh_der_elem oid, params;
    if (mh_der_expect(d, MH_DER_SEQUENCE, alg))
        return MH_ERR_PARSE;
    mh_der_enter(&s, alg);
    if (mh_der_expect(&s, MH_DER_OID, &oid) || mh_der_oid_check(&oid))
        return MH_ERR_PARSE;
    if (!mh_der_empty(&s) && mh_der_next(&s, &params))
        return MH_ERR_PARSE;
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int read_idp(mh_x509_crl *crl, const mh_der_elem *val)
{
    mh_der d, s;
    mh_der_elem seq, e;
    bool present, b;
    mh_der_enter(&d, val);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &seq) || !mh_der_done(&d))
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    if (mh_der_optional(&s, MH_DER_CTX_C(0), &e, &present))
        return MH_ERR_PARSE;
    if (present) {
        if (mh_x509_dpname_read(&e, &crl->idp))
            return MH_ERR_PARSE;
        crl->has_idp_name = true;
    }
    /* [1]..[5]: BOOLEAN DEFAULT FALSE, so only TRUE may appear in DER */
    bool *flags[] = {&crl->only_user, &crl->only_ca, NULL, &crl->indirect, &crl->only_attr};
    for (unsigned t = 1; t <= 5; t++) {
        if (mh_der_optional(&s, (uint8_t)MH_DER_CTX_P(t), &e, &present))
            return MH_ERR_PARSE;
        if (!present)
            continue;
        if (t == 3) {
            e.tag = MH_DER_BIT_STRING;
            if (mh_x509_reasons_read(&e, &crl->idp.reasons))
                return MH_ERR_PARSE;
            crl->idp.has_reasons = true;
            continue;
        }
        e.tag = MH_DER_BOOLEAN;
        if (mh_der_bool(&e, &b) || !b)
            return MH_ERR_PARSE;
        *flags[t - 1] = true;
    }
    if (!mh_der_done(&s))
        return MH_ERR_PARSE;
    if ((crl->only_user + crl->only_ca + crl->only_attr) > 1)
        return MH_ERR_PARSE; /* RFC 5280 5.2.5: at most one */
    return 0;
}

static int crl_extensions(mh_x509_crl *crl, const mh_der_elem *exts)
{
    mh_der outer, s;
    mh_der_elem seq, ext, oid, crit, val;
    mh_der_enter(&outer, exts);
    if (mh_der_expect(&outer, MH_DER_SEQUENCE, &seq) || !mh_der_done(&outer) || seq.len == 0)
        return crl_bad("bad extensions");
    mh_der_enter(&s, &seq);
    while (!mh_der_empty(&s)) {
        mh_der e, v;
        bool present, critical = false;
        uint32_t flag = 0;
        if (mh_der_expect(&s, MH_DER_SEQUENCE, &ext))
            return crl_bad("bad extension");
        mh_der_enter(&e, &ext);
        if (mh_der_expect(&e, MH_DER_OID, &oid) || mh_der_oid_check(&oid) ||
            mh_der_optional(&e, MH_DER_BOOLEAN, &crit, &present))
            return crl_bad("bad extension header");
        /* quirk (docs/x509.md): an explicit critical FALSE (the DEFAULT) */
        if (present && mh_der_bool(&crit, &critical))
            return crl_bad("bad critical flag");
        if (mh_der_expect(&e, MH_DER_OCTET_STRING, &val) || !mh_der_done(&e))
            return crl_bad("bad extension value");
        mh_x509_span os = {oid.val, oid.len};
        mh_der_enter(&v, &val);
        int rc = 0;
        mh_der_elem x;
        if (mh_x509_oid_eq(&os, MH_OID(OID_CE(20)))) {
            flag = MH_EXT_CRL_NUMBER;
            bool neg;
            rc = mh_der_expect(&v, MH_DER_INTEGER, &x) || mh_der_integer_check(&x, &neg) || neg ||
                 x.len > 21;
            crl->crl_number.p = x.val;
            crl->crl_number.len = x.len;
        } else if (mh_x509_oid_eq(&os, MH_OID(OID_CE(27)))) {
            flag = MH_EXT_DELTA_CRL;
            bool neg;
            rc = mh_der_expect(&v, MH_DER_INTEGER, &x) || mh_der_integer_check(&x, &neg) || neg;
            crl->delta_base.p = x.val;
            crl->delta_base.len = x.len;
        } else if (mh_x509_oid_eq(&os, MH_OID(OID_CE(35)))) {
            flag = MH_EXT_AKI;
            rc = mh_x509_aki_read(&val, &crl->aki_keyid, &crl->has_aki_keyid, NULL, NULL);
            v.p = v.end;
        } else if (mh_x509_oid_eq(&os, MH_OID(OID_CE(28)))) {
            flag = MH_EXT_IDP;
            rc = read_idp(crl, &val);
            v.p = v.end;
        } else if (mh_x509_oid_eq(&os, MH_OID(OID_CE(18)))) {
            flag = MH_EXT_IAN;
            rc = mh_der_expect(&v, MH_DER_SEQUENCE, &x);
        } else if (mh_x509_oid_eq(&os, MH_OID(OID_CE(46)))) {
            flag = MH_EXT_FRESHEST_CRL;
            rc = mh_der_expect(&v, MH_DER_SEQUENCE, &x);
        } else if (mh_x509_oid_eq(&os, MH_OID(0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01))) {
            flag = MH_EXT_AIA;
            rc = mh_der_expect(&v, MH_DER_SEQUENCE, &x);
        } else {
            if (critical && !crl->unknown_critical) {
                crl->unknown_critical = true;
                crl->unknown_critical_oid = os;
            }
            continue;
        }
        if (rc || !mh_der_done(&v))
            return crl_bad("an extension's value is not valid DER of its ASN.1 type");
        if (crl->ext_present & flag) {
            mh_err_set(MH_ERR_PARSE,
                       "the CRL has one extension twice, which RFC 5280 forbids; it cannot be "
                       "used");
            return MH_ERR_PARSE;
        }
        crl->ext_present |= flag;
        if (critical)
            crl->ext_critical |= flag;
    }
    if (!mh_der_done(&s))
        return crl_bad("trailing bytes in extensions");
    return 0;
}

/* Reads one revokedCertificates entry; *unknown_critical for an entry
 * extension we do not know that is critical. */
static int read_entry(mh_der *d, mh_x509_crl_entry *en, bool *unknown_critical)
{
    mh_der s;
    mh_der_elem seq, ser, t, exts;
    bool present, neg;
    memset(en, 0, sizeof *en);
    en->reason = MH_REASON_NONE;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq))
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    if (mh_der_expect(&s, MH_DER_INTEGER, &ser) || mh_der_integer_check(&ser, &neg) ||
        ser.len > 21 || mh_der_next(&s, &t) || mh_der_time(&t, &en->date) ||
        mh_der_optional(&s, MH_DER_SEQUENCE, &exts, &present) || !mh_der_done(&s))
        return MH_ERR_PARSE;
    en->serial.p = ser.val;
    en->serial.len = ser.len;
    if (!present)
        return 0;
    mh_der es;
    mh_der_elem ext, oid, crit, val, x;
    uint32_t seen = 0;
    if (exts.len == 0)
        return MH_ERR_PARSE;
    mh_der_enter(&es, &exts);
    while (!mh_der_empty(&es)) {
        mh_der e, v;
        bool critical = false;
        if (mh_der_expect(&es, MH_DER_SEQUENCE, &ext))
            return MH_ERR_PARSE;
        mh_der_enter(&e, &ext);
        if (mh_der_expect(&e, MH_DER_OID, &oid) || mh_der_oid_check(&oid) ||
            mh_der_optional(&e, MH_DER_BOOLEAN, &crit, &present))
            return MH_ERR_PARSE;
        if (present && mh_der_bool(&crit, &critical))
            return MH_ERR_PARSE;
        if (mh_der_expect(&e, MH_DER_OCTET_STRING, &val) || !mh_der_done(&e))
            return MH_ERR_PARSE;
        mh_x509_span os = {oid.val, oid.len};
        mh_der_enter(&v, &val);
        uint32_t bit;
        if (mh_x509_oid_eq(&os, MH_OID(OID_CE(21)))) {
            uint64_t r;
            bit = 1;
            if (mh_der_expect(&v, MH_DER_ENUMERATED, &x) || mh_der_uint(&x, &r) || r > 10 || r == 7)
                return MH_ERR_PARSE;
            en->reason = (int)r;
        } else if (mh_x509_oid_eq(&os, MH_OID(OID_CE(24)))) {
            bit = 2;
            if (mh_der_expect(&v, MH_DER_GENERALIZED_TIME, &x) ||
                mh_der_time(&x, &en->invalidity_date))
                return MH_ERR_PARSE;
            en->has_invalidity_date = true;
        } else if (mh_x509_oid_eq(&os, MH_OID(OID_CE(29)))) {
            bit = 4;
            if (mh_der_expect(&v, MH_DER_SEQUENCE, &x) || mh_x509_gnames_read(&x, &en->cert_issuer))
                return MH_ERR_PARSE;
            en->has_cert_issuer = true;
        } else {
            if (critical)
                *unknown_critical = true;
            continue;
        }
        if (!mh_der_done(&v) || (seen & bit))
            return MH_ERR_PARSE;
        seen |= bit;
    }
    return mh_der_done(&es) ? 0 : MH_ERR_PARSE;
}

int mh_x509_crl_parse(mh_x509_crl *crl, const uint8_t *der, size_t len)
{
    int ret;
    mh_der top, outer, tbs;
    mh_der_elem ce, te, alg1, alg2, sigbits, e;
    bool present;

    memset(crl, 0, sizeof *crl);
    if (len > MH_X509_MAX_CRL) {
        mh_err_set(MH_ERR_TOO_LARGE, "the CRL is %zu bytes, more than the %zu mohur accepts", len,
                   MH_X509_MAX_CRL);
        return MH_ERR_TOO_LARGE;
    }
    mh_der_init(&top, der, len);
    if (mh_der_expect(&top, MH_DER_SEQUENCE, &ce) || !mh_der_done(&top))
        return crl_bad("not a single DER SEQUENCE");
    crl->raw.p = ce.raw;
    crl->raw.len = ce.raw_len;
    mh_der_enter(&outer, &ce);
    if (mh_der_expect(&outer, MH_DER_SEQUENCE, &te) || read_alg(&outer, &alg2) ||
        mh_der_expect(&outer, MH_DER_BIT_STRING, &sigbits) || !mh_der_done(&outer))
        return crl_bad("bad outer structure");
    crl->tbs.p = te.raw;
    crl->tbs.len = te.raw_len;
    {
        const uint8_t *b;
        size_t n;
        unsigned unused;
        if (sigbits.len == 0 || sigbits.val[0] > 7)
            return crl_bad("bad signature BIT STRING");
        if (mh_der_bitstring(&sigbits, &b, &n, &unused) || unused) {
            b = sigbits.val; /* cannot be valid: the signature check fails */
            n = 0;
        }
        crl->sig.p = b;
        crl->sig.len = n;
    }
    mh_der_enter(&tbs, &te);
    crl->version = 1;
    if (mh_der_peek(&tbs) == MH_DER_INTEGER) {
        uint64_t v;
        if (mh_der_next(&tbs, &e) || mh_der_uint(&e, &v) || v != 1)
            return crl_bad("bad version (only v2 may be encoded)");
        crl->version = 2;
    }
    if (read_alg(&tbs, &alg1))
        return crl_bad("bad signature algorithm");
    if (alg1.raw_len != alg2.raw_len || memcmp(alg1.raw, alg2.raw, alg1.raw_len) != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "the CRL's two signature algorithm fields differ, which RFC 5280 forbids; it "
                   "cannot be used");
        return MH_ERR_PARSE;
    }
    crl->sig_alg.p = alg1.raw;
    crl->sig_alg.len = alg1.raw_len;
    if (mh_der_expect(&tbs, MH_DER_SEQUENCE, &e))
        return crl_bad("bad issuer name");
    if ((ret = mh_x509_name_parse(&crl->issuer, e.raw, e.raw_len)))
        return ret == MH_ERR_PARSE ? crl_bad("bad issuer name") : ret;
    if (mh_der_next(&tbs, &e) || mh_der_time(&e, &crl->this_update))
        return crl_bad("bad thisUpdate");
    uint8_t pk = mh_der_peek(&tbs);
    if (pk == MH_DER_UTC_TIME || pk == MH_DER_GENERALIZED_TIME) {
        if (mh_der_next(&tbs, &e) || mh_der_time(&e, &crl->next_update))
            return crl_bad("bad nextUpdate");
        crl->has_next_update = true;
    }
    if (mh_der_optional(&tbs, MH_DER_SEQUENCE, &e, &present))
        return crl_bad("bad revokedCertificates");
    if (present) {
        mh_der r;
        mh_x509_crl_entry en;
        if (e.len == 0)
            return crl_bad("an empty revokedCertificates list must be left out");
        crl->revoked.p = e.val;
        crl->revoked.len = e.len;
        mh_der_enter(&r, &e);
        while (!mh_der_empty(&r)) {
            if (read_entry(&r, &en, &crl->entry_unknown_critical))
                return crl_bad("a revoked-certificate entry is malformed");
            crl->n_revoked++;
        }
    }
    if (mh_der_optional(&tbs, MH_DER_CTX_C(0), &e, &present))
        return crl_bad("bad extensions");
    if (present) {
        if (crl->version != 2)
            return crl_bad("extensions in a version 1 CRL");
        if ((ret = crl_extensions(crl, &e)))
            return ret;
    }
    if (!mh_der_done(&tbs))
        return crl_bad("trailing bytes in TBSCertList");
    return 0;
}

void mh_x509_crl_iter_init(mh_x509_crl_iter *it, const mh_x509_crl *crl)
{
    mh_der_init(&it->d, crl->revoked.p, crl->revoked.len);
    it->has_cert_issuer = false;
    memset(&it->cert_issuer, 0, sizeof it->cert_issuer);
}

int mh_x509_crl_next(mh_x509_crl_iter *it, mh_x509_crl_entry *e)
{
    bool unk = false;
    if (mh_der_empty(&it->d) && !it->d.failed)
        return MH_ERR_NOT_FOUND;
    if (read_entry(&it->d, e, &unk))
        return MH_ERR_PARSE;
    /* RFC 5280 5.3.3: certificateIssuer applies to this entry and those
     * after it until the next one */
    if (e->has_cert_issuer) {
        it->has_cert_issuer = true;
        it->cert_issuer = e->cert_issuer;
    } else if (it->has_cert_issuer) {
        e->has_cert_issuer = true;
        e->cert_issuer = it->cert_issuer;
    }
    return 0;
}
