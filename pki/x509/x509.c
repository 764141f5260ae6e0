/* x509.c - X.509 certificate parsing (RFC 5280 section 4) into a struct
 * that points into the input (pki_x509.h). No allocation, no I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "x509_ext.h"

int mh_x509_bad(const char *what, const char *detail)
{
    mh_err_set(MH_ERR_PARSE, "%s is malformed (%s); it cannot be used", what, detail);
    return MH_ERR_PARSE;
}

bool mh_x509_span_eq(const mh_x509_span *a, const mh_x509_span *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

bool mh_x509_oid_eq(const mh_x509_span *a, const uint8_t *oid, size_t len)
{
    return a->len == len && memcmp(a->p, oid, len) == 0;
}

static mh_x509_span span_of(const mh_der_elem *e)
{
    mh_x509_span s = {e->val, e->len};
    return s;
}

static mh_x509_span raw_of(const mh_der_elem *e)
{
    mh_x509_span s = {e->raw, e->raw_len};
    return s;
}

int mh_x509_gnames_read(const mh_der_elem *e, mh_x509_gnames *g)
{
    mh_der d;
    mh_x509_gn gn;
    int rc;
    g->raw = span_of(e);
    g->count = 0;
    if (e->len == 0)
        return MH_ERR_PARSE; /* GeneralNames has at least one name */
    mh_der_init(&d, e->val, e->len);
    while ((rc = mh_x509_gn_next(&d, &gn)) == 0) {
        if (gn.type == MH_GN_DIRNAME) {
            mh_x509_name n;
            if (mh_x509_name_parse(&n, gn.val.p, gn.val.len))
                return MH_ERR_PARSE;
        }
        if (gn.type == MH_GN_IP && gn.val.len != 4 && gn.val.len != 16)
            return MH_ERR_PARSE;
        if (++g->count > MH_X509_MAX_GNAMES) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "a list of names holds more than %d names; mohur refuses it",
                       MH_X509_MAX_GNAMES);
            return MH_ERR_TOO_LARGE;
        }
    }
    return rc == MH_ERR_NOT_FOUND ? 0 : MH_ERR_PARSE;
}

int mh_x509_reasons_read(const mh_der_elem *e, uint16_t *flags)
{
    const uint8_t *b;
    size_t n;
    unsigned unused;
    if (mh_der_bitstring(e, &b, &n, &unused) || n > 2)
        return MH_ERR_PARSE;
    uint16_t f = 0;
    for (size_t i = 0; i < n * 8; i++)
        if (b[i / 8] & (0x80 >> (i % 8)))
            f = (uint16_t)(f | (1u << i));
    *flags = f;
    return 0;
}

int mh_x509_dpname_read(const mh_der_elem *e, mh_x509_dp *dp)
{
    mh_der d;
    mh_der_elem in;
    mh_der_enter(&d, e);
    if (mh_der_next(&d, &in) || !mh_der_done(&d))
        return MH_ERR_PARSE;
    if (in.tag == MH_DER_CTX_C(0)) {
        dp->has_full_name = true;
        /* fullName [0] IMPLICIT GeneralNames: the SEQUENCE tag is replaced */
        return mh_x509_gnames_read(&in, &dp->full_name);
    }
    if (in.tag == MH_DER_CTX_C(1)) {
        /* nameRelativeToCRLIssuer [1] IMPLICIT RelativeDistinguishedName */
        mh_der r;
        mh_der_elem atv;
        if (in.len == 0)
            return MH_ERR_PARSE;
        mh_der_enter(&r, &in);
        while (!mh_der_empty(&r))
            if (mh_der_expect(&r, MH_DER_SEQUENCE, &atv))
                return MH_ERR_PARSE;
        dp->has_relative_name = true;
        dp->relative_name = raw_of(&in);
        return 0;
    }
    return MH_ERR_PARSE;
}

int mh_x509_aki_read(const mh_der_elem *octets, mh_x509_span *keyid, bool *has_keyid,
                     mh_x509_gnames *issuer, mh_x509_span *serial)
{
    mh_der d, s;
    mh_der_elem seq, e;
    bool present;
    mh_der_enter(&d, octets);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &seq) || !mh_der_done(&d))
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    if (mh_der_optional(&s, MH_DER_CTX_P(0), &e, &present))
        return MH_ERR_PARSE;
    *has_keyid = present;
    if (present)
        *keyid = span_of(&e);
    if (mh_der_optional(&s, MH_DER_CTX_C(1), &e, &present))
        return MH_ERR_PARSE;
    if (present && issuer && mh_x509_gnames_read(&e, issuer))
        return MH_ERR_PARSE;
    bool has_issuer = present;
    if (mh_der_optional(&s, MH_DER_CTX_P(2), &e, &present))
        return MH_ERR_PARSE;
    if (present != has_issuer)
        return MH_ERR_PARSE; /* RFC 5280 4.2.1.1: both or neither */
    if (present && serial)
        *serial = span_of(&e);
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

