/* sigval.c - the core of validating one signature (ETSI EN 319 102-1 as
 * docs/validation.md applies it): its cryptography, its attributes, its
 * timestamps with their TSAs' paths, the best proven time, and the
 * signer's path at that time against the trust store with revocation. */
#include "val_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

/* ---- names --------------------------------------------------------------- */

const char *mh_val_indication_name(enum mh_val_indication i)
{
    switch (i) {
    case MH_VAL_PASSED:
        return "TOTAL-PASSED";
    case MH_VAL_INDETERMINATE:
        return "INDETERMINATE";
    case MH_VAL_FAILED:
        return "TOTAL-FAILED";
    }
    return "INDETERMINATE";
}

const char *mh_val_sub_name(enum mh_val_sub s)
{
    static const char *const names[] = {
        "",
        "FORMAT_FAILURE",
        "HASH_FAILURE",
        "SIG_CRYPTO_FAILURE",
        "REVOKED",
        "EXPIRED",
        "NOT_YET_VALID",
        "SIG_CONSTRAINTS_FAILURE",
        "CHAIN_CONSTRAINTS_FAILURE",
        "CERTIFICATE_CHAIN_GENERAL_FAILURE",
        "CRYPTO_CONSTRAINTS_FAILURE",
        "POLICY_PROCESSING_ERROR",
        "TIMESTAMP_ORDER_FAILURE",
        "NO_SIGNING_CERTIFICATE_FOUND",
        "NO_CERTIFICATE_CHAIN_FOUND",
        "REVOKED_NO_POE",
        "REVOKED_CA_NO_POE",
        "OUT_OF_BOUNDS_NO_POE",
        "TRY_LATER",
        "SIGNED_DATA_NOT_FOUND",
    };
    if ((size_t)s < sizeof names / sizeof names[0])
        return names[s];
    return "";
}

/* ---- findings ------------------------------------------------------------ */

void val_worse(mh_val_sig *g, enum mh_val_indication ind, enum mh_val_sub sub, const char *fmt, ...)
{
    if (ind <= g->ind)
        return; /* among equals, the first reason stays */
    g->ind = ind;
    g->sub = sub;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->reason, sizeof g->reason, fmt, ap);
    va_end(ap);
}

void val_note(mh_val_sig *g, bool unchecked, const char *fmt, ...)
{
    size_t *n = unchecked ? &g->nunchecked : &g->nnotes;
    char(*list)[120] = unchecked ? g->unchecked : g->notes;
    if (*n >= MH_VAL_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(list[*n], sizeof list[0], fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i], list[*n]) == 0)
            return; /* said already */
    (*n)++;
}

void val_subject(const uint8_t *der, size_t len, char *out, size_t cap)
{
    out[0] = 0;
    if (!der)
        return;
    if (mh_x509_cert_subject(der, len, MH_X509_NAME_RFC4514, out, cap) != 0)
        out[0] = 0;
    if (!out[0])
        snprintf(out, cap, "(no name)");
}

static void date_text(int64_t t, char *out, size_t cap)
{
    mh_x509_date_str(t, out, cap);
}

/* ---- OIDs (contents) ----------------------------------------------------- */

/* 1.2.840.113549.1.9.16.2.n (id-aa-*) */
static const uint8_t oid_aa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02};
/* 1.2.840.113549.1.9.n (PKCS #9) */
static const uint8_t oid_p9[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09};
/* 0.4.0.1733.2.n (ETSI CAdES) */
static const uint8_t oid_etsi[] = {0x04, 0x00, 0x8d, 0x45, 0x02};
/* 0.4.0.19122.1.n (ETSI EN 319 122-1) */
static const uint8_t oid_etsi2[] = {0x04, 0x00, 0x81, 0x95, 0x32, 0x01};
/* 1.2.840.113583.1.1.8 (Adobe revocationInfoArchival) */
static const uint8_t oid_adbe_rev[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x2f, 0x01, 0x01, 0x08};

/* The last arc of an OID under prefix, or -1. */
static int arc_under(const mh_der_elem *oid, const uint8_t *prefix, size_t plen)
{
    if (oid->len != plen + 1 || memcmp(oid->val, prefix, plen) != 0 || oid->val[plen] >= 0x80)
        return -1;
    return oid->val[plen];
}

static void oid_text(const mh_der_elem *oid, char *out, size_t cap)
{
    mh_x509_span s = {oid->val, oid->len};
    mh_x509_oid_str(&s, false, out, cap);
}

