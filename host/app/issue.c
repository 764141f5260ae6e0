/*
 * issue.c - one document, in named steps: check (the trust policy),
 * record (the ledger entry, or the entry already there), receipt (made
 * once, from what the entry records), sign (the document, with the QR
 * stamp), commit (outputs renamed into place) -- or void (the entry names
 * a document that was never delivered). docs/flows.md and docs/trust.md.
 *
 * A PDF that already carries a mohur signature is not issued again: it is
 * co-signed by a party (cosign.c), which makes no new receipt.
 */
#include "app_int.h"
#include "mh_docs.h"
#include "mh_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mh_pdf.h"
#include "mh_qr.h"

#define OUT_FILES 4

/* Everything one issue works with. */
typedef struct issue {
    mh_app *a;
    const mh_app_issue_req *r;
    mh_app_issue_res *res;
    const mh_app_signer *s;
    const char *issuer;
    bool pdf;
    size_t orig_len;
    uint8_t digest[32];
    uint64_t iat;
    mh_receipt_claims claims;
    uint8_t claims_digest[32];
    bool entry_made;
    mh_pdf_document *pdoc; /* the PDF, parsed once (NULL for other files) */
    mh_qr qr;
    bool have_qr;
    char tmp[OUT_FILES][APP_PATH_MAX + 64];
    char dst[OUT_FILES][APP_PATH_MAX + 16];
    size_t nout;         /* of those, written */
    mh_app_outputs outs; /* what the issue made */
} issue;

/* The request's requester, recorded in each entry the flow writes. */
static void set_requester(const issue *is, mh_ledger_entry *e)
{
    const mh_app_request *rq = is->r->request;
    if (rq && rq->requester)
        snprintf(e->requester, sizeof e->requester, "%s", rq->requester);
}

/* The entry the flow's signatures are for, told to its remote keys. */
static void set_entry(const issue *is, uint64_t index)
{
    if (is->r->request) {
        is->r->request->entry_index = index;
        is->r->request->has_entry = true;
    }
}

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

/* ---- check -------------------------------------------------------------- */

/* The id: the printed number under the issuer's namespace, or --doc-id in
 * that namespace. A kind without a number gets a random one. */
static int doc_id_of(issue *is)
{
    const mh_app_issue_req *r = is->r;
    char *out = is->res->doc_id;
    size_t cap = sizeof is->res->doc_id;
    int n;
    if (r->doc_id) {
        if (strlen(r->doc_id) > MH_LEDGER_ID_MAX) {
            mh_err_set(MH_ERR_INVALID_ARG, "the document id is longer than %d bytes",
                       MH_LEDGER_ID_MAX);
            return MH_ERR_INVALID_ARG;
        }
        int rc = mh_app_policy_doc_id(is->issuer, r->kind, r->doc_id);
        if (rc)
            return rc;
        snprintf(out, cap, "%s", r->doc_id);
        return MH_OK;
    }
    static const char *const number_fields[] = {"number", "act", "case"};
    for (size_t i = 0; i < sizeof number_fields / sizeof number_fields[0]; i++) {
        const char *v = field_value(r, number_fields[i]);
        if (!v || !v[0])
            continue;
        int rc = mh_app_policy_number(v, "the document number", !r->rendered);
        if (rc)
            return rc;
        n = snprintf(out, cap, "%s/%s/%s", is->issuer, r->kind->id, v);
        if (n < 0 || (size_t)n >= cap || (size_t)n > MH_LEDGER_ID_MAX) {
            mh_err_set(MH_ERR_TOO_LARGE, "the document id '%s/%s/%.40s...' is longer than %d bytes",
                       is->issuer, r->kind->id, v, MH_LEDGER_ID_MAX);
            return MH_ERR_TOO_LARGE;
        }
        return MH_OK;
    }
    uint8_t rnd[10];
    char b32[20];
    if (mh_rng_bytes(rnd, sizeof rnd) != 0 ||
        mh_base32_encode(rnd, sizeof rnd, b32, sizeof b32, NULL) != 0)
        return MH_ERR_INTERNAL;
    snprintf(out, cap, "%s/%s/%s", is->issuer, r->kind->id, b32);
    return MH_OK;
}