/* ---- extensions --------------------------------------------------------- */

#define OID_CE(n) 0x55, 0x1d, (n)

static int ext_basic_constraints(mh_x509_cert *c, mh_der *d)
{
    mh_der s;
    mh_der_elem seq, e;
    bool present;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq))
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    if (mh_der_optional(&s, MH_DER_BOOLEAN, &e, &present))
        return MH_ERR_PARSE;
    /* quirk (docs/x509.md): an explicit cA FALSE, the DEFAULT that DER
     * leaves out, is what many CAs write for end entities */
    if (present && mh_der_bool(&e, &c->is_ca))
        return MH_ERR_PARSE;
    if (mh_der_optional(&s, MH_DER_INTEGER, &e, &present))
        return MH_ERR_PARSE;
    if (present) {
        uint64_t v;
        if (mh_der_uint(&e, &v))
            return MH_ERR_PARSE;
        c->has_path_len = true;
        c->path_len = v > 1000 ? 1000 : (unsigned)v;
    }
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int ext_key_usage(mh_x509_cert *c, mh_der *d)
{
    mh_der_elem e;
    const uint8_t *b;
    size_t n;
    unsigned unused;
    if (mh_der_expect(d, MH_DER_BIT_STRING, &e) || mh_der_bitstring(&e, &b, &n, &unused) || n > 2)
        return MH_ERR_PARSE;
    uint16_t f = 0;
    for (size_t i = 0; i < n * 8 && i < 9; i++)
        if (b[i / 8] & (0x80 >> (i % 8)))
            f = (uint16_t)(f | (1u << i));
    if (f == 0)
        return MH_ERR_PARSE; /* at least one bit must be set */
    c->key_usage = f;
    return 0;
}

static int ext_eku(mh_x509_cert *c, mh_der *d)
{
    mh_der s;
    mh_der_elem seq, e;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq) || seq.len == 0)
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    while (!mh_der_empty(&s)) {
        if (mh_der_expect(&s, MH_DER_OID, &e) || mh_der_oid_check(&e))
            return MH_ERR_PARSE;
        if (c->n_eku >= MH_X509_MAX_EKU) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the certificate lists more than %d key purposes; mohur refuses it",
                       MH_X509_MAX_EKU);
            return MH_ERR_TOO_LARGE;
        }
        c->eku[c->n_eku++] = span_of(&e);
    }
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int ext_policies(mh_x509_cert *c, mh_der *d)
{
    mh_der s;
    mh_der_elem seq, pi, e;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq) || seq.len == 0)
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    while (!mh_der_empty(&s)) {
        mh_der p;
        bool present;
        if (mh_der_expect(&s, MH_DER_SEQUENCE, &pi))
            return MH_ERR_PARSE;
        mh_der_enter(&p, &pi);
        if (mh_der_expect(&p, MH_DER_OID, &e) || mh_der_oid_check(&e))
            return MH_ERR_PARSE;
        if (c->n_policies >= MH_X509_MAX_POLICIES) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the certificate lists more than %d policies; mohur refuses it",
                       MH_X509_MAX_POLICIES);
            return MH_ERR_TOO_LARGE;
        }
        /* quirk (docs/x509.md): a policy listed twice (RFC 5280 says once)
         * is kept once; it changes nothing in the policy tree */
        mh_x509_policy *pol = NULL;
        mh_x509_span o = span_of(&e);
        for (size_t i = 0; i < c->n_policies && !pol; i++)
            if (mh_x509_span_eq(&c->policies[i].oid, &o))
                pol = &c->policies[i];
        if (!pol) {
            pol = &c->policies[c->n_policies++];
            pol->oid = o;
            pol->has_qualifiers = false;
        }
        mh_der_elem q;
        if (mh_der_optional(&p, MH_DER_SEQUENCE, &q, &present))
            return MH_ERR_PARSE;
        if (present) {
            /* quirk (docs/x509.md): qualifiers are never used for a
             * decision, so any shape is taken as long as each is a
             * SEQUENCE that starts with an OID (qualified CAs write CPS
             * URIs, user notices in any string type, and qualifiers of
             * their own, some without a value) */
            mh_der qs;
            mh_der_elem qi;
            mh_der_enter(&qs, &q);
            while (!mh_der_empty(&qs)) {
                mh_der one;
                mh_der_elem qid;
                if (mh_der_expect(&qs, MH_DER_SEQUENCE, &qi))
                    return MH_ERR_PARSE;
                mh_der_enter(&one, &qi);
                if (mh_der_expect(&one, MH_DER_OID, &qid))
                    return MH_ERR_PARSE;
            }
            if (!mh_der_done(&qs))
                return MH_ERR_PARSE;
            pol->has_qualifiers = true;
        }
        if (!mh_der_done(&p))
            return MH_ERR_PARSE;
    }
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int ext_mappings(mh_x509_cert *c, mh_der *d)
{
    mh_der s;
    mh_der_elem seq, m, a, b;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq) || seq.len == 0)
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    while (!mh_der_empty(&s)) {
        mh_der p;
        if (mh_der_expect(&s, MH_DER_SEQUENCE, &m))
            return MH_ERR_PARSE;
        mh_der_enter(&p, &m);
        if (mh_der_expect(&p, MH_DER_OID, &a) || mh_der_oid_check(&a) ||
            mh_der_expect(&p, MH_DER_OID, &b) || mh_der_oid_check(&b) || !mh_der_done(&p))
            return MH_ERR_PARSE;
        if (c->n_mappings >= MH_X509_MAX_MAPPINGS) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the certificate has more than %d policy mappings; mohur refuses it",
                       MH_X509_MAX_MAPPINGS);
            return MH_ERR_TOO_LARGE;
        }
        c->mappings[c->n_mappings].issuer_policy = span_of(&a);
        c->mappings[c->n_mappings].subject_policy = span_of(&b);
        c->n_mappings++;
    }
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int read_skip_certs(const mh_der_elem *e, unsigned *v)
{
    uint64_t x;
    /* [n] IMPLICIT SkipCerts (INTEGER) */
    mh_der_elem i = *e;
    i.tag = MH_DER_INTEGER;
    if (mh_der_uint(&i, &x))
        return MH_ERR_PARSE;
    *v = x > 1000 ? 1000 : (unsigned)x;
    return 0;
}