/* ---- paths ---------------------------------------------------------------- */

static int crl_newest_first(const void *a, const void *b)
{
    const mh_x509_crl *x = *(const mh_x509_crl *const *)a, *y = *(const mh_x509_crl *const *)b;
    return x->this_update < y->this_update ? 1 : x->this_update > y->this_update ? -1 : 0;
}

/* Validates a certificate's path at `at` against the trust store with
 * every certificate and CRL of the set; revocation required. poe: the
 * proven time the signature (or token) existed by (0: none). */
static int validate_cert(val_set *s, const uint8_t *der, size_t len, enum mh_path_purpose purpose,
                         int64_t at, int64_t poe, const char *role, mh_path_result *res,
                         mh_val_sig *g, bool *may_sign)
{
    int rc = MH_ERR_NOMEM;
    const mh_val_ctx *c = s->ctx;
    mh_x509_cert *tx = malloc(sizeof *tx);
    const mh_x509_cert **anchors = calloc(c->nanchors + 1, sizeof *anchors);
    const mh_x509_cert **pool = calloc(s->ncerts + 1, sizeof *pool);
    const mh_x509_crl **crls = calloc(c->ncrls + s->ncrls + 1, sizeof *crls);
    memset(res, 0, sizeof *res);
    res->failed_index = -1;
    if (!tx || !anchors || !pool || !crls) {
        snprintf(res->reason, sizeof res->reason, "out of memory");
        res->err = rc;
        goto out;
    }
    if (mh_x509_cert_parse(tx, der, len) != 0) {
        snprintf(res->reason, sizeof res->reason, "%s cannot be read: %s", role,
                 mh_err_message(MH_ERR_PARSE));
        res->err = rc = MH_ERR_PARSE;
        res->failed_index = 0;
        goto out;
    }
    for (size_t i = 0; i < c->nanchors; i++)
        anchors[i] = &c->anchors[i]->x;
    size_t np = 0;
    for (size_t i = 0; i < s->ncerts; i++)
        if (!(s->certs[i]->len == len && memcmp(s->certs[i]->der, der, len) == 0))
            pool[np++] = &s->certs[i]->x;
    size_t nc = 0;
    for (size_t i = 0; i < c->ncrls; i++)
        crls[nc++] = &c->crls[i]->x;
    for (size_t i = 0; i < s->ncrls; i++)
        crls[nc++] = &s->crls[i]->x;
    /* the newest first: the first usable CRL that covers a certificate
     * decides, and the newest knows the most */
    qsort(crls, nc, sizeof *crls, crl_newest_first);
    mh_path_input in = {0};
    in.target = tx;
    in.anchors = anchors;
    in.n_anchors = c->nanchors;
    in.pool = pool;
    in.n_pool = np;
    in.crls = crls;
    in.n_crls = nc;
    mh_path_params p;
    memset(&p, 0, sizeof p);
    p.time = at;
    p.purpose = purpose;
    p.revocation = MH_REV_REQUIRE;
    p.role = role;
    p.crl_time = at;
    p.poe_time = poe;
    p.crl_after_ok = at < s->now;
    rc = mh_path_validate(s->work, &in, &p, res);
    /* res->chain points into tx: what the caller needs of it is read here */
    if (g) {
        g->nchain = 0;
        for (size_t i = 0; rc == 0 && i < res->len && i < MH_VAL_CHAIN_MAX; i++)
            if (res->chain[i])
                mh_x509_name_str(&res->chain[i]->subject, g->chain[g->nchain++],
                                 sizeof g->chain[0]);
    }
    if (may_sign)
        *may_sign = !(tx->ext_present & MH_EXT_KEY_USAGE) ||
                    (tx->key_usage & (MH_KU_DIGITAL_SIGNATURE | MH_KU_NON_REPUDIATION));
    memset(res->chain, 0, sizeof res->chain);
out:
    free(anchors);
    free(pool);
    free(crls);
    free(tx);
    return rc;
}

/* A path result as ETSI sees it. `proven`: at is a proven time (a POE),
 * not the current time. */
