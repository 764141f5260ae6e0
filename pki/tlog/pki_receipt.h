/* pki_receipt.h - part of mh_pki.h: the signed receipt every document
 * carries and its QR URL (in base32, common_codec.h).
 *
 * A receipt is a COSE_Sign1 (RFC 9052, tag 18) signed with ES256 by the
 * registry key, over a CWT-style claims map (RFC 8392) with small integer
 * keys; docs/receipt.md gives the exact layout and why. The QR carries it
 * as "HTTPS://<HOST>/V/<BASE32>", all in QR alphanumeric characters.
 *
 * Decoding and verifying are pure and allocation-free (the firmware compiles
 * them): strict deterministic CBOR, fixed layout, size caps, constant-time
 * comparisons. The parsed claims point into the caller's receipt bytes
 * (spans, not NUL-terminated), so those bytes must outlive them. mbedTLS's
 * bignum code allocates from whatever heap the platform gives it; nothing
 * here calls malloc. */
#ifndef MH_PKI_RECEIPT_H
#define MH_PKI_RECEIPT_H

#include "pki_base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MH_RECEIPT_MAX 1024      /* bytes of a receipt (COSE_Sign1) */
#define MH_RECEIPT_URL_MAX 2048  /* characters of a receipt URL */
#define MH_RECEIPT_HOST_MAX 253  /* a DNS name, with an optional :port */
#define MH_RECEIPT_KID_LEN 8     /* first 8 bytes of SHA-256 of the key's SPKI */
#define MH_RECEIPT_SIG_LEN 64    /* ES256: r || s */
#define MH_RECEIPT_P256_POINT 65 /* 04 || X || Y */
/* Caps on the claims (bytes of UTF-8). */
#define MH_RECEIPT_ID_MAX 64 /* registry id, issuer */
#define MH_RECEIPT_KIND_MAX 32
#define MH_RECEIPT_FIELDS_MAX 8
#define MH_RECEIPT_FKEY_MAX 32  /* a printed field's name */
#define MH_RECEIPT_FVAL_MAX 200 /* a printed field's text */
/* The document digest: SHA-256, whole (32) or its first 16 bytes. */
#define MH_RECEIPT_DIGEST_FULL 32
#define MH_RECEIPT_DIGEST_SHORT 16

/* Claim keys of the payload map (docs/receipt.md). */
#define MH_RECEIPT_CLAIM_ISS 1       /* issuer (CWT iss) */
#define MH_RECEIPT_CLAIM_IAT 6       /* issue time (CWT iat) */
#define MH_RECEIPT_CLAIM_REGISTRY -1 /* registry (log) id */
#define MH_RECEIPT_CLAIM_INDEX -2    /* log index of the ledger entry */
#define MH_RECEIPT_CLAIM_KIND -3     /* document kind */
#define MH_RECEIPT_CLAIM_DIGEST -4   /* SHA-256 of the original document */
#define MH_RECEIPT_CLAIM_LENGTH -5   /* its length in bytes */
#define MH_RECEIPT_CLAIM_FIELDS -6   /* printed fields: map text -> text */
#define MH_RECEIPT_CLAIM_HOST -7     /* the verification host the QR opens */

/* ---- claims ---------------------------------------------------------------- */

/* A UTF-8 text span; not NUL-terminated. */
typedef struct mh_receipt_str {
    const char *ptr;
    size_t len;
} mh_receipt_str;

typedef struct mh_receipt_field {
    mh_receipt_str key; /* e.g. "name", "degree", "date" */
    mh_receipt_str value;
} mh_receipt_field;

/* What a receipt says. To sign, the caller fills it; decoding fills it with
 * spans into the receipt. Texts: non-empty UTF-8 without control
 * characters, within the caps above. */
typedef struct mh_receipt_claims {
    mh_receipt_str issuer;   /* short id of the issuing organisation */
    uint64_t issued_at;      /* seconds since 1970-01-01 UTC */
    mh_receipt_str registry; /* id of the registry (ledger) */
    uint64_t log_index;      /* index of the ledger entry */
    mh_receipt_str kind;     /* "diploma", "notary-act", ... */
    const uint8_t *digest;   /* SHA-256 of the original document ... */
    size_t digest_len;       /* ... whole (32) or its first 16 bytes */
    uint64_t doc_len;        /* length of the original document */
    size_t nfields;          /* printed fields, 0 to MH_RECEIPT_FIELDS_MAX */
    mh_receipt_field fields[MH_RECEIPT_FIELDS_MAX];
    /* the registry's verification host, lower case (a DNS name with an
     * optional :port): the QR's URL must name the same host, so a genuine
     * receipt cannot be shown under another site's address unnoticed */
    mh_receipt_str host;
} mh_receipt_claims;

/* A decoded receipt. */
typedef struct mh_receipt {
    mh_receipt_claims claims;        /* sorted fields, as encoded */
    uint8_t kid[MH_RECEIPT_KID_LEN]; /* the registry key that signed it */
    uint8_t sig[MH_RECEIPT_SIG_LEN];
    bool verified;    /* set by mh_receipt_verify only */
    size_t key_index; /* which trusted key verified it */
} mh_receipt;

