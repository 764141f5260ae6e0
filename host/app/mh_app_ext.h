/*
 * mh_app_ext.h - a key outside the appliance signing for mohurd (a
 * notary's USB token on the notary's own machine): what the key's side
 * checks before its key signs, so it signs only what it was shown.
 *
 * mohurd's 202 gives the digest to sign, the signed attributes it is the
 * hash of, and the content their message-digest covers: the document the
 * client sent (its first document_length bytes) followed by what mohurd
 * appended (a PDF's incremental update with the stamp and the signature
 * dictionary, /Contents still the placeholder) and, for a PDF, the
 * /ByteRange. docs/daemon.md states the contract.
 */
#ifndef MH_APP_EXT_H
#define MH_APP_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"
#include "mh_pki.h"

/* How far a signing-time attribute may be from the signer's clock. */
#define MH_APP_SHOWN_CLOCK_SKEW 600

typedef struct mh_app_shown {
    mbedtls_md_type_t md; /* the digest's hash (digest_algorithm) */
    const uint8_t *digest;
    size_t digest_len;
    const uint8_t *sattrs; /* signed_attributes: DER, a SET OF */
    size_t sattrs_len;
    const uint8_t *doc; /* the document the client sent */
    size_t doc_len;
    size_t doc_prefix;       /* content.document_length */
    const uint8_t *appended; /* content.appended (NULL when absent) */
    size_t appended_len;
    bool has_range; /* content.byte_range: a PDF signature */
    uint64_t range[4];
    int64_t now; /* 0: the clock */
} mh_app_shown;

/* 0 when signing digest signs exactly the document sent (and, for a PDF,
 * the update appended to it; its whole original inside the signed range);
 * else MH_ERR_VERIFY_FAILED with a sentence naming what differs. */
int mh_app_shown_check(const mh_app_shown *t) MH_WARN_UNUSED;

/* After the signature went back: 0 when what mohurd returned (the signed
 * PDF, or the detached .p7s of a file that is no PDF) is what t showed
 * (mh_app_shown_check passed) with one signature in it, by cert, over exactly
 * the signed attributes shown, valid (a timestamp in it valid too): the
 * PDF byte for byte but the placeholder's hex digits. Else
 * MH_ERR_VERIFY_FAILED with a sentence. */
int mh_app_made_check(const mh_app_shown *t, const uint8_t *made, size_t made_len,
                      const uint8_t *cert, size_t cert_len) MH_WARN_UNUSED;

#endif
