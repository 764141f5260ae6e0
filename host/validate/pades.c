/* pades.c - validating every signature and document timestamp of a PDF
 * (PAdES): host/pdf checks the structure (byte ranges, digests, what later
 * updates changed) and gives each signature's CMS; the DSS adds
 * certificates and CRLs; document timestamps, checked from the newest,
 * prove when what they cover existed. */
#include "val_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/md.h>

#include "mh_pdf.h"

/* One signature's CMS as host/pdf gave it to the callback. */
typedef struct cb_entry {
    size_t range[4];
    val_data data;
    uint8_t *cms; /* DER, kept in the set */
    size_t cms_len;
    int rc;
    mh_cms_result *res; /* verified again for the details */
    char why[200];      /* why it could not be read, when it has no signer */
} cb_entry;

typedef struct cb_ctx {
    val_set *s;
    const uint8_t *base;
    size_t n;
    cb_entry e[MH_PDF_MAX_SIGS];
} cb_ctx;

static int pdf_cb(void *ctx, const mh_pdf_signed_data *data, const uint8_t *cms, size_t cms_len,
                  char *signer, size_t signer_cap)
{
    cb_ctx *cb = ctx;
    if (cb->n >= MH_PDF_MAX_SIGS)
        return MH_ERR_TOO_LARGE;
    cb_entry *e = &cb->e[cb->n];
    memset(e, 0, sizeof *e);
    e->range[0] = (size_t)(data->part[0] - cb->base);
    e->range[1] = data->part_len[0];
    e->range[2] = (size_t)(data->part[1] - cb->base);
    e->range[3] = data->part_len[1];
    e->data.part[0] = data->part[0];
    e->data.part[1] = data->part[1];
    e->data.len[0] = data->part_len[0];
    e->data.len[1] = data->part_len[1];
    e->cms = malloc(cms_len ? cms_len : 1);
    if (!e->cms || val_set_keep(cb->s, e->cms) != MH_OK)
        return MH_ERR_NOMEM;
    memcpy(e->cms, cms, cms_len);
    e->cms_len = cms_len;
    cb->n++;
    mh_cms_verify_opts o;
    val_set_opts(cb->s, &o);
    e->rc = mh_pdf_cms_pki_verify(&o, data, e->cms, cms_len, signer, signer_cap);
    return e->rc;
}

static const cb_entry *entry_for(const cb_ctx *cb, const mh_pdf_sig_report *r)
{
    for (size_t i = 0; i < cb->n; i++)
        if (memcmp(cb->e[i].range, r->byte_range, sizeof r->byte_range) == 0)
            return &cb->e[i];
    return NULL;
}

/* The CMS of an entry verified with the digest of its byte range in the
 * signer's own hash. */
static int entry_result(val_set *s, cb_entry *e)
{
    mh_cms_verify_opts o;
    uint8_t h[MBEDTLS_MD_MAX_SIZE];
    mbedtls_md_type_t md = MBEDTLS_MD_SHA256;
    e->res = calloc(1, sizeof *e->res);
    if (!e->res || val_set_keep(s, e->res) != MH_OK) {
        e->res = NULL;
        return MH_ERR_NOMEM;
    }
    val_set_opts(s, &o);
    for (int pass = 0; pass < 2; pass++) {
        const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
        mbedtls_md_context_t c;
        mbedtls_md_init(&c);
        int r = mi ? mbedtls_md_setup(&c, mi, 0) : -1;
        if (r == 0)
            r = mbedtls_md_starts(&c);
        for (int i = 0; r == 0 && i < 2; i++)
            r = mbedtls_md_update(&c, e->data.part[i], e->data.len[i]);
        if (r == 0)
            r = mbedtls_md_finish(&c, h);
        mbedtls_md_free(&c);
        if (r != 0)
            return MH_OK; /* an unknown hash: the signer's status says so */
        memset(e->res, 0, sizeof *e->res);
        /* the signers' statuses say what failed */
        mh_err_clear();
        int vrc =
            mh_cms_verify_digest(e->cms, e->cms_len, md, h, mbedtls_md_get_size(mi), &o, e->res);
        if (vrc && e->res->n_signers == 0)
            snprintf(e->why, sizeof e->why, "%s", mh_err_message(vrc));
        if (e->res->n_signers == 0 || e->res->signers[0].md == md ||
            e->res->signers[0].md == MBEDTLS_MD_NONE)
            break;
        md = e->res->signers[0].md; /* signed with another hash: digest with it */
    }
    return MH_OK;
}

