/* remote_int.h - internal to host/app: the key whose private operations
 * happen in another process (pk_remote.c; a temporary seam, see there). */
#ifndef MH_APP_REMOTE_INT_H
#define MH_APP_REMOTE_INT_H

#include <mbedtls/pk.h>

#include "mh_app.h"

/* An mbedtls_pk_context with the public key spki whose sign_func calls fn. */
int mh_app_pk_remote(mbedtls_pk_context *pk, const uint8_t *spki, size_t spki_len,
                     mh_app_remote_sign_fn fn, void *ctx) MH_WARN_UNUSED;

#endif
