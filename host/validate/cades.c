/* cades.c - validating the signers of a CMS SignedData (CAdES). */
#include "val_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mh_val_cms(const mh_val_ctx *c, const uint8_t *cms, size_t len, const uint8_t *content,
               size_t content_len, mh_val_report *rep)
{
    int ret = MH_ERR_INVALID_ARG;
    val_set s;
    bool set_ok = false;
    uint8_t *der = NULL;
    size_t dlen = 0;
    mh_cms_result *res = NULL;
    mh_cms_verify_opts o;

    if (!c || !cms || !rep || (!content && content_len))
        return ret;
    memset(rep, 0, sizeof *rep);
    ret = MH_ERR_NOMEM;
    if (len > MH_CMS_MAX_INPUT) {
        mh_err_set(MH_ERR_TOO_LARGE, "the signature is larger than %zu bytes", MH_CMS_MAX_INPUT);
        return MH_ERR_TOO_LARGE;
    }
    size_t cap = len + len / 2 + 256;
    der = malloc(cap);
    res = calloc(1, sizeof *res);
    if (!der || !res)
        goto out;
    /* BER is read as its DER form; the signed attributes must be DER as
     * they were signed, which the signature check sees to */
    mh_err_clear();
    ret = mh_cms_ber_to_der(cms, len, der, cap, &dlen);
    if (ret)
        goto out;
    ret = val_set_init(&s, c);
    set_ok = ret == MH_OK;
    if (ret)
        goto out;
    rep->now = s.now;
    rep->nanchors = c->nanchors;
    rep->skipped = c->skipped;
    rep->appliance = c->appliance;
    val_set_opts(&s, &o);
    ret = mh_cms_verify(der, dlen, content, content_len, &o, res);
    if (res->n_signers == 0) {
        if (!ret)
            ret = MH_ERR_CMS;
        goto out;
    }
    /* what the message carries: certificates, CRLs, attribute values */
    val_set_cms(&s, res);
    bool again = false;
    for (size_t i = 0; i < res->n_signers; i++) {
        val_signer_data(&s, &res->signers[i]);
        again |= res->signers[i].status == MH_ERR_NOT_FOUND;
    }
    if (again && s.ncerts) {
        /* a signer's certificate may be among the certificate-values */
        val_set_opts(&s, &o);
        memset(res, 0, sizeof *res);
        int vrc = mh_cms_verify(der, dlen, content, content_len, &o, res);
        (void)vrc; /* the signers' statuses say what failed */
    }
    for (size_t i = 0; i < res->n_signers && rep->nsigs < MH_VAL_MAX_SIGS; i++) {
        mh_val_sig *g = &rep->sigs[rep->nsigs++];
        snprintf(g->id, sizeof g->id, "signer %zu", i + 1);
        snprintf(g->format, sizeof g->format, "CAdES");
        val_signer(&s, res, i, 0, g);
    }
    rep->crls_given = c->ncrls;
    rep->crls_cms = s.crls_by_src[VAL_SRC_CMS];
    val_report_finish(rep);
    ret = MH_OK;
out:
    if (set_ok)
        val_set_free(&s);
    free(res);
    free(der);
    return ret;
}
