/* der.c - the bounds-checked DER reader (pki_der.h). */
#include <string.h>

#include "pki_der.h"

void mh_der_init(mh_der *d, const uint8_t *buf, size_t len)
{
    d->p = buf;
    d->end = buf ? buf + len : buf;
    d->failed = buf == NULL && len != 0;
}

void mh_der_enter(mh_der *d, const mh_der_elem *e)
{
    mh_der_init(d, e->val, e->len);
}

bool mh_der_empty(const mh_der *d)
{
    return d->p == d->end;
}

bool mh_der_done(const mh_der *d)
{
    return !d->failed && d->p == d->end;
}

static int fail(mh_der *d)
{
    d->failed = true;
    return MH_ERR_PARSE;
}

int mh_der_next(mh_der *d, mh_der_elem *e)
{
    if (d->failed)
        return MH_ERR_PARSE;
    const uint8_t *p = d->p;
    size_t left = (size_t)(d->end - p);
    if (left < 2)
        return fail(d);
    uint8_t tag = p[0];
    if ((tag & 0x1f) == 0x1f)
        return fail(d); /* high tag numbers are not used by our formats */
    size_t len, hdr;
    uint8_t l0 = p[1];
    if (l0 < 0x80) {
        len = l0;
        hdr = 2;
    } else {
        size_t n = l0 & 0x7f;
        if (n == 0 || n > 4 || left < 2 + n)
            return fail(d); /* indefinite or absurd */
        if (p[2] == 0)
            return fail(d); /* leading zero: not the shortest form */
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = len << 8 | p[2 + i];
        if (len < 0x80)
            return fail(d); /* should have used the short form */
        hdr = 2 + n;
    }
    if (len > left - hdr)
        return fail(d);
    e->tag = tag;
    e->val = p + hdr;
    e->len = len;
    e->raw = p;
    e->raw_len = hdr + len;
    d->p = p + hdr + len;
    return 0;
}

uint8_t mh_der_peek(const mh_der *d)
{
    if (d->failed || d->end - d->p < 2)
        return 0;
    return d->p[0];
}

int mh_der_expect(mh_der *d, uint8_t tag, mh_der_elem *e)
{
    if (mh_der_peek(d) != tag)
        return fail(d);
    return mh_der_next(d, e);
}

int mh_der_optional(mh_der *d, uint8_t tag, mh_der_elem *e, bool *present)
{
    *present = false;
    if (d->failed)
        return MH_ERR_PARSE;
    if (d->p == d->end || mh_der_peek(d) != tag)
        return 0;
    int rc = mh_der_next(d, e);
    *present = rc == 0;
    return rc;
}

int mh_der_bool(const mh_der_elem *e, bool *v)
{
    if (e->tag != MH_DER_BOOLEAN || e->len != 1 || (e->val[0] != 0 && e->val[0] != 0xff))
        return MH_ERR_PARSE;
    *v = e->val[0] == 0xff;
    return 0;
}

int mh_der_integer_check(const mh_der_elem *e, bool *neg)
{
    if (e->len == 0)
        return MH_ERR_PARSE;
    if (e->len > 1 &&
        ((e->val[0] == 0 && !(e->val[1] & 0x80)) || (e->val[0] == 0xff && (e->val[1] & 0x80))))
        return MH_ERR_PARSE; /* not minimal */
    *neg = (e->val[0] & 0x80) != 0;
    return 0;
}

int mh_der_uint(const mh_der_elem *e, uint64_t *v)
{
    bool neg;
    if ((e->tag != MH_DER_INTEGER && e->tag != MH_DER_ENUMERATED) ||
        mh_der_integer_check(e, &neg) || neg)
        return MH_ERR_PARSE;
    const uint8_t *p = e->val;
    size_t n = e->len;
    if (n > 1 && p[0] == 0) {
        p++;
        n--;
    }
    if (n > 8 || (n == 8 && (p[0] & 0x80)))
        return MH_ERR_TOO_LARGE;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | p[i];
    *v = x;
    return 0;
}

int mh_der_bitstring(const mh_der_elem *e, const uint8_t **bytes, size_t *len, unsigned *unused)
{
    if (e->tag != MH_DER_BIT_STRING || e->len == 0 || e->val[0] > 7)
        return MH_ERR_PARSE;
    unsigned u = e->val[0];
    if (e->len == 1 && u != 0)
        return MH_ERR_PARSE;
    if (u && (e->val[e->len - 1] & ((1u << u) - 1)))
        return MH_ERR_PARSE; /* DER: unused bits are zero */
    *bytes = e->val + 1;
    *len = e->len - 1;
    *unused = u;
    return 0;
}

int mh_der_oid_check(const mh_der_elem *e)
{
    if (e->tag != MH_DER_OID || e->len == 0 || e->len > 64)
        return MH_ERR_PARSE;
    bool start = true;
    for (size_t i = 0; i < e->len; i++) {
        if (start && e->val[i] == 0x80)
            return MH_ERR_PARSE; /* leading 0x80: not minimal */
        start = !(e->val[i] & 0x80);
    }
    return start ? 0 : MH_ERR_PARSE; /* the last byte ends a sub-identifier */
}

bool mh_der_oid_is(const mh_der_elem *e, const uint8_t *oid, size_t len)
{
    return e->tag == MH_DER_OID && e->len == len && memcmp(e->val, oid, len) == 0;
}

void mh_der_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    /* H. Hinnant's civil_from_days, the inverse of mh_der_days_from_civil */
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int64_t mh_der_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* H. Hinnant's days_from_civil algorithm */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (int64_t)m + (m > 2 ? -3 : 9);
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const uint8_t *p, size_t n, unsigned *v)
{
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        x = x * 10 + (unsigned)(p[i] - '0');
    }
    *v = x;
    return 0;
}

int mh_der_time(const mh_der_elem *e, int64_t *t)
{
    const uint8_t *p = e->val;
    unsigned y, mo, d, h, mi, s;
    if (e->tag == MH_DER_UTC_TIME) {
        if (e->len != 13 || p[12] != 'Z' || digits(p, 2, &y))
            return MH_ERR_PARSE;
        y += y < 50 ? 2000 : 1900; /* RFC 5280 4.1.2.5.1 */
        p += 2;
    } else if (e->tag == MH_DER_GENERALIZED_TIME) {
        if (e->len != 15 || p[14] != 'Z' || digits(p, 4, &y))
            return MH_ERR_PARSE;
        p += 4;
    } else {
        return MH_ERR_PARSE;
    }
    if (digits(p, 2, &mo) || digits(p + 2, 2, &d) || digits(p + 4, 2, &h) ||
        digits(p + 6, 2, &mi) || digits(p + 8, 2, &s))
        return MH_ERR_PARSE;
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 59)
        return MH_ERR_PARSE;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return MH_ERR_PARSE;
    *t = mh_der_days_from_civil((int64_t)y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 +
         (int64_t)s;
    return 0;
}