static int ext_policy_constraints(mh_x509_cert *c, mh_der *d)
{
    mh_der s;
    mh_der_elem seq, e;
    bool present;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq))
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    if (mh_der_optional(&s, MH_DER_CTX_P(0), &e, &present) ||
        (present && read_skip_certs(&e, &c->require_explicit)))
        return MH_ERR_PARSE;
    c->has_require_explicit = present;
    if (mh_der_optional(&s, MH_DER_CTX_P(1), &e, &present) ||
        (present && read_skip_certs(&e, &c->inhibit_mapping)))
        return MH_ERR_PARSE;
    c->has_inhibit_mapping = present;
    if (!c->has_require_explicit && !c->has_inhibit_mapping)
        return MH_ERR_PARSE; /* RFC 5280 4.2.1.11: not an empty sequence */
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int ext_inhibit_any(mh_x509_cert *c, mh_der *d)
{
    mh_der_elem e;
    if (mh_der_expect(d, MH_DER_INTEGER, &e))
        return MH_ERR_PARSE;
    return read_skip_certs(&e, &c->inhibit_any);
}

/* Reads one GeneralSubtree: its base, then minimum and maximum. */
static int subtree_read(mh_der *s, mh_x509_gn *base)
{
    mh_der t;
    mh_der_elem st, opt;
    bool present;
    if (mh_der_expect(s, MH_DER_SEQUENCE, &st))
        return MH_ERR_PARSE;
    mh_der_enter(&t, &st);
    if (mh_x509_gn_next(&t, base))
        return MH_ERR_PARSE;
    /* RFC 5280 4.2.1.10: minimum is zero (DEFAULT, so absent in DER) and
     * maximum absent. Quirk (docs/x509.md): an explicit minimum 0 is taken. */
    if (mh_der_optional(&t, MH_DER_CTX_P(0), &opt, &present))
        return MH_ERR_PARSE;
    if (present) {
        uint64_t v;
        opt.tag = MH_DER_INTEGER;
        if (mh_der_uint(&opt, &v))
            return MH_ERR_PARSE;
        if (v != 0) {
            mh_err_set(MH_ERR_UNSUPPORTED,
                       "the certificate's name constraints use a minimum distance, which RFC "
                       "5280 does not allow; it cannot be used");
            return MH_ERR_UNSUPPORTED;
        }
    }
    if (mh_der_optional(&t, MH_DER_CTX_P(1), &opt, &present))
        return MH_ERR_PARSE;
    if (present) {
        mh_err_set(MH_ERR_UNSUPPORTED,
                   "the certificate's name constraints use a maximum distance, which RFC "
                   "5280 does not allow; it cannot be used");
        return MH_ERR_UNSUPPORTED;
    }
    return mh_der_done(&t) ? 0 : MH_ERR_PARSE;
}