/* Well-known names travel as small numbers (docs/receipt.md), which keeps
 * a diploma's QR small; the API always speaks text. A well-known name is
 * only ever encoded as its number (the text form is refused on decoding),
 * so each receipt has one encoding.
 *   printed fields: 1 name, 2 date, 3 degree, 4 program, 5 grade, 6 number,
 *                   7 title, 8 birth-date
 *   kinds:          1 diploma, 2 certificate, 3 notary-act, 4 transcript,
 *                   5 court-decision
 * The code of a name (0 when it is not well-known), and the name of a code
 * (NULL when unknown). */
MH_PKI_API unsigned mh_receipt_field_code(const char *name, size_t len);
MH_PKI_API const char *mh_receipt_field_name(uint64_t code);
MH_PKI_API unsigned mh_receipt_kind_code(const char *name, size_t len);
MH_PKI_API const char *mh_receipt_kind_name(uint64_t code);

/* ---- keys -------------------------------------------------------------- */

/* A trusted registry key: a P-256 public key and its key id. Plain bytes: a
 * trust list is a fixed array of these (in flash, say). */
typedef struct mh_receipt_key {
    uint8_t kid[MH_RECEIPT_KID_LEN];
    uint8_t point[MH_RECEIPT_P256_POINT];
} mh_receipt_key;

/* From a DER SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, an
 * uncompressed point on the curve). MH_ERR_UNSUPPORTED_ALG for another key
 * type or curve, MH_ERR_PARSE for bad DER. */
MH_PKI_API int mh_receipt_key_from_spki(const uint8_t *spki, size_t len,
                                        mh_receipt_key *key) MH_WARN_UNUSED;
/* From a raw uncompressed point (65 bytes). */
MH_PKI_API int mh_receipt_key_from_point(const uint8_t *point, size_t len,
                                         mh_receipt_key *key) MH_WARN_UNUSED;

/* ---- signing and verifying --------------------------------------------------- */

/* Encodes the claims and signs them (ES256) with key, an ECDSA P-256
 * signer (its kid comes from its public key; a token key through
 * mh_hsm_key_signer). Fields are written sorted (deterministic CBOR); a
 * repeated field name is refused. Writes at most MH_RECEIPT_MAX bytes into
 * out. The signer's errors (a PIN, a removed token) pass through. */
MH_PKI_API int mh_receipt_sign(const mh_receipt_claims *claims, const mh_signer *key, uint8_t *out,
                               size_t cap, size_t *len) MH_WARN_UNUSED;

/* The exact length mh_receipt_sign() will produce for these claims, without
 * signing (the signature has a fixed size): lets a caller check that the
 * QR fits before anything is recorded. */
MH_PKI_API int mh_receipt_size(const mh_receipt_claims *claims, size_t *len) MH_WARN_UNUSED;

/* Parses a receipt without checking its signature (to show it, or to find
 * its kid). Strict: tag 18, a 4-element array, protected header exactly
 * {alg: ES256, kid: 8 bytes} (a crit header or any other label is
 * refused), empty unprotected header, claims exactly as documented,
 * deterministic CBOR, no trailing bytes, at most MH_RECEIPT_MAX bytes.
 * r->verified is false. */
MH_PKI_API int mh_receipt_decode(const uint8_t *buf, size_t len, mh_receipt *r) MH_WARN_UNUSED;

/* Decodes, finds the trusted key(s) with the receipt's kid, and checks the
 * signature. Returns 0 (r->verified, r->key_index set), MH_ERR_NOT_FOUND
 * (no trusted key has this kid), MH_ERR_VERIFY_FAILED (bad signature), or
 * a decoding error. After NOT_FOUND and VERIFY_FAILED, r still holds the
 * decoded (untrusted) claims with r->verified false, so a caller can say
 * what the forged or unknown receipt claimed; after other errors r is
 * zeroed. */
MH_PKI_API int mh_receipt_verify(const uint8_t *buf, size_t len, const mh_receipt_key *keys,
                                 size_t nkeys, mh_receipt *r) MH_WARN_UNUSED;

/* SHA-256 over everything the claims say except the log index (which is
 * known only after the ledger entry is made): what the ledger entry records
 * (mh_ledger_entry.claims), so a verifier can compare a receipt with its
 * entry without the entry holding the printed fields. Domain-separated
 * ("mohur receipt claims v1"). */
MH_PKI_API int mh_receipt_claims_digest(const mh_receipt_claims *claims,
                                        uint8_t out[32]) MH_WARN_UNUSED;

/* Does the URL's host name the receipt's host (case-insensitive)? */
MH_PKI_API bool mh_receipt_host_matches(const mh_receipt_claims *claims,
                                        const mh_receipt_str *host);