static int issue_check(issue *is)
{
    const mh_app_issue_req *r = is->r;
    char why[512];
    int rc;
    if (!is->s->issuer) {
        mh_err_set(MH_ERR_PERMISSION,
                   "a document is issued by an issuer of this appliance (--issuer); a party's "
                   "own key only co-signs a document already issued");
        return MH_ERR_PERMISSION;
    }
    is->issuer = is->s->issuer->info.id;
    if ((rc = mh_kind_check(r->kind, r->fields, r->nfields)) != 0)
        return rc;
    /* a kind's source: a rendered kind is made by mohur from its template,
     * never brought by the signer */
    if (r->kind->rendered && !r->rendered) {
        mh_err_set(MH_ERR_PERMISSION,
                   "a %s is made by mohur from its template ('mohur issue --kind %s'); it cannot "
                   "be supplied as a file",
                   r->kind->names[MH_LANG_EN], r->kind->id);
        return MH_ERR_PERMISSION;
    }
    if (mh_app_policy_issuer(is->s->issuer, r->kind, is->s->cert, is->s->cert_len, why,
                             sizeof why) != 0) {
        mh_err_set(MH_ERR_PERMISSION, "%s", why);
        return MH_ERR_PERMISSION;
    }
    return doc_id_of(is);
}

/* ---- the receipt's claims ----------------------------------------------- */

static int make_claims(issue *is, uint64_t log_index)
{
    mh_receipt_claims *cl = &is->claims;
    const mh_app_issue_req *r = is->r;
    mh_app *a = is->a;
    memset(cl, 0, sizeof *cl);
    cl->issuer = (mh_receipt_str){is->issuer, strlen(is->issuer)};
    cl->issued_at = is->iat;
    cl->registry = (mh_receipt_str){a->registry, strlen(a->registry)};
    cl->log_index = log_index;
    cl->kind = (mh_receipt_str){r->kind->id, strlen(r->kind->id)};
    cl->digest = is->digest;
    cl->digest_len = MH_RECEIPT_DIGEST_SHORT; /* the ledger holds all 32 bytes */
    cl->doc_len = is->orig_len;
    cl->host = (mh_receipt_str){a->host, strlen(a->host)};
    for (size_t i = 0; i < r->kind->nfields; i++) {
        const mh_kind_field *f = &r->kind->fields[i];
        const char *v = field_value(r, f->id);
        if (!f->receipt || !v || !v[0])
            continue;
        if (cl->nfields == MH_RECEIPT_FIELDS_MAX) {
            mh_err_set(MH_ERR_TOO_LARGE, "kind '%s' puts more than %d fields in the receipt",
                       r->kind->id, MH_RECEIPT_FIELDS_MAX);
            return MH_ERR_TOO_LARGE;
        }
        cl->fields[cl->nfields].key = (mh_receipt_str){f->id, strlen(f->id)};
        cl->fields[cl->nfields].value = (mh_receipt_str){v, strlen(v)};
        cl->nfields++;
    }
    return mh_receipt_claims_digest(cl, is->claims_digest);
}

/* Before anything is recorded: will the receipt's QR fit the kind's limit?
 * Its size is known without signing; an index far above the ledger's size
 * stands in for the log index (the real one is never wider). A QR's
 * version depends only on the text's length and mode, and the URL is all
 * QR-alphanumeric. */
static int qr_precheck(issue *is)
{
    uint64_t size = 0;
    uint8_t root[MH_LEDGER_HASH_LEN];
    size_t rec_len = 0;
    if (mh_ledger_size(is->a->ledger, &size, root) != 0)
        size = 0;
    int rc = make_claims(is, size + 1000000);
    if (!rc)
        rc = mh_receipt_size(&is->claims, &rec_len);
    if (rc)
        return rc;
    size_t ulen =
        strlen("HTTPS://") + strlen(is->a->host) + strlen("/V/") + mh_base32_encoded_len(rec_len);
    /* remembered per length and level: one encode per batch, not per row */
    return mh_qr_alnum_fits(ulen, (enum mh_qr_level)mh_app_policy_qr_level(is->r->kind),
                            (int)is->r->kind->qr_max_version, NULL);
}

