/* x509_ext.h - internal to pki/: helpers the certificate and CRL parsers
 * share. */
#ifndef MH_X509_EXT_H
#define MH_X509_EXT_H

#include "pki_x509.h"

/* Sets a readable parse error and returns MH_ERR_PARSE. */
int mh_x509_bad(const char *what, const char *detail);
/* Reads GeneralNames (the whole SEQUENCE element e) into g, checking each. */
int mh_x509_gnames_read(const mh_der_elem *e, mh_x509_gnames *g);
/* Reads a DistributionPointName ([0] fullName / [1] relative) element. */
int mh_x509_dpname_read(const mh_der_elem *e, mh_x509_dp *dp);
/* Reads a ReasonFlags BIT STRING into bit flags (bit n = 1u << n). */
int mh_x509_reasons_read(const mh_der_elem *e, uint16_t *flags);
/* Reads an AuthorityKeyIdentifier. */
int mh_x509_aki_read(const mh_der_elem *octets, mh_x509_span *keyid, bool *has_keyid,
                     mh_x509_gnames *issuer, mh_x509_span *serial);
/* The RDNs of `sub` are the first RDNs of `n` (RFC 5280 7.1 comparison). */
bool mh_x509_name_prefix(const mh_x509_name *n, const mh_x509_name *sub);
/* Host-name syntax (RFC 1034 3.5 as RFC 5280 4.2.1.6 asks, RFC 1123
 * digits): labels of 1-63 letters, digits, hyphens (none first or last),
 * at most 253 octets, the last label not all digits (an IPv4 address).
 * MH_HOST_WILDCARD: the first label may be "*"; MH_HOST_UNDERSCORE: '_'
 * allowed (SRV-style labels found in certificates outside constraints). */
#define MH_HOST_WILDCARD 1u
#define MH_HOST_UNDERSCORE 2u
bool mh_x509_host_ok(const uint8_t *s, size_t n, unsigned flags);
bool mh_x509_span_eq(const mh_x509_span *a, const mh_x509_span *b);
bool mh_x509_oid_eq(const mh_x509_span *a, const uint8_t *oid, size_t len);

/* The signature cache (sigcache.c, pki_x509.h): is it on; the key of a
 * check (SHA-256 over the whole SPKI, the whole AlgorithmIdentifier, the
 * signature and the SHA-256 of the signed bytes, each with its length);
 * was that check seen to pass; remember that it passed. */
bool mh_x509_sigcache_on(void);
void mh_x509_sigcache_key(const mh_x509_span *spki, const mh_x509_span *alg,
                          const uint8_t tbs_sha256[32], const mh_x509_span *sig, uint8_t key[32]);
bool mh_x509_sigcache_lookup(const uint8_t key[32]);
void mh_x509_sigcache_store(const uint8_t key[32]);

#define MH_OID(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

#endif
