/*
 * mh_validate.h - validating anyone's signatures against a trust store, and
 * saying so as ETSI EN 319 102-1 does. The one public header of
 * host/validate. docs/validation.md is the policy: what each indication
 * and sub-indication means here, which time a signer is validated at, which
 * revocation data counts, and what mohur cannot check.
 *
 * A validation context (mh_val_ctx) holds what the verifier brings: trust
 * anchors (any number: a national root CA, a bundle, a directory of them,
 * the appliance's own root), more certificates (intermediates), CRLs. Then
 * mh_val_cms() validates every signer of a CMS SignedData (CAdES) and
 * mh_val_pdf() every signature and document timestamp of a PDF (PAdES),
 * with what the document carries besides (the CMS's certificates and CRLs,
 * the CAdES certificate-values and revocation-values, Adobe's
 * revocationInfoArchival, the PDF's DSS).
 *
 * Each signature gets a main indication (TOTAL-PASSED, INDETERMINATE,
 * TOTAL-FAILED) with a sub-indication and a sentence, and the document the
 * worst of them. Nothing a verifier cannot check passes: an archive
 * timestamp, an evidence record, a countersignature, an unknown unsigned
 * attribute make a signature INDETERMINATE, never TOTAL-PASSED.
 *
 * A context is only read by validations, so threads may validate with one
 * context at once (each PDF in the thread that reads it: host/pdf's
 * memory budget is per thread).
 *
 * Every function returns 0 or a negative MH_ERR_* code and leaves a
 * sentence for mh_err_message(). A report is made whenever the input could
 * be read; a signature that does not verify is a report, not an error.
 */
#ifndef MH_VALIDATE_H
#define MH_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"
#include "mh_pki.h"

#define MH_VAL_API __attribute__((visibility("default")))

/* ---- indications (ETSI EN 319 102-1 5.1.3) ------------------------------- */

enum mh_val_indication {
    MH_VAL_PASSED = 0,    /* TOTAL-PASSED */
    MH_VAL_INDETERMINATE, /* INDETERMINATE: not enough is known to pass or fail it */
    MH_VAL_FAILED         /* TOTAL-FAILED */
};

enum mh_val_sub {
    MH_VAL_SUB_NONE = 0,
    /* with TOTAL-FAILED */
    MH_VAL_FORMAT_FAILURE,
    MH_VAL_HASH_FAILURE,
    MH_VAL_SIG_CRYPTO_FAILURE,
    MH_VAL_REVOKED,
    MH_VAL_EXPIRED,
    MH_VAL_NOT_YET_VALID,
    /* with INDETERMINATE */
    MH_VAL_SIG_CONSTRAINTS_FAILURE,
    MH_VAL_CHAIN_CONSTRAINTS_FAILURE,
    MH_VAL_CERTIFICATE_CHAIN_GENERAL_FAILURE,
    MH_VAL_CRYPTO_CONSTRAINTS_FAILURE,
    MH_VAL_POLICY_PROCESSING_ERROR,
    MH_VAL_TIMESTAMP_ORDER_FAILURE,
    MH_VAL_NO_SIGNING_CERTIFICATE_FOUND,
    MH_VAL_NO_CERTIFICATE_CHAIN_FOUND,
    MH_VAL_REVOKED_NO_POE,
    MH_VAL_REVOKED_CA_NO_POE,
    MH_VAL_OUT_OF_BOUNDS_NO_POE,
    MH_VAL_TRY_LATER,
    MH_VAL_SIGNED_DATA_NOT_FOUND
};

/* "TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED". */
MH_VAL_API const char *mh_val_indication_name(enum mh_val_indication i);
/* "REVOKED_NO_POE", ...; "" for MH_VAL_SUB_NONE. */
MH_VAL_API const char *mh_val_sub_name(enum mh_val_sub s);

/* ---- what the verifier brings -------------------------------------------- */

typedef struct mh_val_ctx mh_val_ctx;

/* Most trust anchors, certificates and CRLs a context holds. */
#define MH_VAL_MAX_ANCHORS 1024
#define MH_VAL_MAX_CERTS 1024
#define MH_VAL_MAX_CRLS 256

MH_VAL_API int mh_val_ctx_new(mh_val_ctx **out) MH_WARN_UNUSED;
MH_VAL_API void mh_val_ctx_free(mh_val_ctx *c);

