/* pki_cms.h - part of mh_pki.h: CMS SignedData (RFC 5652) with CAdES
 * baseline attributes (ETSI EN 319 122-1 B-B and B-T).
 *
 * Signing goes through an mh_signer (common_signer.h), so the key may live
 * on a token (hsm/'s mh_hsm_key_signer()) or behind the daemon's signer
 * process: ECDSA, RSA PKCS#1 v1.5, and RSA-PSS (salt length = hash length,
 * MGF1 with the same hash) as the signer's algorithm says. Output goes into
 * a caller's buffer; nothing here allocates.
 *
 * Verification parses only DER (RFC 5652 allows BER; mh_cms_ber_to_der()
 * turns BER input into DER first, as the CLI does). It checks each signer's
 * attributes and signature against the certificate the SignedData names;
 * whether that certificate is trusted (path validation at the time reported
 * in validate_at) is the caller's job, with pki_x509.h's validator. */
#ifndef MH_PKI_CMS_H
#define MH_PKI_CMS_H

#include "pki_base.h"
#include "pki_der.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

/* ---- signing ------------------------------------------------------------ */

typedef struct mh_cms_signer {
    const mh_signer *key;
    const uint8_t *cert; /* the signer's certificate, DER */
    size_t cert_len;
    const uint8_t *const *chain; /* more certificates to include (DER), may be NULL */
    const size_t *chain_len;
    size_t chain_n;
    mbedtls_md_type_t md; /* SHA-256, SHA-384 or SHA-512 */
    unsigned flags;       /* MH_CMS_DETACHED, MH_CMS_PADES */
    int64_t signing_time; /* seconds since 1970 UTC (ignored with MH_CMS_PADES) */
    const uint8_t *tst;   /* an RFC 3161 token (ContentInfo) for CAdES-B-T, or NULL */
    size_t tst_len;
    /* Optional: called with the DER SET OF Attribute (tag 0x31) whose hash
     * (md) is about to be signed, right before the key is asked, so that a
     * key outside the appliance can be shown what it signs. The bytes are
     * valid during the call only. Non-zero stops the signing with that
     * code. */
    int (*on_signed_attrs)(void *ctx, const uint8_t *der, size_t len);
    void *on_signed_attrs_ctx;
} mh_cms_signer;

#define MH_CMS_DETACHED 1
/* omit signing-time, as PAdES B-B requires (the time is in the PDF's /M) */
#define MH_CMS_PADES 2
#define MH_CMS_NO_CERTS 4 /* no certificates field (an RFC 3161 reply without certReq) */

/* Caps on what we make and what we accept. */
#define MH_CMS_MAX_CHAIN 8
#define MH_CMS_MAX_CERT_LEN (16u * 1024u)
#define MH_CMS_MAX_SIGNERS 8
#define MH_CMS_MAX_CERTS 16
#define MH_CMS_MAX_ATTRS 16
#define MH_CMS_MAX_INPUT ((size_t)1 << 30) /* an enveloping SignedData */

/* SignedData over content, enveloping unless MH_CMS_DETACHED. Writes the
 * DER ContentInfo to out (cap bytes). */
MH_PKI_API int mh_cms_sign(const mh_cms_signer *s, const uint8_t *content, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len) MH_WARN_UNUSED;
/* Detached SignedData for content given by its digest (s->md). */
MH_PKI_API int mh_cms_sign_digest(const mh_cms_signer *s, const uint8_t *digest, size_t dlen,
                                  uint8_t *out, size_t cap, size_t *out_len) MH_WARN_UNUSED;
/* The general form: eContentType given as OID contents (no tag or length);
 * content NULL for detached (then digest is required), else digest may be
 * NULL and is computed. Used by the TSA for id-ct-TSTInfo. */
MH_PKI_API int mh_cms_sign_ex(const mh_cms_signer *s, const uint8_t *ctype, size_t ctype_len,
                              const uint8_t *content, size_t len, const uint8_t *digest,
                              size_t dlen, uint8_t *out, size_t cap,
                              size_t *out_len) MH_WARN_UNUSED;

