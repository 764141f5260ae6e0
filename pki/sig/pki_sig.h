/* pki_sig.h - part of mh_pki.h: strict signature verification.
 *
 * Public keys are read from a DER SubjectPublicKeyInfo into a caller-owned,
 * fixed-size mh_pki_pubkey; signatures are checked against it. Both reject
 * whatever is not exactly as the standards write it (non-canonical DER,
 * out-of-range values, "acceptable" legacy encodings), so a signature that
 * verifies here has one encoding only. Nothing here allocates (mbedTLS's
 * bignum code does, from the heap the platform gives it) and nothing does
 * I/O; the firmware compiles this file.
 *
 * Policy (the default; mh_pki_spki_parse_flags() with MH_PKI_SPKI_LEGACY
 * relaxes the first three for old documents and test suites):
 *   - RSA moduli of 2048 to 8192 bits, public exponent odd, 65537 <= e < 2^256
 *     (FIPS 186-4 B.3.1);
 *   - no SHA-1 as the message hash (MGF1 with SHA-1 stays allowed: it is
 *     RFC 8017's default and no collision attack applies to it);
 *   - EC keys on the named curves P-256, P-384 and P-521 only, uncompressed
 *     points that lie on the curve; Ed25519 keys of 32 bytes.
 * What the policy refuses (SHA-1 message hashes, RSA moduli below 2048
 * bits, exponents below 65537) is MH_ERR_ALG_REFUSED; what mohur does not
 * implement (other curves, DSA, unknown algorithms) is
 * MH_ERR_UNSUPPORTED_ALG; both with a sentence saying why, never
 * MH_ERR_VERIFY_FAILED, so a caller can tell "forged" from "refused by
 * policy" from "we do not take this kind of key or hash". */
#ifndef MH_PKI_SIG_H
#define MH_PKI_SIG_H

#include "pki_base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>

enum mh_pki_keytype {
    MH_PKI_KEY_NONE = 0,
    MH_PKI_KEY_RSA,     /* rsaEncryption: PKCS#1 v1.5 or PSS */
    MH_PKI_KEY_RSA_PSS, /* id-RSASSA-PSS: PSS only, maybe with fixed params */
    MH_PKI_KEY_EC,
    MH_PKI_KEY_ED25519
};

/* RSASSA-PSS parameters of one signature. salt_any: accept any salt length
 * (salt_len is then ignored); otherwise the salt must be exactly salt_len
 * bytes, 0 included. */
struct mh_pki_pss_params {
    mbedtls_md_type_t mgf1_md;
    size_t salt_len;
    bool salt_any;
};

#define MH_PKI_RSA_MAX_BYTES 1024 /* 8192-bit moduli */
#define MH_PKI_RSA_MAX_E_BYTES 32
#define MH_PKI_EC_MAX_POINT 133 /* 04 || X || Y on P-521 */

/* Flags of mh_pki_spki_parse_flags(). */
#define MH_PKI_SPKI_LEGACY 0x1u /* RSA from 1024 bits, e >= 3, SHA-1 hashes */

/* A public key as parsed; fill it with mh_pki_spki_parse(). Plain bytes, no
 * pointers: it may be copied, kept in flash, or zeroed. */
typedef struct mh_pki_pubkey {
    enum mh_pki_keytype type;
    unsigned flags;
    size_t bits; /* modulus or curve size */
    /* RSA (both key types): big-endian, no leading zeros */
    uint8_t n[MH_PKI_RSA_MAX_BYTES];
    size_t n_len;
    uint8_t e[MH_PKI_RSA_MAX_E_BYTES];
    size_t e_len;
    /* id-RSASSA-PSS with parameters: the signature must use pss_md, MGF1
     * with pss.mgf1_md, and a salt of at least pss.salt_len bytes. */
    bool pss_restricted;
    mbedtls_md_type_t pss_md;
    struct mh_pki_pss_params pss;
    /* EC: the curve and the uncompressed point */
    mbedtls_ecp_group_id curve;
    uint8_t point[MH_PKI_EC_MAX_POINT];
    size_t point_len;
    /* Ed25519 */
    uint8_t ed25519[32];
} mh_pki_pubkey;