static void map_path(int rc, const mh_path_result *res, bool proven, enum mh_val_indication *ind,
                     enum mh_val_sub *sub)
{
    *ind = MH_VAL_INDETERMINATE;
    switch (rc) {
    case 0:
        *ind = MH_VAL_PASSED;
        *sub = MH_VAL_SUB_NONE;
        return;
    case MH_ERR_CERT_UNTRUSTED:
        *sub = res->len <= 1 ? MH_VAL_NO_CERTIFICATE_CHAIN_FOUND
                             : MH_VAL_CERTIFICATE_CHAIN_GENERAL_FAILURE;
        return;
    case MH_ERR_CERT_EXPIRED:
        *sub = MH_VAL_OUT_OF_BOUNDS_NO_POE;
        return;
    case MH_ERR_CERT_NOT_YET_VALID:
        if (proven && res->failed_index == 0) {
            *ind = MH_VAL_FAILED; /* it existed before its certificate did */
            *sub = MH_VAL_NOT_YET_VALID;
        } else {
            *sub = MH_VAL_OUT_OF_BOUNDS_NO_POE;
        }
        return;
    case MH_ERR_CERT_REVOKED:
        *sub = res->failed_index == 0 ? MH_VAL_REVOKED_NO_POE : MH_VAL_REVOKED_CA_NO_POE;
        return;
    case MH_ERR_CRL_MISSING:
    case MH_ERR_CRL_INVALID:
        *sub = MH_VAL_TRY_LATER;
        return;
    case MH_ERR_ALG_REFUSED:
        *sub = MH_VAL_CRYPTO_CONSTRAINTS_FAILURE;
        return;
    case MH_ERR_POLICY:
    case MH_ERR_NAME_CONSTRAINTS:
    case MH_ERR_KEY_USAGE:
    case MH_ERR_CRITICAL_EXT:
    case MH_ERR_PATH_LEN:
    case MH_ERR_CERT_INVALID:
        *sub = MH_VAL_CHAIN_CONSTRAINTS_FAILURE;
        return;
    default:
        *sub = MH_VAL_CERTIFICATE_CHAIN_GENERAL_FAILURE;
        return;
    }
}

/* ---- a signer's failure of its own cryptography -------------------------- */

static void map_signer_status(const mh_cms_signer_result *r, enum mh_val_indication *ind,
                              enum mh_val_sub *sub)
{
    *ind = MH_VAL_FAILED;
    switch (r->status) {
    case MH_ERR_NOT_FOUND:
        *ind = MH_VAL_INDETERMINATE;
        *sub = MH_VAL_NO_SIGNING_CERTIFICATE_FOUND;
        return;
    case MH_ERR_ALG_REFUSED:
    case MH_ERR_UNSUPPORTED_ALG:
        *ind = MH_VAL_INDETERMINATE;
        *sub = MH_VAL_CRYPTO_CONSTRAINTS_FAILURE;
        return;
    case MH_ERR_INVALID_ARG:
        *ind = MH_VAL_INDETERMINATE;
        *sub = MH_VAL_SIGNED_DATA_NOT_FOUND;
        return;
    case MH_ERR_VERIFY_FAILED:
        switch (r->failed_check) {
        case MH_CMS_CHECK_DIGEST:
            *sub = MH_VAL_HASH_FAILURE;
            return;
        case MH_CMS_CHECK_SIGNATURE:
            *sub = MH_VAL_SIG_CRYPTO_FAILURE;
            return;
        case MH_CMS_CHECK_SIGNING_CERT:
            *ind = MH_VAL_INDETERMINATE;
            *sub = MH_VAL_NO_SIGNING_CERTIFICATE_FOUND;
            return;
        default:
            *sub = MH_VAL_FORMAT_FAILURE;
            return;
        }
    default:
        *sub = MH_VAL_FORMAT_FAILURE;
        return;
    }
}

/* ---- timestamps ----------------------------------------------------------- */

static void ts_set(mh_val_ts *ts, enum mh_val_indication ind, enum mh_val_sub sub, const char *fmt,
                   ...) MH_PRINTF(4, 5);
static void ts_set(mh_val_ts *ts, enum mh_val_indication ind, enum mh_val_sub sub, const char *fmt,
                   ...)
{
    ts->ind = ind;
    ts->sub = sub;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ts->reason, sizeof ts->reason, fmt, ap);
    va_end(ap);
}

static int hash_data(mbedtls_md_type_t md, const val_data *d, uint8_t *out, size_t *olen)
{
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    mbedtls_md_context_t c;
    if (!mi)
        return MH_ERR_UNSUPPORTED_ALG;
    mbedtls_md_init(&c);
    int r = mbedtls_md_setup(&c, mi, 0);
    if (r == 0)
        r = mbedtls_md_starts(&c);
    for (int i = 0; r == 0 && i < 2; i++)
        if (d->part[i] && d->len[i])
            r = mbedtls_md_update(&c, d->part[i], d->len[i]);
    if (r == 0)
        r = mbedtls_md_finish(&c, out);
    mbedtls_md_free(&c);
    *olen = mbedtls_md_get_size(mi);
    return r ? MH_ERR_INTERNAL : MH_OK;
}

