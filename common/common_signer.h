/* common_signer.h - part of mh_common.h: the one signing interface.
 *
 * Everything mohur signs (certificates, CRLs, CMS and PAdES signatures,
 * timestamps, COSE receipts, signed notes and checkpoints, witness
 * cosignatures, the offline trust list) is signed through an mh_signer: a
 * context, the public key as a DER SubjectPublicKeyInfo, the one algorithm
 * it makes, and a sign function. pki/ builds formats around it and never
 * sees a key; hsm/ implements it for token keys (mh_hsm_key_signer), pki/sig
 * for software keys in tests and key files (mh_pki_soft_signer), and the
 * daemon's ledger process for the keys its signer process holds (it asks
 * over a socket, host/daemon/ledgerd.c). A signer is
 * a plain struct anyone may fill; it owns nothing, so it is valid as long
 * as what ctx and spki point to.
 *
 * Errors are MH_ERR_* codes passed through unchanged, with their sentence
 * (mh_err_set): a wrong PIN at a context-specific login stays
 * MH_ERR_PIN_INCORRECT all the way to the exit status. */
#ifndef MH_COMMON_SIGNER_H
#define MH_COMMON_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

/* The one signature-algorithm enum of mohur: what a signer makes, what a
 * verifier checks, what a parsed CMS signer info says. */
enum mh_sig_alg {
    MH_SIG_AUTO = 0, /* signing: what the key implies; parsed: not known */
    MH_SIG_ECDSA,
    MH_SIG_RSA_PKCS1, /* RSASSA-PKCS1-v1_5 (RFC 8017 8.2) */
    MH_SIG_RSA_PSS,   /* RSASSA-PSS, MGF1 (when signing: the message hash, salt as long) */
    MH_SIG_ED25519,   /* PureEdDSA over the message (RFC 8032) */
    MH_SIG_DSA        /* recognised in CMS, never made or verified */
};

/* "auto", "ecdsa", "rsa-pkcs1", "rsa-pss", "ed25519", "dsa". */
const char *mh_sig_alg_name(enum mh_sig_alg a);
/* The algorithm of a name above, or -1. */
enum mh_sig_alg mh_sig_alg_from_name(const char *name);

/* How an ECDSA signature is written (other algorithms have one form). */
enum mh_sig_enc {
    MH_SIG_DER = 0, /* Ecdsa-Sig-Value, canonical DER (X.509, CMS, signed notes) */
    MH_SIG_RAW = 1  /* r || s, each as long as the group order (COSE, PKCS#11, P1363) */
};

#define MH_SIG_MAX 1024 /* enough for RSA-8192 and DER ECDSA P-521 */
#define MH_SPKI_MAX 1200

typedef struct mh_signer mh_signer;
struct mh_signer {
    /* Signs in (a digest made with md; or, with `message`, the message
     * itself, which only Ed25519 takes) into sig (cap bytes), ECDSA in
     * encoding enc, with the algorithm self->alg. 0 or an MH_ERR_* code
     * with its sentence. Called through mh_signer_sign*(), which check the
     * arguments first. */
    int (*sign)(const mh_signer *self, mbedtls_md_type_t md, const uint8_t *in, size_t in_len,
                bool message, enum mh_sig_enc enc, uint8_t *sig, size_t cap, size_t *sig_len);
    void *ctx;
    enum mh_sig_alg alg; /* what sign makes (never MH_SIG_AUTO) */
    const uint8_t *spki; /* the public key, DER SubjectPublicKeyInfo */
    size_t spki_len;
    const char *name; /* for messages: "key 'seal'", or NULL */
};

/* Signs a digest made with md (ECDSA, RSA). Ed25519 signs messages only:
 * MH_ERR_KEY_TYPE here. MH_ERR_INVALID_ARG for a digest whose length is
 * not md's. */
int mh_signer_sign(const mh_signer *s, mbedtls_md_type_t md, const uint8_t *digest, size_t len,
                   enum mh_sig_enc enc, uint8_t *sig, size_t cap, size_t *sig_len) MH_WARN_UNUSED;
/* Signs a whole message: Ed25519 signs it as it is (md ignored); the
 * others hash it with md first. */
int mh_signer_sign_message(const mh_signer *s, mbedtls_md_type_t md, const uint8_t *msg, size_t len,
                           enum mh_sig_enc enc, uint8_t *sig, size_t cap,
                           size_t *sig_len) MH_WARN_UNUSED;

/* ECDSA signatures between r || s (2 * n bytes) and canonical DER, for
 * signers whose key gives one form (a token gives r || s) when the caller
 * wants the other. to_raw refuses any non-canonical DER. */
int mh_ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t *der, size_t cap,
                        size_t *der_len) MH_WARN_UNUSED;
int mh_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t n, uint8_t *raw) MH_WARN_UNUSED;

#endif