/* Reads a DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7) of at most 4096
 * bytes: rsaEncryption (RFC 8017), id-RSASSA-PSS with or without
 * parameters (RFC 4055 3.1), id-ecPublicKey on a named curve (RFC 5480),
 * id-Ed25519 (RFC 8410). Strict DER, nothing after the SPKI. Returns 0,
 * MH_ERR_PARSE (malformed), MH_ERR_UNSUPPORTED_ALG (well-formed but not a
 * key we take: explicit curve parameters, another curve or algorithm, a
 * key outside the policy above), MH_ERR_INVALID_ARG. On failure *out is
 * zeroed. */
MH_PKI_API int mh_pki_spki_parse(const uint8_t *spki, size_t len,
                                 mh_pki_pubkey *out) MH_WARN_UNUSED;
MH_PKI_API int mh_pki_spki_parse_flags(const uint8_t *spki, size_t len, unsigned flags,
                                       mh_pki_pubkey *out) MH_WARN_UNUSED;

/* Checks a signature over a digest computed with md (hash_len must be md's
 * size). md: SHA-224, SHA-256, SHA-384, SHA-512 (SHA-1 for legacy keys).
 * alg: ECDSA (enc: MH_SIG_DER for a DER Ecdsa-Sig-Value, MH_SIG_RAW for
 * r || s, each as long as the order), RSA PKCS#1 v1.5, RSA-PSS (enc is
 * ignored but for ECDSA: the one enum of common_signer.h).
 * pss: for MH_SIG_RSA_PSS only; NULL means the key's PSS parameters if
 * it has them, else MGF1 with md and a salt as long as the hash. With a
 * PSS-restricted key, md and the MGF1 hash must be the key's and the salt
 * at least the key's salt length.
 * Returns 0 (valid), MH_ERR_VERIFY_FAILED (anything that is not a valid
 * signature in its one canonical encoding, a key of another type
 * included), MH_ERR_ALG_REFUSED (a hash or key the policy refuses),
 * MH_ERR_UNSUPPORTED_ALG (an algorithm, hash or key mohur does not take), or MH_ERR_INVALID_ARG
 * (NULL pointers, a hash of the wrong length). Ed25519 has no pre-hash form: use
 * mh_pki_verify_msg(). */
MH_PKI_API int mh_pki_verify_hash(const mh_pki_pubkey *key, enum mh_sig_alg alg,
                                  enum mh_sig_enc enc, mbedtls_md_type_t md, const uint8_t *hash,
                                  size_t hash_len, const uint8_t *sig, size_t sig_len,
                                  const struct mh_pki_pss_params *pss) MH_WARN_UNUSED;

/* Hashes msg with md, then as mh_pki_verify_hash(). For Ed25519, md must be
 * MBEDTLS_MD_NONE or MBEDTLS_MD_SHA512 and the message is verified as it is
 * (RFC 8032 PureEdDSA). */
MH_PKI_API int mh_pki_verify_msg(const mh_pki_pubkey *key, enum mh_sig_alg alg, enum mh_sig_enc enc,
                                 mbedtls_md_type_t md, const uint8_t *msg, size_t msg_len,
                                 const uint8_t *sig, size_t sig_len,
                                 const struct mh_pki_pss_params *pss) MH_WARN_UNUSED;

/* ---- ECDSA: the one verifier, and its backend seam ----------------------
 *
 * Every ECDSA signature mohur checks goes through mh_pki_ecdsa_verify()
 * (mh_pki_verify_hash() calls it for EC keys; COSE receipts, signed notes,
 * the CA's self-checks and certificate requests call it directly). The
 * checks that decide what a signature *is* run here, in front of any
 * backend: canonical DER (or exact-width r || s), 1 <= r, s <= n - 1 against
 * the curve order, a named curve of the policy, an uncompressed point of the
 * curve's size, and the hash cut to the order's length (SEC1 4.1.4 step 3).
 * A backend then only does the arithmetic on values already known to be in
 * range: decode the point (refusing one off the curve) and check
 * u1*G + u2*Q. docs/architecture.md says which backend runs where. */

/* An ECDSA arithmetic backend. Plain function pointers and a name; the
 * built-in ones are below. Both functions return 0, MH_ERR_VERIFY_FAILED
 * (the equation does not hold), MH_ERR_INVALID_ARG (the point is not on the
 * curve), MH_ERR_UNSUPPORTED_ALG (the curve is missing from this build) or
 * MH_ERR_NOMEM. */