int mh_x509_subtree_next(mh_der *d, mh_x509_gn *base)
{
    if (mh_der_empty(d) && !d->failed)
        return MH_ERR_NOT_FOUND;
    return subtree_read(d, base) ? MH_ERR_PARSE : 0;
}

static int read_subtrees(const mh_der_elem *e, mh_x509_span *out, uint16_t *n)
{
    mh_der s;
    int rc;
    if (e->len == 0)
        return MH_ERR_PARSE;
    *out = span_of(e);
    mh_der_enter(&s, e);
    while (!mh_der_empty(&s)) {
        mh_x509_gn base;
        if (*n >= MH_X509_MAX_SUBTREES) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the certificate's name constraints have more than %d subtrees of one "
                       "kind; mohur refuses it",
                       MH_X509_MAX_SUBTREES);
            return MH_ERR_TOO_LARGE;
        }
        if ((rc = subtree_read(&s, &base)))
            return rc;
        if (base.type == MH_GN_DIRNAME) {
            mh_x509_name nm;
            if (mh_x509_name_parse(&nm, base.val.p, base.val.len))
                return MH_ERR_PARSE;
        }
        /* the syntax of each base (an IP mask that is a prefix, a DNS
         * name that is a host name...) is checked by path validation,
         * which says which CA is at fault */
        (*n)++;
    }
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int ext_name_constraints(mh_x509_cert *c, mh_der *d)
{
    mh_der s;
    mh_der_elem seq, e;
    bool present;
    int rc;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq))
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    if (mh_der_optional(&s, MH_DER_CTX_C(0), &e, &present))
        return MH_ERR_PARSE;
    if (present && (rc = read_subtrees(&e, &c->permitted, &c->n_permitted)))
        return rc;
    bool any = present;
    if (mh_der_optional(&s, MH_DER_CTX_C(1), &e, &present))
        return MH_ERR_PARSE;
    if (present && (rc = read_subtrees(&e, &c->excluded, &c->n_excluded)))
        return rc;
    if (!any && !present)
        return MH_ERR_PARSE; /* RFC 5280 4.2.1.10: not an empty sequence */
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int ext_gnames(mh_x509_gnames *g, mh_der *d)
{
    mh_der_elem seq;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq))
        return MH_ERR_PARSE;
    return mh_x509_gnames_read(&seq, g);
}

static int ext_crldp(mh_x509_cert *c, mh_der *d)
{
    mh_der s;
    mh_der_elem seq, dpe, e;
    int rc;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq) || seq.len == 0)
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    while (!mh_der_empty(&s)) {
        mh_der p;
        bool present;
        if (mh_der_expect(&s, MH_DER_SEQUENCE, &dpe))
            return MH_ERR_PARSE;
        if (c->n_dps >= MH_X509_MAX_DPS) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the certificate lists more than %d CRL distribution points; mohur "
                       "refuses it",
                       MH_X509_MAX_DPS);
            return MH_ERR_TOO_LARGE;
        }
        mh_x509_dp *dp = &c->dps[c->n_dps++];
        memset(dp, 0, sizeof *dp);
        mh_der_enter(&p, &dpe);
        if (mh_der_optional(&p, MH_DER_CTX_C(0), &e, &present))
            return MH_ERR_PARSE;
        if (present && (rc = mh_x509_dpname_read(&e, dp)))
            return rc;
        if (mh_der_optional(&p, MH_DER_CTX_P(1), &e, &present))
            return MH_ERR_PARSE;
        if (present) {
            e.tag = MH_DER_BIT_STRING;
            if (mh_x509_reasons_read(&e, &dp->reasons))
                return MH_ERR_PARSE;
            dp->has_reasons = true;
        }
        if (mh_der_optional(&p, MH_DER_CTX_C(2), &e, &present))
            return MH_ERR_PARSE;
        if (present) {
            if ((rc = mh_x509_gnames_read(&e, &dp->crl_issuer)))
                return rc;
            dp->has_crl_issuer = true;
        }
        if (!mh_der_done(&p) ||
            (!dp->has_full_name && !dp->has_relative_name && !dp->has_crl_issuer))
            return MH_ERR_PARSE;
    }
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static int access_read(mh_der *s, mh_x509_access *a)
{
    mh_der p;
    mh_der_elem ad, m;
    if (mh_der_expect(s, MH_DER_SEQUENCE, &ad))
        return MH_ERR_PARSE;
    mh_der_enter(&p, &ad);
    if (mh_der_expect(&p, MH_DER_OID, &m) || mh_der_oid_check(&m) ||
        mh_x509_gn_next(&p, &a->location) || !mh_der_done(&p))
        return MH_ERR_PARSE;
    a->method = span_of(&m);
    return 0;
}

