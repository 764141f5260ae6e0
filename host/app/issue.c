/*
 * issue.c - one document: ledger entry, receipt, signature, outputs.
 *
 * The order is the issue's: check, digest, ledger entry, receipt (registry
 * key), signature (issuer key) with the QR stamp, outputs renamed into
 * place. Everything after a new ledger entry that fails voids the entry
 * (a revoke entry with MH_APP_REASON_VOIDED) and removes the temp files.
 */
#include "app_int.h"
#include "mh_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "mh_pdf.h"
#include "mh_qr.h"

#define OUT_FILES 4

static bool is_pdf(const uint8_t *d, size_t n)
{
    return n >= 5 && memcmp(d, "%PDF-", 5) == 0;
}

static const char *field_value(const mh_app_issue_req *r, const char *id)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].id && strcmp(r->fields[i].id, id) == 0)
            return r->fields[i].value;
    return NULL;
}

static int derive_doc_id(mh_app *a, const mh_app_issue_req *r, const char *issuer, char *out,
                         size_t cap)
{
    static const char *const number_fields[] = {"number", "act", "case"};
    for (size_t i = 0; i < sizeof number_fields / sizeof number_fields[0]; i++) {
        const char *v = field_value(r, number_fields[i]);
        if (v && v[0]) {
            int n = snprintf(out, cap, "%s/%s/%s", issuer, r->kind->id, v);
            if (n < 0 || (size_t)n >= cap || (size_t)n > MH_LEDGER_ID_MAX) {
                mh_err_set("the document id '%s/%s/%.40s...' is longer than %d bytes", issuer,
                           r->kind->id, v, MH_LEDGER_ID_MAX);
                return MH_ERR_TOO_LARGE;
            }
            return MH_OK;
        }
    }
    uint8_t rnd[10];
    char b32[20];
    if (mh_app_rng(a, rnd, sizeof rnd) != 0 ||
        mh_base32_encode(rnd, sizeof rnd, b32, sizeof b32, NULL) != 0)
        return MH_ERR_INTERNAL;
    snprintf(out, cap, "%s/%s/%s", issuer, r->kind->id, b32);
    return MH_OK;
}

struct qr_ctx {
    mh_qr *qr;
};

static int qr_draw(void *ctx, double x, double y, double size, char *buf, size_t cap, size_t *len)
{
    return mh_qr_pdf_ops(((struct qr_ctx *)ctx)->qr, x, y, size, buf, cap, len);
}

/* The receipt's claims for a ledger entry (pointing into r and the args). */
static int receipt_claims(mh_app *a, const mh_app_issue_req *r, const char *issuer,
                          uint64_t log_index, uint64_t iat, const uint8_t *digest, uint64_t doc_len,
                          mh_receipt_claims *cl)
{
    memset(cl, 0, sizeof *cl);
    cl->issuer = (mh_receipt_str){issuer, strlen(issuer)};
    cl->issued_at = iat;
    cl->registry = (mh_receipt_str){a->registry, strlen(a->registry)};
    cl->log_index = log_index;
    cl->kind = (mh_receipt_str){r->kind->id, strlen(r->kind->id)};
    cl->digest = digest;
    cl->digest_len = 32;
    cl->doc_len = doc_len;
    for (size_t i = 0; i < r->kind->nfields; i++) {
        const mh_kind_field *f = &r->kind->fields[i];
        const char *v = field_value(r, f->id);
        if (!f->receipt || !v || !v[0])
            continue;
        if (cl->nfields == MH_RECEIPT_FIELDS_MAX) {
            mh_err_set("kind '%s' puts more than %d fields in the receipt", r->kind->id,
                       MH_RECEIPT_FIELDS_MAX);
            return MH_ERR_TOO_LARGE;
        }
        cl->fields[cl->nfields].key = (mh_receipt_str){f->id, strlen(f->id)};
        cl->fields[cl->nfields].value = (mh_receipt_str){v, strlen(v)};
        cl->nfields++;
    }
    return 0;
}

