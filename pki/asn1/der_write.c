/* der_write.c - the one DER writer (pki_der.h): fills a buffer from its
 * end backwards, so each length is known when its header is written; a
 * failed write leaves the writer failed. CMS, RFC 3161, the CA's
 * certificates, CRLs and names all write through it. No allocation. */
#include <stdio.h>
#include <string.h>

#include "pki_der.h"

void mh_derw_init(mh_derw *w, uint8_t *buf, size_t cap)
{
    w->start = buf;
    w->p = buf ? buf + cap : buf;
    w->failed = buf == NULL;
}

void mh_derw_raw(mh_derw *w, const void *b, size_t n)
{
    if (w->failed || (size_t)(w->p - w->start) < n) {
        w->failed = true;
        return;
    }
    w->p -= n;
    if (n)
        memcpy(w->p, b, n);
}

static void put_len(mh_derw *w, size_t len)
{
    uint8_t b[9];
    if (len < 0x80) {
        b[0] = (uint8_t)len;
        mh_derw_raw(w, b, 1);
        return;
    }
    size_t n = 0;
    for (size_t v = len; v; v >>= 8)
        n++;
    b[0] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++)
        b[n - i] = (uint8_t)(len >> (8 * i));
    mh_derw_raw(w, b, n + 1);
}

size_t mh_derw_len(const mh_derw *w, const uint8_t *mark)
{
    return w->failed ? 0 : (size_t)(mark - w->p);
}

void mh_derw_wrap(mh_derw *w, uint8_t tag, const uint8_t *mark)
{
    size_t len = mh_derw_len(w, mark);
    put_len(w, len);
    mh_derw_raw(w, &tag, 1);
}

void mh_derw_tlv(mh_derw *w, uint8_t tag, const void *b, size_t n)
{
    const uint8_t *mark = w->p;
    mh_derw_raw(w, b, n);
    mh_derw_wrap(w, tag, mark);
}

void mh_derw_uint_bytes(mh_derw *w, const uint8_t *b, size_t n)
{
    const uint8_t *mark = w->p;
    static const uint8_t zero = 0;
    while (n > 1 && b[0] == 0) {
        b++;
        n--;
    }
    if (n == 0) {
        mh_derw_raw(w, &zero, 1);
    } else {
        mh_derw_raw(w, b, n);
        if (b[0] & 0x80)
            mh_derw_raw(w, &zero, 1);
    }
    mh_derw_wrap(w, MH_DER_INTEGER, mark);
}

void mh_derw_uint(mh_derw *w, uint64_t v)
{
    uint8_t b[8];
    for (size_t i = 0; i < 8; i++)
        b[7 - i] = (uint8_t)(v >> (8 * i));
    mh_derw_uint_bytes(w, b, 8);
}

void mh_derw_bool(mh_derw *w, bool v)
{
    uint8_t b = v ? 0xff : 0x00;
    mh_derw_tlv(w, MH_DER_BOOLEAN, &b, 1);
}

void mh_derw_bits(mh_derw *w, const uint8_t *b, size_t n, unsigned unused)
{
    const uint8_t *mark = w->p;
    uint8_t u = (uint8_t)(unused & 7);
    mh_derw_raw(w, b, n);
    mh_derw_raw(w, &u, 1);
    mh_derw_wrap(w, MH_DER_BIT_STRING, mark);
}

void mh_derw_named_bits(mh_derw *w, uint32_t bits, unsigned nbits)
{
    /* bit i of a named BIT STRING is bit 7 - i % 8 of byte i / 8; DER
     * drops trailing zero bits (X.690 11.2.2) */
    uint8_t b[4] = {0};
    unsigned last = 0;
    for (unsigned i = 0; i < nbits && i < 32; i++) {
        if (bits & (1u << i)) {
            b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
            last = i + 1;
        }
    }
    size_t n = (last + 7) / 8;
    mh_derw_bits(w, b, n, n ? (unsigned)(8 * n - last) : 0);
}

void mh_derw_time(mh_derw *w, int64_t t, bool generalized)
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned m, d;
    char buf[20];
    mh_der_civil_from_days(days, &y, &m, &d);
    if (y < 1950 || y > 2049)
        generalized = true;
    if (y < 0 || y > 9999) {
        w->failed = true;
        return;
    }
    int n;
    unsigned hh = (unsigned)(secs / 3600), mi = (unsigned)(secs / 60 % 60),
             ss = (unsigned)(secs % 60);
    if (generalized)
        n = snprintf(buf, sizeof buf, "%04u%02u%02u%02u%02u%02uZ", (unsigned)y, m, d, hh, mi, ss);
    else
        n = snprintf(buf, sizeof buf, "%02u%02u%02u%02u%02u%02uZ", (unsigned)(y % 100), m, d, hh,
                     mi, ss);
    if (n < 0 || (size_t)n >= sizeof buf) {
        w->failed = true;
        return;
    }
    mh_derw_tlv(w, generalized ? MH_DER_GENERALIZED_TIME : MH_DER_UTC_TIME, buf, (size_t)n);
}