int mh_x509_access_next(mh_der *d, mh_x509_access *a)
{
    if (mh_der_empty(d) && !d->failed)
        return MH_ERR_NOT_FOUND;
    return access_read(d, a) ? MH_ERR_PARSE : 0;
}

static int ext_aia(mh_x509_cert *c, mh_der *d)
{
    mh_der s;
    mh_der_elem seq;
    if (mh_der_expect(d, MH_DER_SEQUENCE, &seq) || seq.len == 0)
        return MH_ERR_PARSE;
    c->aia = span_of(&seq);
    mh_der_enter(&s, &seq);
    while (!mh_der_empty(&s)) {
        mh_x509_access a;
        if (c->n_aia >= MH_X509_MAX_AIA) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the certificate lists more than %d access descriptions; mohur refuses "
                       "it",
                       MH_X509_MAX_AIA);
            return MH_ERR_TOO_LARGE;
        }
        if (access_read(&s, &a))
            return MH_ERR_PARSE;
        c->n_aia++;
    }
    return mh_der_done(&s) ? 0 : MH_ERR_PARSE;
}

static const struct cert_ext {
    uint8_t oid[8];
    uint8_t len;
    uint32_t flag;
    const char *name;
} cert_exts[] = {
    {{OID_CE(19)}, 3, MH_EXT_BASIC_CONSTRAINTS, "basicConstraints"},
    {{OID_CE(15)}, 3, MH_EXT_KEY_USAGE, "keyUsage"},
    {{OID_CE(37)}, 3, MH_EXT_EXT_KEY_USAGE, "extKeyUsage"},
    {{OID_CE(14)}, 3, MH_EXT_SKI, "subjectKeyIdentifier"},
    {{OID_CE(35)}, 3, MH_EXT_AKI, "authorityKeyIdentifier"},
    {{OID_CE(32)}, 3, MH_EXT_POLICIES, "certificatePolicies"},
    {{OID_CE(33)}, 3, MH_EXT_POLICY_MAPPINGS, "policyMappings"},
    {{OID_CE(36)}, 3, MH_EXT_POLICY_CONSTRAINTS, "policyConstraints"},
    {{OID_CE(54)}, 3, MH_EXT_INHIBIT_ANY, "inhibitAnyPolicy"},
    {{OID_CE(30)}, 3, MH_EXT_NAME_CONSTRAINTS, "nameConstraints"},
    {{OID_CE(17)}, 3, MH_EXT_SAN, "subjectAltName"},
    {{OID_CE(18)}, 3, MH_EXT_IAN, "issuerAltName"},
    {{OID_CE(31)}, 3, MH_EXT_CRLDP, "cRLDistributionPoints"},
    {{OID_CE(46)}, 3, MH_EXT_FRESHEST_CRL, "freshestCRL"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01}, 8, MH_EXT_AIA, "authorityInfoAccess"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x0b}, 8, MH_EXT_SIA, "subjectInfoAccess"},
};

static int parse_ext(mh_x509_cert *c, const struct cert_ext *x, const mh_der_elem *val)
{
    mh_der d;
    int rc = MH_ERR_PARSE;
    mh_der_enter(&d, val);
    switch (x->flag) {
    case MH_EXT_BASIC_CONSTRAINTS:
        rc = ext_basic_constraints(c, &d);
        break;
    case MH_EXT_KEY_USAGE:
        rc = ext_key_usage(c, &d);
        break;
    case MH_EXT_EXT_KEY_USAGE:
        rc = ext_eku(c, &d);
        break;
    case MH_EXT_SKI: {
        mh_der_elem e;
        rc = mh_der_expect(&d, MH_DER_OCTET_STRING, &e);
        c->ski = span_of(&e);
        break;
    }
    case MH_EXT_AKI:
        rc =
            mh_x509_aki_read(val, &c->aki_keyid, &c->has_aki_keyid, &c->aki_issuer, &c->aki_serial);
        d.p = d.end; /* read whole */
        break;
    case MH_EXT_POLICIES:
        rc = ext_policies(c, &d);
        break;
    case MH_EXT_POLICY_MAPPINGS:
        rc = ext_mappings(c, &d);
        break;
    case MH_EXT_POLICY_CONSTRAINTS:
        rc = ext_policy_constraints(c, &d);
        break;
    case MH_EXT_INHIBIT_ANY:
        rc = ext_inhibit_any(c, &d);
        break;
    case MH_EXT_NAME_CONSTRAINTS:
        rc = ext_name_constraints(c, &d);
        break;
    case MH_EXT_SAN:
        rc = ext_gnames(&c->san, &d);
        break;
    case MH_EXT_IAN:
        rc = ext_gnames(&c->ian, &d);
        break;
    case MH_EXT_CRLDP:
        rc = ext_crldp(c, &d);
        break;
    case MH_EXT_FRESHEST_CRL: {
        mh_der_elem e;
        rc = mh_der_expect(&d, MH_DER_SEQUENCE, &e); /* not used: delta CRLs */
        break;
    }
    case MH_EXT_AIA:
        rc = ext_aia(c, &d);
        break;
    case MH_EXT_SIA: {
        mh_der_elem e;
        rc = mh_der_expect(&d, MH_DER_SEQUENCE, &e);
        break;
    }
    default:
        break;
    }
    if (rc == 0 && !mh_der_done(&d))
        rc = MH_ERR_PARSE;
    if (rc == MH_ERR_PARSE) {
        char what[64];
        snprintf(what, sizeof what, "the certificate's %s extension", x->name);
        return mh_x509_bad(what, "not valid DER of its ASN.1 type");
    }
    return rc;
}

