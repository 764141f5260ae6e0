/* pki_x509.h - part of mh_pki.h: X.509 certificates and CRLs (RFC 5280),
 * parsed with the mh_der reader into caller-owned structs whose byte fields
 * point into the input (nothing is copied, nothing allocated: keep the input
 * alive as long as the struct), and certification path building and
 * validation per RFC 5280 section 6 with CRLs.
 *
 * Caps (a certificate with more is refused with a clear error rather than
 * processed in part) are generous, so real certificates pass: lists that
 * are kept as their encoding and read back with an iterator (GeneralNames,
 * name-constraint subtrees, access descriptions) may hold up to
 * MH_X509_MAX_GNAMES, MH_X509_MAX_SUBTREES, MH_X509_MAX_AIA entries; lists
 * copied into arrays hold MH_X509_MAX_ATTRS attributes in a name,
 * MH_X509_MAX_POLICIES policies, MH_X509_MAX_MAPPINGS policy mappings,
 * MH_X509_MAX_EKU key purposes, MH_X509_MAX_DPS distribution points;
 * MH_X509_MAX_CERT bytes for a certificate.
 *
 * Accepted non-DER encodings (docs/x509.md lists each with its reason):
 * an explicit cA FALSE in basicConstraints, an explicit critical FALSE in
 * an extension, an explicit minimum 0 in a GeneralSubtree, a policy listed
 * twice, policy qualifiers of any shape. Everything else is strict DER. */
#ifndef MH_PKI_X509_H
#define MH_PKI_X509_H

#include "pki_base.h"
#include "pki_der.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MH_X509_MAX_CERT ((size_t)64 * 1024)
#define MH_X509_MAX_CRL ((size_t)16 * 1024 * 1024)
#define MH_X509_MAX_ATTRS 64
#define MH_X509_MAX_POLICIES 64
#define MH_X509_MAX_MAPPINGS 64
#define MH_X509_MAX_SUBTREES 1024
#define MH_X509_MAX_GNAMES 1024
#define MH_X509_MAX_EKU 32
#define MH_X509_MAX_DPS 16
#define MH_X509_MAX_AIA 1024
/* Longest path: target, up to 9 intermediates, the trust anchor. */
#define MH_PATH_MAX_DEPTH 10

/* A span of bytes inside the parsed input. */
typedef struct mh_x509_span {
    const uint8_t *p;
    size_t len;
} mh_x509_span;

/* ---- names -------------------------------------------------------------- */

typedef struct mh_x509_attr {
    mh_x509_span oid; /* OID contents (no tag or length) */
    uint8_t tag;      /* the value's string type (MH_DER_UTF8_STRING, ...) */
    mh_x509_span val; /* the value's contents */
    uint16_t rdn;     /* index of the RDN it belongs to (0 = first in DER) */
} mh_x509_attr;

typedef struct mh_x509_name {
    mh_x509_span raw; /* the whole Name (SEQUENCE, tag and length included) */
    uint16_t n_rdns;
    uint16_t n_attrs;
    mh_x509_attr attrs[MH_X509_MAX_ATTRS];
} mh_x509_name;

/* Parses a Name from its whole DER encoding. */
MH_PKI_API int mh_x509_name_parse(mh_x509_name *n, const uint8_t *der, size_t len);
/* RFC 5280 7.1 comparison: RDN by RDN (multi-valued RDNs as sets).
 * Values of the string types (UTF8String, PrintableString, IA5String,
 * TeletexString as Latin-1, VisibleString, NumericString, BMPString,
 * UniversalString) are decoded to characters, case folded and white space
 * folded (leading/trailing removed, runs made one space; RFC 4518), so
 * the same text in two string types is equal and domainComponent or
 * emailAddress compare without case; other types byte for byte.
 * mh_x509_name_parse() refuses a multi-valued RDN whose SET OF is not in
 * DER order. */