/* The receipt for a ledger entry, and its URL. */
static int make_receipt(mh_app *a, const mh_app_issue_req *r, const char *issuer,
                        uint64_t log_index, uint64_t iat, const uint8_t digest[32],
                        uint64_t doc_len, char *url, size_t url_cap)
{
    mh_receipt_claims cl;
    uint8_t rec[MH_RECEIPT_MAX];
    size_t rec_len = 0, ulen = 0;
    int rc = receipt_claims(a, r, issuer, log_index, iat, digest, doc_len, &cl);
    if (rc)
        return rc;
    rc = mh_receipt_sign(&cl, &a->regpk, NULL, NULL, rec, sizeof rec, &rec_len);
    if (rc) {
        mh_err_set("signing the receipt with the registry key: %s", mh_err_message(rc));
        return rc;
    }
    return mh_receipt_url(a->host, rec, rec_len, url, url_cap, &ulen);
}

/* The QR version limit of a kind (a diploma's QR must stay small). */
static int qr_max_version(const mh_kind *k)
{
    return strcmp(k->id, "diploma") == 0 ? 12 : 0;
}

/* Before anything is recorded: will the receipt's QR fit? The receipt's
 * size is known without signing; its log index is not known yet, so an
 * index far above the ledger's size stands in (the CBOR width of the real
 * one is at most that). A QR's version depends only on the text's length
 * and mode, and the URL is all QR-alphanumeric. */
static int qr_precheck(mh_app *a, const mh_app_issue_req *r, const char *issuer, uint64_t iat,
                       const uint8_t digest[32], uint64_t doc_len)
{
    uint64_t size = 0;
    uint8_t root[MH_LEDGER_HASH_LEN];
    mh_receipt_claims cl;
    size_t rec_len = 0;
    if (mh_ledger_size(a->ledger, &size, root) != 0)
        size = 0;
    int rc = receipt_claims(a, r, issuer, size + 1000000, iat, digest, doc_len, &cl);
    if (!rc)
        rc = mh_receipt_size(&cl, &rec_len);
    if (rc)
        return rc;
    size_t ulen =
        strlen("HTTPS://") + strlen(a->host) + strlen("/V/") + mh_base32_encoded_len(rec_len);
    char *text = malloc(ulen + 1);
    if (!text)
        return MH_ERR_NOMEM;
    memset(text, 'A', ulen);
    text[ulen] = '\0';
    mh_qr qr;
    rc = mh_qr_encode(text, MH_QR_LEVEL_M, qr_max_version(r->kind), &qr);
    free(text);
    if (!rc)
        mh_qr_free(&qr);
    return rc;
}

#define TST_MAX 16384

/* Signs the digest (CMS, detached); with the appliance's own timestamp
 * authority, then timestamps the signature value and adds the token as the
 * signature-time-stamp attribute: CAdES-B-T (PAdES-B-T inside a PDF). */
static int cms_sign_bt(mh_app *a, const mh_cms_signer *cs, const uint8_t digest[32], uint8_t *out,
                       size_t cap, size_t *len)
{
    if (!a->tsa_ok)
        return mh_cms_sign_digest(cs, digest, 32, out, cap, len, mh_app_rng, a);
    int ret = MH_ERR_NOMEM;
    uint8_t *cms = malloc(cap), *tok = malloc(TST_MAX);
    size_t cms_len = 0, tok_len = 0, sig_len = 0;
    const uint8_t *sig = NULL;
    uint8_t h[32], serial[16];
    mh_tsp_req req;
    if (!cms || !tok)
        goto out;
    if ((ret = mh_cms_sign_digest(cs, digest, 32, cms, cap, &cms_len, mh_app_rng, a)) != 0 ||
        (ret = mh_cms_signature_value(cms, cms_len, 0, &sig, &sig_len)) != 0)
        goto out;
    mbedtls_sha256_ret(sig, sig_len, h, 0);
    if ((ret = mh_tsp_req_init(&req, MBEDTLS_MD_SHA256, h, sizeof h)) != 0 ||
        (ret = mh_app_rng(a, serial, sizeof serial)) != 0)
        goto out;
    serial[0] &= 0x7f; /* a positive INTEGER */
    serial[0] |= 0x40; /* of full length */
    req.cert_req = true;
    mh_tsa tsa;
    memset(&tsa, 0, sizeof tsa);
    const uint8_t *chain[1] = {a->root_der};
    size_t chain_len[1] = {a->root_len};
    tsa.key = &a->tsapk;
    tsa.cert = a->tsa_cert;
    tsa.cert_len = a->tsa_cert_len;
    tsa.chain = chain;
    tsa.chain_len = chain_len;
    tsa.chain_n = 1;
    tsa.md = MBEDTLS_MD_SHA256;
    tsa.accuracy_s = 1;
    if ((ret = mh_tsa_token(&tsa, &req, serial, sizeof serial, (int64_t)time(NULL), tok, TST_MAX,
                            &tok_len, mh_app_rng, a)) != 0) {
        char why[300];
        snprintf(why, sizeof why, "%s", mh_err_message(ret));
        mh_err_set("timestamping the signature with the appliance's timestamp authority: %s", why);
        goto out;
    }
    ret = mh_cms_add_timestamp(cms, cms_len, 0, tok, tok_len, out, cap, len);
out:
    free(cms);
    free(tok);
    return ret;
}