/* ES256 signatures are made with s <= n/2 ("low s") and a receipt with a
 * high s is refused, so each receipt has exactly one encoding (n - s would
 * verify too). */
MH_PKI_API bool mh_receipt_sig_low_s(const uint8_t sig[MH_RECEIPT_SIG_LEN]);
/* Replaces a high s by n - s. */
MH_PKI_API void mh_receipt_sig_normalize(uint8_t sig[MH_RECEIPT_SIG_LEN]);

/* Checks a document against verified claims: its SHA-256 (compared in
 * constant time, over the 16 or 32 bytes the receipt holds) and length.
 * 0 or MH_ERR_VERIFY_FAILED. */
MH_PKI_API int mh_receipt_check_document(const mh_receipt_claims *claims, const uint8_t sha256[32],
                                         uint64_t doc_len) MH_WARN_UNUSED;

/* ---- COSE building blocks (RFC 9052), used by the receipt ---------------- */

/* SHA-256 of Sig_structure = ["Signature1", protected, h'', payload], the
 * bytes a COSE_Sign1 signature covers, hashed without building them. */
MH_PKI_API int mh_cose_sign1_hash(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                                  size_t payload_len, uint8_t hash[32]) MH_WARN_UNUSED;
/* ES256 over a SHA-256 hash: r || s (32 bytes each, RFC 9053 2.1), as the
 * signer (ECDSA on P-256) makes it, with no DER in between. */
MH_PKI_API int mh_cose_es256_sign(const mh_signer *key, const uint8_t hash[32],
                                  uint8_t sig[MH_RECEIPT_SIG_LEN]) MH_WARN_UNUSED;
/* Checks r || s over a SHA-256 hash with an uncompressed P-256 point.
 * 0 or MH_ERR_VERIFY_FAILED (r or s out of range included). */
MH_PKI_API int mh_cose_es256_verify(const uint8_t point[MH_RECEIPT_P256_POINT],
                                    const uint8_t hash[32],
                                    const uint8_t sig[MH_RECEIPT_SIG_LEN]) MH_WARN_UNUSED;

/* A COSE_Sign1 of the receipt's shape carrying another payload (the
 * firmware's trust list and revocation snapshot, docs/offline.md): tag 18,
 * protected header exactly {1: -7 (ES256), 4: kid of 8 bytes}, empty
 * unprotected header, an attached payload, a 64-byte r || s signature.
 * Spans point into the caller's bytes. */
typedef struct mh_cose_sign1 {
    const uint8_t *prot;
    size_t prot_len;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t kid[MH_RECEIPT_KID_LEN];
    uint8_t sig[MH_RECEIPT_SIG_LEN];
} mh_cose_sign1;

/* Strict decode of such a COSE_Sign1 of at most max bytes: one
 * deterministic CBOR item (depth <= max_depth, 0: the default cap),
 * nothing after it. MH_ERR_PARSE, MH_ERR_TOO_LARGE, MH_ERR_UNSUPPORTED(_ALG)
 * for other headers or algorithms. */
MH_PKI_API int mh_cose_sign1_decode(const uint8_t *buf, size_t len, size_t max, unsigned max_depth,
                                    mh_cose_sign1 *out) MH_WARN_UNUSED;
/* Checks the signature of a decoded COSE_Sign1 with a trusted key (its kid
 * must match, compared in constant time). 0, MH_ERR_NOT_FOUND (another
 * kid), MH_ERR_VERIFY_FAILED, MH_ERR_NOMEM (the bignum heap ran out). */
MH_PKI_API int mh_cose_sign1_verify(const mh_cose_sign1 *m,
                                    const mh_receipt_key *key) MH_WARN_UNUSED;
/* Signs payload (at most MH_RECEIPT_MAX * 16 bytes) as such a COSE_Sign1
 * with an ECDSA P-256 signer, naming kid. Host side (cose_sign.c). */
MH_PKI_API int mh_cose_sign1_make(const mh_signer *key, const uint8_t kid[MH_RECEIPT_KID_LEN],
                                  const uint8_t *payload, size_t payload_len, uint8_t *out,
                                  size_t cap, size_t *len) MH_WARN_UNUSED;

/* ---- the QR URL ------------------------------------------------------------- */

/* "HTTPS://<HOST>/V/<BASE32>" with the host upper-cased. host: a DNS name
 * (letters, digits, '-', '.') with an optional ":port". Writes a NUL. */
MH_PKI_API int mh_receipt_url(const char *host, const uint8_t *receipt, size_t len, char *out,
                              size_t cap, size_t *olen) MH_WARN_UNUSED;
/* Takes a receipt URL apart: the host (a span into url, as written) and the
 * receipt bytes (base32-decoded into out). Scheme and host are
 * case-insensitive; the rest must be exactly "/V/" and base32. */
MH_PKI_API int mh_receipt_url_parse(const char *url, size_t url_len, mh_receipt_str *host,
                                    uint8_t *out, size_t cap, size_t *len) MH_WARN_UNUSED;

#endif