/* ---- record --------------------------------------------------------------- */

/* The entry already recorded for this id, if it is this document: the same
 * digest, issuer, kind, signer and receipt claims. Anything else is a
 * conflict, never a second receipt for the same id. */
static int resume_entry(issue *is, const mh_ledger_status *st)
{
    mh_ledger_entry e;
    const char *id = is->res->doc_id;
    int rc;
    if (st->revoked) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "document '%s' was revoked (%s); it cannot be signed again under the same "
                   "number",
                   id, mh_app_reason_name(st->reason));
        return MH_ERR_ALREADY_EXISTS;
    }
    if (mh_ct_memcmp(st->digest, is->digest, 32) != 0) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "document '%s' was already issued with other contents (log index %llu); "
                   "correct it, or give it a new number",
                   id, (unsigned long long)st->issue_index);
        return MH_ERR_ALREADY_EXISTS;
    }
    if ((rc = mh_ledger_get(is->a->ledger, st->issue_index, &e)) != 0)
        return rc;
    if (strcmp(e.issuer, is->issuer) != 0 || strcmp(e.kind, is->r->kind->id) != 0 ||
        mh_ct_memcmp(e.signer_fp, is->s->fp, 32) != 0) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "document '%s' was issued by %s (kind %s) with another key; it is re-made "
                   "only by the signer that issued it",
                   id, e.issuer, e.kind);
        return MH_ERR_ALREADY_EXISTS;
    }
    is->iat = e.time;
    if ((rc = make_claims(is, st->issue_index)) != 0)
        return rc;
    if (!e.has_claims || mh_ct_memcmp(e.claims, is->claims_digest, 32) != 0) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "document '%s' was recorded with other printed fields; the receipt is made "
                   "once, from what the ledger recorded",
                   id);
        return MH_ERR_ALREADY_EXISTS;
    }
    is->res->resumed = true;
    is->res->log_index = st->issue_index;
    set_entry(is, st->issue_index);
    return MH_OK;
}

static int issue_record(issue *is)
{
    mh_app *a = is->a;
    mh_ledger_status st;
    int rc;
    is->iat = is->r->time > 0 ? (uint64_t)is->r->time : (uint64_t)time(NULL);
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = mh_ledger_lookup_id(a->ledger, is->res->doc_id, &st);
        if (rc == 0 && !st.voided)
            return resume_entry(is, &st);
        if (rc && rc != MH_ERR_NOT_FOUND)
            return rc;
        /* new, or its earlier issue was voided (never delivered): the id
         * stays the printed number */
        if ((rc = qr_precheck(is)) != 0)
            return rc;
        if ((rc = make_claims(is, 0)) != 0)
            return rc;
        mh_ledger_entry e;
        memset(&e, 0, sizeof e);
        e.type = MH_LEDGER_ISSUE;
        snprintf(e.doc_id, sizeof e.doc_id, "%s", is->res->doc_id);
        snprintf(e.kind, sizeof e.kind, "%s", is->r->kind->id);
        snprintf(e.issuer, sizeof e.issuer, "%s", is->issuer);
        memcpy(e.digest, is->digest, 32);
        e.doc_len = is->orig_len;
        memcpy(e.signer_fp, is->s->fp, 32);
        e.time = is->iat;
        e.has_claims = true;
        memcpy(e.claims, is->claims_digest, 32);
        set_requester(is, &e);
        rc = mh_ledger_submit(a->ledger, &e, &is->res->log_index);
        if (rc == MH_ERR_ALREADY_EXISTS && attempt == 0)
            continue; /* another thread issued it first: look again */
        if (rc)
            return rc;
        is->entry_made = true;
        is->claims.log_index = is->res->log_index;
        set_entry(is, is->res->log_index);
        return MH_OK;
    }
    return MH_ERR_ALREADY_EXISTS;
}

/* ---- receipt, sign, commit -------------------------------------------------- */