static int parse_extensions(mh_x509_cert *c, const mh_der_elem *exts)
{
    mh_der outer, s;
    mh_der_elem seq, ext, oid, crit, val;
    mh_der_enter(&outer, exts);
    if (mh_der_expect(&outer, MH_DER_SEQUENCE, &seq) || !mh_der_done(&outer) || seq.len == 0)
        return mh_x509_bad("the certificate's extensions", "not a non-empty SEQUENCE");
    mh_der_enter(&s, &seq);
    /* duplicates of unknown extensions are found by comparing with those
     * before: bounded by the number of extensions, capped here */
    mh_x509_span seen[64];
    size_t n_seen = 0;
    while (!mh_der_empty(&s)) {
        mh_der e;
        bool present, critical = false;
        if (mh_der_expect(&s, MH_DER_SEQUENCE, &ext))
            return mh_x509_bad("the certificate's extensions", "an extension is not a SEQUENCE");
        mh_der_enter(&e, &ext);
        if (mh_der_expect(&e, MH_DER_OID, &oid) || mh_der_oid_check(&oid) ||
            mh_der_optional(&e, MH_DER_BOOLEAN, &crit, &present))
            return mh_x509_bad("the certificate's extensions", "bad extension header");
        /* quirk (docs/x509.md): an explicit critical FALSE (the DEFAULT) */
        if (present && mh_der_bool(&crit, &critical))
            return mh_x509_bad("the certificate's extensions", "bad critical flag");
        if (mh_der_expect(&e, MH_DER_OCTET_STRING, &val) || !mh_der_done(&e))
            return mh_x509_bad("the certificate's extensions", "bad extension value");
        mh_x509_span os = span_of(&oid);
        for (size_t i = 0; i < n_seen; i++) {
            if (mh_x509_span_eq(&seen[i], &os)) {
                char o[96];
                mh_x509_oid_str(&os, false, o, sizeof o);
                mh_err_set(MH_ERR_PARSE,
                           "the certificate has extension %s twice, which RFC 5280 forbids; it "
                           "cannot be used",
                           o);
                return MH_ERR_PARSE;
            }
        }
        if (n_seen >= sizeof seen / sizeof seen[0]) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the certificate has more than %zu extensions; mohur refuses it",
                       sizeof seen / sizeof seen[0]);
            return MH_ERR_TOO_LARGE;
        }
        seen[n_seen++] = os;
        const struct cert_ext *x = NULL;
        for (size_t i = 0; i < sizeof cert_exts / sizeof cert_exts[0]; i++)
            if (mh_x509_oid_eq(&os, cert_exts[i].oid, cert_exts[i].len))
                x = &cert_exts[i];
        if (!x) {
            if (critical && !c->unknown_critical) {
                c->unknown_critical = true;
                c->unknown_critical_oid = os;
            }
            continue;
        }
        int rc = parse_ext(c, x, &val);
        if (rc)
            return rc;
        c->ext_present |= x->flag;
        if (critical)
            c->ext_critical |= x->flag;
    }
    if (!mh_der_done(&s))
        return mh_x509_bad("the certificate's extensions", "trailing bytes");
    return 0;
}

/* AlgorithmIdentifier: SEQUENCE { OID, params ANY OPTIONAL } */
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