typedef struct mh_pki_ecdsa_backend {
    const char *name;
    /* point: 0x04 || X || Y, 1 + 2 * nlen bytes. */
    int (*point_check)(mbedtls_ecp_group_id curve, const uint8_t *point, size_t point_len);
    /* r and s: nlen big-endian bytes each, in [1, n-1]; hash: at most nlen
     * bytes (already cut). */
    int (*verify)(mbedtls_ecp_group_id curve, const uint8_t *point, size_t point_len,
                  const uint8_t *hash, size_t hash_len, const uint8_t *r, const uint8_t *s,
                  size_t nlen);
} mh_pki_ecdsa_backend;

/* mbedTLS 2.28's ECP (portable; the firmware's). Always present. */
MH_PKI_API extern const mh_pki_ecdsa_backend mh_pki_ecdsa_backend_mbedtls;
#ifdef MH_PKI_HAVE_OPENSSL
/* OpenSSL 3's libcrypto (host builds: the default there, for speed). */
MH_PKI_API extern const mh_pki_ecdsa_backend mh_pki_ecdsa_backend_openssl;
#endif

/* The backend in use: the build's default (OpenSSL where it is built in,
 * else mbedTLS) until mh_pki_ecdsa_backend_set() names another. Setting is
 * atomic, so it is safe at any time, but meant for start-up, tests and
 * benchmarks; NULL restores the default. */
MH_PKI_API const mh_pki_ecdsa_backend *mh_pki_ecdsa_backend_get(void);
MH_PKI_API void mh_pki_ecdsa_backend_set(const mh_pki_ecdsa_backend *backend);

/* Checks an ECDSA signature over a hash with a public point on a named
 * curve (P-256, P-384, P-521). enc: MH_SIG_DER (DER Ecdsa-Sig-Value) or
 * MH_SIG_RAW (r || s, each as long as the order, IEEE P1363). Returns 0,
 * MH_ERR_VERIFY_FAILED (any malformed or non-canonical signature, r or s
 * out of range, or the equation does not hold), MH_ERR_UNSUPPORTED_ALG
 * (another curve), MH_ERR_INVALID_ARG (NULL pointers, an empty hash, a
 * point that is not an uncompressed point on the curve). */
MH_PKI_API int mh_pki_ecdsa_verify(mbedtls_ecp_group_id curve, const uint8_t *point,
                                   size_t point_len, const uint8_t *hash, size_t hash_len,
                                   enum mh_sig_enc enc, const uint8_t *sig,
                                   size_t sig_len) MH_WARN_UNUSED;

/* Checks that point is an uncompressed point on the curve (through the
 * backend). 0, MH_ERR_INVALID_ARG or MH_ERR_UNSUPPORTED_ALG. */
MH_PKI_API int mh_pki_ec_point_check(mbedtls_ecp_group_id curve, const uint8_t *point,
                                     size_t point_len) MH_WARN_UNUSED;

/* A DER Ecdsa-Sig-Value, read with the verifier's strict rules (canonical,
 * positive, r and s in [1, n-1]), as r || s of 2 * nlen bytes into raw
 * (cap at least that; *raw_len gets it). MH_ERR_VERIFY_FAILED when it is
 * not such a signature. For signers that return DER (tokens, mbedTLS) and
 * formats that want r || s (COSE). */
MH_PKI_API int mh_pki_ecdsa_der_to_raw(mbedtls_ecp_group_id curve, const uint8_t *der,
                                       size_t der_len, uint8_t *raw, size_t cap,
                                       size_t *raw_len) MH_WARN_UNUSED;

/* Bytes of the group order of a curve of the policy, 0 for any other. */
MH_PKI_API size_t mh_pki_ec_order_len(mbedtls_ecp_group_id curve);

/* ---- a software key as an mh_signer ---------------------------------------
 * For tests, benchmarks and key files (a token key's signer is hsm/'s
 * mh_hsm_key_signer). Caller-owned; &s->signer is the signer, valid while s
 * and the key live. Randomness from the kernel (mh_rng_mbedtls). */
typedef struct mh_pki_soft_signer {
    mh_signer signer;
    mbedtls_pk_context *pk;
    uint8_t spki[MH_SPKI_MAX];
} mh_pki_soft_signer;

/* alg: MH_SIG_AUTO (ECDSA or RSA PKCS#1 v1.5 as the key implies),
 * MH_SIG_RSA_PSS for an RSA key. MH_ERR_KEY_TYPE for other keys (mbedTLS
 * 2.28 has no Ed25519). */
MH_PKI_API int mh_pki_soft_signer_init(mh_pki_soft_signer *s, mbedtls_pk_context *pk,
                                       enum mh_sig_alg alg) MH_WARN_UNUSED;

#endif
