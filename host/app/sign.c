/*
 * sign.c - the signatures the appliance makes: PAdES in a PDF (the first,
 * certifying signature with the QR stamp, or a party's signature in the
 * field the first one prepared for it) and detached CAdES for any other
 * file, both B-T when the appliance's own timestamp authority is set up.
 */
#include "app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_app_cms.h"
#include "mh_qr.h"

#define TST_MAX 16384

/* Signs the digest (CMS, detached); with the appliance's own timestamp
 * authority, then timestamps the signature value and adds the token as the
 * signature-time-stamp attribute: CAdES-B-T (PAdES-B-T inside a PDF). */
static int cms_sign_bt(mh_app *a, const mh_cms_signer *cs, const mh_app_request *rq,
                       const uint8_t digest[32], uint8_t *out, size_t cap, size_t *len)
{
    if (!a->tsa_ok)
        return mh_cms_sign_digest(cs, digest, 32, out, cap, len);
    int ret = MH_ERR_NOMEM;
    uint8_t *cms = malloc(cap), *bt = NULL;
    size_t cms_len = 0, bt_len = 0;
    enum mh_app_ts_step step;
    app_bound tsa_key;
    if (!cms)
        goto out;
    if ((ret = mh_cms_sign_digest(cs, digest, 32, cms, cap, &cms_len)) != 0)
        goto out;
    mh_tsa tsa;
    memset(&tsa, 0, sizeof tsa);
    const uint8_t *chain[1] = {a->root_der};
    size_t chain_len[1] = {a->root_len};
    tsa.key = mh_app_bind(&a->tsasigner, a->tsa_remote, rq, &tsa_key);
    tsa.cert = a->tsa_cert;
    tsa.cert_len = a->tsa_cert_len;
    tsa.chain = chain;
    tsa.chain_len = chain_len;
    tsa.chain_n = 1;
    tsa.md = MBEDTLS_MD_SHA256;
    tsa.accuracy_s = 1;
    ret = mh_app_cms_timestamp(cms, cms_len, &tsa, &bt, &bt_len, &step);
    if (ret && step == MH_APP_TS_TOKEN) {
        char why[300];
        snprintf(why, sizeof why, "%s", mh_err_message(ret));
        mh_err_set(ret, "timestamping the signature with the appliance's timestamp authority: %s",
                   why);
    }
    if (ret)
        goto out;
    ret = MH_ERR_BUFFER_TOO_SMALL;
    if (bt_len > cap)
        goto out;
    memcpy(out, bt, bt_len);
    *len = bt_len;
    ret = 0;
out:
    free(cms);
    free(bt);
    return ret;
}

/* ---- what a key outside the appliance is shown (mh_app_tbs) ---------------- */

/* A new signature: nothing shown yet; the prepared content starts with
 * document_length bytes of the flow's document. */
static void tbs_begin(const mh_app_request *rq, size_t document_length)
{
    if (!rq || !rq->tbs)
        return;
    memset(rq->tbs, 0, sizeof *rq->tbs);
    rq->tbs->document_length = document_length;
}

/* The signature was made or failed: the pointers no longer hold. */
static void tbs_end(const mh_app_request *rq)
{
    if (!rq || !rq->tbs)
        return;
    rq->tbs->ready = false;
    rq->tbs->appended = NULL;
    rq->tbs->appended_len = 0;
}

/* mh_cms_signer's on_signed_attrs: the bytes whose hash is signed. */
static int tbs_signed_attrs(void *ctx, const uint8_t *der, size_t len)
{
    mh_app_tbs *t = ctx;
    if (len > sizeof t->signed_attrs)
        return mh_err_set(MH_ERR_TOO_LARGE,
                          "the signed attributes (%zu bytes) are too long to show a key outside "
                          "the appliance (at most %zu)",
                          len, sizeof t->signed_attrs);
    memcpy(t->signed_attrs, der, len);
    t->signed_attrs_len = len;
    t->ready = true;
    return MH_OK;
}