struct bt_ctx {
    mh_app *a;
    const mh_cms_signer *cs;
};

static int pdf_cms_bt(void *ctx, const uint8_t digest[32], uint8_t *out, size_t cap, size_t *len)
{
    const struct bt_ctx *b = ctx;
    return cms_sign_bt(b->a, b->cs, digest, out, cap, len);
}

static void remove_temps(char tmp[][APP_PATH_MAX + 64], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tmp[i][0])
            unlink(tmp[i]);
}

int mh_app_issue(mh_app *a, const mh_app_issue_req *r, mh_app_issue_res *res)
{
    int ret = MH_ERR_INVALID_ARG, rc;
    uint8_t digest[32];
    size_t orig_len;
    bool pdf, cosign = false, entry_made = false;
    mh_ledger_status st;
    uint64_t log_index = 0, iat;
    mh_qr qr;
    bool have_qr = false;
    uint8_t *signed_pdf = NULL, *cms = NULL, *png = NULL;
    char *svg = NULL;
    char tmp[OUT_FILES][APP_PATH_MAX + 64];
    char dst[OUT_FILES][APP_PATH_MAX + 16];
    size_t nout = 0;

    memset(res, 0, sizeof *res);
    memset(&qr, 0, sizeof qr);
    memset(tmp, 0, sizeof tmp);
    if (!a || !r || !r->kind || !r->signer || !r->doc || !r->out_path) {
        mh_err_set("an issue request needs a kind, a signer, a document and an output path");
        return MH_ERR_INVALID_ARG;
    }
    if (!a->regpk_ok) {
        mh_err_set("the appliance was opened for verifying only; open it for signing");
        return MH_ERR_INVALID_ARG;
    }
    if (r->doc_len == 0 || r->doc_len > MH_APP_DOC_MAX) {
        mh_err_set("the document is %s (at most %zu MiB are accepted)",
                   r->doc_len ? "too large" : "empty", MH_APP_DOC_MAX >> 20);
        return r->doc_len ? MH_ERR_TOO_LARGE : MH_ERR_INVALID_ARG;
    }
    if (strlen(r->out_path) >= APP_PATH_MAX) {
        mh_err_set("the output path is too long");
        return MH_ERR_TOO_LARGE;
    }
    const mh_app_signer *s = r->signer;
    const char *issuer = s->issuer->info.id;
    if ((ret = mh_kind_check(r->kind, r->fields, r->nfields)) != 0)
        return ret;

    /* the original bytes */
    pdf = is_pdf(r->doc, r->doc_len);
    orig_len = r->doc_len;
    if (pdf) {
        mh_pdf_info info;
        if ((ret = mh_pdf_info_get(r->doc, r->doc_len, &info)) != 0)
            return ret;
        orig_len = info.original_len;
        cosign = info.has_mohur_sig;
    }
    if (!cosign && !mh_app_signer_may_issue(s, r->kind)) {
        mh_err_set("issuer '%s' may not issue documents of kind '%s' (the appliance's policy "
                   "in config.json says which kinds each issuer may sign)",
                   issuer, r->kind->id);
        return MH_ERR_PERMISSION;
    }
    (void)mh_hash_sha256(r->doc, orig_len, digest);
    if (r->doc_id) {
        if (!r->doc_id[0] || strlen(r->doc_id) > MH_LEDGER_ID_MAX) {
            mh_err_set("the document id must be 1 to %d bytes", MH_LEDGER_ID_MAX);
            return MH_ERR_INVALID_ARG;
        }
        snprintf(res->doc_id, sizeof res->doc_id, "%s", r->doc_id);
    } else if (cosign) {
        uint64_t idx = 0;
        size_t count = 0;
        mh_ledger_entry e0;
        rc = mh_ledger_lookup_digest(a->ledger, digest, &idx, 1, &count);
        if (rc == 0 && count == 0)
            rc = MH_ERR_NOT_FOUND;
        if (rc == 0)
            rc = mh_ledger_get(a->ledger, idx, &e0);
        if (rc) {
            mh_err_set("this PDF already carries a mohur signature, but its original is not in "
                       "this appliance's ledger; co-sign it on the appliance that issued it");
            return rc == MH_ERR_NOT_FOUND ? MH_ERR_NOT_FOUND : rc;
        }
        snprintf(res->doc_id, sizeof res->doc_id, "%s", e0.doc_id);
    } else if ((ret = derive_doc_id(a, r, issuer, res->doc_id, sizeof res->doc_id)) != 0) {
        return ret;
    }

    /* the ledger entry */
    iat = r->time > 0 ? (uint64_t)r->time : (uint64_t)time(NULL);
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = mh_ledger_lookup_id(a->ledger, res->doc_id, &st);
        if (rc == 0) {
            if (mh_ct_memcmp(st.digest, digest, 32) != 0) {
                mh_err_set("document '%s' is already in the ledger with different contents; "
                           "give it another number (or --doc-id), or revoke the old one first "
                           "and issue under a new id",
                           res->doc_id);
                return MH_ERR_ALREADY_EXISTS;
            }
            if (st.revoked) {
                mh_err_set("document '%s' was %s in the ledger; it cannot be signed again "
                           "under the same id",
                           res->doc_id, st.reason == MH_APP_REASON_VOIDED ? "voided" : "revoked");
                return MH_ERR_ALREADY_EXISTS;
            }
            res->resumed = true;
            log_index = st.issue_index;
            iat = st.issue_time;
            break;
        }
        if (rc != MH_ERR_NOT_FOUND)
            return rc;
        if (cosign) {
            mh_err_set("this PDF already carries a mohur signature, but its document '%s' is "
                       "not in this appliance's ledger; co-sign it on the appliance that issued "
                       "it (or give its --doc-id)",
                       res->doc_id);
            return MH_ERR_NOT_FOUND;
        }
        /* nothing is recorded for a document whose QR would not fit */
        if ((rc = qr_precheck(a, r, issuer, iat, digest, orig_len)) != 0)
            return rc;
        mh_ledger_entry e;
        memset(&e, 0, sizeof e);
        e.type = MH_LEDGER_ISSUE;
        snprintf(e.doc_id, sizeof e.doc_id, "%s", res->doc_id);
        snprintf(e.kind, sizeof e.kind, "%s", r->kind->id);
        snprintf(e.issuer, sizeof e.issuer, "%s", issuer);
        memcpy(e.digest, digest, 32);
        e.doc_len = orig_len;
        memcpy(e.signer_fp, s->fp, 32);
        e.time = iat;
        rc = mh_ledger_submit(a->ledger, &e, &log_index);
        if (rc == MH_ERR_ALREADY_EXISTS && attempt == 0)
            continue; /* another thread issued it first: look again */
        if (rc)
            return rc;
        entry_made = true;
        break;
    }
    res->log_index = log_index;

    /* the receipt and its QR */
    /* the receipt's issuer is the first signer's: on a resume, the ledger's */
    {
        mh_ledger_entry e0;
        const char *ri = issuer;
        if (res->resumed) {
            if ((ret = mh_ledger_get(a->ledger, log_index, &e0)) != 0)
                goto out;
            ri = e0.issuer;
        }
        if ((ret = make_receipt(a, r, ri, log_index, iat, digest, orig_len, res->url,
                                sizeof res->url)) != 0)
            goto out;
    }
    if ((ret = mh_qr_encode(res->url, MH_QR_LEVEL_M, qr_max_version(r->kind), &qr)) != 0)
        goto out;
    have_qr = true;
    res->qr_version = (unsigned)qr.version;

    /* the signature */
    mh_cms_signer cs;
    memset(&cs, 0, sizeof cs);
    cs.key = &r->signer->pk;
    cs.cert = s->cert;
    cs.cert_len = s->cert_len;
    cs.md = MBEDTLS_MD_SHA256;
    const uint8_t *chain[1] = {a->root_der};
    size_t chain_len[1] = {a->root_len};
    cs.chain = chain;
    cs.chain_len = chain_len;
    cs.chain_n = 1;
    if (pdf) {
        mh_pdf_sign_opts so;
        struct qr_ctx qc = {&qr};
        char cap[3][200], name[256], date[16];
        double box[4];
        int rot = 0;
        size_t out_len = 0, ol = 0;
        struct tm tm;
        time_t t = (time_t)iat;

        memset(&so, 0, sizeof so);
        gmtime_r(&t, &tm);
        strftime(date, sizeof date, "%Y-%m-%d", &tm);
        const app_issuer *first = s->issuer;
        /* with the stamp font every name prints as written; without it the
         * caption falls back to Latin letters */
        const char *who = cosign ? s->issuer->info.name : first->info.name;
        char sub[200];
        if (r->stamp_font || mh_app_stamp_font(a))
            snprintf(sub, sizeof sub, "%s", who);
        else
            mh_app_caption_text(who, sub, sizeof sub);
        if (cosign)
            snprintf(cap[0], sizeof cap[0], "Co-signed by %.150s", sub);
        else
            snprintf(cap[0], sizeof cap[0], "%s", sub);
        snprintf(cap[1], sizeof cap[1], "Signed %s", date);
        snprintf(cap[2], sizeof cap[2], "verify at %s", a->host);
        so.caption[0] = cap[0];
        so.caption[1] = cap[1];
        so.caption[2] = cap[2];
        snprintf(name, sizeof name, "%s", s->subject);
        so.name = name;
        so.reason = r->kind->names[MH_LANG_EN];
        so.contact = res->url;
        so.made_by_mohur = r->rendered;
        so.font = r->stamp_font ? r->stamp_font : mh_app_stamp_font(a);
        so.when = (time_t)(r->time > 0 ? r->time : (int64_t)time(NULL));
        so.page = r->kind->stamp_page;
        unsigned page = so.page ? so.page : 1;
        double size = r->kind->stamp_size > 20 ? r->kind->stamp_size : 110;
        if (mh_pdf_page_geometry(r->doc, r->doc_len, page, box, &rot) == 0) {
            double pw = (rot == 90 || rot == 270) ? box[3] - box[1] : box[2] - box[0];
            double ph = (rot == 90 || rot == 270) ? box[2] - box[0] : box[3] - box[1];
            double w = cosign ? size * 1.6 : size * 2.4, h = cosign ? size * 0.4 : size;
            double x = r->kind->stamp_x + size - w, y = r->kind->stamp_y;
            if (cosign)
                y += size + 6;
            if (x + w > pw - 10)
                x = pw - 10 - w;
            if (x < 10)
                x = 10;
            if (w > pw - 20)
                w = pw - 20;
            if (y + h > ph - 10)
                y = ph - 10 - h;
            if (y < 0)
                y = 0;
            so.has_rect = true;
            so.rect[0] = x;
            so.rect[1] = y;
            so.rect[2] = w;
            so.rect[3] = h;
        }
        if (!cosign) {
            so.qr = qr_draw;
            so.qr_ctx = &qc;
        }
        struct bt_ctx ps = {a, &cs};
        ret = mh_pdf_sign(r->doc, r->doc_len, &so, pdf_cms_bt, &ps, &signed_pdf, &out_len, &ol);
        if (ret)
            goto out;
        if (ol != orig_len) {
            mh_err_set("the signed PDF's original length (%zu) is not the one recorded (%zu)", ol,
                       orig_len);
            ret = MH_ERR_INTERNAL;
            goto out;
        }
        snprintf(dst[0], sizeof dst[0], "%s", r->out_path);
        if ((ret = mh_app_write_temp(dst[0], signed_pdf, out_len, 0644, tmp[0], sizeof tmp[0])) !=
            0)
            goto out;
        nout = 1;
        res->pdf = true;
    } else {
        size_t cap = r->signer->cert_len + a->root_len + 8192 + TST_MAX, cms_len = 0, png_len = 0,
               svg_len = 0;
        cms = malloc(cap);
        if (!cms) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        cs.flags = MH_CMS_DETACHED;
        cs.signing_time = r->time > 0 ? r->time : (int64_t)time(NULL);
        if ((ret = cms_sign_bt(a, &cs, digest, cms, cap, &cms_len)) != 0)
            goto out;
        if ((ret = mh_qr_png(&qr, 4, &png, &png_len)) != 0 ||
            (ret = mh_qr_svg(&qr, 4, &svg, &svg_len)) != 0)
            goto out;
        static const char *const ext[OUT_FILES] = {".p7s", ".qr.png", ".qr.svg", ".receipt"};
        const void *data[OUT_FILES] = {cms, png, svg, res->url};
        size_t dlen[OUT_FILES] = {cms_len, png_len, svg_len, strlen(res->url)};
        char url_nl[1100];
        snprintf(url_nl, sizeof url_nl, "%s\n", res->url);
        data[3] = url_nl;
        dlen[3] = strlen(url_nl);
        for (size_t i = 0; i < OUT_FILES; i++) {
            snprintf(dst[i], sizeof dst[i], "%s%s", r->out_path, ext[i]);
            if ((ret = mh_app_write_temp(dst[i], data[i], dlen[i], 0644, tmp[i], sizeof tmp[i])) !=
                0)
                goto out;
            nout = i + 1;
        }
    }
    /* put the outputs in place */
    for (size_t i = 0; i < nout; i++) {
        if (rename(tmp[i], dst[i]) != 0) {
            mh_err_set("%s could not be put in place", dst[i]);
            for (size_t j = 0; j < i; j++)
                unlink(dst[j]);
            ret = MH_ERR_IO;
            goto out;
        }
        tmp[i][0] = 0;
    }
    ret = MH_OK;
