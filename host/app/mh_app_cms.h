/*
 * mh_app_cms.h - CMS signatures (CAdES) made with keys the caller opened,
 * outside an appliance's state: `mohur cms sign`, and the signature
 * timestamp by a local timestamp authority that the appliance's own CAdES
 * and PAdES signatures take too (sign.c), so timestamping a signature is
 * written once.
 *
 * Nothing here opens a token or asks for a PIN: the keys are mh_signers.
 * Errors are MH_ERR_* codes with their sentence (mh_err_message); where a
 * caller words each step of its own, *step says which one failed.
 */
#ifndef MH_APP_CMS_H
#define MH_APP_CMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"
#include "mh_pki.h"

/* The bytes a PDF prepared for an outside signature signs (`mohur pdf
 * prepare`, mohurd's cosign/prepare): the file without its placeholder's
 * gap, made in place; *len becomes their length. MH_ERR_PARSE (or host/pdf's
 * code) when pdf is not such a file. */
int mh_app_cms_pdf_content(uint8_t *pdf, size_t *len) MH_WARN_UNUSED;

/* A CMS signer: its key, its certificate then the chain to include. */
typedef struct mh_app_cms_signing {
    const mh_signer *key; /* its alg says how it signs (MH_SIG_RSA_PSS, ...) */
    const uint8_t *const *certs;
    const size_t *cert_len;
    size_t n_certs; /* at least 1: the signer's certificate */
    mbedtls_md_type_t md;
    bool detached; /* leave the content out */
} mh_app_cms_signing;

/* Signs content as CMS SignedData with the CAdES-B-B attributes (signing
 * time now) into a malloc'd *out. */
int mh_app_cms_sign(const mh_app_cms_signing *s, const uint8_t *content, size_t content_len,
                    uint8_t **out, size_t *out_len) MH_WARN_UNUSED;

/* The steps of mh_app_cms_timestamp. */
enum mh_app_ts_step {
    MH_APP_TS_SIG_VALUE = 1, /* reading the first signer's signature value */
    MH_APP_TS_PREPARE,       /* its digest, the request, a serial number */
    MH_APP_TS_TOKEN,         /* the token, signed by the TSA's key */
    MH_APP_TS_ADD            /* the token added to the signature */
};

/* Timestamps the first signer's signature value of cms (SHA-256, a random
 * serial, genTime now) with a local timestamp authority (tsa: its key,
 * certificate, chain, hash and accuracy), and adds the token as its
 * signature-time-stamp attribute: CAdES-B-T, into a malloc'd *out. */
int mh_app_cms_timestamp(const uint8_t *cms, size_t cms_len, const mh_tsa *tsa, uint8_t **out,
                         size_t *out_len, enum mh_app_ts_step *step) MH_WARN_UNUSED;

#endif