static int issue_receipt(issue *is)
{
    uint8_t rec[MH_RECEIPT_MAX];
    size_t rec_len = 0, ulen = 0;
    app_bound reg;
    is->claims.log_index = is->res->log_index;
    int rc = mh_receipt_sign(
        &is->claims, mh_app_bind(&is->a->regsigner, is->a->reg_remote, is->r->request, &reg), rec,
        sizeof rec, &rec_len);
    if (rc) {
        char why[300];
        snprintf(why, sizeof why, "%s", mh_err_message(rc));
        mh_err_set(rc, "signing the receipt with the registry key: %s", why);
        return rc;
    }
    if ((rc = mh_receipt_url(is->a->host, rec, rec_len, is->res->url, sizeof is->res->url,
                             &ulen)) != 0)
        return rc;
    rc = mh_qr_encode(is->res->url, (enum mh_qr_level)mh_app_policy_qr_level(is->r->kind),
                      (int)is->r->kind->qr_max_version, &is->qr);
    if (rc)
        return rc;
    is->have_qr = true;
    is->res->qr_version = (unsigned)is->qr.version;
    return MH_OK;
}

/* The outputs made, to files next to out_path (temp names, renamed at
 * commit) or kept for out_mem. */
static int issue_put(issue *is)
{
    static const char *const ext[OUT_FILES] = {".p7s", ".qr.png", ".qr.svg", ".receipt"};
    const mh_app_issue_req *r = is->r;
    if (r->out_mem)
        return MH_OK;
    for (size_t i = 0; i < is->outs.n; i++) {
        snprintf(is->dst[i], sizeof is->dst[i], "%s%s", r->out_path, is->pdf ? "" : ext[i]);
        int rc = mh_app_write_temp(is->dst[i], is->outs.data[i], is->outs.len[i], 0644, is->tmp[i],
                                   sizeof is->tmp[i]);
        if (rc)
            return rc;
        is->nout = i + 1;
    }
    return MH_OK;
}

static int issue_sign(issue *is)
{
    mh_app *a = is->a;
    const mh_app_issue_req *r = is->r;
    mh_app_outputs *o = &is->outs;
    int rc;
    if (is->pdf) {
        size_t ol = 0;
        app_pdf_job j = {0};
        j.doc = r->doc;
        j.len = r->doc_len;
        j.pdoc = is->pdoc;
        j.kind = r->kind;
        j.signer = is->s;
        j.who = is->s->issuer->info.name;
        j.url = is->res->url;
        j.qr = &is->qr;
        j.rendered = r->rendered;
        j.font = r->stamp_font;
        j.stamp = r->stamp;
        j.request = r->request;
        j.when = r->time > 0 ? r->time : (int64_t)time(NULL);
        if ((rc = mh_app_sign_pdf(a, &j, &o->data[0], &o->len[0], &ol)) != 0)
            return rc;
        o->n = 1;
        if (ol != is->orig_len) {
            mh_err_set(MH_ERR_INTERNAL,
                       "the signed PDF's original length (%zu) is not the one recorded (%zu)", ol,
                       is->orig_len);
            return MH_ERR_INTERNAL;
        }
        is->res->pdf = true;
        return issue_put(is);
    }
    int64_t when = r->time > 0 ? r->time : (int64_t)time(NULL);
    char *svg = NULL;
    o->n = OUT_FILES;
    if ((rc = mh_app_sign_cades(a, is->s, r->request, is->digest, is->orig_len, when, &o->data[0],
                                &o->len[0])) != 0 ||
        (rc = mh_qr_png(&is->qr, 4, &o->data[1], &o->len[1])) != 0 ||
        (rc = mh_qr_svg(&is->qr, 4, &svg, &o->len[2])) != 0)
        return rc;
    o->data[2] = (uint8_t *)svg;
    o->len[3] = strlen(is->res->url) + 1;
    if (!(o->data[3] = malloc(o->len[3] + 1)))
        return MH_ERR_NOMEM;
    snprintf((char *)o->data[3], o->len[3] + 1, "%s\n", is->res->url);
    return issue_put(is);
}

static int issue_commit(issue *is)
{
    for (size_t i = 0; i < is->nout; i++) {
        if (rename(is->tmp[i], is->dst[i]) != 0) {
            mh_err_set(MH_ERR_IO, "%s could not be put in place", is->dst[i]);
            for (size_t j = 0; j < i; j++)
                unlink(is->dst[j]);
            return MH_ERR_IO;
        }
        is->tmp[i][0] = 0;
    }
    if (is->r->out_mem) {
        *is->r->out_mem = is->outs; /* the caller's now */
        memset(&is->outs, 0, sizeof is->outs);
    }
    return MH_OK;
}