bool val_timestamp(val_set *s, const uint8_t *tok, size_t len, const val_data *data, int64_t poe,
                   mh_val_ts *ts)
{
    mh_cms_result *cr = calloc(1, sizeof *cr);
    mh_cms_verify_opts o;
    mh_tsp_info info;
    bool ok = false;
    int rc;

    memset(ts, 0, sizeof *ts);
    if (!cr) {
        ts_set(ts, MH_VAL_INDETERMINATE, MH_VAL_TRY_LATER, "out of memory");
        return false;
    }
    val_set_opts(s, &o);
    o.flags = MH_CMS_NO_TST;
    rc = mh_cms_verify(tok, len, NULL, 0, &o, cr);
    if (cr->n_signers >= 1 && cr->signers[0].cert)
        val_subject(cr->signers[0].cert, cr->signers[0].cert_len, ts->tsa, sizeof ts->tsa);
    if (rc && cr->n_signers == 0) {
        ts_set(ts, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE, "the timestamp cannot be read: %s",
               mh_err_message(rc));
        goto out;
    }
    if (cr->n_signers != 1) {
        ts_set(ts, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE,
               "the timestamp has %zu signers; a token has exactly one", cr->n_signers);
        goto out;
    }
    val_set_cms(s, cr); /* its certificates: the TSA's chain */
    if (rc) {
        enum mh_val_indication ind;
        enum mh_val_sub sub;
        map_signer_status(&cr->signers[0], &ind, &sub);
        ts_set(ts, ind, sub, "the timestamp's own signature: %s", cr->signers[0].reason);
        goto out;
    }
    if (cr->ctype_len != sizeof mh_oid_tstinfo ||
        memcmp(cr->ctype, mh_oid_tstinfo, sizeof mh_oid_tstinfo) != 0 || !cr->content) {
        ts_set(ts, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE,
               "the timestamp does not sign a TSTInfo: it is no RFC 3161 token");
        goto out;
    }
    memset(&info, 0, sizeof info);
    if (mh_tsp_tstinfo_parse(cr->content, cr->content_len, &info) != 0) {
        ts_set(ts, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE, "%s", mh_err_message(MH_ERR_PARSE));
        goto out;
    }
    ts->time = info.gen_time;
    if (info.md != MBEDTLS_MD_SHA256 && info.md != MBEDTLS_MD_SHA384 &&
        info.md != MBEDTLS_MD_SHA512) {
        ts_set(ts, MH_VAL_INDETERMINATE, MH_VAL_CRYPTO_CONSTRAINTS_FAILURE,
               "the timestamp's message imprint uses %s, which the policy refuses (SHA-256, "
               "SHA-384 or SHA-512 only)",
               info.md == MBEDTLS_MD_SHA1 ? "SHA-1" : "another hash");
        goto out;
    }
    uint8_t h[MBEDTLS_MD_MAX_SIZE];
    size_t hl = 0;
    if (hash_data(info.md, data, h, &hl) != MH_OK) {
        ts_set(ts, MH_VAL_INDETERMINATE, MH_VAL_TRY_LATER, "hashing failed");
        goto out;
    }
    if (info.imprint_len != hl || mh_ct_memcmp(info.imprint, h, hl) != 0) {
        ts_set(ts, MH_VAL_FAILED, MH_VAL_HASH_FAILURE,
               "the timestamp is for other data: its message imprint is not the digest of what "
               "it should cover");
        goto out;
    }
    mh_tsp_req req;
    mh_tsp_info vi;
    val_set_opts(s, &o); /* the set grew: its lists may have moved */
    o.flags = MH_CMS_NO_TST;
    if (mh_tsp_req_init(&req, info.md, h, hl) != 0) {
        ts_set(ts, MH_VAL_INDETERMINATE, MH_VAL_TRY_LATER, "internal error");
        goto out;
    }
    memset(&vi, 0, sizeof vi);
    rc = mh_tsp_token_verify(tok, len, &req, NULL, 0, &o, &vi);
    if (rc) {
        ts_set(ts, MH_VAL_INDETERMINATE, MH_VAL_CHAIN_CONSTRAINTS_FAILURE, "the timestamp: %s",
               mh_err_message(rc));
        goto out;
    }
    /* the TSA's path at the timestamp's time */
    mh_path_result *pr = calloc(1, sizeof *pr);
    if (!pr) {
        ts_set(ts, MH_VAL_INDETERMINATE, MH_VAL_TRY_LATER, "out of memory");
        goto out;
    }
    rc = validate_cert(s, vi.tsa_cert, vi.tsa_cert_len, MH_PURPOSE_TIMESTAMP, info.gen_time, poe,
                       "the TSA's certificate", pr, NULL, NULL);
    enum mh_val_indication ind;
    enum mh_val_sub sub;
    map_path(rc, pr, poe != 0, &ind, &sub);
    if (rc)
        ts_set(ts, ind == MH_VAL_FAILED ? MH_VAL_INDETERMINATE : ind, sub,
               "the timestamp's authority: %s", pr->reason);
    else
        ts_set(ts, MH_VAL_PASSED, MH_VAL_SUB_NONE, "valid");
    free(pr);
    ok = rc == 0;
out:
    free(cr);
    return ok;
}

