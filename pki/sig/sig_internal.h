/* sig_internal.h - shared between pki/sig*.c; not part of the public API. */
#ifndef MH_SIG_INTERNAL_H
#define MH_SIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>

/* The DER contents of a hash OID (for DigestInfo), or MH_ERR_UNSUPPORTED_ALG. */
int mh_sig_hash_oid(mbedtls_md_type_t md, const uint8_t **oid, size_t *len);

#endif
