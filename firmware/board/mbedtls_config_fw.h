/* mbedtls_config_fw.h - the firmware's mbedTLS 2.28 configuration
 * (MBEDTLS_CONFIG_FILE): ECDSA P-256 verification and SHA-256, nothing
 * else. No heap: mbedTLS's bignums allocate from a static pool
 * (MBEDTLS_MEMORY_BUFFER_ALLOC_C, set up by the board), and the default
 * calloc/free are stubs that fail, so libc's malloc is never linked (the
 * build checks with nm). */
#ifndef MH_MBEDTLS_CONFIG_FW_H
#define MH_MBEDTLS_CONFIG_FW_H

#define MBEDTLS_HAVE_ASM /* bn_mul.h's Thumb-2 multiply-accumulate */
#define MBEDTLS_NO_UDBL_DIVISION
#define MBEDTLS_NO_PLATFORM_ENTROPY

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* verification uses no secret: no blinding RNG is needed */
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ASN1_PARSE_C /* ecdsa.c's prerequisites; unused code is dropped */
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER

#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#include <stddef.h>
void *mh_fw_no_calloc(size_t n, size_t size);
void mh_fw_no_free(void *p);
#define MBEDTLS_PLATFORM_STD_CALLOC mh_fw_no_calloc
#define MBEDTLS_PLATFORM_STD_FREE mh_fw_no_free

/* RAM against time: a window of 4 keeps the precomputed points few (the
 * budget is 16 KiB); the comb for G is computed per verification */
#define MBEDTLS_ECP_WINDOW_SIZE 4
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_MPI_WINDOW_SIZE 1
#define MBEDTLS_MPI_MAX_SIZE 64

#include "mbedtls/check_config.h"

#endif