MH_PKI_API bool mh_x509_name_eq(const mh_x509_name *a, const mh_x509_name *b);
/* Same, on two whole Name encodings (false if either does not parse). */
MH_PKI_API bool mh_x509_name_eq_der(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* The one name printer, in three styles:
 *   MH_X509_NAME_RFC4514  most specific RDN first, ",": "CN=Good CA,O=Test,C=US"
 *   MH_X509_NAME_TEXT     as encoded, ", ": "C=US, O=Test, CN=Good CA", for a
 *                         signer's name shown to people
 *   MH_X509_NAME_DN       as encoded, ",", the DN syntax of pki_ca.h that
 *                         mh_ca_name_encode() reads back (the CA database,
 *                         the appliance's subjects)
 * In the first two, UTF-8 (and BMP/Universal strings) are kept, control
 * bytes and invalid UTF-8 become '?', and the text is cut with "..." when
 * it does not fit; they always succeed. DN is strict: a string type other
 * than UTF8/Printable/IA5/BMP is MH_ERR_UNSUPPORTED, invalid UTF-8 or a
 * control character MH_ERR_PARSE, no room MH_ERR_BUFFER_TOO_SMALL (out is
 * then empty). Always NUL-terminates. */
enum mh_x509_name_style { MH_X509_NAME_RFC4514, MH_X509_NAME_TEXT, MH_X509_NAME_DN };
MH_PKI_API int mh_x509_name_format(const mh_x509_name *n, enum mh_x509_name_style style, char *out,
                                   size_t cap);
/* The same from a whole DER Name (MH_ERR_PARSE when it does not parse). */
MH_PKI_API int mh_x509_name_format_der(const uint8_t *der, size_t len,
                                       enum mh_x509_name_style style, char *out,
                                       size_t cap) MH_WARN_UNUSED;
/* mh_x509_name_format(n, MH_X509_NAME_RFC4514, ...). */
MH_PKI_API void mh_x509_name_str(const mh_x509_name *n, char *out, size_t cap);
/* A short label for messages: "CN=<common name>" if there is one, else the
 * full text as above. */
MH_PKI_API void mh_x509_name_short(const mh_x509_name *n, char *out, size_t cap);

/* ---- general names ------------------------------------------------------ */

enum mh_x509_gn_type {
    MH_GN_OTHER = 0,
    MH_GN_EMAIL = 1, /* rfc822Name */
    MH_GN_DNS = 2,
    MH_GN_X400 = 3,
    MH_GN_DIRNAME = 4,
    MH_GN_EDI = 5,
    MH_GN_URI = 6,
    MH_GN_IP = 7,
    MH_GN_RID = 8
};

typedef struct mh_x509_gn {
    uint8_t type;     /* enum mh_x509_gn_type */
    mh_x509_span val; /* contents; for MH_GN_DIRNAME the whole Name SEQUENCE */
} mh_x509_gn;

/* GeneralNames kept as the contents of their SEQUENCE (checked at parse
 * time, at most MH_X509_MAX_GNAMES), read back with mh_x509_gn_next(). */
typedef struct mh_x509_gnames {
    mh_x509_span raw;
    uint16_t count;
} mh_x509_gnames;

/* Iterates over GeneralNames: mh_der_init(&d, g->raw.p, g->raw.len), then
 * mh_x509_gn_next(&d, &gn) until it returns MH_ERR_NOT_FOUND. */
MH_PKI_API int mh_x509_gn_next(mh_der *d, mh_x509_gn *gn);

/* ---- certificates ------------------------------------------------------- */

/* Extensions a certificate or CRL may carry (bits of ext_present). */
enum mh_x509_ext {
    MH_EXT_BASIC_CONSTRAINTS = 1u << 0,
    MH_EXT_KEY_USAGE = 1u << 1,
    MH_EXT_EXT_KEY_USAGE = 1u << 2,
    MH_EXT_SKI = 1u << 3,
    MH_EXT_AKI = 1u << 4,
    MH_EXT_POLICIES = 1u << 5,
    MH_EXT_POLICY_MAPPINGS = 1u << 6,
    MH_EXT_POLICY_CONSTRAINTS = 1u << 7,
    MH_EXT_INHIBIT_ANY = 1u << 8,
    MH_EXT_NAME_CONSTRAINTS = 1u << 9,
    MH_EXT_SAN = 1u << 10,
    MH_EXT_IAN = 1u << 11,
    MH_EXT_CRLDP = 1u << 12,
    MH_EXT_AIA = 1u << 13,
    MH_EXT_FRESHEST_CRL = 1u << 14,
    MH_EXT_SIA = 1u << 15,
    /* CRL extensions */
    MH_EXT_CRL_NUMBER = 1u << 16,
    MH_EXT_IDP = 1u << 17,
    MH_EXT_DELTA_CRL = 1u << 18
};

/* keyUsage bits (RFC 5280 4.2.1.3), as flags of key_usage. */
enum mh_x509_ku {
    MH_KU_DIGITAL_SIGNATURE = 1u << 0,
    MH_KU_NON_REPUDIATION = 1u << 1,
    MH_KU_KEY_ENCIPHERMENT = 1u << 2,
    MH_KU_DATA_ENCIPHERMENT = 1u << 3,
    MH_KU_KEY_AGREEMENT = 1u << 4,
    MH_KU_KEY_CERT_SIGN = 1u << 5,
    MH_KU_CRL_SIGN = 1u << 6,
    MH_KU_ENCIPHER_ONLY = 1u << 7,
    MH_KU_DECIPHER_ONLY = 1u << 8
};

/* ReasonFlags bits (RFC 5280 4.2.1.13) and CRLReason codes. */
#define MH_REASONS_ALL 0x1feu /* keyCompromise .. aACompromise */
enum mh_x509_reason {
    MH_REASON_NONE = -1, /* no reasonCode extension */
    MH_REASON_UNSPECIFIED = 0,
    MH_REASON_KEY_COMPROMISE = 1,
    MH_REASON_CA_COMPROMISE = 2,
    MH_REASON_AFFILIATION_CHANGED = 3,
    MH_REASON_SUPERSEDED = 4,
    MH_REASON_CESSATION = 5,
    MH_REASON_CERTIFICATE_HOLD = 6,
    MH_REASON_REMOVE_FROM_CRL = 8,
    MH_REASON_PRIVILEGE_WITHDRAWN = 9,
    MH_REASON_AA_COMPROMISE = 10
};
/* "keyCompromise", ...; "unspecified" for unknown values. */
MH_PKI_API const char *mh_x509_reason_name(int reason);

typedef struct mh_x509_policy {
    mh_x509_span oid; /* OID contents */
    bool has_qualifiers;
} mh_x509_policy;

typedef struct mh_x509_mapping {
    mh_x509_span issuer_policy, subject_policy; /* OID contents */
} mh_x509_mapping;

/* A DistributionPoint (CRLDP) or the name part of an IssuingDistributionPoint. */
typedef struct mh_x509_dp {
    bool has_full_name;
    mh_x509_gnames full_name;
    bool has_relative_name;
    mh_x509_span relative_name; /* RelativeDistinguishedName SET, whole */
    bool has_reasons;
    uint16_t reasons; /* ReasonFlags bits: bit n = 1u << n */
    bool has_crl_issuer;
    mh_x509_gnames crl_issuer;
} mh_x509_dp;

typedef struct mh_x509_access {
    mh_x509_span method; /* OID contents: id-ad-ocsp, id-ad-caIssuers, ... */
    mh_x509_gn location;
} mh_x509_access;

typedef struct mh_x509_cert {
    mh_x509_span raw;     /* the whole certificate */
    mh_x509_span tbs;     /* TBSCertificate, whole: what the signature covers */
    unsigned version;     /* 1, 2 or 3 */
    mh_x509_span serial;  /* INTEGER contents (two's complement) */
    mh_x509_span sig_alg; /* AlgorithmIdentifier, whole (inner = outer) */
    mh_x509_span sig;     /* signature BIT STRING bytes */
    mh_x509_name issuer, subject;
    int64_t not_before, not_after; /* seconds since 1970 UTC */
    mh_x509_span spki;             /* SubjectPublicKeyInfo, whole */
    mh_x509_span spki_alg;         /* its algorithm OID contents */
    mh_x509_span spki_params;      /* its parameters, whole (may be empty) */
    mh_x509_span spki_key;         /* subjectPublicKey bytes */

    uint32_t ext_present;  /* enum mh_x509_ext */
    uint32_t ext_critical; /* which of those were marked critical */
    /* An extension we do not know was marked critical: the certificate must
     * not be used for anything (path validation says MH_ERR_CRITICAL_EXT). */
    bool unknown_critical;
    mh_x509_span unknown_critical_oid;

    bool is_ca;
    bool has_path_len;
    unsigned path_len;
    uint16_t key_usage; /* enum mh_x509_ku, valid when MH_EXT_KEY_USAGE */
    uint16_t n_eku;
    mh_x509_span eku[MH_X509_MAX_EKU]; /* OID contents */
    mh_x509_span ski;                  /* keyIdentifier bytes */
    bool has_aki_keyid;
    mh_x509_span aki_keyid;
    mh_x509_gnames aki_issuer;
    mh_x509_span aki_serial;

    uint16_t n_policies;
    mh_x509_policy policies[MH_X509_MAX_POLICIES];
    uint16_t n_mappings;
    mh_x509_mapping mappings[MH_X509_MAX_MAPPINGS];
    bool has_require_explicit, has_inhibit_mapping;
    unsigned require_explicit, inhibit_mapping;
    unsigned inhibit_any; /* valid when MH_EXT_INHIBIT_ANY */
    /* nameConstraints: the contents of permittedSubtrees and
     * excludedSubtrees (checked at parse time), read with
     * mh_x509_subtree_next() */
    uint16_t n_permitted, n_excluded;
    mh_x509_span permitted, excluded;
    mh_x509_gnames san, ian;
    uint16_t n_dps;
    mh_x509_dp dps[MH_X509_MAX_DPS];
    /* authorityInfoAccess contents, read with mh_x509_access_next() */
    uint16_t n_aia;
    mh_x509_span aia;
} mh_x509_cert;

/* Iterates over GeneralSubtrees (c->permitted or c->excluded, with
 * mh_der_init) giving each base name; MH_ERR_NOT_FOUND at the end. */
MH_PKI_API int mh_x509_subtree_next(mh_der *d, mh_x509_gn *base);
/* Iterates over c->aia; MH_ERR_NOT_FOUND at the end. */
MH_PKI_API int mh_x509_access_next(mh_der *d, mh_x509_access *a);

/* Parses one DER certificate (at most MH_X509_MAX_CERT bytes; trailing
 * bytes refused). Checks the structure and every extension we know, the
 * inner and outer signature algorithms being equal, duplicate extensions;
 * does not check the signature. On failure mh_err_set() says what was
 * wrong (MH_ERR_PARSE, MH_ERR_TOO_LARGE for a cap, MH_ERR_UNSUPPORTED). */
MH_PKI_API int mh_x509_cert_parse(mh_x509_cert *c, const uint8_t *der, size_t len);
/* Whether der is one certificate mh_x509_cert_parse() takes (0 or its
 * error), without keeping the parse: for callers that only check. */
MH_PKI_API int mh_x509_cert_check(const uint8_t *der, size_t len) MH_WARN_UNUSED;
/* The subject of a DER certificate, printed in a style of
 * mh_x509_name_format(); the error of parsing or printing (out is then
 * empty). */
MH_PKI_API int mh_x509_cert_subject(const uint8_t *der, size_t len, enum mh_x509_name_style style,
                                    char *out, size_t cap);
/* The certificate's extended key usage holds exactly one purpose, oid
 * (contents), and, with `critical`, is marked critical: what RFC 3161 2.3
 * asks of a timestamp authority. */
MH_PKI_API bool mh_x509_eku_only(const mh_x509_cert *c, const uint8_t *oid, size_t oid_len,
                                 bool critical);
/* Subject equals issuer (RFC 5280 7.1 comparison). */
MH_PKI_API bool mh_x509_cert_self_issued(const mh_x509_cert *c);
/* The name of the signature algorithm ("ecdsa-with-SHA256", ...). */
MH_PKI_API const char *mh_x509_sig_alg_name(const mh_x509_span *alg);
/* Key type and size from the SPKI: "EC P-256", "RSA 2048", ... */
MH_PKI_API void mh_x509_key_desc(const mh_x509_cert *c, char *out, size_t cap);
/* A dotted OID (or its well-known name when `named`) from OID contents. */
MH_PKI_API void mh_x509_oid_str(const mh_x509_span *oid, bool named, char *out, size_t cap);
/* Checks a signature made with the key in spki (a whole SPKI) over data,
 * with the algorithm sigalg (a whole AlgorithmIdentifier). ECDSA signatures
 * must be canonical DER. MD2/MD5 are refused; DSA and others are
 * MH_ERR_UNSUPPORTED_ALG. */
MH_PKI_API MH_WARN_UNUSED int mh_x509_check_signature(const mh_x509_span *spki,
                                                      const mh_x509_span *sigalg,
                                                      const uint8_t *data, size_t len,
                                                      const mh_x509_span *sig);

/* ---- CRLs --------------------------------------------------------------- */

typedef struct mh_x509_crl {
    mh_x509_span raw, tbs;
    unsigned version; /* 1 or 2 */
    mh_x509_span sig_alg;
    mh_x509_span sig;
    mh_x509_name issuer;
    int64_t this_update;
    bool has_next_update;
    int64_t next_update;
    mh_x509_span revoked; /* contents of revokedCertificates (may be empty) */
    size_t n_revoked;

    uint32_t ext_present;
    uint32_t ext_critical;
    bool unknown_critical;       /* an unknown critical CRL extension */
    bool entry_unknown_critical; /* an entry with an unknown critical extension */
    mh_x509_span unknown_critical_oid;
    mh_x509_span crl_number; /* INTEGER contents */
    mh_x509_span delta_base; /* deltaCRLIndicator's BaseCRLNumber contents */
    mh_x509_span aki_keyid;
    bool has_aki_keyid;
    /* issuingDistributionPoint */
    bool has_idp_name;
    mh_x509_dp idp; /* full_name / relative_name / reasons (onlySomeReasons) */
    bool only_user, only_ca, only_attr, indirect;
} mh_x509_crl;

typedef struct mh_x509_crl_entry {
    mh_x509_span serial; /* INTEGER contents */
    int64_t date;
    int reason; /* enum mh_x509_reason */
    bool has_invalidity_date;
    int64_t invalidity_date;
    /* The certificate issuer this entry is about (indirect CRLs: the last
     * certificateIssuer seen, else the CRL issuer: has_cert_issuer false). */
    bool has_cert_issuer;
    mh_x509_gnames cert_issuer;
} mh_x509_crl_entry;

typedef struct mh_x509_crl_iter {
    mh_der d;
    bool has_cert_issuer;
    mh_x509_gnames cert_issuer;
} mh_x509_crl_iter;

/* Parses one DER CRL (at most MH_X509_MAX_CRL bytes). Every entry is read
 * and checked here; entries are read again with the iterator. */
MH_PKI_API int mh_x509_crl_parse(mh_x509_crl *crl, const uint8_t *der, size_t len);
MH_PKI_API void mh_x509_crl_iter_init(mh_x509_crl_iter *it, const mh_x509_crl *crl);
/* 0 and the next entry, MH_ERR_NOT_FOUND at the end. */
MH_PKI_API int mh_x509_crl_next(mh_x509_crl_iter *it, mh_x509_crl_entry *e);

/* ---- name constraints (used by path validation; exposed for tests) ------ */

/* Whether a name lies within a subtree of the same type (every name a
 * wildcard dNSName stands for must lie within): 1 yes, 0 no,
 * MH_ERR_PARSE for a name or subtree that is not well-formed for its type
 * (a dNSName that is not a host name, an rfc822Name that is not a
 * mailbox, a URI without a host name, an IP mask that is not a prefix),
 * MH_ERR_UNSUPPORTED for a type we cannot compare. An IPv4-mapped IPv6
 * address is within IPv6 subtrees only. */
MH_PKI_API int mh_x509_gn_within(const mh_x509_gn *name, const mh_x509_gn *subtree);
/* The same for an excluded subtree: 1 when the name, or any name a
 * wildcard stands for, lies within it; an IPv4-mapped IPv6 address is
 * also compared as the IPv4 address (and an IPv4 address with IPv6
 * subtrees as its mapped form). */
MH_PKI_API int mh_x509_gn_overlaps(const mh_x509_gn *name, const mh_x509_gn *subtree);
/* Checks a name-constraint base for its type: 0 or MH_ERR_PARSE. */
MH_PKI_API int mh_x509_subtree_check(const mh_x509_gn *base);
/* An SmtpUTF8Mailbox (RFC 9598) otherName: 1 and its UTF-8 mailbox in
 * *mbox, or 0 for any other name. */
MH_PKI_API int mh_x509_gn_smtputf8(const mh_x509_gn *gn, mh_x509_span *mbox);

/* ---- the signature cache (the server case) -------------------------------
 *
 * A bounded, thread-safe cache of certificate and CRL signatures that
 * verified, for a process that validates paths from the same authorities
 * again and again (a server). An entry is keyed by SHA-256 over the
 * issuer's whole SubjectPublicKeyInfo, the whole signature
 * AlgorithmIdentifier, the signature and the SHA-256 of the signed bytes:
 * a hit is the same check a fresh verification would pass. Only passed
 * checks are kept; validity, names, constraints, policies, key usage and
 * revocation are decided afresh every time (a revoked certificate is
 * refused however often its signature was seen). Off by default.
 * mh_path_validate() and mh_x509_check_signature() use it when it is on. */
#define MH_X509_SIGCACHE_MAX ((size_t)1 << 20)
/* entries: 0 turns it off; otherwise the most it holds (at most
 * MH_X509_SIGCACHE_MAX; rounded up to a multiple of 4). Empties it and
 * zeroes the counters. 0, MH_ERR_INVALID_ARG or MH_ERR_NOMEM. */
MH_PKI_API int mh_x509_sigcache_set(size_t entries);
typedef struct mh_x509_sigcache_stats {
    size_t capacity, entries;
    uint64_t hits, misses, stored;
} mh_x509_sigcache_stats;
MH_PKI_API void mh_x509_sigcache_stats_get(mh_x509_sigcache_stats *out);

/* ---- path validation ---------------------------------------------------- */

enum mh_path_purpose {
    MH_PURPOSE_ANY = 0,   /* no key usage or EKU requirement on the target */
    MH_PURPOSE_DOCUMENT,  /* document signing: EKU emailProtection or
                             documentSigning, or no EKU and nonRepudiation */
    MH_PURPOSE_TIMESTAMP, /* RFC 3161: critical EKU with timeStamping only */
    MH_PURPOSE_CRL,       /* a CRL signer: keyUsage cRLSign */
    MH_PURPOSE_TLS        /* a TLS server: serverAuth */
};

enum mh_path_revocation {
    MH_REV_NONE = 0,     /* CRLs are not looked at */
    MH_REV_IF_AVAILABLE, /* a CRL that covers a certificate is used; none is fine */
    MH_REV_REQUIRE       /* every certificate must be covered by a valid, current CRL */
};

typedef struct mh_path_params {
    int64_t time; /* seconds since 1970 UTC */
    enum mh_path_purpose purpose;
    enum mh_path_revocation revocation;
    /* user-initial-policy-set (OID contents); none means anyPolicy */
    const mh_x509_span *policies;
    size_t n_policies;
    bool explicit_policy; /* initial-explicit-policy */
    bool inhibit_mapping; /* initial-policy-mapping-inhibit */
    bool inhibit_any;     /* initial-any-policy-inhibit */
    const char *role;     /* how messages call the target ("the notary's
                             certificate"); NULL: "the certificate" */
    /* A check made now of a signature made earlier: CRLs must be current at
     * crl_time (0: at time), and a revocation (or hold) dated after
     * poe_time, a proven time the signature existed at (a timestamp), does
     * not count against it (0: every listed revocation counts). */
    int64_t crl_time;
    int64_t poe_time;
    /* A CRL issued after crl_time also tells the status at crl_time (a
     * validation at a proven past time with the CRLs gathered since, as
     * PAdES B-LT documents carry them): such a CRL is used whatever its
     * nextUpdate, unless it was issued after the certificate it would
     * cover had expired (a CA may drop expired certificates from its
     * CRLs). Off: a CRL must be current at crl_time. */
    bool crl_after_ok;
    /* RFC 3280's profile where RFC 5280 tightened it: basicConstraints and
     * policyConstraints may be non-critical in CA certificates. Off by
     * default (RFC 5280, as OpenSSL's -x509_strict); NIST PKITS, written
     * for RFC 3280, is run with it on. */
    bool legacy_profile;
} mh_path_params;

typedef struct mh_path_input {
    const mh_x509_cert *target;
    const mh_x509_cert *const *anchors; /* trusted */
    size_t n_anchors;
    const mh_x509_cert *const *pool; /* untrusted intermediates (and CRL signers) */
    size_t n_pool;
    const mh_x509_crl *const *crls;
    size_t n_crls;
} mh_path_input;

typedef struct mh_path_result {
    int err;          /* 0 or MH_ERR_* */
    int failed_index; /* 0 = target, 1 = its issuer, ...; -1 when none */
    char reason[384]; /* a sentence a person can read */
    size_t len;       /* chain: target first, trust anchor last */
    const mh_x509_cert *chain[MH_PATH_MAX_DEPTH + 1];
} mh_path_result;

/* Work space for a validation (the policy tree and building state); about
 * 100 KB: allocate it once (static or heap) and reuse it. */
typedef struct mh_path_work mh_path_work;
MH_PKI_API size_t mh_path_work_size(void);

/* Builds paths from the target to a trust anchor through the pool (name
 * chaining with AKI/SKI, alternatives tried on failure, at most
 * MH_PATH_MAX_DEPTH certificates) and validates them per RFC 5280 6.1 and
 * 6.3 (CRLs). Returns 0 when a path is valid; else res->err, with
 * res->reason saying why (for the path that got furthest). */
MH_PKI_API MH_WARN_UNUSED int mh_path_validate(mh_path_work *work, const mh_path_input *in,
                                               const mh_path_params *params, mh_path_result *res);

/* "YYYY-MM-DD" (UTC) for messages; out needs 11 bytes or more. */
MH_PKI_API void mh_x509_date_str(int64_t t, char *out, size_t cap);

#endif
