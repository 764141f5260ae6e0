/*
 * cosign.c - a party signs a document already issued (a notary act after
 * the notary, a contract after the employer). The document must verify
 * first; the signer must be the kind's next party; the signature goes into
 * the empty field the first signature prepared for that party. No ledger
 * entry and no receipt are made: the document keeps its one receipt.
 */
#include "app_int.h"
#include "mh_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The checks every co-signature passes (the document VALID, of the kind
 * asked, the certificate fit for the kind's next party and not a signer of
 * it already); *position is that party's (1: the first after the issuer). */
static int cosign_check(mh_app *a, const uint8_t *doc, size_t len, mh_pdf_document *pdoc,
                        const mh_kind *want, const uint8_t *cert, size_t cert_len,
                        mh_app_verdict *v, mh_kind *k, size_t *position)
{
    int ret;
    char why[512];
    uint8_t fp[32];
    /* the document as it stands must be valid: nobody co-signs a document
     * that was altered, revoked, forged or is unknown here (one parse for
     * the check and the signature) */
    if ((ret = mh_app_verify_pdf_bytes(a, doc, len, pdoc, v)) != 0)
        return ret;
    if (v->code != MH_APP_VALID) {
        mh_err_set(v->code == MH_APP_ERROR ? MH_ERR_PARSE : MH_ERR_PERMISSION,
                   "this document does not verify, so it cannot be co-signed: %s", v->sentence);
        return v->code == MH_APP_ERROR ? MH_ERR_PARSE : MH_ERR_PERMISSION;
    }
    if ((ret = mh_kind_load(mh_kinds_dir(), v->kind, k)) != 0)
        return ret;
    if (want && strcmp(want->id, v->kind) != 0) {
        mh_err_set(MH_ERR_PERMISSION,
                   "this document is a %s (kind '%s' in the ledger), not kind '%s'",
                   k->names[MH_LANG_EN], v->kind, want->id);
        return MH_ERR_PERMISSION;
    }
    /* the next party, in order, with a certificate fit to sign (document
     * timestamps are no party) */
    size_t pos = 0;
    for (size_t i = 0; i < v->nsigs; i++)
        pos += strcmp(v->sigs[i].role, "timestamp") != 0;
    if (mh_app_policy_party(k, pos, cert, cert_len, why, sizeof why) != 0) {
        mh_err_set(MH_ERR_PERMISSION, "%s", why);
        return MH_ERR_PERMISSION;
    }
    (void)mh_hash_sha256(cert, cert_len, fp);
    for (size_t i = 0; i < v->nsigs; i++) {
        if (mh_ct_memcmp(v->sigs[i].cert_fp, fp, 32) == 0) {
            mh_err_set(MH_ERR_PERMISSION,
                       "this certificate has already signed the document (signature %zu)", i + 1);
            return MH_ERR_PERMISSION;
        }
    }
    *position = pos;
    return MH_OK;
}

/* The job of a party's signature into its prepared field. */
static void party_job(app_pdf_job *j, const uint8_t *doc, size_t len, mh_pdf_document *pdoc,
                      const mh_kind *k, const char *who, const char *url, size_t position,
                      int64_t when)
{
    memset(j, 0, sizeof *j);
    j->doc = doc;
    j->len = len;
    j->pdoc = pdoc;
    j->kind = k;
    j->who = who;
    j->url = url;
    j->slot = (unsigned)position;
    j->when = when > 0 ? when : (int64_t)time(NULL);
}

