/*
 * mh_hash.h - SHA-256 of large inputs (whole documents).
 *
 * pki/ hashes with mbedTLS, which is portable (the firmware needs that) but
 * runs at about 200 MB/s here. The appliance hashes whole documents, up to
 * hundreds of megabytes, so host code uses OpenSSL's libcrypto for that:
 * it uses the CPU's SHA extensions where there are some (1.7 GB/s on this
 * machine). The result is the same SHA-256; the tests compare the two.
 */
#ifndef MH_HASH_H
#define MH_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mh_common.h"

/* SHA-256 of the concatenation of n parts. 0, or MH_ERR_INTERNAL if
 * libcrypto fails (it does not, short of running out of memory). */
int mh_hash_sha256_parts(const uint8_t *const *part, const size_t *len, size_t n, uint8_t out[32]);
int mh_hash_sha256(const uint8_t *p, size_t len, uint8_t out[32]);
/* As mh_hash_sha256_parts, and in the same pass the SHA-256 of the first
 * prefix_len bytes of the first part (prefix_len <= len[0]) into
 * prefix_out: a signed PDF's byte range and its original bytes (a prefix
 * of it) are hashed by reading the document once. */
int mh_hash_sha256_parts_prefix(const uint8_t *const *part, const size_t *len, size_t n,
                                size_t prefix_len, uint8_t out[32], uint8_t prefix_out[32]);

/* The size of a digest of md (SHA-256, SHA-384, SHA-512: 32, 48, 64;
 * 0 for any other). */
size_t mh_hash_md_size(mbedtls_md_type_t md);
/* The digest of md over p into out (cap bytes, at least mh_hash_md_size).
 * MH_ERR_INVALID_ARG for another hash or a small out. */
int mh_hash_md(mbedtls_md_type_t md, const uint8_t *p, size_t len, uint8_t *out, size_t cap,
               size_t *out_len);
/* SHA-256 of a stream read to its end, and its length. MH_ERR_IO when a
 * read fails. */
int mh_hash_sha256_stream(FILE *f, uint8_t out[32], uint64_t *len);

#endif