static uint8_t hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return (uint8_t)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (uint8_t)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (uint8_t)(c - 'A' + 10);
    return 0xff;
}

/* A document timestamp's token: its /Contents (the gap of its byte range)
 * decoded, BER made DER, zero padding dropped. Kept in the set. */
static int doc_token(val_set *s, const uint8_t *pdf, size_t len, const mh_pdf_sig_report *r,
                     const uint8_t **tok, size_t *tok_len)
{
    size_t a = r->byte_range[1], b = r->byte_range[2];
    if (b > len || b < a + 2 || pdf[a] != '<' || pdf[b - 1] != '>' || (b - a - 2) % 2)
        return MH_ERR_PARSE;
    size_t n = (b - a - 2) / 2;
    uint8_t *raw = malloc(n ? n : 1);
    size_t cap = n + n / 2 + 256, used = 0, dl = 0;
    uint8_t *der = malloc(cap);
    int rc = MH_ERR_NOMEM;
    if (!raw || !der)
        goto out;
    rc = MH_ERR_PARSE;
    for (size_t i = 0; i < n; i++) {
        uint8_t hi = hexval(pdf[a + 1 + 2 * i]), lo = hexval(pdf[a + 2 + 2 * i]);
        if (hi > 15 || lo > 15)
            goto out;
        raw[i] = (uint8_t)(hi << 4 | lo);
    }
    rc = mh_cms_ber_to_der_prefix(raw, n, der, cap, &dl, &used);
    if (rc)
        goto out;
    rc = val_set_keep(s, der);
    if (rc == MH_OK) {
        *tok = der; /* kept */
        *tok_len = dl;
    }
    der = NULL;
out:
    free(raw);
    free(der);
    return rc;
}

/* "D:YYYYMMDDHHmmSS" (offset ignored) to seconds, 0 when unreadable. */
static int64_t pdf_time(const char *s)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (strncmp(s, "D:", 2) == 0)
        s += 2;
    if (sscanf(s, "%4d%2d%2d%2d%2d%2d", &y, &mo, &d, &h, &mi, &se) < 3 || y < 1970 || mo < 1 ||
        mo > 12 || d < 1 || d > 31)
        return 0;
    return (mh_der_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400) + h * 3600 + mi * 60 + se;
}

/* A document timestamp that passed: what it proves and how far it reaches. */
typedef struct poe_src {
    int64_t time;
    size_t covers; /* bytes before its own /Contents */
} poe_src;

static int64_t poe_for(const poe_src *p, size_t np, size_t revision_len)
{
    int64_t best = 0;
    for (size_t i = 0; i < np; i++)
        if (p[i].covers >= revision_len && (!best || p[i].time < best))
            best = p[i].time;
    return best;
}

static void structure_problem(const mh_pdf_sig_report *r, mh_val_sig *g)
{
    switch (r->status) {
    case MH_PDF_SIG_BAD_RANGE:
        val_worse(g, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE, "%s", r->change);
        break;
    case MH_PDF_SIG_BAD_DIGEST:
        val_worse(g, MH_VAL_FAILED, MH_VAL_HASH_FAILURE, "%s", r->change);
        break;
    case MH_PDF_SIG_MODIFIED:
        val_worse(g, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE,
                  "the document was changed after this signature in a way the PDF rules do not "
                  "allow: %s",
                  r->change);
        break;
    default:
        break;
    }
}