int mh_app_cosign(mh_app *a, const mh_app_issue_req *r, mh_app_issue_res *res)
{
    int ret;
    mh_app_verdict *v = NULL;
    mh_pdf_document *pdoc = NULL, *own = NULL;
    mh_kind *k = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0, orig = 0, position = 0;
    char tmp[APP_PATH_MAX + 64] = "";
    const mh_app_signer *s = r->signer;

    memset(res, 0, sizeof *res);
    v = calloc(1, sizeof *v);
    k = calloc(1, sizeof *k);
    if (!v || !k) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if (r->nfields > 0 || r->doc_id) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "this document is already issued: its fields and id come from the ledger "
                   "entry made when it was issued; co-sign it without --field, --fields or "
                   "--doc-id");
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    pdoc = r->pdf;
    if (!pdoc && (ret = mh_pdf_open(r->doc, r->doc_len, &own)) != 0)
        goto out;
    if (!pdoc)
        pdoc = own;
    if ((ret = cosign_check(a, r->doc, r->doc_len, pdoc, r->kind, s->cert, s->cert_len, v, k,
                            &position)) != 0)
        goto out;
    snprintf(res->doc_id, sizeof res->doc_id, "%s", v->doc_id);
    snprintf(res->url, sizeof res->url, "%s", v->url);
    res->log_index = v->log_index;
    res->resumed = false;
    res->pdf = true;
    res->cosigned = true;
    if (r->request) {
        /* the document's issue entry: what this signature is for */
        r->request->entry_index = v->log_index;
        r->request->has_entry = true;
    }

    char who[256];
    mh_app_cert_cn(s->cert, s->cert_len, who, sizeof who);
    app_pdf_job j;
    party_job(&j, r->doc, r->doc_len, pdoc, k, who, v->url, position, r->time);
    j.signer = s;
    j.request = r->request;
    if ((ret = mh_app_sign_pdf(a, &j, &out, &out_len, &orig)) != 0)
        goto out;
    if (r->out_mem) {
        memset(r->out_mem, 0, sizeof *r->out_mem);
        r->out_mem->n = 1;
        r->out_mem->data[0] = out; /* the caller's now */
        r->out_mem->len[0] = out_len;
        out = NULL;
        ret = MH_OK;
        goto out;
    }
    if ((ret = mh_app_write_temp(r->out_path, out, out_len, 0644, tmp, sizeof tmp)) != 0)
        goto out;
    if (rename(tmp, r->out_path) != 0) {
        mh_err_set(MH_ERR_IO, "%s could not be put in place", r->out_path);
        unlink(tmp);
        ret = MH_ERR_IO;
        goto out;
    }
    ret = MH_OK;
out:
    mh_pdf_close(own);
    free(out);
    free(v);
    free(k);
    return ret;
}

/* ---- a party's key on another machine: prepare, sign there, embed ---------- */