/* ---- attributes ------------------------------------------------------------ */

/* RevocationValues / RevocationInfoArchival: [0] SEQUENCE OF CertificateList,
 * [1] OCSP responses (not used), [2] other. */
static void rev_values(val_set *s, const mh_der_elem *v, mh_val_sig *g)
{
    mh_der d, x, l;
    mh_der_elem e, seq, crl;
    if (v->tag != MH_DER_SEQUENCE)
        return;
    mh_der_enter(&d, v);
    while (!mh_der_empty(&d) && mh_der_next(&d, &e) == 0) {
        if (e.tag == MH_DER_CTX_C(0)) {
            mh_der_enter(&x, &e);
            if (mh_der_expect(&x, MH_DER_SEQUENCE, &seq) != 0)
                continue;
            mh_der_enter(&l, &seq);
            for (size_t n = 0; !mh_der_empty(&l) && n < MH_VAL_MAX_CRLS; n++) {
                if (mh_der_expect(&l, MH_DER_SEQUENCE, &crl) != 0)
                    break;
                val_set_crl(s, crl.raw, crl.raw_len, VAL_SRC_CMS);
            }
        } else if (e.tag == MH_DER_CTX_C(1) && g) {
            val_note(g, false, "OCSP responses in the signature (not used: mohur checks CRLs)");
        }
    }
}

/* What the signature's attributes and its timestamps give. */
typedef struct sig_work {
    const mh_cms_signer_result *r;
    mh_val_sig *g;   /* NULL: collecting data only */
    int64_t ext_poe; /* from a later document timestamp */
    int64_t poe;     /* the earliest valid signature timestamp's time */
} sig_work;

/* Walks a SET OF Attribute: fn(oid, values) for each. */
typedef void (*attr_fn)(val_set *s, sig_work *w, const mh_der_elem *oid, const mh_der_elem *vals,
                        size_t nvals);

static void each_attr(val_set *s, sig_work *w, const uint8_t *set, size_t len, attr_fn fn)
{
    mh_der d;
    mh_der_elem at;
    if (!set)
        return;
    mh_der_init(&d, set, len);
    for (size_t n = 0; !mh_der_empty(&d) && n < 64; n++) {
        mh_der x, vs;
        mh_der_elem oid, vset, val, vals[8];
        size_t nv = 0;
        if (mh_der_expect(&d, MH_DER_SEQUENCE, &at) != 0)
            break;
        mh_der_enter(&x, &at);
        mh_der_expect(&x, MH_DER_OID, &oid);
        mh_der_expect(&x, MH_DER_SET, &vset);
        if (!mh_der_done(&x))
            continue;
        mh_der_enter(&vs, &vset);
        while (!mh_der_empty(&vs) && mh_der_next(&vs, &val) == 0)
            if (nv < 8)
                vals[nv++] = val;
        fn(s, w, &oid, vals, nv);
    }
}

/* Certificates and CRLs the attributes carry (first pass, before paths). */
static void data_attr(val_set *s, sig_work *w, const mh_der_elem *oid, const mh_der_elem *vals,
                      size_t nvals)
{
    int aa = arc_under(oid, oid_aa, sizeof oid_aa);
    bool adbe = mh_der_oid_is(oid, oid_adbe_rev, sizeof oid_adbe_rev);
    for (size_t i = 0; i < nvals; i++) {
        if (aa == 23 && vals[i].tag == MH_DER_SEQUENCE) { /* certificate-values */
            mh_der d;
            mh_der_elem c;
            mh_der_enter(&d, &vals[i]);
            while (!mh_der_empty(&d) && mh_der_expect(&d, MH_DER_SEQUENCE, &c) == 0)
                val_set_cert(s, c.raw, c.raw_len);
        } else if (aa == 24 || adbe) { /* revocation-values, revocationInfoArchival */
            rev_values(s, &vals[i], w->g);
        }
    }
}