/* Anything failing after a new entry voids it: the ledger never names a
 * document that was not delivered. The id stays free for the next try. */
static void issue_void(issue *is, int ret)
{
    for (size_t i = 0; i < OUT_FILES; i++)
        if (is->tmp[i][0])
            unlink(is->tmp[i]);
    if (!is->entry_made)
        return;
    char saved[512];
    snprintf(saved, sizeof saved, "%s", mh_err_message(ret));
    mh_ledger_entry v;
    memset(&v, 0, sizeof v);
    v.type = MH_LEDGER_VOID;
    snprintf(v.doc_id, sizeof v.doc_id, "%s", is->res->doc_id);
    snprintf(v.issuer, sizeof v.issuer, "%s", MH_APP_VOID_ISSUER);
    memcpy(v.signer_fp, is->s->fp, 32);
    v.time = (uint64_t)time(NULL);
    set_requester(is, &v);
    uint64_t vi = 0;
    int vr = mh_ledger_submit(is->a->ledger, &v, &vi);
    is->res->voided = vr == 0;
    if (vr == 0)
        mh_err_set(ret,
                   "%s (document '%s' was recorded at log index %llu and is now voided in the "
                   "ledger; nothing was written, and the same number can be issued again)",
                   saved, is->res->doc_id, (unsigned long long)is->res->log_index);
    else
        mh_err_set(ret,
                   "%s; and voiding its ledger entry %llu failed too: revoke document '%s' by "
                   "hand",
                   saved, (unsigned long long)is->res->log_index, is->res->doc_id);
}

int mh_app_void_unfinished(mh_app *a, uint64_t index, const mh_app_request *req, bool *voided)
{
    mh_ledger_entry e, v;
    mh_ledger_status st;
    uint64_t vi = 0;
    int rc;
    *voided = false;
    if ((rc = mh_ledger_get(a->ledger, index, &e)) != 0)
        return rc;
    if (e.type != MH_LEDGER_ISSUE)
        return MH_OK;
    if ((rc = mh_ledger_lookup_id(a->ledger, e.doc_id, &st)) != 0)
        return rc;
    if (st.issue_index != index || st.voided || st.revoked)
        return MH_OK;
    memset(&v, 0, sizeof v);
    v.type = MH_LEDGER_VOID;
    snprintf(v.doc_id, sizeof v.doc_id, "%s", e.doc_id);
    snprintf(v.issuer, sizeof v.issuer, "%s", MH_APP_VOID_ISSUER);
    memcpy(v.signer_fp, e.signer_fp, 32);
    v.time = (uint64_t)time(NULL);
    if (req && req->requester)
        snprintf(v.requester, sizeof v.requester, "%s", req->requester);
    if ((rc = mh_ledger_submit(a->ledger, &v, &vi)) != 0)
        return rc;
    *voided = true;
    return MH_OK;
}

int mh_app_issue_precheck(const mh_app_issue_req *r, bool *cosign, mh_pdf_document **pdf)
{
    *cosign = false;
    *pdf = NULL;
    if (!r->doc || r->doc_len == 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "the document is empty: there is nothing to sign");
        return MH_ERR_INVALID_ARG;
    }
    if (is_pdf(r->doc, r->doc_len)) {
        mh_pdf_info info;
        int rc = mh_pdf_open(r->doc, r->doc_len, pdf);
        if (rc == 0)
            rc = mh_pdf_document_info(*pdf, &info);
        if (rc) {
            mh_pdf_close(*pdf);
            *pdf = NULL;
            return rc;
        }
        *cosign = info.has_mohur_sig;
    }
    if (*cosign) {
        if (r->nfields > 0 || r->doc_id) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "this document is already issued: its fields and id come from the "
                       "ledger; co-sign it without --field, --fields or --doc-id");
            return MH_ERR_INVALID_ARG;
        }
        return MH_OK;
    }
    if (!r->kind) {
        mh_err_set(MH_ERR_INVALID_ARG, "give the document's kind ('mohur kinds' lists them)");
        return MH_ERR_INVALID_ARG;
    }
    if (r->kind->rendered && !r->rendered) {
        mh_err_set(MH_ERR_PERMISSION,
                   "a %s is made by mohur from its template ('mohur issue --kind %s'); it cannot "
                   "be supplied as a file",
                   r->kind->names[MH_LANG_EN], r->kind->id);
        return MH_ERR_PERMISSION;
    }
    return mh_kind_check(r->kind, r->fields, r->nfields);
}

