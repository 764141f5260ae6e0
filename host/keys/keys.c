/*
 * keys.c - keys and certificates in files (mh_keys.h): PEM through
 * mbedTLS's reader, public and private keys through its key parser, the
 * outline of a certificate through pki's DER cursor.
 */
#include "mh_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pem.h>
#include <mbedtls/pk.h>

#include "mh_pki.h"

int mh_keys_pem_read(const char *text, const char *label, uint8_t **der, size_t *der_len,
                     size_t *used)
{
    char hdr[80], ftr[80];
    mbedtls_pem_context pem;
    size_t u = 0;
    int ret;

    *der = NULL;
    *der_len = 0;
    if (used)
        *used = 0;
    if (strlen(label) > 60)
        return MH_ERR_INVALID_ARG;
    snprintf(hdr, sizeof hdr, "-----BEGIN %s-----", label);
    snprintf(ftr, sizeof ftr, "-----END %s-----", label);
    mbedtls_pem_init(&pem);
    int rc = mbedtls_pem_read_buffer(&pem, hdr, ftr, (const unsigned char *)text, NULL, 0, &u);
    if (rc == MBEDTLS_ERR_PEM_NO_HEADER_FOOTER_PRESENT) {
        ret = mh_err_set(MH_ERR_NOT_FOUND, "no PEM '%s' block", label);
        goto out;
    }
    if (rc) {
        ret = mh_err_set(MH_ERR_PARSE, "a damaged PEM '%s' block", label);
        goto out;
    }
    *der = malloc(pem.buflen ? pem.buflen : 1);
    if (!*der) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    memcpy(*der, pem.buf, pem.buflen);
    *der_len = pem.buflen;
    if (used)
        *used = u;
    ret = MH_OK;
out:
    mbedtls_pem_free(&pem);
    return ret;
}

int mh_keys_spki_parse(const uint8_t *in, size_t len, uint8_t *spki, size_t cap, size_t *spki_len)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int l = mbedtls_pk_parse_public_key(&pk, in, len) == 0
                ? mbedtls_pk_write_pubkey_der(&pk, spki, cap)
                : -1;
    mbedtls_pk_free(&pk);
    if (l <= 0)
        return mh_err_set(MH_ERR_PARSE, "not a public key (PEM 'PUBLIC KEY' or DER "
                                        "SubjectPublicKeyInfo)");
    /* mbedTLS writes backwards, at the end of the buffer */
    memmove(spki, spki + cap - (size_t)l, (size_t)l);
    *spki_len = (size_t)l;
    return MH_OK;
}

bool mh_keys_cert_outline_ok(const uint8_t *der, size_t len)
{
    mh_der d, in;
    mh_der_elem cert, e;

    mh_der_init(&d, der, len);
    if (mh_der_expect(&d, 0x30, &cert) != 0 || !mh_der_done(&d))
        return false;
    mh_der_enter(&in, &cert);
    return mh_der_expect(&in, 0x30, &e) == 0 && mh_der_expect(&in, 0x30, &e) == 0 &&
           mh_der_expect(&in, MH_DER_BIT_STRING, &e) == 0 && mh_der_done(&in);
}

/* ---- a software key file ------------------------------------------------- */

struct mh_keys_file {
    mbedtls_pk_context pk;
    mh_pki_soft_signer soft;
};

int mh_keys_file_open(const char *path, mh_keys_file **out)
{
    mh_keys_file *k = calloc(1, sizeof *k);
    int rc;

    *out = NULL;
    if (!k)
        return MH_ERR_NOMEM;
    mbedtls_pk_init(&k->pk);
    rc = mbedtls_pk_parse_keyfile(&k->pk, path, NULL);
    if (rc) {
        mh_keys_file_close(k);
        return mh_err_set(MH_ERR_PARSE,
                          "not an unencrypted PEM or DER private key (mbedTLS error -0x%04x)",
                          (unsigned)-rc);
    }
    rc = mh_pki_soft_signer_init(&k->soft, &k->pk, MH_SIG_AUTO);
    if (rc) {
        mh_keys_file_close(k);
        return rc;
    }
    *out = k;
    return MH_OK;
}

const mh_signer *mh_keys_file_signer(const mh_keys_file *k)
{
    return &k->soft.signer;
}

void mh_keys_file_close(mh_keys_file *k)
{
    if (!k)
        return;
    mbedtls_pk_free(&k->pk);
    mh_freezero(k, sizeof *k);
}