/* Trust anchors from a file (PEM with any number of certificates, or one
 * DER certificate) or a directory (each regular file in it that holds
 * certificates; other files are skipped, and so is a certificate given
 * twice). A file that holds no certificate, or a directory that holds
 * none, is MH_ERR_PARSE. *added (may be NULL) counts the new anchors. An
 * anchor is a certificate, and its own constraints apply (docs/x509.md). */
MH_VAL_API int mh_val_add_trust(mh_val_ctx *c, const char *path, size_t *added) MH_WARN_UNUSED;
/* Untrusted certificates (intermediates, a TSA's chain) from a file. */
MH_VAL_API int mh_val_add_certs(mh_val_ctx *c, const char *path, size_t *added) MH_WARN_UNUSED;
/* CRLs from a file (PEM with any number of X509 CRL blocks, or one DER). */
MH_VAL_API int mh_val_add_crls(mh_val_ctx *c, const char *path, size_t *added) MH_WARN_UNUSED;
/* The appliance's root CA and its published CRL (STATE/certs/root.crt and
 * root.crl, docs/flows.md), when they can be read: *added tells. Not an
 * error when the state directory is absent or not readable. */
MH_VAL_API int mh_val_add_appliance(mh_val_ctx *c, const char *state_dir,
                                    bool *added) MH_WARN_UNUSED;
/* The time "now" is (default: the clock at each validation). */
MH_VAL_API void mh_val_set_now(mh_val_ctx *c, int64_t now);
MH_VAL_API size_t mh_val_anchor_count(const mh_val_ctx *c);
/* Certificates of bundles (and files of directories) that were skipped
 * because mohur cannot read them, and why the first one could not. A file
 * given alone whose every certificate is unreadable is an error instead. */
MH_VAL_API size_t mh_val_skipped_count(const mh_val_ctx *c, const char **why);

/* ---- the report ---------------------------------------------------------- */

#define MH_VAL_MAX_SIGS 64
#define MH_VAL_MAX_TS 8
#define MH_VAL_MAX_NOTES 8
#define MH_VAL_CHAIN_MAX 11

/* What proved when a signature existed (ETSI's proof of existence). */
enum mh_val_poe {
    MH_VAL_POE_NONE = 0,      /* nothing: the signer was validated now */
    MH_VAL_POE_SIG_TIMESTAMP, /* its signature timestamp */
    MH_VAL_POE_DOC_TIMESTAMP  /* a later document timestamp of the PDF */
};

/* A timestamp of a signature (CAdES/PAdES signature-time-stamp). */
typedef struct mh_val_ts {
    enum mh_val_indication ind;
    enum mh_val_sub sub;
    char reason[300];
    int64_t time; /* genTime (0 when it could not be read) */
    char tsa[200];
} mh_val_ts;

typedef struct mh_val_sig {
    char id[160];       /* "signer 1", "field 'Signature1'" */
    char field[128];    /* a PDF signature's field name, "" for CMS signers */
    char format[40];    /* "CAdES", "PAdES", "PDF document timestamp" */
    bool doc_timestamp; /* a PDF document timestamp (an RFC 3161 token) */
    enum mh_val_indication ind;
    enum mh_val_sub sub;
    char reason[512]; /* why, a sentence ("valid" when TOTAL-PASSED) */
    char signer[256]; /* the signer's (or TSA's) subject */
    char digest_alg[16];
    size_t nchain; /* the path validated: signer first, anchor last */
    char chain[MH_VAL_CHAIN_MAX][160];
    bool has_claimed_time; /* signing-time attribute or the PDF's /M */
    int64_t claimed_time;
    int64_t validation_time; /* when the signer's certificate was validated */
    enum mh_val_poe poe;     /* what proved the signature existed by then */
    int64_t poe_time;
    size_t nts;
    mh_val_ts ts[MH_VAL_MAX_TS];
    char revocation[300]; /* how revocation was decided */
    /* parts mohur cannot check (each makes it INDETERMINATE at best) */
    size_t nunchecked;
    char unchecked[MH_VAL_MAX_NOTES][120];
    /* what was seen and not needed (references, informational attributes) */
    size_t nnotes;
    char notes[MH_VAL_MAX_NOTES][120];
} mh_val_sig;

