/* pdf_cms.c - the CMS callbacks of mh_pdf.h made with pki/'s CMS code. */
#include "pdf_int.h"

#include <stdlib.h>
#include <string.h>

int mh_pdf_cms_pki_sign(void *ctx, const uint8_t digest[32], uint8_t *out, size_t cap, size_t *len)
{
    const mh_pdf_pki_signer *ps = ctx;
    if (!ps || !ps->signer)
        return MH_ERR_INVALID_ARG;
    mh_cms_signer s = *ps->signer;
    s.md = MBEDTLS_MD_SHA256;
    s.flags |= MH_CMS_DETACHED | MH_CMS_PADES;
    return mh_cms_sign_digest(&s, digest, 32, out, cap, len);
}

int mh_pdf_cms_pki_verify(void *ctx, const mh_pdf_signed_data *data, const uint8_t *cms,
                          size_t cms_len, char *signer, size_t signer_cap)
{
    int ret = MH_ERR_NOMEM;
    const mh_cms_verify_opts *opts = ctx;
    mh_cms_result *res = calloc(1, sizeof *res);
    if (!res)
        return MH_ERR_NOMEM;
    ret = mh_cms_verify_digest(cms, cms_len, MBEDTLS_MD_SHA256, data->sha256, 32, opts, res);
    if (res->n_signers > 0 && res->signers[0].md != MBEDTLS_MD_SHA256 &&
        res->signers[0].md != MBEDTLS_MD_NONE) {
        /* signed with another hash: digest the same bytes with it */
        mbedtls_md_type_t md = res->signers[0].md;
        const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
        uint8_t h[MBEDTLS_MD_MAX_SIZE];
        mbedtls_md_context_t c;
        mbedtls_md_init(&c);
        int r = mi ? mbedtls_md_setup(&c, mi, 0) : -1;
        if (r == 0)
            r = mbedtls_md_starts(&c);
        if (r == 0)
            r = mbedtls_md_update(&c, data->part[0], data->part_len[0]);
        if (r == 0)
            r = mbedtls_md_update(&c, data->part[1], data->part_len[1]);
        if (r == 0)
            r = mbedtls_md_finish(&c, h);
        mbedtls_md_free(&c);
        if (r != 0) {
            ret = MH_ERR_UNSUPPORTED_ALG;
            goto out;
        }
        memset(res, 0, sizeof *res);
        ret = mh_cms_verify_digest(cms, cms_len, md, h, mbedtls_md_get_size(mi), opts, res);
    }
    /* a signature timestamp that does not verify fails the signature */
    for (size_t i = 0; ret == MH_OK && i < res->n_signers; i++)
        if (res->signers[i].has_tst && res->signers[i].tst_status != 0)
            ret = MH_ERR_TIMESTAMP;
    if (signer && signer_cap && res->n_signers > 0 && res->signers[0].cert) {
        (void)mh_x509_cert_subject(res->signers[0].cert, res->signers[0].cert_len,
                                   MH_X509_NAME_TEXT, signer, signer_cap);
    }
out:
    free(res);
    return ret;
}