int mh_x509_cert_parse(mh_x509_cert *c, const uint8_t *der, size_t len)
{
    int ret = MH_ERR_PARSE;
    mh_der top, cert, tbs, v;
    mh_der_elem ce, te, e, alg2, sigbits;
    bool present;
    const char *what = "the certificate";

    memset(c, 0, sizeof *c);
    if (len > MH_X509_MAX_CERT) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the certificate is %zu bytes, more than the %zu mohur accepts", len,
                   MH_X509_MAX_CERT);
        return MH_ERR_TOO_LARGE;
    }
    mh_der_init(&top, der, len);
    if (mh_der_expect(&top, MH_DER_SEQUENCE, &ce) || !mh_der_done(&top))
        return mh_x509_bad(what, "not a single DER SEQUENCE");
    c->raw.p = ce.raw;
    c->raw.len = ce.raw_len;
    mh_der_enter(&cert, &ce);
    if (mh_der_expect(&cert, MH_DER_SEQUENCE, &te))
        return mh_x509_bad(what, "no TBSCertificate");
    c->tbs = raw_of(&te);
    if (read_alg(&cert, &alg2) || mh_der_expect(&cert, MH_DER_BIT_STRING, &sigbits) ||
        !mh_der_done(&cert))
        return mh_x509_bad(what, "bad signature algorithm or signature");
    {
        const uint8_t *b;
        size_t n;
        unsigned unused;
        if (sigbits.len == 0 || sigbits.val[0] > 7)
            return mh_x509_bad(what, "bad signature BIT STRING");
        /* a signature with unused bits cannot be valid: kept empty, so the
         * signature check fails and says so */
        if (mh_der_bitstring(&sigbits, &b, &n, &unused) || unused != 0) {
            b = sigbits.val;
            n = 0;
        }
        c->sig.p = b;
        c->sig.len = n;
    }

    mh_der_enter(&tbs, &te);
    c->version = 1;
    if (mh_der_optional(&tbs, MH_DER_CTX_C(0), &e, &present))
        return mh_x509_bad(what, "bad version");
    if (present) {
        uint64_t ver;
        mh_der_elem vi;
        mh_der_enter(&v, &e);
        if (mh_der_expect(&v, MH_DER_INTEGER, &vi) || !mh_der_done(&v) || mh_der_uint(&vi, &ver) ||
            ver > 2)
            return mh_x509_bad(what, "bad version");
        if (ver == 0)
            return mh_x509_bad(what, "version 1 must not be encoded in DER");
        c->version = (unsigned)ver + 1;
    }
    bool neg;
    if (mh_der_expect(&tbs, MH_DER_INTEGER, &e) || mh_der_integer_check(&e, &neg))
        return mh_x509_bad(what, "bad serial number");
    if (e.len > 20) {
        /* RFC 5280 4.1.2.2: at most 20 octets; accept a leading 0x00 */
        if (!(e.len == 21 && e.val[0] == 0))
            return mh_x509_bad(what, "serial number longer than 20 octets");
    }
    c->serial = span_of(&e);
    mh_der_elem alg1;
    if (read_alg(&tbs, &alg1))
        return mh_x509_bad(what, "bad signature algorithm");
    if (alg1.raw_len != alg2.raw_len || memcmp(alg1.raw, alg2.raw, alg1.raw_len) != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "the certificate's two signature algorithm fields differ, which RFC 5280 "
                   "forbids; it cannot be used");
        return MH_ERR_PARSE;
    }
    c->sig_alg = raw_of(&alg1);
    if (mh_der_expect(&tbs, MH_DER_SEQUENCE, &e))
        return mh_x509_bad(what, "bad issuer name");
    if ((ret = mh_x509_name_parse(&c->issuer, e.raw, e.raw_len)))
        return ret == MH_ERR_PARSE ? mh_x509_bad(what, "bad issuer name") : ret;
    if (mh_der_expect(&tbs, MH_DER_SEQUENCE, &e))
        return mh_x509_bad(what, "bad validity");
    {
        mh_der vd;
        mh_der_elem t1, t2;
        mh_der_enter(&vd, &e);
        if (mh_der_next(&vd, &t1) || mh_der_next(&vd, &t2) || !mh_der_done(&vd) ||
            mh_der_time(&t1, &c->not_before) || mh_der_time(&t2, &c->not_after))
            return mh_x509_bad(what, "bad validity dates");
        /* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after */
        if ((t1.tag == MH_DER_GENERALIZED_TIME && c->not_before < 2524608000) ||
            (t2.tag == MH_DER_GENERALIZED_TIME && c->not_after < 2524608000)) {
            /* tolerated: many CAs do this and PKITS tests it as valid */
        }
    }
    if (mh_der_expect(&tbs, MH_DER_SEQUENCE, &e))
        return mh_x509_bad(what, "bad subject name");
    if ((ret = mh_x509_name_parse(&c->subject, e.raw, e.raw_len)))
        return ret == MH_ERR_PARSE ? mh_x509_bad(what, "bad subject name") : ret;
    if (mh_der_expect(&tbs, MH_DER_SEQUENCE, &e))
        return mh_x509_bad(what, "bad public key");
    c->spki = raw_of(&e);
    {
        mh_der sp, ad;
        mh_der_elem a, oid, key;
        mh_der_enter(&sp, &e);
        if (mh_der_expect(&sp, MH_DER_SEQUENCE, &a) ||
            mh_der_expect(&sp, MH_DER_BIT_STRING, &key) || !mh_der_done(&sp))
            return mh_x509_bad(what, "bad public key");
        mh_der_enter(&ad, &a);
        if (mh_der_expect(&ad, MH_DER_OID, &oid) || mh_der_oid_check(&oid))
            return mh_x509_bad(what, "bad public key algorithm");
        c->spki_alg = span_of(&oid);
        c->spki_params.p = ad.p;
        c->spki_params.len = (size_t)(ad.end - ad.p);
        if (!mh_der_empty(&ad)) {
            mh_der_elem prm;
            if (mh_der_next(&ad, &prm) || !mh_der_done(&ad))
                return mh_x509_bad(what, "bad public key parameters");
        }
        const uint8_t *kb;
        size_t kl;
        unsigned unused;
        if (mh_der_bitstring(&key, &kb, &kl, &unused) || unused)
            return mh_x509_bad(what, "bad public key bits");
        c->spki_key.p = kb;
        c->spki_key.len = kl;
    }
    /* issuerUniqueID [1], subjectUniqueID [2]: v2 or v3 only */
    if (mh_der_optional(&tbs, MH_DER_CTX_P(1), &e, &present) || (present && c->version < 2))
        return mh_x509_bad(what, "bad issuerUniqueID");
    if (mh_der_optional(&tbs, MH_DER_CTX_P(2), &e, &present) || (present && c->version < 2))
        return mh_x509_bad(what, "bad subjectUniqueID");
    if (mh_der_optional(&tbs, MH_DER_CTX_C(3), &e, &present))
        return mh_x509_bad(what, "bad extensions");
    if (present) {
        if (c->version != 3)
            return mh_x509_bad(what, "extensions in a certificate older than version 3");
        if ((ret = parse_extensions(c, &e)))
            return ret;
    }
    if (!mh_der_done(&tbs))
        return mh_x509_bad(what, "trailing bytes in TBSCertificate");
    if ((c->ext_present & MH_EXT_SKI) == 0)
        c->ski.len = 0;
    return 0;
}

