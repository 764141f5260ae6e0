/* pki_ed25519.h - part of mh_pki.h: Ed25519 signature verification
 * (RFC 8032 5.1.7) in portable C: no allocation, no global state, SHA-512
 * from mbedTLS. Verification handles no secrets, so it runs in variable time.
 *
 * The rule is the strict cofactorless one (as libsodium's): a signature
 * verifies when [S]B == R + [k]A exactly, with k = SHA-512(R || A || M) mod
 * L, and is refused outright when
 *   - S >= L (a malleable, non-canonical scalar),
 *   - A or R is not a canonical point encoding (y >= p, or x = 0 with the
 *     sign bit set) or not a point on the curve,
 *   - A or R has small order (one of the 8 torsion points: such a key or
 *     commitment lets many messages verify).
 * Other implementations (Go's crypto/ed25519, ZIP 215) accept some of these;
 * no honest signer ever produces them. */
#ifndef MH_PKI_ED25519_H
#define MH_PKI_ED25519_H

#include "pki_base.h"

#include <stddef.h>
#include <stdint.h>

#define MH_ED25519_PUB_LEN 32
#define MH_ED25519_SIG_LEN 64

/* 0 when sig is a valid signature of msg by pub, else MH_ERR_VERIFY_FAILED
 * (MH_ERR_INVALID_ARG for NULL pointers). */
MH_PKI_API int mh_ed25519_verify(const uint8_t pub[MH_ED25519_PUB_LEN], const uint8_t *msg,
                                 size_t len, const uint8_t sig[MH_ED25519_SIG_LEN]) MH_WARN_UNUSED;

/* The same over prefix || msg, without copying them together (a
 * tlog-cosignature signs a short prefix followed by the checkpoint). */
MH_PKI_API int mh_ed25519_verify2(const uint8_t pub[MH_ED25519_PUB_LEN], const uint8_t *prefix,
                                  size_t prefix_len, const uint8_t *msg, size_t len,
                                  const uint8_t sig[MH_ED25519_SIG_LEN]) MH_WARN_UNUSED;

#endif