int mh_app_cosign_prepare(mh_app *a, const uint8_t *doc, size_t len, const uint8_t *cert,
                          size_t cert_len, int64_t when, mh_app_cosign_prep *out)
{
    int ret;
    mh_app_verdict *v = calloc(1, sizeof *v);
    mh_kind *k = calloc(1, sizeof *k);
    mh_pdf_document *pdoc = NULL;
    mh_pdf_prepared prep;
    size_t position = 0;
    char why[512];

    memset(out, 0, sizeof *out);
    memset(&prep, 0, sizeof prep);
    if (!v || !k) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    /* the certificate must be one this appliance would let sign now (its
     * path to the root, not revoked, not a CA); the signature made with it
     * is checked again, whole, when it comes back */
    if (mh_app_check_path(a, cert, cert_len, 0, 0, MH_PURPOSE_DOCUMENT, why, sizeof why) != 0) {
        mh_err_set(MH_ERR_PERMISSION, "this certificate may not sign: %s", why);
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    if ((ret = mh_pdf_open(doc, len, &pdoc)) != 0 ||
        (ret = cosign_check(a, doc, len, pdoc, NULL, cert, cert_len, v, k, &position)) != 0)
        goto out;
    char who[256], subject[256];
    mh_app_cert_cn(cert, cert_len, who, sizeof who);
    mh_app_cert_subject(cert, cert_len, subject, sizeof subject);
    app_pdf_job j;
    party_job(&j, doc, len, pdoc, k, who, v->url, position, when);
    j.name = subject;
    j.prepare = &prep;
    out->when = j.when;
    if ((ret = mh_app_sign_pdf(a, &j, NULL, NULL, NULL)) != 0)
        goto out;
    out->pdf = prep.pdf;
    out->len = prep.len;
    prep.pdf = NULL;
    memcpy(out->digest, prep.digest, 32);
    out->position = position;
    snprintf(out->role, sizeof out->role, "%s",
             position < k->nparties ? k->parties[position].role : "party");
    snprintf(out->doc_id, sizeof out->doc_id, "%s", v->doc_id);
    snprintf(out->url, sizeof out->url, "%s", v->url);
    ret = MH_OK;
out:
    mh_pdf_prepared_free(&prep);
    mh_pdf_close(pdoc);
    free(v);
    free(k);
    return ret;
}

void mh_app_cosign_prep_free(mh_app_cosign_prep *p)
{
    if (!p)
        return;
    free(p->pdf);
    p->pdf = NULL;
    p->len = 0;
}

int mh_app_cosign_embed(mh_app *a, const uint8_t *doc, size_t len, const uint8_t *cert,
                        size_t cert_len, int64_t when, const uint8_t *cms, size_t cms_len,
                        uint8_t **out, size_t *out_len, mh_app_verdict *v)
{
    mh_app_cosign_prep prep;
    mh_pdf_prepared ph;
    uint8_t fp[32];
    int ret;
    int64_t now = (int64_t)time(NULL);

    *out = NULL;
    *out_len = 0;
    memset(v, 0, sizeof *v);
    if (when > now + MH_APP_COSIGN_SKEW || when < now - MH_APP_COSIGN_TTL) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the document was prepared for this signature more than %d minutes ago (or "
                   "the time is in the future): prepare it again",
                   MH_APP_COSIGN_TTL / 60);
        return MH_ERR_INVALID_ARG;
    }
    /* The prepared document is made again here, from the document, the
     * certificate and the time, with every check of the first step: the
     * caption, /Name and field the party's signature covers are then this
     * appliance's own making for that certificate, whatever a client sends
     * (no state is kept between the steps, and nothing to trust from them). */
    if ((ret = mh_app_cosign_prepare(a, doc, len, cert, cert_len, when, &prep)) != 0)
        return ret;
    memset(&ph, 0, sizeof ph);
    if ((ret = mh_pdf_find_placeholder(prep.pdf, prep.len, &ph)) != 0)
        goto out;
    if ((ret = mh_pdf_embed(&ph, cms, cms_len)) == MH_ERR_BUFFER_TOO_SMALL) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the signature (%zu bytes) is larger than the %d bytes a party's signature "
                   "may take",
                   cms_len, MH_PDF_CONTENTS_DEFAULT);
        ret = MH_ERR_TOO_LARGE;
    }
    if (ret)
        goto out;
    /* the whole document judged as any verifier would: VALID, its last
     * signature covering the whole file and made with this certificate */
    if ((ret = mh_app_verify_pdf_bytes(a, prep.pdf, prep.len, NULL, v)) != 0)
        goto out;
    if (v->code != MH_APP_VALID) {
        mh_err_set(MH_ERR_PERMISSION, "with this signature the document does not verify: %s",
                   v->sentence);
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    (void)mh_hash_sha256(cert, cert_len, fp);
    const mh_app_sig_detail *last = v->nsigs ? &v->sigs[v->nsigs - 1] : NULL;
    if (!last || !last->covers_whole || mh_ct_memcmp(last->cert_fp, fp, 32) != 0) {
        mh_err_set(MH_ERR_PERMISSION,
                   "the signature is not one made with the certificate given over the "
                   "prepared document");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    *out = prep.pdf;
    *out_len = prep.len;
    prep.pdf = NULL;
    ret = MH_OK;
out:
    mh_app_cosign_prep_free(&prep);
    return ret;
}