int mh_x509_cert_check(const uint8_t *der, size_t len)
{
    mh_x509_cert *c = calloc(1, sizeof *c);
    if (!c)
        return MH_ERR_NOMEM;
    int rc = mh_x509_cert_parse(c, der, len);
    free(c);
    return rc;
}

int mh_x509_cert_subject(const uint8_t *der, size_t len, enum mh_x509_name_style style, char *out,
                         size_t cap)
{
    mh_x509_cert *c = calloc(1, sizeof *c);
    int rc = MH_ERR_NOMEM;
    if (c) {
        rc = mh_x509_cert_parse(c, der, len);
        if (rc == 0)
            rc = mh_x509_name_format(&c->subject, style, out, cap);
        free(c);
    }
    if (rc && out && cap)
        out[0] = 0;
    return rc;
}

bool mh_x509_eku_only(const mh_x509_cert *c, const uint8_t *oid, size_t oid_len, bool critical)
{
    return (c->ext_present & MH_EXT_EXT_KEY_USAGE) &&
           (!critical || (c->ext_critical & MH_EXT_EXT_KEY_USAGE)) && c->n_eku == 1 &&
           c->eku[0].len == oid_len && memcmp(c->eku[0].p, oid, oid_len) == 0;
}

bool mh_x509_cert_self_issued(const mh_x509_cert *c)
{
    return mh_x509_name_eq(&c->issuer, &c->subject);
}

const char *mh_x509_reason_name(int reason)
{
    switch (reason) {
    case MH_REASON_KEY_COMPROMISE:
        return "keyCompromise";
    case MH_REASON_CA_COMPROMISE:
        return "cACompromise";
    case MH_REASON_AFFILIATION_CHANGED:
        return "affiliationChanged";
    case MH_REASON_SUPERSEDED:
        return "superseded";
    case MH_REASON_CESSATION:
        return "cessationOfOperation";
    case MH_REASON_CERTIFICATE_HOLD:
        return "certificateHold";
    case MH_REASON_REMOVE_FROM_CRL:
        return "removeFromCRL";
    case MH_REASON_PRIVILEGE_WITHDRAWN:
        return "privilegeWithdrawn";
    case MH_REASON_AA_COMPROMISE:
        return "aACompromise";
    default:
        return "unspecified";
    }
}
