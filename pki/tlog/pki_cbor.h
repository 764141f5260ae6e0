/* pki_cbor.h - part of mh_pki.h: a small deterministic-CBOR writer and a
 * strict reader (RFC 8949). Nothing here allocates; the firmware may use it.
 *
 * Writer: appends items into a caller buffer. Every head is written in its
 * shortest form (RFC 8949 4.2.1), lengths are always definite. Writing past
 * the buffer sets `overflow` and stops writing (later calls do nothing);
 * mh_cbor_w_finish() then returns MH_ERR_BUFFER_TOO_SMALL, so an encoder may
 * check once at the end. Map keys are written in the order the caller gives;
 * for deterministic encoding the caller gives them sorted by their encoded
 * bytes (for small unsigned keys: ascending numbers).
 *
 *     uint8_t buf[64]; mh_cbor_w w; size_t n;
 *     mh_cbor_w_init(&w, buf, sizeof buf);
 *     mh_cbor_put_map(&w, 2);
 *     mh_cbor_put_uint(&w, 1); mh_cbor_put_text(&w, "a", 1);
 *     mh_cbor_put_uint(&w, 2); mh_cbor_put_bytes(&w, digest, 32);
 *     if (mh_cbor_w_finish(&w, &n)) ...;
 *
 * Reader: a cursor over untrusted bytes that reads one head at a time.
 * It accepts only well-formed, deterministic heads: the shortest form of
 * every argument, no indefinite lengths, no reserved additional-information
 * values (28-30), no floating-point numbers, simple values only false, true,
 * null and undefined, and no string longer than what is left. A failed read
 * leaves the cursor failed (every later read fails), so a decoder may check
 * once at the end with mh_cbor_r_done().
 *
 * mh_cbor_check() validates one complete item (nesting included) before a
 * decoder walks it: nesting depth capped, text strings valid UTF-8, and with
 * MH_CBOR_DETERMINISTIC, map keys strictly increasing in bytewise order of
 * their encodings (so no duplicates), as RFC 8949 4.2.1 requires. */
#ifndef MH_PKI_CBOR_H
#define MH_PKI_CBOR_H

#include "pki_base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Major types (RFC 8949 3.1). */
#define MH_CBOR_UINT 0
#define MH_CBOR_NEGINT 1
#define MH_CBOR_BYTES 2
#define MH_CBOR_TEXT 3
#define MH_CBOR_ARRAY 4
#define MH_CBOR_MAP 5
#define MH_CBOR_TAG 6
#define MH_CBOR_SIMPLE 7
/* Simple values the reader accepts. */
#define MH_CBOR_FALSE 20
#define MH_CBOR_TRUE 21
#define MH_CBOR_NULL 22
#define MH_CBOR_UNDEFINED 23

/* Nesting cap of mh_cbor_check() and mh_cbor_skip(). */
#define MH_CBOR_MAX_DEPTH 16

/* ---- writer ------------------------------------------------------------- */

typedef struct mh_cbor_w {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
} mh_cbor_w;

MH_PKI_API void mh_cbor_w_init(mh_cbor_w *w, uint8_t *buf, size_t cap);
/* 0 and the encoded length, or MH_ERR_BUFFER_TOO_SMALL after an overflow. */
MH_PKI_API int mh_cbor_w_finish(const mh_cbor_w *w, size_t *len);
MH_PKI_API void mh_cbor_put_uint(mh_cbor_w *w, uint64_t v);
/* The negative integer -1 - n (major type 1 with argument n). */
MH_PKI_API void mh_cbor_put_negint(mh_cbor_w *w, uint64_t n);
/* Any int64_t, as major type 0 or 1. */
MH_PKI_API void mh_cbor_put_int(mh_cbor_w *w, int64_t v);
MH_PKI_API void mh_cbor_put_bytes(mh_cbor_w *w, const uint8_t *p, size_t len);
/* Text must be UTF-8; the writer does not check it. */
MH_PKI_API void mh_cbor_put_text(mh_cbor_w *w, const char *s, size_t len);
/* Heads of an array of n items and of a map of n pairs; the items follow. */
MH_PKI_API void mh_cbor_put_array(mh_cbor_w *w, uint64_t n);
MH_PKI_API void mh_cbor_put_map(mh_cbor_w *w, uint64_t n);
/* A tag head; its one item follows. */
MH_PKI_API void mh_cbor_put_tag(mh_cbor_w *w, uint64_t tag);
MH_PKI_API void mh_cbor_put_bool(mh_cbor_w *w, bool v);
MH_PKI_API void mh_cbor_put_null(mh_cbor_w *w);
/* Copies an already encoded item (e.g. a nested structure) as it is. */
MH_PKI_API void mh_cbor_put_raw(mh_cbor_w *w, const uint8_t *p, size_t len);

