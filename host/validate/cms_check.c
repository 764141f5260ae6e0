/*
 * cms_check.c - the plain check of `mohur cms verify`: each signer's CMS
 * verification, its signature timestamp, and with CAs its path (and its
 * TSA's) by RFC 5280 without revocation; with a validation context the ETSI
 * report beside it, which then decides.
 */
#include "val_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mh_val_cert_path(const uint8_t *cert, size_t cert_len, const uint8_t *const *pool,
                     const size_t *pool_len, size_t n_pool, const uint8_t *const *ca,
                     const size_t *ca_len, size_t n_ca, int64_t at, bool tsa, char *why,
                     size_t why_cap)
{
    size_t n_all = 1 + n_pool + n_ca;
    mh_x509_cert *xc = calloc(n_all, sizeof *xc);
    const mh_x509_cert **anchors = calloc(n_ca + 1, sizeof *anchors);
    const mh_x509_cert **pl = calloc(n_pool + 1, sizeof *pl);
    mh_path_work *work = malloc(mh_path_work_size());
    mh_path_result *res = calloc(1, sizeof *res);
    size_t na = 0, np = 0;
    int ret = MH_ERR_NOMEM;

    if (!xc || !anchors || !pl || !work || !res) {
        snprintf(why, why_cap, "out of memory");
        goto out;
    }
    ret = MH_ERR_CERT_INVALID;
    int prc = mh_x509_cert_parse(&xc[0], cert, cert_len);
    if (prc) {
        snprintf(why, why_cap, "the certificate cannot be parsed: %s", mh_err_message(prc));
        goto out;
    }
    for (size_t i = 0; i < n_pool; i++)
        if (pool[i] != cert && mh_x509_cert_parse(&xc[1 + np], pool[i], pool_len[i]) == 0) {
            pl[np] = &xc[1 + np];
            np++;
        }
    for (size_t i = 0; i < n_ca; i++)
        if (mh_x509_cert_parse(&xc[1 + np + na], ca[i], ca_len[i]) == 0) {
            anchors[na] = &xc[1 + np + na];
            na++;
        }
    mh_path_input in;
    mh_path_params par;
    memset(&in, 0, sizeof in);
    memset(&par, 0, sizeof par);
    in.target = &xc[0];
    in.anchors = anchors;
    in.n_anchors = na;
    in.pool = pl;
    in.n_pool = np;
    par.time = at;
    par.purpose = tsa ? MH_PURPOSE_TIMESTAMP : MH_PURPOSE_DOCUMENT;
    par.revocation = MH_REV_NONE;
    par.role = tsa ? "the TSA's certificate" : "the signer's certificate";
    ret = mh_path_validate(work, &in, &par, res);
    if (ret && why_cap) {
        const char *m = res->reason[0] ? res->reason : mh_err_message(ret);
        size_t n = strnlen(m, why_cap - 1);
        memcpy(why, m, n);
        why[n] = 0;
    }
out:
    free(xc);
    free(anchors);
    free(pl);
    free(work);
    free(res);
    return ret;
}

/* Signer i's certificate, and then its TSA's, against the CAs, with the
 * CMS's certificates and the caller's as intermediates. */
static void signer_trust(mh_val_cms_check *c, const mh_val_cms_in *in, size_t i)
{
    const mh_cms_signer_result *s = &c->cms.signers[i];
    int64_t at = s->validate_at ? s->validate_at : (int64_t)time(NULL);
    const uint8_t *pool[MH_CMS_MAX_CERTS + MH_CMS_MAX_CERTS];
    size_t pool_len[MH_CMS_MAX_CERTS + MH_CMS_MAX_CERTS], np = 0;
    for (size_t j = 0; j < c->cms.n_certs; j++) {
        pool[np] = c->cms.certs[j];
        pool_len[np++] = c->cms.cert_len[j];
    }
    for (size_t j = 0; j < in->n_certs && np < sizeof pool / sizeof pool[0]; j++) {
        pool[np] = in->certs[j];
        pool_len[np++] = in->cert_len[j];
    }
    if (mh_val_cert_path(s->cert, s->cert_len, pool, pool_len, np, in->ca, in->ca_len, in->n_ca, at,
                         false, c->why[i], sizeof c->why[i]) == 0)
        c->trusted[i] = true;
    else
        c->all = false;
    if (s->has_tst && s->tst_status == 0 && c->trusted[i]) {
        char w2[160];
        if (mh_val_cert_path(s->tst_cert, s->tst_cert_len, pool, pool_len, np, in->ca, in->ca_len,
                             in->n_ca, s->tst_time, true, w2, sizeof w2)) {
            snprintf(c->why[i], sizeof c->why[i], "the timestamp's TSA: %s", w2);
            c->trusted[i] = false;
            c->all = false;
        }
    }
}

/* Each signer's verdict and the sentence that says why it is not valid. */
static void verdicts(mh_val_cms_check *c, const mh_val_cms_in *in)
{
    c->with_ca = in->n_ca > 0;
    c->all = c->cms_rc == 0;
    for (size_t i = 0; i < c->cms.n_signers; i++)
        if (c->cms.signers[i].has_tst && c->cms.signers[i].tst_status != 0)
            c->all = false; /* a signature timestamp that does not verify fails the signer */
    for (size_t i = 0; i < c->cms.n_signers; i++) {
        const mh_cms_signer_result *s = &c->cms.signers[i];
        bool tst_bad = s->has_tst && s->tst_status != 0;
        c->why[i][0] = 0;
        c->trusted[i] = false;
        if (s->status == 0 && c->with_ca)
            signer_trust(c, in, i);
        c->valid[i] = s->status == 0 && (c->trusted[i] || !c->with_ca) && !tst_bad;
        if (s->status)
            snprintf(c->why[i], sizeof c->why[i], "%s", s->reason);
        else if (!c->why[i][0] && tst_bad)
            snprintf(c->why[i], sizeof c->why[i], "the signature timestamp does not verify");
    }
}

int mh_val_cms_check_run(const mh_val_cms_in *in, mh_val_cms_check **out)
{
    mh_val_cms_check *c = calloc(1, sizeof *c);
    *out = c;
    if (!c)
        return MH_ERR_NOMEM;
    mh_cms_verify_opts vo;
    memset(&vo, 0, sizeof vo);
    vo.flags = in->legacy ? MH_CMS_LEGACY : 0;
    vo.certs = in->certs;
    vo.cert_len = in->cert_len;
    vo.cert_n = in->n_certs;
    c->cms_rc = mh_cms_verify(in->cms, in->cms_len, in->content, in->content_len, &vo, &c->cms);
    if (c->cms_rc && c->cms.n_signers == 0)
        return c->cms_rc;
    if (in->ctx) {
        c->validating = true;
        c->report = calloc(1, sizeof *c->report);
        if (!c->report)
            return MH_ERR_NOMEM;
        int rc = mh_val_cms(in->ctx, in->cms, in->cms_len, in->content, in->content_len, c->report);
        if (rc)
            return rc;
        c->validating = false;
    }
    verdicts(c, in);
    /* with a trust store, the ETSI indication decides */
    c->verdict = c->report ? c->report->ind == MH_VAL_PASSED : c->all;
    return 0;
}

void mh_val_cms_check_free(mh_val_cms_check *c)
{
    if (!c)
        return;
    free(c->report);
    free(c);
}
