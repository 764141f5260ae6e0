/*
 * cms.c - CMS signatures with keys the caller opened (mh_app_cms.h):
 * `mohur cms sign`'s signing, and the local timestamp authority's token on
 * a signature, for it and for the appliance's own signatures (sign.c).
 */
#include "mh_app_cms.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_hash.h"
#include "mh_pdf.h"

#define TST_MAX 16384

int mh_app_cms_pdf_content(uint8_t *pdf, size_t *len)
{
    mh_pdf_prepared prep;
    memset(&prep, 0, sizeof prep);
    int rc = mh_pdf_find_placeholder(pdf, *len, &prep);
    if (rc == 0 && prep.byte_range[0] != 0)
        rc = MH_ERR_PARSE;
    if (rc)
        return rc;
    memmove(pdf + prep.byte_range[1], pdf + prep.byte_range[2], prep.byte_range[3]);
    *len = prep.byte_range[1] + prep.byte_range[3];
    return 0;
}

int mh_app_cms_sign(const mh_app_cms_signing *s, const uint8_t *content, size_t content_len,
                    uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (!s->key || !s->n_certs)
        return MH_ERR_INVALID_ARG;
    size_t cap = (s->detached ? 0 : content_len) + 32768;
    for (size_t i = 0; i < s->n_certs; i++)
        cap += s->cert_len[i];
    uint8_t *sig = malloc(cap);
    if (!sig)
        return MH_ERR_NOMEM;
    mh_cms_signer cs;
    memset(&cs, 0, sizeof cs);
    cs.key = s->key;
    cs.cert = s->certs[0];
    cs.cert_len = s->cert_len[0];
    cs.chain = s->certs + 1;
    cs.chain_len = s->cert_len + 1;
    cs.chain_n = s->n_certs - 1;
    cs.md = s->md;
    cs.flags = s->detached ? MH_CMS_DETACHED : 0;
    cs.signing_time = (int64_t)time(NULL);
    int rc = mh_cms_sign(&cs, content, content_len, sig, cap, out_len);
    if (rc) {
        free(sig);
        *out_len = 0;
        return rc;
    }
    *out = sig; /* transferred */
    return 0;
}

int mh_app_cms_timestamp(const uint8_t *cms, size_t cms_len, const mh_tsa *tsa, uint8_t **out,
                         size_t *out_len, enum mh_app_ts_step *step)
{
    int ret;
    const uint8_t *sv = NULL;
    size_t sv_len = 0, tok_len = 0, cap = 0;
    uint8_t *tok = NULL, *res = NULL, dig[32], serial[16];
    mh_tsp_req req;

    *out = NULL;
    *out_len = 0;
    *step = MH_APP_TS_SIG_VALUE;
    if ((ret = mh_cms_signature_value(cms, cms_len, 0, &sv, &sv_len)) != 0)
        goto out;
    *step = MH_APP_TS_PREPARE;
    if ((ret = mh_hash_sha256(sv, sv_len, dig)) != 0 ||
        (ret = mh_tsp_req_init(&req, MBEDTLS_MD_SHA256, dig, sizeof dig)) != 0 ||
        (ret = mh_rng_bytes(serial, sizeof serial)) != 0)
        goto out;
    serial[0] &= 0x7f; /* a positive INTEGER */
    serial[0] |= 0x40; /* of full length */
    req.cert_req = true;
    *step = MH_APP_TS_TOKEN;
    ret = MH_ERR_NOMEM;
    if ((tok = malloc(TST_MAX)) == NULL)
        goto out;
    if ((ret = mh_tsa_token(tsa, &req, serial, sizeof serial, (int64_t)time(NULL), tok, TST_MAX,
                            &tok_len)) != 0)
        goto out;
    *step = MH_APP_TS_ADD;
    ret = MH_ERR_NOMEM;
    cap = cms_len + tok_len + 256;
    if ((res = malloc(cap)) == NULL)
        goto out;
    if ((ret = mh_cms_add_timestamp(cms, cms_len, 0, tok, tok_len, res, cap, out_len)) != 0)
        goto out;
    *out = res; /* transferred */
    res = NULL;
out:
    free(tok);
    free(res);
    return ret;
}
