/* pki_tsp.h - part of mh_pki.h: RFC 3161 time-stamp protocol (with the
 * ESS signing-certificate-v2 of RFC 5816): requests, a timestamp authority
 * that answers them with a key behind an mh_signer, and the
 * client's checks of a response against its request. */
#ifndef MH_PKI_TSP_H
#define MH_PKI_TSP_H

#include "pki_base.h"
#include "pki_cms.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

#define MH_TSP_MAX_NONCE 32  /* bytes of a nonce (RFC 3161 suggests 64 bits) */
#define MH_TSP_MAX_OID 32    /* bytes of a policy OID's contents */
#define MH_TSP_MAX_REQ 4096  /* a TimeStampReq */
#define MH_TSP_MAX_SERIAL 20 /* bytes of a serial number (RFC 3161 2.4.2: up to 160 bits) */

/* The ETSI baseline time-stamp policy (EN 319 421), 0.4.0.2023.1.1: the
 * default policy of mohur's TSA. */
extern MH_PKI_API const uint8_t mh_tsp_policy_etsi_baseline[6];

/* A TimeStampReq, held by value. */
typedef struct mh_tsp_req {
    mbedtls_md_type_t md;
    uint8_t imprint[MBEDTLS_MD_MAX_SIZE];
    size_t imprint_len;
    uint8_t alg_der[32]; /* the hash AlgorithmIdentifier as the client wrote it */
    size_t alg_der_len;  /* 0: mh_tsp_req_encode writes it (parameters absent) */
    bool has_nonce;
    uint8_t nonce[MH_TSP_MAX_NONCE]; /* unsigned big-endian */
    size_t nonce_len;
    bool cert_req;
    uint8_t policy[MH_TSP_MAX_OID]; /* reqPolicy OID contents; policy_len 0: none */
    size_t policy_len;
} mh_tsp_req;

/* A request for the digest of some data (md, imprint); nonce and policy
 * are added by setting the fields. */
MH_PKI_API int mh_tsp_req_init(mh_tsp_req *r, mbedtls_md_type_t md, const uint8_t *digest,
                               size_t dlen) MH_WARN_UNUSED;
MH_PKI_API int mh_tsp_req_encode(const mh_tsp_req *r, uint8_t *out, size_t cap,
                                 size_t *out_len) MH_WARN_UNUSED;
/* Parses a DER TimeStampReq. MH_ERR_PARSE (badDataFormat), MH_ERR_UNSUPPORTED_ALG
 * (badAlg: a hash other than SHA-256/384/512), MH_ERR_UNSUPPORTED (extensions,
 * which this TSA does not accept). */
MH_PKI_API int mh_tsp_req_parse(const uint8_t *der, size_t len, mh_tsp_req *r) MH_WARN_UNUSED;

/* PKIFailureInfo bits (RFC 3161 2.4.2). */
#define MH_TSP_FAIL_BAD_ALG (1u << 0)
#define MH_TSP_FAIL_BAD_REQUEST (1u << 2)
#define MH_TSP_FAIL_BAD_DATA_FORMAT (1u << 5)
#define MH_TSP_FAIL_TIME_NOT_AVAILABLE (1u << 14)
#define MH_TSP_FAIL_UNACCEPTED_POLICY (1u << 15)
#define MH_TSP_FAIL_UNACCEPTED_EXTENSION (1u << 16)
#define MH_TSP_FAIL_ADD_INFO_NOT_AVAILABLE (1u << 17)
#define MH_TSP_FAIL_SYSTEM_FAILURE (1u << 25)

/* A timestamp authority. Its certificate must carry the extended key usage
 * id-kp-timeStamping alone, marked critical (RFC 3161 2.3). */
typedef struct mh_tsa {
    const mh_signer *key;
    const uint8_t *cert;
    size_t cert_len;
    const uint8_t *const *chain;
    const size_t *chain_len;
    size_t chain_n;
    mbedtls_md_type_t md;  /* of the token's signature: SHA-256, -384, -512 */
    const uint8_t *policy; /* OID contents; NULL: mh_tsp_policy_etsi_baseline */
    size_t policy_len;
    uint32_t accuracy_s, accuracy_ms; /* both 0: no accuracy field */
} mh_tsa;