void val_signer_data(val_set *s, const mh_cms_signer_result *r)
{
    sig_work w = {r, NULL, 0, 0};
    each_attr(s, &w, r->sattrs, r->sattrs_len, data_attr);
    each_attr(s, &w, r->uattrs, r->uattrs_len, data_attr);
}

/* signing-certificate (v1): ESSCertID's SHA-1 hash of the certificate. */
static bool scv1_matches(const mh_der_elem *v, const mh_cms_signer_result *r)
{
    mh_der d, c, id;
    mh_der_elem certs, first, h;
    uint8_t hash[20];
    if (v->tag != MH_DER_SEQUENCE || !r->cert)
        return false;
    mh_der_enter(&d, v);
    mh_der_expect(&d, MH_DER_SEQUENCE, &certs);
    mh_der_enter(&c, &certs);
    mh_der_expect(&c, MH_DER_SEQUENCE, &first);
    mh_der_enter(&id, &first);
    mh_der_expect(&id, MH_DER_OCTET_STRING, &h);
    if (d.failed || c.failed || id.failed || h.len != 20)
        return false;
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    if (!mi || mbedtls_md(mi, r->cert, r->cert_len, hash) != 0)
        return false;
    return mh_ct_memcmp(hash, h.val, 20) == 0;
}

static void signed_attr(val_set *s, sig_work *w, const mh_der_elem *oid, const mh_der_elem *vals,
                        size_t nvals)
{
    (void)s;
    const mh_cms_signer_result *r = w->r;
    mh_val_sig *g = w->g;
    char o[80];
    int p9 = arc_under(oid, oid_p9, sizeof oid_p9);
    int aa = arc_under(oid, oid_aa, sizeof oid_aa);
    int et = arc_under(oid, oid_etsi, sizeof oid_etsi);
    int et2 = arc_under(oid, oid_etsi2, sizeof oid_etsi2);
    if (p9 == 3 || p9 == 4 || p9 == 5 || p9 == 15 || p9 == 52 || aa == 47)
        return; /* content-type, message-digest, signing-time, smime-capabilities,
                   cms-algorithm-protection, signing-certificate-v2: pki's */
    if (mh_der_oid_is(oid, oid_adbe_rev, sizeof oid_adbe_rev))
        return;     /* revocation data, used */
    if (aa == 12) { /* signing-certificate (ESS, v1) */
        if (nvals != 1 || !scv1_matches(&vals[0], r))
            val_worse(g, MH_VAL_INDETERMINATE, MH_VAL_NO_SIGNING_CERTIFICATE_FOUND,
                      "the signing-certificate attribute does not name the signer's certificate "
                      "(certificate swapped?)");
        return;
    }
    if (aa == 15) { /* signature-policy-identifier */
        if (nvals == 1 && vals[0].tag == MH_DER_NULL)
            return; /* the policy is implied */
        val_note(g, true, "a signature policy (EPES), which mohur does not process");
        val_worse(g, MH_VAL_INDETERMINATE, MH_VAL_POLICY_PROCESSING_ERROR,
                  "the signature names a signature policy, which mohur does not process");
        return;
    }
    if (aa == 20) { /* content-time-stamp */
        val_note(g, true, "a content timestamp (not checked)");
        return;
    }
    if (aa == 4 || aa == 16 || aa == 17 || aa == 18 || aa == 2 || et == 1 || et2 == 1) {
        val_note(g, false, "signed attribute %s: informational, not interpreted",
                 aa == 16               ? "commitment-type-indication"
                 : aa == 17             ? "signer-location"
                 : aa == 18 || et2 == 1 ? "signer-attributes"
                 : aa == 4              ? "content-hints"
                 : et == 1              ? "mime-type"
                                        : "security-label");
        return;
    }
    oid_text(oid, o, sizeof o);
    val_note(g, false, "signed attribute %s: not interpreted", o);
}

