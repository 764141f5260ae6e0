/* common_rng.h - part of mh_common.h: randomness.
 *
 * The kernel's CSPRNG (getrandom(2)) and nothing else: no generator state
 * to seed, share between threads or reseed after fork. Serial numbers,
 * key IDs, nonces and software keys' signatures all draw from here. */
#ifndef MH_COMMON_RNG_H
#define MH_COMMON_RNG_H

#include <stddef.h>

/* Fills buf with len random bytes. MH_ERR_INTERNAL (with a sentence) when
 * the kernel will not give them. */
int mh_rng_bytes(void *buf, size_t len) MH_WARN_UNUSED;
/* The same with mbedTLS's f_rng signature (ctx unused; returns 0 or -1),
 * for software keys in tests, benchmarks and key files. */
int mh_rng_mbedtls(void *ctx, unsigned char *buf, size_t len);

#endif
