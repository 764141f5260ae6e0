/*
 * mh_common.h - the floor every part of mohur stands on: the one error type
 * (below), secret memory, and in section headers included at the end (none
 * is included on its own): byte spans, byte order and hex
 * (common_bytes.h), UTF-8 (common_text.h), strict base64 and base32
 * (common_codec.h), files and the PIN-file policy (common_file.h),
 * randomness (common_rng.h) and the one signing interface, mh_signer
 * (common_signer.h).
 *
 * Every function in mohur that can fail returns an int: 0 (MH_OK) for success
 * or one of the negative MH_ERR_* codes below. mh_strerror() turns a code into
 * a sentence that says what went wrong and what to do. A function may leave a
 * more specific sentence for the current thread, bound to the code it
 * explains: mh_err_set(code, ...), usually as `return mh_err_set(MH_ERR_X,
 * "...")`. Callers print mh_err_message(code), which gives that sentence
 * only when it was left for this very code, else mh_strerror(code): a
 * sentence left by an earlier, handled error can never explain a later error
 * of another kind, so nobody needs to clear it first. Neither ever contains
 * a PIN or key material.
 */
#ifndef MH_COMMON_H
#define MH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define MH_WARN_UNUSED __attribute__((warn_unused_result))
#define MH_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum mh_err {
    MH_OK = 0,
    MH_ERR_NOMEM = -1,
    MH_ERR_INVALID_ARG = -2,
    MH_ERR_IO = -3,
    MH_ERR_PARSE = -4,
    MH_ERR_TOO_LARGE = -5,
    MH_ERR_NOT_FOUND = -6,
    MH_ERR_UNSUPPORTED = -7,
    MH_ERR_INTERNAL = -8,
    MH_ERR_BUFFER_TOO_SMALL = -9,
    MH_ERR_VERIFY_FAILED = -10,
    MH_ERR_ALREADY_EXISTS = -11,
    MH_ERR_CANCELLED = -12,
    MH_ERR_PERMISSION = -13,
    /* PKCS#11 modules and tokens */
    MH_ERR_MODULE_LOAD = -20,
    MH_ERR_MODULE_NOT_ALLOWED = -21,
    MH_ERR_URI = -22,
    MH_ERR_TOKEN_NOT_FOUND = -23,
    MH_ERR_TOKEN_AMBIGUOUS = -24,
    MH_ERR_TOKEN_REMOVED = -25,
    MH_ERR_TOKEN_FAILED = -26,
    MH_ERR_TOKEN_READ_ONLY = -27,
    MH_ERR_TOKEN_FULL = -28,
    MH_ERR_TOKEN_BUSY = -29,
    MH_ERR_PIN_INCORRECT = -30,
    MH_ERR_PIN_LOCKED = -31,
    MH_ERR_PIN_INVALID = -32,
    MH_ERR_PIN_EXPIRED = -33,
    MH_ERR_PIN_REQUIRED = -34,
    MH_ERR_PIN_IN_URI = -35,
    MH_ERR_KEY_NOT_FOUND = -36,
    MH_ERR_KEY_AMBIGUOUS = -37,
    MH_ERR_KEY_TYPE = -38,
    MH_ERR_MECHANISM = -39,
    MH_ERR_KEY_NOT_PERMITTED = -40,
    MH_ERR_DATA_INVALID = -41,
    MH_ERR_SESSION = -42,
    MH_ERR_P11 = -43,
    /* certificates, paths, CMS, timestamps (pki/) */
    MH_ERR_UNSUPPORTED_ALG = -50,
    MH_ERR_CERT_EXPIRED = -51,
    MH_ERR_CERT_NOT_YET_VALID = -52,
    MH_ERR_CERT_REVOKED = -53,
    MH_ERR_CERT_UNTRUSTED = -54,
    MH_ERR_CERT_INVALID = -55,
    MH_ERR_CRL_MISSING = -56,
    MH_ERR_CRL_INVALID = -57,
    MH_ERR_POLICY = -58,
    MH_ERR_NAME_CONSTRAINTS = -59,
    MH_ERR_KEY_USAGE = -60,
    MH_ERR_CRITICAL_EXT = -61,
    MH_ERR_PATH_LEN = -62,
    MH_ERR_CMS = -63,
    MH_ERR_TIMESTAMP = -64,
    /* a signature or key the verification policy refuses (SHA-1, short RSA
     * keys): not proven forged, but never accepted */
    MH_ERR_ALG_REFUSED = -65,
    /* the ledger (host/ledger) */
    MH_ERR_LEDGER_CORRUPT = -70,
    MH_ERR_LEDGER_FULL = -71,
    MH_ERR_LEDGER_LOCKED = -72,
    MH_ERR_LEDGER_FORK = -73,
    MH_ERR_PROOF_INVALID = -74,
    MH_ERR_DISK_FULL = -75,
    MH_ERR_LAST_ = -76
};

/* A fixed sentence for a code; never NULL. */
const char *mh_strerror(int err);

/* Leaves the sentence that explains `code` for the current thread (it
 * replaces any earlier one) and returns code. Never pass secrets, nor
 * mh_err_message()'s result itself as an argument (copy it first: the
 * sentence is written where that points). */
int mh_err_set(int code, const char *fmt, ...) MH_PRINTF(2, 3);
/* Forgets the sentence (rarely needed: a stale one is never shown for
 * another code). */
void mh_err_clear(void);
/* The sentence left for exactly this code by mh_err_set(), else
 * mh_strerror(code). Never NULL. */
const char *mh_err_message(int code);

/* Wipes memory in a way the compiler keeps. */
void mh_wipe(void *p, size_t n);
/* Wipes n bytes at p, then frees p (OpenSSH's freezero). */
void mh_freezero(void *p, size_t n);

/* Constant-time comparison: 0 when equal. */
int mh_ct_memcmp(const void *a, const void *b, size_t n);

#include "common_bytes.h"
#include "common_text.h"
#include "common_codec.h"
#include "common_file.h"
#include "common_rng.h"
#include "common_signer.h"

#endif
