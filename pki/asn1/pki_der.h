/* pki_der.h - part of mh_pki.h: a bounds-checked DER reader, and the one
 * DER writer beside it.
 *
 * Untrusted bytes are read only through an mh_der cursor. Every read checks
 * the remaining length; only DER is accepted: definite lengths in their
 * shortest form, low tag numbers (0-30, all X.509, CMS and TSP use), no
 * element longer than the cursor holds. A failed read leaves the cursor
 * failed (every later read fails too), so a parser may check once at the
 * end. Nothing here allocates. */
#ifndef MH_PKI_DER_H
#define MH_PKI_DER_H

#include "pki_base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tag bytes (class | constructed | number). */
#define MH_DER_BOOLEAN 0x01
#define MH_DER_INTEGER 0x02
#define MH_DER_BIT_STRING 0x03
#define MH_DER_OCTET_STRING 0x04
#define MH_DER_NULL 0x05
#define MH_DER_OID 0x06
#define MH_DER_ENUMERATED 0x0a
#define MH_DER_UTF8_STRING 0x0c
#define MH_DER_PRINTABLE_STRING 0x13
#define MH_DER_T61_STRING 0x14
#define MH_DER_IA5_STRING 0x16
#define MH_DER_UTC_TIME 0x17
#define MH_DER_GENERALIZED_TIME 0x18
#define MH_DER_VISIBLE_STRING 0x1a
#define MH_DER_UNIVERSAL_STRING 0x1c
#define MH_DER_BMP_STRING 0x1e
#define MH_DER_SEQUENCE 0x30
#define MH_DER_SET 0x31
#define MH_DER_CONSTRUCTED 0x20
#define MH_DER_CONTEXT 0x80
/* [n] EXPLICIT or constructed IMPLICIT, and [n] primitive IMPLICIT */
#define MH_DER_CTX_C(n) (0xa0 | (n))
#define MH_DER_CTX_P(n) (0x80 | (n))

typedef struct mh_der {
    const uint8_t *p; /* next byte */
    const uint8_t *end;
    bool failed;
} mh_der;

/* A whole element as it was read: its tag, its contents, and the span of
 * the full encoding (tag and length included), e.g. to hash or compare. */
typedef struct mh_der_elem {
    uint8_t tag;
    const uint8_t *val;
    size_t len;
    const uint8_t *raw;
    size_t raw_len;
} mh_der_elem;

MH_PKI_API void mh_der_init(mh_der *d, const uint8_t *buf, size_t len);
/* A cursor over an element's contents. */
MH_PKI_API void mh_der_enter(mh_der *d, const mh_der_elem *e);
MH_PKI_API bool mh_der_empty(const mh_der *d);
/* True when the cursor did not fail and every byte was read. */
MH_PKI_API bool mh_der_done(const mh_der *d);

/* Reads the next element, whatever its tag. */
MH_PKI_API int mh_der_next(mh_der *d, mh_der_elem *e);
/* The tag of the next element without reading it; 0 at the end. */
MH_PKI_API uint8_t mh_der_peek(const mh_der *d);
/* Reads the next element, which must have this tag. */
MH_PKI_API int mh_der_expect(mh_der *d, uint8_t tag, mh_der_elem *e);
/* Reads the next element if it has this tag; *present says whether. */
MH_PKI_API int mh_der_optional(mh_der *d, uint8_t tag, mh_der_elem *e, bool *present);

/* Typed reads of the contents of an element already read. Each checks the
 * DER rules of its type. */
MH_PKI_API int mh_der_bool(const mh_der_elem *e, bool *v);
/* A non-negative INTEGER that fits in 63 bits. */
MH_PKI_API int mh_der_uint(const mh_der_elem *e, uint64_t *v);
/* An INTEGER in minimal two's complement (any size); *neg for negative. */
MH_PKI_API int mh_der_integer_check(const mh_der_elem *e, bool *neg);
/* A BIT STRING: *bytes and *len without the unused-bits octet, *unused 0-7,
 * with the unused bits zero as DER requires. */
MH_PKI_API int mh_der_bitstring(const mh_der_elem *e, const uint8_t **bytes, size_t *len,
                                unsigned *unused);
/* An OBJECT IDENTIFIER's contents, checked for minimal sub-identifiers. */
MH_PKI_API int mh_der_oid_check(const mh_der_elem *e);
/* Compares an OID element with an OID's contents (no tag or length). */
MH_PKI_API bool mh_der_oid_is(const mh_der_elem *e, const uint8_t *oid, size_t len);
/* UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), strict
 * forms of RFC 5280, as seconds since 1970-01-01 UTC. */
MH_PKI_API int mh_der_time(const mh_der_elem *e, int64_t *t);
/* Days since 1970-01-01 for a civil date (proleptic Gregorian), and back. */
MH_PKI_API int64_t mh_der_days_from_civil(int64_t y, unsigned m, unsigned d);
MH_PKI_API void mh_der_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* ---- the writer (der_write.c) ----------------------------------------------
 * It fills a buffer from its end backwards, so each length is known when its
 * header is written (SEQUENCEs are written last field first). A write that
 * does not fit leaves the writer failed; check w->failed once at the end. */
typedef struct mh_derw {
    uint8_t *start;
    uint8_t *p; /* the first written byte */
    bool failed;
} mh_derw;

MH_PKI_API void mh_derw_init(mh_derw *w, uint8_t *buf, size_t cap);
MH_PKI_API void mh_derw_raw(mh_derw *w, const void *b, size_t n);
/* Wraps everything written since mark (an earlier w->p) in tag+length. */
MH_PKI_API void mh_derw_wrap(mh_derw *w, uint8_t tag, const uint8_t *mark);
MH_PKI_API void mh_derw_tlv(mh_derw *w, uint8_t tag, const void *b, size_t n);
MH_PKI_API void mh_derw_uint(mh_derw *w, uint64_t v);
/* An INTEGER from unsigned big-endian bytes (leading zeros dropped). */
MH_PKI_API void mh_derw_uint_bytes(mh_derw *w, const uint8_t *b, size_t n);
MH_PKI_API void mh_derw_bool(mh_derw *w, bool v);
/* A BIT STRING of n bytes whose last `unused` bits are not part of it. */
MH_PKI_API void mh_derw_bits(mh_derw *w, const uint8_t *b, size_t n, unsigned unused);
/* A named BIT STRING (KeyUsage, ReasonFlags): bit i of `bits` is named bit
 * i; trailing zero bits dropped as DER asks. */
MH_PKI_API void mh_derw_named_bits(mh_derw *w, uint32_t bits, unsigned nbits);
/* UTCTime (1950-2049) or GeneralizedTime, as RFC 5280 asks (generalized
 * forces GeneralizedTime). */
MH_PKI_API void mh_derw_time(mh_derw *w, int64_t t, bool generalized);
/* Bytes written since mark (0 when failed). */
MH_PKI_API size_t mh_derw_len(const mh_derw *w, const uint8_t *mark);

#endif