out:
    if (ret) {
        remove_temps(tmp, OUT_FILES);
        if (entry_made) {
            /* keep the first error's sentence; void the entry */
            char saved[512];
            snprintf(saved, sizeof saved, "%s", mh_err_message(ret));
            mh_ledger_entry v;
            memset(&v, 0, sizeof v);
            v.type = MH_LEDGER_REVOKE;
            snprintf(v.doc_id, sizeof v.doc_id, "%s", res->doc_id);
            snprintf(v.issuer, sizeof v.issuer, "%s", MH_APP_VOID_ISSUER);
            memcpy(v.signer_fp, s->fp, 32);
            v.time = (uint64_t)time(NULL);
            v.reason = MH_APP_REASON_VOIDED;
            uint64_t vi = 0;
            int vr = mh_ledger_submit(a->ledger, &v, &vi);
            res->voided = vr == 0;
            if (vr == 0)
                mh_err_set("%s (document '%s' was recorded at log index %llu and is now voided "
                           "in the ledger; nothing was written)",
                           saved, res->doc_id, (unsigned long long)log_index);
            else
                mh_err_set("%s; and voiding its ledger entry %llu failed too: revoke document "
                           "'%s' by hand",
                           saved, (unsigned long long)log_index, res->doc_id);
        }
    }
    if (have_qr)
        mh_qr_free(&qr);
    free(signed_pdf);
    free(cms);
    free(png);
    free(svg);
    return ret;
}
