/*
 * mh_keys.h - keys and certificates in files, for the front ends.
 *
 * PEM blocks, public keys (SubjectPublicKeyInfo), the outline of a
 * certificate pki/x509 cannot read in full, and a software key file as an
 * mh_signer. The CLI and mohurd read files through these, so neither
 * includes an mbedTLS header (docs/architecture.md, "What may include
 * what"). Errors are MH_ERR_* codes; a sentence is left with the code
 * (mh_err_set) when there is more to say than mh_strerror's.
 */
#ifndef MH_KEYS_H
#define MH_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"

/* The first PEM block "-----BEGIN <label>-----" ... "-----END <label>-----"
 * of text (NUL-terminated), decoded into a malloc'd *der; *used is how many
 * bytes of text it spans from text's start, so a caller can look for the
 * next block after it. MH_ERR_NOT_FOUND when text has no such block,
 * MH_ERR_PARSE when it is damaged (bad base64, an encrypted block). */
int mh_keys_pem_read(const char *text, const char *label, uint8_t **der, size_t *der_len,
                     size_t *used) MH_WARN_UNUSED;

/* A public key (DER SubjectPublicKeyInfo, or PEM 'PUBLIC KEY' when text is
 * NUL-terminated) re-encoded as canonical DER SubjectPublicKeyInfo into
 * spki (cap bytes). MH_ERR_PARSE when it is not a public key mbedTLS
 * reads (EC, RSA). */
int mh_keys_spki_parse(const uint8_t *in, size_t len, uint8_t *spki, size_t cap,
                       size_t *spki_len) MH_WARN_UNUSED;

/* True when der is the outline of a certificate, SEQUENCE { SEQUENCE,
 * SEQUENCE, BIT STRING } spanning exactly the input: the check for a
 * certificate pki/x509 cannot parse in full (an algorithm it does not
 * know), which may still be stored beside its key. */
bool mh_keys_cert_outline_ok(const uint8_t *der, size_t len);

/* ---- a software key file as an mh_signer -------------------------------- */

typedef struct mh_keys_file mh_keys_file;

/* Reads an unencrypted PEM or DER private key (EC or RSA) from path.
 * MH_ERR_PARSE with the sentence "not an unencrypted PEM or DER private
 * key (mbedTLS error -0x....)"; the key's own codes otherwise. */
int mh_keys_file_open(const char *path, mh_keys_file **out) MH_WARN_UNUSED;
/* Its signer (MH_SIG_AUTO: ECDSA or RSA PKCS#1 v1.5), valid until close. */
const mh_signer *mh_keys_file_signer(const mh_keys_file *k);
/* Wipes and frees the key; NULL is fine. */
void mh_keys_file_close(mh_keys_file *k);

#endif