int mh_app_issue(mh_app *a, const mh_app_issue_req *r, mh_app_issue_res *res)
{
    issue *is = NULL;
    int ret;

    memset(res, 0, sizeof *res);
    if (!a || !r || !r->signer || !r->doc || !r->out_path == !r->out_mem) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "an issue request needs a signer, a document and an output path (or memory)");
        return MH_ERR_INVALID_ARG;
    }
    if (!a->regpk_ok) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the appliance was opened for verifying only; open it for signing");
        return MH_ERR_INVALID_ARG;
    }
    if (r->doc_len == 0 || r->doc_len > MH_APP_DOC_MAX) {
        mh_err_set(r->doc_len ? MH_ERR_TOO_LARGE : MH_ERR_INVALID_ARG,
                   "the document is %s (at most %zu MiB are accepted)",
                   r->doc_len ? "too large" : "empty", MH_APP_DOC_MAX >> 20);
        return r->doc_len ? MH_ERR_TOO_LARGE : MH_ERR_INVALID_ARG;
    }
    if (r->out_path && strlen(r->out_path) >= APP_PATH_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "the output path is too long");
        return MH_ERR_TOO_LARGE;
    }
    mh_pdf_document *own = NULL;
    if (is_pdf(r->doc, r->doc_len)) {
        /* one parse: the caller's open document, or ours for the whole issue */
        mh_pdf_info info;
        if (!r->pdf && (ret = mh_pdf_open(r->doc, r->doc_len, &own)) != 0)
            return ret;
        if ((ret = mh_pdf_document_info(r->pdf ? r->pdf : own, &info)) != 0) {
            mh_pdf_close(own);
            return ret;
        }
        if (info.has_mohur_sig) {
            mh_app_issue_req r2 = *r;
            r2.pdf = r->pdf ? r->pdf : own;
            if ((ret = mh_app_cosign(a, &r2, res)) == 0)
                mh_docs_note_issued(a, r, res); /* the index and archive (docs.c) */
            mh_pdf_close(own);
            return ret;
        }
    }
    if (!r->kind) {
        mh_pdf_close(own);
        mh_err_set(MH_ERR_INVALID_ARG,
                   "a document is issued as one of the kinds ('mohur kinds' lists them): give "
                   "its kind");
        return MH_ERR_INVALID_ARG;
    }
    is = calloc(1, sizeof *is);
    if (!is) {
        mh_pdf_close(own);
        return MH_ERR_NOMEM;
    }
    is->pdoc = r->pdf ? r->pdf : own;
    is->a = a;
    is->r = r;
    is->res = res;
    is->s = r->signer;
    is->pdf = is_pdf(r->doc, r->doc_len);
    is->orig_len = r->doc_len;
    if ((ret = issue_check(is)) != 0)
        goto out;
    (void)mh_hash_sha256(r->doc, is->orig_len, is->digest);
    if ((ret = issue_record(is)) != 0)
        goto out;
    if ((ret = issue_receipt(is)) != 0 || (ret = issue_sign(is)) != 0 ||
        (ret = issue_commit(is)) != 0)
        issue_void(is, ret);
    else
        mh_docs_note_issued(a, r, res); /* the index and archive (docs.c) */
out:
    if (is->have_qr)
        mh_qr_free(&is->qr);
    mh_app_outputs_free(&is->outs);
    free(is);
    mh_pdf_close(own);
    return ret;
}

void mh_app_outputs_free(mh_app_outputs *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < MH_APP_OUTPUTS_MAX; i++)
        free(o->data[i]);
    memset(o, 0, sizeof *o);
}
