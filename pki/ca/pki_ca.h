/* pki_ca.h - part of mh_pki.h: a certificate authority's issuance.
 *
 * Certificates (RFC 5280) for the profiles below and CRLs (RFC 5280 5.1),
 * written with pki's DER writer (pki_der.h) and signed through an mh_signer (in
 * production a token key from hsm/'s mh_hsm_key_signer(); the private key
 * never leaves the token). No I/O; this part is not used by the firmware and
 * may allocate. The profiles and OIDs are described in docs/ca.md.
 *
 * Profiles (every certificate also has SKI, AKI, certificate policies where
 * configured, CRL distribution point and AIA caIssuers URIs when configured):
 *
 *   profile   basicConstraints        keyUsage (critical)          extKeyUsage
 *   root      critical, CA:TRUE       keyCertSign, cRLSign          -
 *   issuing   critical, CA:TRUE,      keyCertSign, cRLSign          -
 *             pathLen (default 0); nameConstraints (critical) when configured
 *   notary    critical, CA:FALSE      digitalSignature,             documentSigning
 *                                     nonRepudiation                (non-critical)
 *   seal      critical, CA:FALSE      digitalSignature,             documentSigning
 *                                     nonRepudiation                (non-critical); O= required
 *   registry  critical, CA:FALSE      digitalSignature              -
 *   tsa       critical, CA:FALSE      digitalSignature              timeStamping (critical, only)
 *   tls       critical, CA:FALSE      digitalSignature              serverAuth (non-critical)
 *                                     (+keyEncipherment for RSA)    SAN dNSName/iPAddress required
 */
#ifndef MH_PKI_CA_H
#define MH_PKI_CA_H

#include "pki_base.h"
#include "pki_der.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

enum mh_ca_profile {
    MH_CA_PROFILE_NONE = 0,
    MH_CA_PROFILE_ROOT,
    MH_CA_PROFILE_ISSUING,
    MH_CA_PROFILE_NOTARY,
    MH_CA_PROFILE_SEAL,
    MH_CA_PROFILE_REGISTRY,
    MH_CA_PROFILE_TSA,
    MH_CA_PROFILE_TLS
};

/* "root", "issuing", "notary", "seal", "registry", "tsa", "tls". */
MH_PKI_API enum mh_ca_profile mh_ca_profile_from_name(const char *name);
MH_PKI_API const char *mh_ca_profile_name(enum mh_ca_profile p);
/* The default certificate policy OID (dotted) of a profile under mohur's
 * arc 2.25.186651835885251225168219634582827975517 (a UUID as an integer);
 * NULL for root. Issuing CAs default to anyPolicy (2.5.29.32.0). */
MH_PKI_API const char *mh_ca_default_policy(enum mh_ca_profile p);

#define MH_CA_SERIAL_LEN 16
#define MH_CA_CERT_MAX 16384 /* the largest certificate we write */
#define MH_CA_LIST_MAX 32    /* SANs, policies, name constraints: at most this many each */
#define MH_CA_DN_MAX 1024    /* a DN string or its DER */
#define MH_CA_URL_MAX 512

/* Makes 16 random bytes a serial: first byte 01xxxxxx, so the INTEGER is
 * positive, exactly 16 bytes long and minimally encoded (126 random bits). */
MH_PKI_API void mh_ca_serial_fix(uint8_t serial[MH_CA_SERIAL_LEN]);

/* ---- names ---------------------------------------------------------------
 * A DN is written as "CN=...,O=...,C=AZ": RDNs in the order they are encoded
 * (as OpenSSL's -subj and mbedTLS do, not RFC 4514's reversed order), '+'
 * between attributes of one multi-valued RDN, and '\' escaping ',', '+', '=',
 * '\', '"', ';', '<', '>', '#' and spaces in values. Types: CN, C, O, OU, L,
 * ST, street, serialNumber, title, GN, SN, DC, UID, emailAddress (or E),
 * organizationIdentifier, or a dotted OID. Values are UTF-8 and are written
 * as UTF8String, except C and serialNumber (PrintableString) and
 * emailAddress/DC (IA5String), so Azerbaijani and Cyrillic names round-trip.
 */

/* Writes the DER Name for a DN string into der (cap bytes). */
MH_PKI_API int mh_ca_name_encode(const char *dn, uint8_t *der, size_t cap,
                                 size_t *len) MH_WARN_UNUSED;
/* The other way, a DER Name to this syntax, is pki_x509.h's one name
 * printer: mh_x509_name_format(..., MH_X509_NAME_DN, ...). */
/* True when the DER Name has an attribute of type O. */
MH_PKI_API bool mh_ca_name_has_org(const uint8_t *der, size_t len);

/* ---- certificates -------------------------------------------------------- */

typedef struct mh_ca_issue_req {
    enum mh_ca_profile profile;
    /* Subject: a DN string, or a DER Name (e.g. taken from a CSR). */
    const char *subject;
    const uint8_t *subject_der;
    size_t subject_der_len;
    /* The subject's public key as DER SubjectPublicKeyInfo (EC P-256/P-384
     * or RSA of 2048 bits or more). For ROOT it must be the issuer key's. */
    const uint8_t *spki;
    size_t spki_len;
    /* The issuer's certificate (DER); NULL for a self-signed root. */
    const uint8_t *issuer_cert;
    size_t issuer_cert_len;
    /* The issuer's key: ECDSA or RSA PKCS#1 v1.5 (a token key through
     * mh_hsm_key_signer, or software). */
    const mh_signer *issuer_key;
    mbedtls_md_type_t md;             /* MBEDTLS_MD_NONE: SHA-384 for P-384, else SHA-256 */
    uint8_t serial[MH_CA_SERIAL_LEN]; /* from mh_ca_serial_fix */
    int64_t not_before, not_after;    /* seconds since 1970 UTC */
    int path_len;                     /* ISSUING: pathLenConstraint (-1: none) */
    /* Subject alternative names. */
    const char *const *dns;
    size_t n_dns;
    const char *const *ips; /* IPv4 or IPv6 text */
    size_t n_ips;
    const char *const *emails;
    size_t n_emails;
    /* ISSUING: permitted subtrees (name constraints). */
    const char *const *permit_dns;
    size_t n_permit_dns;
    const char *const *permit_email;
    size_t n_permit_email;
    const char *const *permit_dn; /* DN strings */
    size_t n_permit_dn;
    /* Certificate policy OIDs (dotted); none: the profile's default. */
    const char *const *policies;
    size_t n_policies;
    const char *crl_url; /* CRL distribution point URI, or NULL */
    const char *aia_url; /* AIA caIssuers URI, or NULL */
} mh_ca_issue_req;

