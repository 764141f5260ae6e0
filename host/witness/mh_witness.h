/*
 * mh_witness.h - a transparency-log witness (C2SP tlog-witness): for each
 * log it knows (by the log's verifier key; the origin is the key's name) it
 * keeps the latest checkpoint it cosigned, and cosigns a new one only when
 * the log's signature verifies and an RFC 9162 consistency proof shows the
 * new tree extends the old. A fork, a rollback or a bad proof is refused
 * and the signed request is kept as evidence of the log's misbehaviour.
 * The witness key is Ed25519 (cosignature/v1, C2SP tlog-cosignature); it
 * signs through a callback, so the key stays on its token (hsm/).
 *
 * Every function returns 0 or a negative MH_ERR_* code with a sentence for
 * mh_err_message().
 */
#ifndef MH_WITNESS_H
#define MH_WITNESS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"
#include "mh_pki.h"

#define MH_WITNESS_API __attribute__((visibility("default")))

typedef struct mh_witness_opts {
    const char *name;         /* the witness's key name, e.g. "witness.example.az/w1" */
    const uint8_t *pubkey;    /* its Ed25519 public key, 32 bytes */
    const mh_signer *signer;  /* the private key: an Ed25519 signer (kept, not copied) */
    const char *state_dir;    /* the cosigned checkpoints, and evidence/ */
    const mh_note_vkey *logs; /* the logs' keys (type 0x01 or 0x02) */
    size_t nlogs;
} mh_witness_opts;

typedef struct mh_witness mh_witness;

/* Opens the witness (creates state_dir and state_dir/evidence). */
MH_WITNESS_API int mh_witness_open(const mh_witness_opts *o, mh_witness **w);
MH_WITNESS_API void mh_witness_close(mh_witness *w);

/* The witness's verifier key (type 0x04), NUL-terminated. */
MH_WITNESS_API int mh_witness_vkey(const char *name, const uint8_t pubkey[32], char *out,
                                   size_t cap);

/* Handles one add-checkpoint request body. *status is the HTTP status the
 * protocol asks for (200 with the cosignature line in resp; 400 malformed;
 * 403 no valid log signature; 404 unknown origin; 409 the old size is not
 * the one cosigned last, resp holding that size and a newline, or the same
 * size with another root; 422 the consistency proof does not verify; 500).
 * resp is NUL-terminated. Checking and recording happen under one lock, and
 * the new checkpoint is on disk (fsync'd) before the answer. */
MH_WITNESS_API int mh_witness_add_checkpoint(mh_witness *w, const char *body, size_t len,
                                             unsigned *status, char *resp, size_t cap,
                                             size_t *resp_len);

/* The latest cosigned checkpoint of an origin (NUL-terminated) and its
 * size; MH_ERR_NOT_FOUND before the first. */
MH_WITNESS_API int mh_witness_latest(mh_witness *w, const char *origin, char *note, size_t cap,
                                     size_t *len, uint64_t *size);

/* Serves POST /add-checkpoint over HTTP (libmicrohttpd, a thread pool)
 * on addr:port (port 0: any; *bound gets it) until *stop is set. Bodies
 * over 64 KiB are refused with 413 before they are read. */
MH_WITNESS_API int mh_witness_serve(mh_witness *w, const char *addr, unsigned port,
                                    volatile sig_atomic_t *stop, unsigned *bound,
                                    void (*ready)(void *ctx, unsigned port), void *ready_ctx);

#endif