static void unsigned_attr(val_set *s, sig_work *w, const mh_der_elem *oid, const mh_der_elem *vals,
                          size_t nvals)
{
    const mh_cms_signer_result *r = w->r;
    mh_val_sig *g = w->g;
    char o[80];
    int p9 = arc_under(oid, oid_p9, sizeof oid_p9);
    int aa = arc_under(oid, oid_aa, sizeof oid_aa);
    int et = arc_under(oid, oid_etsi, sizeof oid_etsi);
    int et2 = arc_under(oid, oid_etsi2, sizeof oid_etsi2);
    if (aa == 14) { /* signature-time-stamp: every token is checked */
        for (size_t i = 0; i < nvals; i++) {
            if (g->nts >= MH_VAL_MAX_TS) {
                val_note(g, true, "more signature timestamps than mohur checks");
                break;
            }
            mh_val_ts *ts = &g->ts[g->nts++];
            val_data d = {{r->signature, NULL}, {r->signature_len, 0}};
            bool ok = val_timestamp(s, vals[i].raw, vals[i].raw_len, &d, w->ext_poe, ts);
            if (ok && (!w->poe || ts->time < w->poe))
                w->poe = ts->time;
        }
        if (nvals == 0)
            val_worse(g, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE,
                      "a signature-time-stamp attribute has no value");
        return;
    }
    if (aa == 23 || aa == 24)
        return; /* certificate-values, revocation-values: used */
    if (aa == 21 || aa == 22 || aa == 44 || aa == 45) {
        val_note(g, false, "%s (not needed: mohur uses the values themselves)",
                 aa == 21   ? "complete-certificate-references"
                 : aa == 22 ? "complete-revocation-references"
                 : aa == 44 ? "attribute-certificate-references"
                            : "attribute-revocation-references");
        return;
    }
    const char *what = NULL;
    if (p9 == 6)
        what = "a countersignature";
    else if (aa == 27 || aa == 48 || et == 4)
        what = aa == 27   ? "an archive timestamp (CAdES-A v1)"
               : aa == 48 ? "an archive timestamp (v2)"
                          : "an archive timestamp (v3)";
    else if (aa == 25 || aa == 26)
        what = aa == 25 ? "a CAdES-C timestamp (escTimeStamp)"
                        : "a timestamp over the references (certCRLTimestamp)";
    else if (aa == 49 || aa == 50)
        what = "an evidence record";
    else if (et == 5 || et == 6 || et == 7)
        what = "an archive timestamp's hash index";
    else if (et2 == 3)
        what = "a signature policy store";
    if (what) {
        val_note(g, true, "%s", what);
        return;
    }
    oid_text(oid, o, sizeof o);
    val_note(g, true, "an unsigned attribute mohur does not know (%s)", o);
}

/* ---- one signer ------------------------------------------------------------ */