static void cms_signer_of(mh_app *a, const mh_app_signer *s, const mh_app_request *rq,
                          app_bound *key, mh_cms_signer *cs, const uint8_t **chain,
                          size_t *chain_len)
{
    memset(cs, 0, sizeof *cs);
    cs->key = mh_app_bind(&s->signer, s->remote, rq, key);
    cs->cert = s->cert;
    cs->cert_len = s->cert_len;
    cs->md = MBEDTLS_MD_SHA256;
    chain[0] = a->root_der;
    chain_len[0] = a->root_len;
    cs->chain = chain;
    cs->chain_len = chain_len;
    cs->chain_n = 1;
    if (rq && rq->tbs) {
        cs->on_signed_attrs = tbs_signed_attrs;
        cs->on_signed_attrs_ctx = rq->tbs;
    }
}

struct bt_ctx {
    mh_app *a;
    const mh_cms_signer *cs;
    const mh_app_request *rq;
    bool rendered; /* the flow's document is mohur's own: none of it came from the client */
};

/* mh_pdf_sign_opts' on_prepared: the update with its empty /Contents. */
static int tbs_prepared(void *ctx, const mh_pdf_prepared *p)
{
    const struct bt_ctx *b = ctx;
    mh_app_tbs *t = b->rq->tbs;
    size_t n = b->rendered ? 0 : p->update_start;
    if (n > p->len)
        return mh_err_set(MH_ERR_INTERNAL, "the prepared PDF is shorter than the document");
    t->pdf = true;
    t->document_length = n;
    t->appended = p->pdf + n;
    t->appended_len = p->len - n;
    memcpy(t->byte_range, p->byte_range, sizeof t->byte_range);
    return MH_OK;
}

static int pdf_cms_bt(void *ctx, const uint8_t digest[32], uint8_t *out, size_t cap, size_t *len)
{
    const struct bt_ctx *b = ctx;
    return cms_sign_bt(b->a, b->cs, b->rq, digest, out, cap, len);
}

static int qr_draw(void *ctx, double x, double y, double size, char *buf, size_t cap, size_t *len)
{
    return mh_qr_pdf_ops((const mh_qr *)ctx, x, y, size, buf, cap, len);
}

/* The stamp's rectangle: the QR square at the signer's place (--stamp) or
 * the kind's layout.stamp, with the caption to its left, kept on the page.
 * The stamp is never shrunk or slid over the page: when the QR at its size
 * and a caption at least as wide do not fit inside the page's 10 pt margins,
 * or the place asked for is off the page, it fails with a sentence (the
 * stamp must never hide content; a verification page added at the end is
 * host/pdf's to offer). */
static int stamp_rect(const mh_kind *k, const mh_app_stamp *place, const double box[4], int rot,
                      double r[4])
{
    double pw = (rot == 90 || rot == 270) ? box[3] - box[1] : box[2] - box[0];
    double ph = (rot == 90 || rot == 270) ? box[2] - box[0] : box[3] - box[1];
    double size = place && place->size > 0 ? place->size : k->stamp_size > 20 ? k->stamp_size : 110;
    double qx = place ? place->x : k->stamp_x, qy = place ? place->y : k->stamp_y;
    double w = size * 2.4, h = size;
    if (place && (qx < 0 || qy < 0 || qx + size > pw || qy + size > ph)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "--stamp puts the %.0f pt QR at (%.0f, %.0f), off the %.0f x %.0f pt page", size,
                   qx, qy, pw, ph);
        return MH_ERR_INVALID_ARG;
    }
    if (2 * size + 20 > pw || size + 20 > ph) {
        mh_err_set(MH_ERR_DATA_INVALID,
                   "the page (%.0f x %.0f pt) has no room for the %.0f pt stamp and its caption; "
                   "give a smaller one with --stamp page,x,y,size",
                   pw, ph, size);
        return MH_ERR_DATA_INVALID;
    }
    /* the caption goes left of the QR, as wide as the page allows */
    double x = qx + size - w, y = qy;
    if (x < 10) {
        w -= 10 - x;
        x = 10;
    }
    if (w < 2 * size)
        w = 2 * size;
    if (x + w > pw - 10)
        x = pw - 10 - w;
    if (y + h > ph - 10)
        y = ph - 10 - h;
    if (y < 10)
        y = 10;
    r[0] = x;
    r[1] = y;
    r[2] = w;
    r[3] = h;
    return MH_OK;
}