/* The signature value of signer `index` of a SignedData (a span of cms):
 * what an RFC 3161 timestamp for CAdES-B-T must cover. */
MH_PKI_API int mh_cms_signature_value(const uint8_t *cms, size_t len, size_t index,
                                      const uint8_t **sig, size_t *sig_len) MH_WARN_UNUSED;
/* What a signer's signed attributes say, read from their DER SET OF (tag
 * 0x31: the bytes a signature covers, as a client whose key signs for
 * someone else is shown them). Each attribute at most once with one value,
 * in DER order; content-type and message-digest present. */
typedef struct mh_cms_sattrs_info {
    bool content_is_data;          /* content-type is id-data */
    const uint8_t *message_digest; /* a span of the input */
    size_t message_digest_len;
    bool has_signing_time;
    int64_t signing_time;
} mh_cms_sattrs_info;
MH_PKI_API int mh_cms_signed_attrs_read(const uint8_t *der, size_t len,
                                        mh_cms_sattrs_info *out) MH_WARN_UNUSED;
/* Copies cms to out with an RFC 3161 token added to signer `index` as the
 * unsigned attribute id-aa-signatureTimeStampToken (CAdES-B-T). */
MH_PKI_API int mh_cms_add_timestamp(const uint8_t *cms, size_t len, size_t index,
                                    const uint8_t *tst, size_t tst_len, uint8_t *out, size_t cap,
                                    size_t *out_len) MH_WARN_UNUSED;

/* ---- verification ------------------------------------------------------- */

/* Verification flags. */
#define MH_CMS_LEGACY                                                                              \
    1u                   /* accept SHA-1 and RSA keys below 2048 bits: ONLY for old                \
                            reference data (RFC 4134); the normal mode refuses them */
#define MH_CMS_NO_TST 2u /* do not look into timestamp tokens (used inside them) */

typedef struct mh_cms_verify_opts {
    unsigned flags;
    /* Certificates to look in for signers besides those in the SignedData
     * (for instance a TSA certificate the token omits). */
    const uint8_t *const *certs;
    const size_t *cert_len;
    size_t cert_n;
} mh_cms_verify_opts;

typedef struct mh_cms_signer_result {
    int status; /* 0: attributes and signature verified; else MH_ERR_* (mh_err_message
                   text for it in `reason`) */
    char reason[160];
    const uint8_t *cert; /* the signer certificate (a span of the input), NULL if not found */
    size_t cert_len;
    mbedtls_md_type_t md;
    enum mh_sig_alg sig; /* MH_SIG_AUTO when unknown; MH_SIG_DSA is never verified */
    bool has_signing_time;
    int64_t signing_time;
    bool has_signing_cert_v2; /* and it matched the signer certificate */
    const uint8_t *signature;
    size_t signature_len;
    /* An id-aa-signatureTimeStampToken, checked unless MH_CMS_NO_TST: its
     * imprint covers the signature value and the token's own signature
     * verified. tst_status 0 when so. */
    bool has_tst;
    int tst_status;
    int64_t tst_time;
    const uint8_t *tst_cert; /* the TSA certificate, a span of the input */
    size_t tst_cert_len;
    /* When to validate the signer's path: the timestamp's time when one
     * verified, else the signing-time attribute, else 0 (the caller's now). */
    int64_t validate_at;
    /* Which check failed when status is MH_ERR_VERIFY_FAILED (enum
     * mh_cms_check; MH_CMS_CHECK_NONE for the others: a malformed or
     * missing attribute, a signature algorithm that does not match). */
    int failed_check;
    /* The signed and unsigned attributes as found (the contents of their
     * [0] and [1] SETs, spans of the input; NULL when absent), for callers
     * that read more attributes than these (CAdES validation). */
    const uint8_t *sattrs;
    size_t sattrs_len;
    const uint8_t *uattrs;
    size_t uattrs_len;
} mh_cms_signer_result;