void val_signer(val_set *s, const mh_cms_result *res, size_t index, int64_t ext_poe, mh_val_sig *g)
{
    const mh_cms_signer_result *r = &res->signers[index];
    sig_work w = {r, g, ext_poe, 0};
    enum mh_val_indication ind;
    enum mh_val_sub sub;

    g->ind = MH_VAL_PASSED;
    g->sub = MH_VAL_SUB_NONE;
    snprintf(g->reason, sizeof g->reason, "valid");
    snprintf(g->digest_alg, sizeof g->digest_alg, "%s", mh_cms_md_name(r->md));
    if (r->cert)
        val_subject(r->cert, r->cert_len, g->signer, sizeof g->signer);
    if (r->has_signing_time) {
        g->has_claimed_time = true;
        g->claimed_time = r->signing_time;
    }
    /* 1. its own cryptography (pki's checks) */
    if (r->status) {
        map_signer_status(r, &ind, &sub);
        val_worse(g, ind, sub, "%s", r->reason);
        return;
    }
    /* 2. attributes; signature timestamps, each with its TSA's path */
    each_attr(s, &w, r->sattrs, r->sattrs_len, signed_attr);
    each_attr(s, &w, r->uattrs, r->uattrs_len, unsigned_attr);
    for (size_t i = 0; i < g->nts; i++) {
        const mh_val_ts *ts = &g->ts[i];
        if (ts->ind == MH_VAL_FAILED) /* the others are said after the signer's path */
            val_worse(g, ts->ind, ts->sub, "signature timestamp %zu: %s", i + 1, ts->reason);
    }
    /* 3. the best proven time */
    int64_t poe = w.poe;
    g->poe = poe ? MH_VAL_POE_SIG_TIMESTAMP : MH_VAL_POE_NONE;
    if (ext_poe && (!poe || ext_poe < poe)) {
        poe = ext_poe;
        g->poe = MH_VAL_POE_DOC_TIMESTAMP;
    }
    g->poe_time = poe;
    int64_t at = poe ? poe : s->now;
    g->validation_time = at;
    if (poe && g->has_claimed_time && g->claimed_time > poe + 24 * 3600)
        val_note(g, false, "its claimed signing time is after the time it is proven to exist by");
    /* 4. the signer's path at that time, with revocation */
    mh_path_result *pr = calloc(1, sizeof *pr);
    if (!pr) {
        val_worse(g, MH_VAL_INDETERMINATE, MH_VAL_TRY_LATER, "out of memory");
        return;
    }
    bool may_sign = true;
    int rc = validate_cert(s, r->cert, r->cert_len, MH_PURPOSE_ANY, at, poe,
                           "the signer's certificate", pr, g, &may_sign);
    map_path(rc, pr, poe != 0, &ind, &sub);
    char d1[16], d2[16];
    date_text(at, d1, sizeof d1);
    if (rc == 0) {
        snprintf(g->revocation, sizeof g->revocation,
                 "not revoked at %s by the CRLs of every certificate in the path%s", d1,
                 poe ? " (revocations after that time do not count)" : "");
    } else if (rc == MH_ERR_CERT_EXPIRED || rc == MH_ERR_CERT_NOT_YET_VALID) {
        val_worse(g, ind, sub, "%s%s", pr->reason,
                  ind == MH_VAL_FAILED ? " (the signature existed before the certificate was valid)"
                  : poe                ? ", before the earliest proof that the signature existed"
                        : "; nothing proves the signature existed while it was valid (no "
                          "timestamp)");
    } else if (rc == MH_ERR_CERT_REVOKED) {
        val_worse(g, ind, sub, "%s; nothing proves the signature existed before that%s", pr->reason,
                  poe ? "" : " (no timestamp)");
        if (poe) {
            date_text(poe, d2, sizeof d2);
            val_note(g, false, "the earliest proof of existence is of %s", d2);
        }
    } else if (rc == MH_ERR_CRL_MISSING || rc == MH_ERR_CRL_INVALID) {
        val_worse(g, ind, sub, "%s (revocation status unknown: try later, or give the CRL)",
                  pr->reason);
    } else {
        val_worse(g, ind, sub, "%s", pr->reason);
    }
    if (rc && !g->revocation[0] && (rc == MH_ERR_CERT_REVOKED || rc == MH_ERR_CRL_MISSING))
        snprintf(g->revocation, sizeof g->revocation, "%s", pr->reason);
    /* the signer's key may sign (keyUsage, when present) */
    if (rc == 0 && !may_sign)
        val_worse(g, MH_VAL_INDETERMINATE, MH_VAL_CHAIN_CONSTRAINTS_FAILURE,
                  "the signer's certificate may not sign (its key usage has neither "
                  "digitalSignature nor nonRepudiation)");
    free(pr);
    for (size_t i = 0; i < g->nts; i++) {
        const mh_val_ts *ts = &g->ts[i];
        if (ts->ind != MH_VAL_PASSED)
            val_worse(g, ts->ind, ts->sub, "signature timestamp %zu: %s", i + 1, ts->reason);
    }
    /* 5. what mohur cannot check keeps it from passing */
    if (g->nunchecked)
        val_worse(g, MH_VAL_INDETERMINATE, MH_VAL_SIG_CONSTRAINTS_FAILURE,
                  "the signature carries %s, which mohur cannot check%s", g->unchecked[0],
                  g->nunchecked > 1 ? " (and more: see unchecked)" : "");
}

/* ---- the document ---------------------------------------------------------- */

void val_report_finish(mh_val_report *rep)
{
    rep->ind = MH_VAL_PASSED;
    rep->sub = MH_VAL_SUB_NONE;
    snprintf(rep->reason, sizeof rep->reason, "every signature is valid");
    if (rep->nsigs == 0) {
        rep->ind = MH_VAL_FAILED;
        rep->sub = MH_VAL_FORMAT_FAILURE;
        snprintf(rep->reason, sizeof rep->reason, "the document carries no signature");
        return;
    }
    for (size_t i = 0; i < rep->nsigs; i++) {
        const mh_val_sig *g = &rep->sigs[i];
        if (g->ind > rep->ind) {
            rep->ind = g->ind;
            rep->sub = g->sub;
            snprintf(rep->reason, sizeof rep->reason, "%s: %s", g->id, g->reason);
        }
    }
}
