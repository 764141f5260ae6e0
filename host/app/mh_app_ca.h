/*
 * mh_app_ca.h - certificate authorities kept in a CA database (host/cadb):
 * making a root or an issuing CA, issuing a certificate by profile and
 * recording it, making a CRL. `mohur init` (the appliance's own root),
 * `mohur ca` and mh_app_crl_publish all go through these, so issuing and
 * recording is written once.
 *
 * The keys are mh_signers the caller opened (a token key, a key in another
 * process); nothing here opens a token or asks for a PIN. Errors are
 * MH_ERR_* codes, with a sentence (mh_err_set) where mh_strerror's is not
 * enough.
 */
#ifndef MH_APP_CA_H
#define MH_APP_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_cadb.h"
#include "mh_common.h"
#include "mh_pki.h"

/* A text value of a CA's configuration ("key_uri", "subject", "kind",
 * "crl_url", "policy.notary", ...): malloc'd and NUL-terminated, NULL when
 * absent or not text. */
char *mh_app_ca_config(mh_cadb *db, const char *key);

/* What a certificate the CA made is: its DER (malloc'd), serial, validity
 * and the subject recorded for it (DN syntax). mh_app_ca_cert_free frees
 * the DER. */
typedef struct mh_app_ca_cert {
    uint8_t *der;
    size_t der_len;
    uint8_t serial[MH_CA_SERIAL_LEN];
    int64_t not_before, not_after;
    char subject[MH_CADB_SUBJECT_MAX];
} mh_app_ca_cert;
void mh_app_ca_cert_free(mh_app_ca_cert *c);

/* The policy OID a CA puts in the certificates of one profile. */
typedef struct mh_app_ca_policy {
    const char *profile; /* issuing, notary, seal, registry, tsa, tls */
    const char *oid;     /* dotted */
} mh_app_ca_policy;

/* A new CA in an empty database. */
typedef struct mh_app_ca_new {
    const char *subject; /* DN syntax (mh_ca_name_encode) */
    const uint8_t *spki; /* the new CA's public key */
    size_t spki_len;
    const mh_signer *key;  /* a root signs its own certificate with it */
    const char *key_uri;   /* recorded: the key that signs for this CA */
    unsigned days;         /* 0: 7300 for a root; 3650 for an issuing CA, never past the
                              parent's end */
    unsigned default_days; /* validity of what it issues; 0: 365 */
    int path_len;          /* -1: none (a root), 0 (an issuing CA) */
    /* an issuing CA: the parent's database and key; the parent records the
     * certificate, and its CRL URL, caIssuers URL and issuing policy go in */
    mh_cadb *parent;
    const mh_signer *parent_key;
    const char *const *permit_dns, *const *permit_email, *const *permit_dn;
    size_t n_permit_dns, n_permit_email, n_permit_dn;
    /* for the certificates this CA issues */
    const char *crl_url, *aia_url;
    const mh_app_ca_policy *policies;
    size_t n_policies;
    /* when set, DIR/ca.crt and DIR/chain.pem (this CA, then each parent up
     * to the root) are written for other tools */
    const char *dir;
} mh_app_ca_new;

/* Makes the CA's certificate (self-signed, or by the parent), records it
 * (in the parent for an issuing CA, else in db) and writes the CA's
 * configuration into db. out is the certificate. */
int mh_app_ca_create(mh_cadb *db, const mh_app_ca_new *n, mh_app_ca_cert *out) MH_WARN_UNUSED;

/* A certificate to issue. */
typedef struct mh_app_ca_req {
    enum mh_ca_profile profile; /* notary, seal, registry, tsa, tls */
    const char *subject;        /* DN syntax, or NULL and subject_der (from a CSR) */
    const uint8_t *subject_der;
    size_t subject_der_len;
    const uint8_t *spki;
    size_t spki_len;
    unsigned days; /* 0: the CA's default_days (365 when it has none) */
    const char *const *dns, *const *ips, *const *emails;
    size_t n_dns, n_ips, n_emails;
    const char *const *policies; /* NULL: the CA's policy for the profile, if any */
    size_t n_policies;
} mh_app_ca_req;

/* Issues a certificate signed by ca_key (the key of the CA in db), with
 * the CA's CRL URL and caIssuers URL, and records it in db. */
int mh_app_ca_issue(mh_cadb *db, const mh_signer *ca_key, const mh_app_ca_req *r,
                    mh_app_ca_cert *out) MH_WARN_UNUSED;

/* A CRL of every certificate revoked or on hold in db, signed by ca_key,
 * with the database's next CRL number, kept in db. The issuer is the CA
 * certificate in db, or issuer_cert when given (the appliance's root as
 * its verifiers read it). *crl is malloc'd; *number is set as soon as it
 * is known (for messages), *nrevoked is the number of entries. */
int mh_app_ca_crl(mh_cadb *db, const mh_signer *ca_key, const uint8_t *issuer_cert,
                  size_t issuer_cert_len, int64_t this_update, int64_t next_update, uint8_t **crl,
                  size_t *crl_len, uint64_t *number, size_t *nrevoked) MH_WARN_UNUSED;

#endif