/* Writes the certificate (DER) into out. Checks the request against the
 * profile (a TLS certificate needs a SAN, a seal needs O=, ...), signs it,
 * and verifies the signature with the issuer certificate's public key, so a
 * token key that does not belong to the CA certificate is caught here.
 * Errors leave a sentence with mh_err_set(). */
MH_PKI_API int mh_ca_issue(const mh_ca_issue_req *req, uint8_t *out, size_t cap,
                           size_t *len) MH_WARN_UNUSED;

/* Checks a PKCS#10 request (DER): it parses, and its signature verifies with
 * its own public key (proof of possession; ECDSA signatures must be
 * canonical DER). Returns the public key as SPKI DER and the raw subject
 * Name. Requested extensions are ignored: the profile decides. A forged
 * request gives MH_ERR_VERIFY_FAILED. */
MH_PKI_API int mh_ca_csr_check(const uint8_t *der, size_t len, uint8_t *spki, size_t spki_cap,
                               size_t *spki_len, uint8_t *subject, size_t subject_cap,
                               size_t *subject_len) MH_WARN_UNUSED;

/* ---- CRLs ---------------------------------------------------------------- */

enum mh_crl_reason {
    MH_CRL_UNSPECIFIED = 0,
    MH_CRL_KEY_COMPROMISE = 1,
    MH_CRL_CA_COMPROMISE = 2,
    MH_CRL_AFFILIATION_CHANGED = 3,
    MH_CRL_SUPERSEDED = 4,
    MH_CRL_CESSATION_OF_OPERATION = 5,
    MH_CRL_CERTIFICATE_HOLD = 6,
    MH_CRL_PRIVILEGE_WITHDRAWN = 9
};

/* RFC 5280 names ("keyCompromise", ...); -1 when unknown. */
MH_PKI_API int mh_crl_reason_from_name(const char *name);
MH_PKI_API const char *mh_crl_reason_name(int reason);

typedef struct mh_crl_entry {
    uint8_t serial[20];
    size_t serial_len;
    int64_t date;
    int reason; /* enum mh_crl_reason; UNSPECIFIED writes no reasonCode */
} mh_crl_entry;

typedef struct mh_crl_req {
    const uint8_t *issuer_cert; /* the CA certificate (DER) */
    size_t issuer_cert_len;
    const mh_signer *issuer_key;
    mbedtls_md_type_t md; /* as in mh_ca_issue_req */
    int64_t this_update, next_update;
    uint64_t crl_number;
    const mh_crl_entry *entries;
    size_t n_entries;
} mh_crl_req;

/* Writes a version 2 CRL (DER) with AKI and CRL number. *len may exceed
 * cap with MH_ERR_BUFFER_TOO_SMALL; mh_crl_size_max() gives a safe cap. */
MH_PKI_API int mh_crl_write(const mh_crl_req *req, uint8_t *out, size_t cap,
                            size_t *len) MH_WARN_UNUSED;
MH_PKI_API size_t mh_crl_size_max(size_t n_entries);

/* ---- helpers shared by the CA's files (also useful to callers) ----------- */

/* Dotted OID text to its DER contents (no tag/length); arcs of any size. */
MH_PKI_API int mh_ca_oid_encode(const char *dotted, uint8_t *out, size_t cap,
                                size_t *len) MH_WARN_UNUSED;
/* Seconds since 1970 to "YYYYMMDDHHMMSSZ" (16 bytes with the NUL). */
MH_PKI_API int mh_ca_time_format(int64_t t, char out[16]) MH_WARN_UNUSED;

/* ---- internal: shared by pki/ca/ca*.c and pki/ca/crlgen.c only ----------------- */
#ifdef MH_CA_INTERNAL
/* The signature hash for a signer (md may be NONE: the key's size decides). */
int mh_ca_sig_alg(const mh_signer *key, mbedtls_md_type_t *md);
/* Writes the signature AlgorithmIdentifier (backwards, as the writer does). */
int mh_ca_w_sigalg(mh_derw *w, const mh_signer *key, mbedtls_md_type_t md);
/* Signs tbs and writes SEQUENCE { tbs, sigAlg, BIT STRING sig } into out
 * (at its start), then checks the signature with the public key
 * verify_spki (the issuer certificate's), so a key that is not the CA's is
 * caught before anything leaves. */
int mh_ca_sign_wrap(const mh_signer *key, mbedtls_md_type_t md, const uint8_t *tbs, size_t tbs_len,
                    const uint8_t *verify_spki, size_t verify_spki_len, uint8_t *out, size_t cap,
                    size_t *len);
/* The subject public key BIT STRING contents of an SPKI, for SKI/AKI. */
int mh_ca_key_id(const uint8_t *spki, size_t len, uint8_t id[20]);
#endif

#endif
