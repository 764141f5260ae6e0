/*
 * cosign.c - a party signs a document already issued (a notary act after
 * the notary, a contract after the employer). The document must verify
 * first; the signer must be the kind's next party; the signature goes into
 * the empty field the first signature prepared for that party. No ledger
 * entry and no receipt are made: the document keeps its one receipt.
 */
#include "app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int mh_app_cosign(mh_app *a, const mh_app_issue_req *r, mh_app_issue_res *res)
{
    int ret;
    mh_app_verdict *v = NULL;
    mh_pdf_document *pdoc = NULL, *own = NULL;
    mh_kind *k = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0, orig = 0;
    char why[512], tmp[APP_PATH_MAX + 64] = "";
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
    /* the document as it stands must be valid: nobody co-signs a document
     * that was altered, revoked, forged or is unknown here (one parse for
     * the check and the signature) */
    pdoc = r->pdf;
    if (!pdoc && (ret = mh_pdf_open(r->doc, r->doc_len, &own)) != 0)
        goto out;
    if (!pdoc)
        pdoc = own;
    if ((ret = mh_app_verify_pdf_bytes(a, r->doc, r->doc_len, pdoc, v)) != 0)
        goto out;
    if (v->code != MH_APP_VALID) {
        mh_err_set(v->code == MH_APP_ERROR ? MH_ERR_PARSE : MH_ERR_PERMISSION,
                   "this document does not verify, so it cannot be co-signed: %s", v->sentence);
        ret = v->code == MH_APP_ERROR ? MH_ERR_PARSE : MH_ERR_PERMISSION;
        goto out;
    }
    if ((ret = mh_kind_load(mh_kinds_dir(), v->kind, k)) != 0)
        goto out;
    if (r->kind && strcmp(r->kind->id, v->kind) != 0) {
        mh_err_set(MH_ERR_PERMISSION,
                   "this document is a %s (kind '%s' in the ledger), not kind '%s'",
                   k->names[MH_LANG_EN], v->kind, r->kind->id);
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    /* the next party, in order, with a certificate fit to sign (document
     * timestamps are no party) */
    size_t position = 0;
    for (size_t i = 0; i < v->nsigs; i++)
        position += strcmp(v->sigs[i].role, "timestamp") != 0;
    if (mh_app_policy_party(k, position, s->cert, s->cert_len, why, sizeof why) != 0) {
        mh_err_set(MH_ERR_PERMISSION, "%s", why);
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    for (size_t i = 0; i < v->nsigs; i++) {
        if (mh_ct_memcmp(v->sigs[i].cert_fp, s->fp, 32) == 0) {
            mh_err_set(MH_ERR_PERMISSION,
                       "this certificate has already signed the document (signature %zu)", i + 1);
            ret = MH_ERR_PERMISSION;
            goto out;
        }
    }
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
    app_pdf_job j = {0};
    j.doc = r->doc;
    j.len = r->doc_len;
    j.pdoc = pdoc;
    j.kind = k;
    j.signer = s;
    j.who = who;
    j.url = v->url;
    j.slot = (unsigned)position;
    j.request = r->request;
    j.when = r->time > 0 ? r->time : (int64_t)time(NULL);
    if ((ret = mh_app_sign_pdf(a, &j, &out, &out_len, &orig)) != 0)
        goto out;
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