/* The box of a page as displayed, upright, from the lower-left corner. */
static void upright(double box[4], int *rot)
{
    double w = (*rot == 90 || *rot == 270) ? box[3] - box[1] : box[2] - box[0];
    double h = (*rot == 90 || *rot == 270) ? box[2] - box[0] : box[3] - box[1];
    box[0] = box[1] = 0;
    box[2] = w;
    box[3] = h;
    *rot = 0;
}

/* Where party i (1..) signs: the kind's layout.signatures when it gives
 * one, else a box as wide as the stamp stacked above it (below it when the
 * page has no room above), always kept on the page. */
static void party_rect(const mh_kind *k, size_t i, const double stamp[4], const double box[4],
                       int rot, double r[4])
{
    double pw = (rot == 90 || rot == 270) ? box[3] - box[1] : box[2] - box[0];
    double ph = (rot == 90 || rot == 270) ? box[2] - box[0] : box[3] - box[1];
    if (k->party_rect_explicit[i]) {
        memcpy(r, k->party_rect[i], 4 * sizeof r[0]);
    } else {
        double h = stamp[3] * 0.4 < 20 ? 20 : stamp[3] * 0.4;
        r[0] = stamp[0];
        r[2] = stamp[2];
        r[3] = h;
        r[1] = stamp[1] + stamp[3] + 6 + (double)(i - 1) * (h + 6);
        if (r[1] + h > ph) /* no room above: below the stamp */
            r[1] = stamp[1] - (double)i * (h + 6);
    }
    if (r[2] > pw)
        r[2] = pw;
    if (r[3] > ph)
        r[3] = ph;
    if (r[0] + r[2] > pw)
        r[0] = pw - r[2];
    if (r[1] + r[3] > ph)
        r[1] = ph - r[3];
    if (r[0] < 0)
        r[0] = 0;
    if (r[1] < 0)
        r[1] = 0;
}