static void doc_timestamp(val_set *s, const uint8_t *pdf, size_t len, const mh_pdf_sig_report *r,
                          int64_t poe, mh_val_sig *g)
{
    const uint8_t *tok = NULL;
    size_t tl = 0;
    mh_val_ts ts;
    g->doc_timestamp = true;
    snprintf(g->format, sizeof g->format, "PDF document timestamp");
    g->ind = MH_VAL_PASSED;
    snprintf(g->reason, sizeof g->reason, "valid");
    if (r->status == MH_PDF_SIG_BAD_RANGE) {
        structure_problem(r, g);
        return;
    }
    if (doc_token(s, pdf, len, r, &tok, &tl) != MH_OK) {
        val_worse(g, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE,
                  "its /Contents is not an RFC 3161 token (BER or DER)");
        return;
    }
    val_data d = {{pdf, pdf + r->byte_range[2]}, {r->byte_range[1], r->byte_range[3]}};
    bool ok = val_timestamp(s, tok, tl, &d, poe, &ts);
    snprintf(g->signer, sizeof g->signer, "%s", ts.tsa);
    g->has_claimed_time = ts.time != 0;
    g->claimed_time = ts.time;
    g->validation_time = ts.time;
    g->poe = poe ? MH_VAL_POE_DOC_TIMESTAMP : MH_VAL_POE_NONE;
    g->poe_time = poe;
    if (!ok)
        val_worse(g, ts.ind, ts.sub, "%s", ts.reason);
    if (r->status == MH_PDF_SIG_BAD_CMS)
        val_worse(g, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE, "%s", r->change);
    structure_problem(r, g);
}

static void signature(val_set *s, cb_ctx *cb, const mh_pdf_sig_report *r, int64_t poe,
                      mh_val_sig *g)
{
    snprintf(g->format, sizeof g->format, "PAdES%s%s%s", r->subfilter[0] ? " (" : "", r->subfilter,
             r->subfilter[0] ? ")" : "");
    g->ind = MH_VAL_PASSED;
    snprintf(g->reason, sizeof g->reason, "valid");
    snprintf(g->signer, sizeof g->signer, "%s", r->signer);
    int64_t m = pdf_time(r->when);
    if (m) {
        g->has_claimed_time = true;
        g->claimed_time = m;
    }
    if (strcmp(r->subfilter, "adbe.pkcs7.sha1") == 0 ||
        strcmp(r->subfilter, "adbe.x509.rsa_sha1") == 0) {
        val_worse(g, MH_VAL_INDETERMINATE, MH_VAL_CRYPTO_CONSTRAINTS_FAILURE,
                  "its format (/SubFilter /%s) signs a SHA-1 digest, which the policy refuses",
                  r->subfilter);
        return;
    }
    if (r->status == MH_PDF_SIG_BAD_RANGE || r->status == MH_PDF_SIG_BAD_DIGEST) {
        structure_problem(r, g);
        return;
    }
    cb_entry *e = (cb_entry *)entry_for(cb, r);
    if (!e || !e->res) {
        val_worse(g, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE, "%s",
                  r->change[0] ? r->change : "its CMS cannot be read");
        return;
    }
    if (e->res->n_signers == 0 && e->why[0]) {
        val_worse(g, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE, "its CMS cannot be used: %s", e->why);
        return;
    }
    if (e->res->n_signers != 1) {
        val_worse(g, MH_VAL_FAILED, MH_VAL_FORMAT_FAILURE,
                  "its CMS has %zu signers; a PDF signature has exactly one", e->res->n_signers);
        return;
    }
    val_signer(s, e->res, 0, poe, g);
    if (!g->has_claimed_time && m) {
        g->has_claimed_time = true;
        g->claimed_time = m;
    }
    structure_problem(r, g);
}