enum mh_cms_check {
    MH_CMS_CHECK_NONE = 0,
    MH_CMS_CHECK_DIGEST,       /* message-digest is not the content's digest */
    MH_CMS_CHECK_SIGNING_CERT, /* signing-certificate-v2 names another certificate */
    MH_CMS_CHECK_SIGNATURE     /* the signature value does not verify */
};

typedef struct mh_cms_result {
    const uint8_t *ctype; /* eContentType OID contents */
    size_t ctype_len;
    bool detached;
    const uint8_t *content; /* the enveloped content (span of the input) */
    size_t content_len;
    size_t n_certs;
    const uint8_t *certs[MH_CMS_MAX_CERTS];
    size_t cert_len[MH_CMS_MAX_CERTS];
    size_t n_signers;
    mh_cms_signer_result signers[MH_CMS_MAX_SIGNERS];
    /* The SignedData's crls field (the contents of its [1]
     * RevocationInfoChoices, a span of the input; NULL when absent): CRLs
     * a validator may use. */
    const uint8_t *crls;
    size_t crls_len;
} mh_cms_result;

/* Verifies every signer of a DER ContentInfo(SignedData). content is the
 * detached content (NULL when enveloping). Returns 0 when there is at least
 * one signer and every signer verified; MH_ERR_VERIFY_FAILED (or the first
 * signer's MH_ERR_UNSUPPORTED_ALG) when one did not; MH_ERR_CMS when there
 * are no signers (a certs-only message); MH_ERR_PARSE / MH_ERR_TOO_LARGE
 * for malformed input. res is filled as far as parsing got. */
MH_PKI_API int mh_cms_verify(const uint8_t *cms, size_t len, const uint8_t *content,
                             size_t content_len, const mh_cms_verify_opts *opts,
                             mh_cms_result *res) MH_WARN_UNUSED;
/* The same with the detached content given by its digest (of algorithm md). */
MH_PKI_API int mh_cms_verify_digest(const uint8_t *cms, size_t len, mbedtls_md_type_t md,
                                    const uint8_t *digest, size_t dlen,
                                    const mh_cms_verify_opts *opts,
                                    mh_cms_result *res) MH_WARN_UNUSED;

/* BER to DER for CMS input: definite lengths, constructed strings joined.
 * out needs at most len + len/2 + 256 bytes; nesting depth capped at 32.
 * (Does not sort SET OF; a SignedAttributes must already be DER.) */
MH_PKI_API int mh_cms_ber_to_der(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                 size_t *out_len) MH_WARN_UNUSED;
/* The same for the first element of in, which may be followed by other
 * bytes (a PDF's /Contents pads the CMS with zeros): *used is the length
 * of that element's BER encoding. */
MH_PKI_API int mh_cms_ber_to_der_prefix(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                        size_t *out_len, size_t *used) MH_WARN_UNUSED;

/* ---- building blocks shared with pki_tsp.h ------------------------------ */

/* AlgorithmIdentifier of a hash (parameters absent, RFC 5754). */
MH_PKI_API void mh_derw_md_alg(mh_derw *w, mbedtls_md_type_t md);

/* Hash OIDs <-> mbedTLS types; 0 / MBEDTLS_MD_NONE when unknown. */
MH_PKI_API mbedtls_md_type_t mh_cms_md_from_oid(const mh_der_elem *oid);
/* Parses an AlgorithmIdentifier of a hash (parameters absent or NULL). */
MH_PKI_API int mh_cms_md_alg_parse(const mh_der_elem *alg, mbedtls_md_type_t *md) MH_WARN_UNUSED;
MH_PKI_API const char *mh_cms_md_name(mbedtls_md_type_t md);

/* OIDs (contents only) used across CMS and TSP. */
extern MH_PKI_API const uint8_t mh_oid_id_data[9];
extern MH_PKI_API const uint8_t mh_oid_signed_data[9];
extern MH_PKI_API const uint8_t mh_oid_tstinfo[11];

#endif