int mh_app_sign_pdf(mh_app *a, const app_pdf_job *j, uint8_t **out, size_t *out_len,
                    size_t *orig_len)
{
    mh_pdf_sign_opts so;
    char cap[3][200], date[16], sub[200];
    double box[4] = {0, 0, 595, 842}; /* A4 until the page says */
    int rot = 0;
    struct tm tm;
    time_t t = (time_t)j->when;
    mh_cms_signer cs;
    const uint8_t *chain[1];
    size_t chain_len[1];

    memset(&so, 0, sizeof so);
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    const mh_pdf_font *font = j->font ? j->font : mh_app_stamp_font(a);
    /* with the stamp font every name prints as written; without it the
     * caption falls back to Latin letters */
    if (font)
        snprintf(sub, sizeof sub, "%s", j->who);
    else
        mh_app_caption_text(j->who, sub, sizeof sub);
    snprintf(cap[0], sizeof cap[0], "%s%.180s", j->qr ? "" : "Signed by ", sub);
    snprintf(cap[1], sizeof cap[1], "Signed %s", date);
    snprintf(cap[2], sizeof cap[2], "verify at %s", a->host);
    so.caption[0] = cap[0];
    so.caption[1] = cap[1];
    so.caption[2] = cap[2];
    so.name = j->signer ? j->signer->subject : j->name;
    so.reason = j->kind->names[MH_LANG_EN];
    so.contact = j->url;
    so.made_by_mohur = j->rendered;
    so.font = font;
    so.when = t;
    so.page = j->stamp ? j->stamp->page : j->kind->stamp_page;
    /* one parse: the caller's open document, or this one */
    mh_pdf_document *doc = j->pdoc;
    int rc = doc ? MH_OK : mh_pdf_open(j->doc, j->len, &doc);
    if (rc)
        return rc;
    mh_pdf_slot slots[MH_KIND_MAX_PARTIES];
    char slot_name[32];
    if (j->qr) {
        /* the first signature certifies the document (DocMDP P=2: only the
         * parties' signatures may follow) and prepares an empty signature
         * field where each later party of the kind signs */
        /* a verification page at the end: where the kind puts its stamp on
         * a document it cannot know the layout of, and where a stamp goes
         * when the kind's place does not fit the page */
        mh_pdf_info info;
        unsigned np = mh_pdf_document_info(doc, &info) == 0 && info.pages ? info.pages : 1;
        so.add_page = !j->stamp && j->kind->stamp_new_page;
        unsigned page = so.add_page ? np : so.page ? so.page : 1;
        rc = mh_pdf_document_page_geometry(doc, page, box, &rot);
        if (rc == 0 && so.add_page)
            upright(box, &rot); /* the new page: upright, as large as the last */
        if (rc && j->stamp) {
            if (!j->pdoc)
                mh_pdf_close(doc);
            mh_err_set(MH_ERR_INVALID_ARG,
                       "--stamp names page %u, which the document does not have", page);
            return MH_ERR_INVALID_ARG;
        }
        if (rc == 0) {
            rc = stamp_rect(j->kind, j->stamp, box, rot, so.rect);
            if (rc == MH_ERR_DATA_INVALID && !j->stamp && !so.add_page) {
                /* no room on the kind's page: on a verification page instead */
                mh_err_clear();
                so.add_page = true;
                rc = mh_pdf_document_page_geometry(doc, np, box, &rot);
                upright(box, &rot);
                if (rc == 0)
                    rc = stamp_rect(j->kind, NULL, box, rot, so.rect);
            }
            if (rc) {
                if (!j->pdoc)
                    mh_pdf_close(doc);
                return rc;
            }
            so.has_rect = true;
        }
        so.qr = qr_draw;
        so.qr_ctx = (void *)j->qr;
        so.certify = true;
        so.docmdp_p = 2;
        for (size_t i = 1; i < j->kind->nparties; i++) {
            memset(&slots[i - 1], 0, sizeof slots[i - 1]);
            slots[i - 1].page = 0; /* the stamp's page */
            party_rect(j->kind, i, so.rect, box, rot, slots[i - 1].rect);
        }
        so.slots = slots;
        so.nslots = j->kind->nparties ? j->kind->nparties - 1 : 0;
    } else {
        /* a party: the field the first signature prepared for it */
        snprintf(slot_name, sizeof slot_name, "mohur-party-%u", j->slot);
        so.fill_field = slot_name;
    }
    if (j->prepare) {
        /* the party signs the digest on its own machine (cosign.c) */
        rc = mh_pdf_document_prepare(doc, &so, j->prepare);
    } else {
        app_bound key;
        cms_signer_of(a, j->signer, j->request, &key, &cs, chain, chain_len);
        /* PAdES baseline (ETSI EN 319 142-1 5.1): no signing-time
         * attribute (the time is the dictionary's /M and the timestamp) */
        cs.flags = MH_CMS_DETACHED | MH_CMS_PADES;
        struct bt_ctx ps = {a, &cs, j->request, j->rendered};
        if (j->request && j->request->tbs) {
            tbs_begin(j->request, j->rendered ? 0 : j->len);
            so.on_prepared = tbs_prepared;
            so.on_prepared_ctx = &ps;
        }
        rc = mh_pdf_document_sign(doc, &so, pdf_cms_bt, &ps, out, out_len, orig_len);
        tbs_end(j->request);
    }
    if (!j->pdoc)
        mh_pdf_close(doc);
    return rc;
}

int mh_app_sign_cades(mh_app *a, const mh_app_signer *s, const mh_app_request *rq,
                      const uint8_t digest[32], size_t doc_len, int64_t when, uint8_t **cms,
                      size_t *len)
{
    mh_cms_signer cs;
    app_bound key;
    const uint8_t *chain[1];
    size_t chain_len[1];
    size_t cap = s->cert_len + a->root_len + 8192 + TST_MAX;
    *cms = malloc(cap);
    if (!*cms)
        return MH_ERR_NOMEM;
    cms_signer_of(a, s, rq, &key, &cs, chain, chain_len);
    cs.flags = MH_CMS_DETACHED;
    cs.signing_time = when;
    tbs_begin(rq, doc_len); /* the document itself is signed: nothing appended */
    int rc = cms_sign_bt(a, &cs, rq, digest, *cms, cap, len);
    tbs_end(rq);
    if (rc) {
        free(*cms);
        *cms = NULL;
    }
    return rc;
}