int mh_val_pdf(const mh_val_ctx *c, const uint8_t *pdf, size_t len, mh_val_report *rep)
{
    int ret = MH_ERR_INVALID_ARG;
    mh_pdf_document *doc = NULL;
    mh_pdf_verify_result *vr = NULL;
    cb_ctx *cb = NULL;
    mh_pdf_dss dss;
    val_set s;
    bool set_ok = false;
    poe_src *pp = NULL;
    size_t np = 0;

    memset(&dss, 0, sizeof dss);
    if (!c || !pdf || !rep)
        return ret;
    memset(rep, 0, sizeof *rep);
    ret = MH_ERR_NOMEM;
    vr = calloc(1, sizeof *vr);
    cb = calloc(1, sizeof *cb);
    pp = calloc(MH_PDF_MAX_SIGS, sizeof *pp);
    if (!vr || !cb || !pp)
        goto out;
    ret = val_set_init(&s, c);
    set_ok = ret == MH_OK;
    if (ret)
        goto out;
    rep->now = s.now;
    rep->nanchors = c->nanchors;
    rep->skipped = c->skipped;
    rep->appliance = c->appliance;
    ret = mh_pdf_open(pdf, len, &doc);
    if (ret)
        goto out;
    /* the DSS first: its certificates may be what finds a signer */
    ret = mh_pdf_document_dss(doc, &dss);
    if (ret)
        goto out;
    rep->dss = dss.present;
    rep->certs_dss = dss.ncerts;
    rep->ocsps_dss = dss.nocsps;
    rep->dss_skipped = dss.nbad;
    snprintf(rep->dss_problem, sizeof rep->dss_problem, "%s", dss.problem);
    for (size_t i = 0; i < dss.ncerts; i++)
        val_set_cert(&s, dss.certs[i], dss.cert_len[i]);
    for (size_t i = 0; i < dss.ncrls; i++)
        val_set_crl(&s, dss.crls[i], dss.crl_len[i], VAL_SRC_DSS);
    cb->s = &s;
    cb->base = pdf;
    ret = mh_pdf_document_verify(doc, pdf_cb, cb, vr);
    if (ret)
        goto out;
    /* every CMS's certificates and CRLs, before any path is validated */
    for (size_t i = 0; i < cb->n; i++) {
        ret = entry_result(&s, &cb->e[i]);
        if (ret)
            goto out;
        val_set_cms(&s, cb->e[i].res);
        for (size_t k = 0; k < cb->e[i].res->n_signers; k++)
            val_signer_data(&s, &cb->e[i].res->signers[k]);
    }
    size_t n = vr->nsigs < MH_VAL_MAX_SIGS ? vr->nsigs : MH_VAL_MAX_SIGS;
    rep->nsigs = n;
    for (size_t i = 0; i < n; i++) {
        const mh_pdf_sig_report *r = &vr->sigs[i];
        snprintf(rep->sigs[i].id, sizeof rep->sigs[i].id, "field '%s'", r->field);
        snprintf(rep->sigs[i].field, sizeof rep->sigs[i].field, "%s", r->field);
    }
    /* document timestamps, newest first: each is proven by the later ones */
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            const mh_pdf_sig_report *r = &vr->sigs[i];
            if (r->doc_timestamp && !rep->sigs[i].doc_timestamp &&
                (best == SIZE_MAX || r->revision_len > vr->sigs[best].revision_len))
                best = i;
        }
        if (best == SIZE_MAX)
            break;
        const mh_pdf_sig_report *r = &vr->sigs[best];
        mh_val_sig *g = &rep->sigs[best];
        doc_timestamp(&s, pdf, len, r, poe_for(pp, np, r->revision_len), g);
        if (g->ind == MH_VAL_PASSED && np < MH_PDF_MAX_SIGS) {
            pp[np].time = g->validation_time;
            pp[np].covers = r->byte_range[1];
            np++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const mh_pdf_sig_report *r = &vr->sigs[i];
        if (!r->doc_timestamp)
            signature(&s, cb, r, poe_for(pp, np, r->revision_len), &rep->sigs[i]);
    }
    rep->crls_given = c->ncrls;
    rep->crls_cms = s.crls_by_src[VAL_SRC_CMS];
    rep->crls_dss = s.crls_by_src[VAL_SRC_DSS];
    val_report_finish(rep);
    ret = MH_OK;
out:
    if (set_ok)
        val_set_free(&s);
    mh_pdf_dss_free(&dss);
    mh_pdf_close(doc);
    free(vr);
    free(cb);
    free(pp);
    return ret;
}