/* ---- reader ------------------------------------------------------------- */

typedef struct mh_cbor_r {
    const uint8_t *p; /* next byte */
    const uint8_t *end;
    bool failed;
} mh_cbor_r;

/* One head as read. For bytes and text, `ptr` and `val` are the contents
 * and their length; for arrays and maps `val` is the count; for tags the tag
 * number; for unsigned and negative integers the argument (the value of a
 * negative integer is -1 - val); for simple values the value (20-23).
 * `raw` is where the head starts. */
typedef struct mh_cbor_item {
    uint8_t major;
    uint64_t val;
    const uint8_t *ptr;
    const uint8_t *raw;
} mh_cbor_item;

MH_PKI_API void mh_cbor_r_init(mh_cbor_r *r, const uint8_t *buf, size_t len);
/* True when no read failed and every byte was read. */
MH_PKI_API bool mh_cbor_r_done(const mh_cbor_r *r);
MH_PKI_API bool mh_cbor_r_empty(const mh_cbor_r *r);
/* The major type of the next head without reading it; -1 at the end or
 * after a failure. */
MH_PKI_API int mh_cbor_peek(const mh_cbor_r *r);

/* Reads the next head (and, for bytes and text, its contents). */
MH_PKI_API int mh_cbor_next(mh_cbor_r *r, mh_cbor_item *it);
/* Typed reads: each fails (MH_ERR_PARSE, cursor failed) when the next item
 * is of another type. */
MH_PKI_API int mh_cbor_get_uint(mh_cbor_r *r, uint64_t *v);
/* An integer of major type 0 or 1 that fits in int64_t. */
MH_PKI_API int mh_cbor_get_int(mh_cbor_r *r, int64_t *v);
MH_PKI_API int mh_cbor_get_bytes(mh_cbor_r *r, const uint8_t **p, size_t *len);
/* Text: checked to be valid UTF-8. Not NUL-terminated. */
MH_PKI_API int mh_cbor_get_text(mh_cbor_r *r, const char **s, size_t *len);
MH_PKI_API int mh_cbor_get_array(mh_cbor_r *r, uint64_t *n);
MH_PKI_API int mh_cbor_get_map(mh_cbor_r *r, uint64_t *n);
MH_PKI_API int mh_cbor_get_tag(mh_cbor_r *r, uint64_t *tag);
MH_PKI_API int mh_cbor_get_bool(mh_cbor_r *r, bool *v);
MH_PKI_API int mh_cbor_get_null(mh_cbor_r *r);
/* Skips one complete item (nested items included, depth capped). */
MH_PKI_API int mh_cbor_skip(mh_cbor_r *r);

/* ---- validation --------------------------------------------------------- */

#define MH_CBOR_DETERMINISTIC 1u /* map keys sorted bytewise, no duplicates */

/* Checks that buf holds exactly one well-formed item, nothing after it, with
 * nesting of at most max_depth (0: MH_CBOR_MAX_DEPTH), valid UTF-8 text and,
 * with MH_CBOR_DETERMINISTIC, deterministically ordered maps. Returns 0 or
 * MH_ERR_PARSE (a detail is left with mh_err_set). */
MH_PKI_API int mh_cbor_check(const uint8_t *buf, size_t len, unsigned max_depth, unsigned flags);

#endif