/* Answers a DER TimeStampReq with a DER TimeStampResp: granted with a token,
 * or a rejection with its failInfo for a bad request (wrong format, hash,
 * policy, extensions). *pki_status gets the PKIStatus written (0 granted,
 * 2 rejection). serial: unsigned big-endian, unique per token (at most 20
 * bytes); now: the time to put in genTime. An error return means the TSA
 * itself failed (its key, certificate or buffer), not the request. */
MH_PKI_API int mh_tsa_respond(const mh_tsa *tsa, const uint8_t *req, size_t req_len,
                              const uint8_t *serial, size_t serial_len, int64_t now, uint8_t *out,
                              size_t cap, size_t *out_len, int *pki_status) MH_WARN_UNUSED;
/* The token alone (a ContentInfo with SignedData over a TSTInfo) for a
 * parsed request, as CAdES-B-T embeds it. */
MH_PKI_API int mh_tsa_token(const mh_tsa *tsa, const mh_tsp_req *req, const uint8_t *serial,
                            size_t serial_len, int64_t now, uint8_t *out, size_t cap,
                            size_t *out_len) MH_WARN_UNUSED;

/* What a verified token (or a response) says; spans of the input. */
typedef struct mh_tsp_info {
    int status;         /* PKIStatus of a response; 0 for a bare token */
    uint32_t fail_info; /* MH_TSP_FAIL_* bits of a rejection */
    char status_text[128];
    mbedtls_md_type_t md; /* of the message imprint */
    const uint8_t *imprint;
    size_t imprint_len;
    const uint8_t *policy; /* OID contents */
    size_t policy_len;
    const uint8_t *serial; /* INTEGER contents */
    size_t serial_len;
    int64_t gen_time; /* seconds; fractions dropped */
    bool has_accuracy;
    uint64_t accuracy_s, accuracy_ms, accuracy_us;
    bool has_nonce;
    const uint8_t *nonce; /* INTEGER contents */
    size_t nonce_len;
    const uint8_t *token; /* the ContentInfo */
    size_t token_len;
    const uint8_t *tsa_cert; /* the signer's certificate */
    size_t tsa_cert_len;
} mh_tsp_info;

/* Parses a DER TSTInfo into info (no signature check). */
MH_PKI_API int mh_tsp_tstinfo_parse(const uint8_t *der, size_t len,
                                    mh_tsp_info *info) MH_WARN_UNUSED;
/* Parses a TimeStampResp: status, failInfo, and the token's span (no check). */
MH_PKI_API int mh_tsp_resp_parse(const uint8_t *der, size_t len, mh_tsp_info *info) MH_WARN_UNUSED;

/* Verifies a token: one signer, eContentType id-ct-TSTInfo, its signature
 * and attributes (pki_cms.h), the signer's critical timeStamping-only EKU,
 * and its imprint: against req (hash, imprint, nonce, policy) when given,
 * else against the hash of data (the imprint's own algorithm). opts give
 * more certificates (a TSA certificate the token omits) and flags.
 * Returns 0, MH_ERR_TIMESTAMP (with a sentence), or what mh_cms_verify
 * returned. The TSA's path is the caller's to validate. */
MH_PKI_API int mh_tsp_token_verify(const uint8_t *tok, size_t len, const mh_tsp_req *req,
                                   const uint8_t *data, size_t data_len,
                                   const mh_cms_verify_opts *opts,
                                   mh_tsp_info *info) MH_WARN_UNUSED;
/* A whole response: status granted (else MH_ERR_TIMESTAMP saying why the
 * TSA refused), then as mh_tsp_token_verify. */
MH_PKI_API int mh_tsp_resp_verify(const uint8_t *resp, size_t len, const mh_tsp_req *req,
                                  const uint8_t *data, size_t data_len,
                                  const mh_cms_verify_opts *opts, mh_tsp_info *info) MH_WARN_UNUSED;

#endif