typedef struct mh_val_report {
    enum mh_val_indication ind; /* the document's: the worst of its signatures' */
    enum mh_val_sub sub;
    char reason[600];
    int64_t now;     /* the validation's current time */
    size_t nanchors; /* trust anchors in the context */
    size_t skipped;  /* certificates of the trust store mohur could not read */
    bool appliance;  /* the appliance's root is among them */
    /* revocation and certificate data by where it came from */
    size_t crls_given, crls_cms, crls_dss;
    size_t certs_dss, ocsps_dss;
    bool dss;             /* the PDF has a DSS dictionary */
    unsigned dss_skipped; /* DSS entries that could not be read (not streams, ...) */
    char dss_problem[120];
    size_t nsigs;
    mh_val_sig sigs[MH_VAL_MAX_SIGS];
} mh_val_report;

/* Validates every signer of a CMS SignedData (DER, BER or PEM is the
 * caller's to decode first: give DER or BER bytes). content is the signed
 * file of a detached signature (NULL: the signature must enclose it). */
MH_VAL_API int mh_val_cms(const mh_val_ctx *c, const uint8_t *cms, size_t len,
                          const uint8_t *content, size_t content_len,
                          mh_val_report *rep) MH_WARN_UNUSED;
/* Validates every signature and document timestamp of a PDF. */
MH_VAL_API int mh_val_pdf(const mh_val_ctx *c, const uint8_t *pdf, size_t len,
                          mh_val_report *rep) MH_WARN_UNUSED;

/* ---- the plain check of `mohur cms verify` ------------------------------- */

/* A certificate's RFC 5280 path at time `at` to one of the CAs, with the
 * pool as intermediates, for a signer (purpose document) or a TSA
 * (purpose timestamping, `tsa`). No revocation is checked: no CRLs are
 * given. 0 when it chains; else a code, and `why` (why_cap bytes) says
 * why. */
MH_VAL_API int mh_val_cert_path(const uint8_t *cert, size_t cert_len, const uint8_t *const *pool,
                                const size_t *pool_len, size_t n_pool, const uint8_t *const *ca,
                                const size_t *ca_len, size_t n_ca, int64_t at, bool tsa, char *why,
                                size_t why_cap) MH_WARN_UNUSED;

/* What the check is given: the signature (DER), the detached content
 * (NULL when enveloped), untrusted certificates, trusted CAs (none: only
 * the signatures are checked) and a validation context (NULL: no ETSI
 * report). */
typedef struct mh_val_cms_in {
    const uint8_t *cms;
    size_t cms_len;
    const uint8_t *content;
    size_t content_len;
    const uint8_t *const *certs;
    const size_t *cert_len;
    size_t n_certs;
    const uint8_t *const *ca;
    const size_t *ca_len;
    size_t n_ca;
    bool legacy; /* accept SHA-1 and short RSA keys (MH_CMS_LEGACY) */
    const mh_val_ctx *ctx;
} mh_val_cms_in;

/* The verdict, signer by signer. A signer is valid when its CMS
 * verification passed, its signature timestamp (if any) verified, and, with
 * CAs, its certificate chains to one of them at the time of the timestamp
 * (else of the signing-time, else now) and the timestamp's TSA at genTime. */
typedef struct mh_val_cms_check {
    mh_cms_result cms; /* pki's result: the signers, certificates, content */
    int cms_rc;        /* mh_cms_verify's code (0: every signer verified) */
    bool with_ca;      /* CAs were given: trusted[] says something */
    bool trusted[MH_CMS_MAX_SIGNERS];
    bool valid[MH_CMS_MAX_SIGNERS];
    char why[MH_CMS_MAX_SIGNERS][200]; /* why not valid; "" when valid */
    bool all;                          /* every signer valid */
    mh_val_report *report;             /* with a context: the ETSI report */
    bool verdict;                      /* the report's TOTAL-PASSED when there is one, else all */
    bool validating;                   /* the check failed in the ETSI validation */
} mh_val_cms_check;

/* Checks every signer of a CMS SignedData. *out is made whenever it can be
 * allocated (free it with mh_val_cms_check_free, even on failure: its
 * `validating` tells which step failed). Fails when the signature cannot
 * be read (no signers), or the ETSI validation cannot run; a signer that
 * does not verify is a verdict, not an error. */
MH_VAL_API int mh_val_cms_check_run(const mh_val_cms_in *in, mh_val_cms_check **out) MH_WARN_UNUSED;
MH_VAL_API void mh_val_cms_check_free(mh_val_cms_check *c);

#endif
