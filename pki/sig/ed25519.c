/* ed25519.c - Ed25519 verification (RFC 8032 5.1.7), written from the RFC.
 *
 * Field elements of GF(2^255 - 19) are ten signed limbs in radix 2^25.5:
 * limb i carries weight 2^ceil(25.5 i), so even limbs hold 26 bits and odd
 * limbs 25 when carried. Products of two odd-indexed limbs pick up a factor 2
 * (their weights overshoot by one bit) and products that pass 2^255 wrap
 * around with a factor 19 (2^255 = 19 mod p). Limbs live in int64_t; every
 * add and sub carries, so multiplication inputs stay below 2^26 in magnitude
 * and the sums of products below 2^61.
 *
 * Points are in extended twisted Edwards coordinates (X:Y:Z:T), x = X/Z,
 * y = Y/Z, x*y = T/Z, with the formulas of RFC 8032 5.1.4. */
#include <mbedtls/sha512.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"

typedef struct {
    int64_t v[10];
} fe;

typedef struct {
    fe x, y, z, t;
} ge;

/* Constants as little-endian encodings (computed from their definitions:
 * d = -121665/121666, sqrt(-1) = 2^((p-1)/4), the base point's y = 4/5 and
 * its even x; L the group order). */
static const uint8_t D_BYTES[32] = {
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
    0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52};
static const uint8_t D2_BYTES[32] = {
    0x59, 0xf1, 0xb2, 0x26, 0x94, 0x9b, 0xd6, 0xeb, 0x56, 0xb1, 0x83, 0x82, 0x9a, 0x14, 0xe0, 0x00,
    0x30, 0xd1, 0xf3, 0xee, 0xf2, 0x80, 0x8e, 0x19, 0xe7, 0xfc, 0xdf, 0x56, 0xdc, 0xd9, 0x06, 0x24};
static const uint8_t SQRTM1_BYTES[32] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
    0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};
static const uint8_t BX_BYTES[32] = {
    0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
    0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21};
static const uint8_t BY_BYTES[32] = {
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
static const uint8_t L_BYTES[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
/* p = 2^255 - 19 */
static const uint8_t P_BYTES[32] = {
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};

/* Bit offsets of the limbs: ceil(25.5 i). */
static const unsigned LIMB_POS[11] = {0, 26, 51, 77, 102, 128, 153, 179, 204, 230, 255};

static unsigned limb_bits(unsigned i)
{
    return (i & 1) ? 25 : 26;
}

/* One signed carry pass: every limb back to about its width (rounded, so
 * limbs may be negative), the carry out of limb 9 folded into limb 0 times
 * 19, and limb 0 carried once more. An arithmetic right shift of negative
 * values is assumed (GCC and Clang on every target we build for). */
static void fe_carry(fe *h)
{
    for (unsigned i = 0; i < 10; i++) {
        unsigned w = limb_bits(i);
        int64_t c = (h->v[i] + ((int64_t)1 << (w - 1))) >> w;
        h->v[i] -= c * ((int64_t)1 << w);
        if (i < 9)
            h->v[i + 1] += c;
        else
            h->v[0] += 19 * c;
    }
    int64_t c = (h->v[0] + ((int64_t)1 << 25)) >> 26;
    h->v[0] -= c * ((int64_t)1 << 26);
    h->v[1] += c;
}

static void fe_set(fe *h, int64_t n)
{
    for (unsigned i = 0; i < 10; i++)
        h->v[i] = 0;
    h->v[0] = n;
}

static void fe_add(fe *h, const fe *f, const fe *g)
{
    for (unsigned i = 0; i < 10; i++)
        h->v[i] = f->v[i] + g->v[i];
    fe_carry(h);
}

static void fe_sub(fe *h, const fe *f, const fe *g)
{
    for (unsigned i = 0; i < 10; i++)
        h->v[i] = f->v[i] - g->v[i];
    fe_carry(h);
}

static void fe_neg(fe *h, const fe *f)
{
    for (unsigned i = 0; i < 10; i++)
        h->v[i] = -f->v[i];
}

static void fe_mul(fe *h, const fe *f, const fe *g)
{
    /* g premultiplied by 2 (odd limbs meeting odd limbs), by 19 (wrapping
     * past 2^255) and by 38 (both), so the inner loop has no branches */
    int64_t g2[10], g19[10], g38[10], r[10] = {0};
    for (unsigned j = 0; j < 10; j++) {
        g2[j] = (j & 1) ? 2 * g->v[j] : g->v[j];
        g19[j] = 19 * g->v[j];
        g38[j] = 19 * g2[j];
    }
    for (unsigned i = 0; i < 10; i++) {
        const int64_t *lo = (i & 1) ? g2 : g->v, *hi = (i & 1) ? g38 : g19;
        for (unsigned j = 0; j < 10 - i; j++)
            r[i + j] += f->v[i] * lo[j];
        for (unsigned j = 10 - i; j < 10; j++)
            r[i + j - 10] += f->v[i] * hi[j];
    }
    for (unsigned i = 0; i < 10; i++)
        h->v[i] = r[i];
    fe_carry(h);
    fe_carry(h);
}

static void fe_sq(fe *h, const fe *f)
{
    fe_mul(h, f, f);
}

/* f^e for an exponent given as 32 little-endian bytes (public exponents
 * only: p - 2, (p - 5) / 8). */
static void fe_pow(fe *h, const fe *f, const uint8_t e[32])
{
    fe r;
    fe_set(&r, 1);
    for (int bit = 255; bit >= 0; bit--) {
        fe_sq(&r, &r);
        if ((e[bit >> 3] >> (bit & 7)) & 1)
            fe_mul(&r, &r, f);
    }
    *h = r;
}

static void fe_invert(fe *h, const fe *f)
{
    /* p - 2 = 2^255 - 21 */
    uint8_t e[32];
    for (unsigned i = 0; i < 32; i++)
        e[i] = 0xff;
    e[0] = 0xeb;
    e[31] = 0x7f;
    fe_pow(h, f, e);
}

/* The 255 low bits of s; bit 255 is the caller's (the sign of x). */
static void fe_frombytes(fe *h, const uint8_t s[32])
{
    for (unsigned i = 0; i < 10; i++) {
        int64_t v = 0;
        for (unsigned b = 0; b < limb_bits(i); b++) {
            unsigned pos = LIMB_POS[i] + b;
            v |= (int64_t)((s[pos >> 3] >> (pos & 7)) & 1) << b;
        }
        h->v[i] = v;
    }
}

/* a < b for 32-byte little-endian numbers. */
static int lt_bytes(const uint8_t a[32], const uint8_t b[32])
{
    for (int i = 31; i >= 0; i--) {
        if (a[i] != b[i])
            return a[i] < b[i];
    }
    return 0;
}

/* The unique encoding of f in [0, p). */
static void fe_tobytes(uint8_t s[32], const fe *f)
{
    fe h = *f;
    /* floor carries until every limb is in [0, 2^width) and nothing comes
     * out of the top: then the value is in [0, 2^255) */
    for (int round = 0; round < 8; round++) {
        int64_t top = 0;
        for (unsigned i = 0; i < 10; i++) {
            unsigned w = limb_bits(i);
            int64_t c = h.v[i] >> w;
            h.v[i] -= c * ((int64_t)1 << w);
            if (i < 9)
                h.v[i + 1] += c;
            else
                top = c;
        }
        h.v[0] += 19 * top;
        if (top == 0)
            break;
    }
    for (unsigned i = 0; i < 32; i++)
        s[i] = 0;
    for (unsigned i = 0; i < 10; i++) {
        for (unsigned b = 0; b < limb_bits(i); b++) {
            unsigned pos = LIMB_POS[i] + b;
            s[pos >> 3] = (uint8_t)(s[pos >> 3] | (((h.v[i] >> b) & 1) << (pos & 7)));
        }
    }
    /* now s < 2^255; subtract p once if s >= p, i.e. add 19 and drop 2^255 */
    if (!lt_bytes(s, P_BYTES)) {
        unsigned carry = 19;
        for (unsigned i = 0; i < 32; i++) {
            carry += s[i];
            s[i] = (uint8_t)carry;
            carry >>= 8;
        }
        s[31] &= 0x7f;
    }
}

static int fe_iszero(const fe *f)
{
    uint8_t s[32];
    unsigned acc = 0;
    fe_tobytes(s, f);
    for (unsigned i = 0; i < 32; i++)
        acc |= s[i];
    return acc == 0;
}

static int fe_isodd(const fe *f)
{
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

static int fe_eq(const fe *f, const fe *g)
{
    fe t;
    fe_sub(&t, f, g);
    return fe_iszero(&t);
}

static void ge_identity(ge *p)
{
    fe_set(&p->x, 0);
    fe_set(&p->y, 1);
    fe_set(&p->z, 1);
    fe_set(&p->t, 0);
}

/* RFC 8032 5.1.4, addition (a = -1) */
static void ge_add(ge *r, const ge *p, const ge *q, const fe *d2)
{
    fe a, b, c, d, e, f, g, h, t1, t2;
    fe_sub(&t1, &p->y, &p->x);
    fe_sub(&t2, &q->y, &q->x);
    fe_mul(&a, &t1, &t2);
    fe_add(&t1, &p->y, &p->x);
    fe_add(&t2, &q->y, &q->x);
    fe_mul(&b, &t1, &t2);
    fe_mul(&c, &p->t, d2);
    fe_mul(&c, &c, &q->t);
    fe_mul(&d, &p->z, &q->z);
    fe_add(&d, &d, &d);
    fe_sub(&e, &b, &a);
    fe_sub(&f, &d, &c);
    fe_add(&g, &d, &c);
    fe_add(&h, &b, &a);
    fe_mul(&r->x, &e, &f);
    fe_mul(&r->y, &g, &h);
    fe_mul(&r->t, &e, &h);
    fe_mul(&r->z, &f, &g);
}

/* RFC 8032 5.1.4, doubling */
static void ge_double(ge *r, const ge *p)
{
    fe a, b, c, e, f, g, h, t;
    fe_sq(&a, &p->x);
    fe_sq(&b, &p->y);
    fe_sq(&c, &p->z);
    fe_add(&c, &c, &c);
    fe_add(&h, &a, &b);
    fe_add(&t, &p->x, &p->y);
    fe_sq(&t, &t);
    fe_sub(&e, &h, &t);
    fe_sub(&g, &a, &b);
    fe_add(&f, &c, &g);
    fe_mul(&r->x, &e, &f);
    fe_mul(&r->y, &g, &h);
    fe_mul(&r->t, &e, &h);
    fe_mul(&r->z, &f, &g);
}

static void ge_tobytes(uint8_t s[32], const ge *p)
{
    fe zi, x, y;
    fe_invert(&zi, &p->z);
    fe_mul(&x, &p->x, &zi);
    fe_mul(&y, &p->y, &zi);
    fe_tobytes(s, &y);
    s[31] = (uint8_t)(s[31] | (fe_isodd(&x) << 7));
}

static int ge_is_identity(const ge *p)
{
    /* x = 0 and y = 1, i.e. X == 0 and Y == Z */
    return fe_iszero(&p->x) && fe_eq(&p->y, &p->z);
}

/* RFC 8032 5.1.3, strictly: y < p, x recovered from y, and no "negative"
 * zero. 0 or -1. */
static int ge_frombytes(ge *p, const uint8_t s[32], const fe *d)
{
    uint8_t y_bytes[32];
    fe u, v, v3, x, vx2, t, sqrtm1;
    int sign = s[31] >> 7;
    for (unsigned i = 0; i < 32; i++)
        y_bytes[i] = s[i];
    y_bytes[31] &= 0x7f;
    if (!lt_bytes(y_bytes, P_BYTES))
        return -1;
    fe_frombytes(&p->y, y_bytes);
    fe_set(&p->z, 1);
    /* x^2 = u / v with u = y^2 - 1, v = d y^2 + 1 */
    fe_sq(&u, &p->y);
    fe_mul(&v, &u, d);
    fe_set(&t, 1);
    fe_sub(&u, &u, &t);
    fe_add(&v, &v, &t);
    /* candidate x = u v^3 (u v^7)^((p - 5) / 8) */
    uint8_t e[32];
    for (unsigned i = 0; i < 32; i++)
        e[i] = 0xff;
    e[0] = 0xfd;
    e[31] = 0x0f;
    fe_sq(&v3, &v);
    fe_mul(&v3, &v3, &v); /* v^3 */
    fe_sq(&t, &v3);       /* v^6 */
    fe_mul(&t, &t, &v);   /* v^7 */
    fe_mul(&t, &t, &u);   /* u v^7 */
    fe_pow(&t, &t, e);    /* (u v^7)^((p-5)/8) */
    fe_mul(&x, &t, &v3);  /* v^3 (...) */
    fe_mul(&x, &x, &u);   /* u v^3 (...) */
    fe_sq(&vx2, &x);
    fe_mul(&vx2, &vx2, &v);
    if (!fe_eq(&vx2, &u)) {
        fe nu;
        fe_neg(&nu, &u);
        fe_carry(&nu);
        if (!fe_eq(&vx2, &nu))
            return -1; /* not a square: no point with this y */
        fe_frombytes(&sqrtm1, SQRTM1_BYTES);
        fe_mul(&x, &x, &sqrtm1);
    }
    if (fe_iszero(&x) && sign)
        return -1;
    if (fe_isodd(&x) != sign) {
        fe_neg(&x, &x);
        fe_carry(&x);
    }
    p->x = x;
    fe_mul(&p->t, &p->x, &p->y);
    return 0;
}

static int ge_small_order(const ge *p)
{
    ge q;
    ge_double(&q, p);
    ge_double(&q, &q);
    ge_double(&q, &q);
    return ge_is_identity(&q);
}

/* x mod L for a 64-byte little-endian x, by shift and subtract (public
 * data only). */
static void sc_reduce64(uint8_t out[32], const uint8_t x[64])
{
    uint32_t r[9] = {0}, l[9] = {0};
    for (unsigned i = 0; i < 32; i++)
        l[i / 4] |= (uint32_t)L_BYTES[i] << (8 * (i % 4));
    for (int bit = 511; bit >= 0; bit--) {
        /* r = 2 r + bit; r < L < 2^253 keeps this within 9 words */
        uint32_t carry = (uint32_t)(x[bit >> 3] >> (bit & 7)) & 1;
        for (unsigned i = 0; i < 9; i++) {
            uint32_t nc = r[i] >> 31;
            r[i] = (r[i] << 1) | carry;
            carry = nc;
        }
        /* if r >= L: r -= L */
        int ge_l = 1;
        for (int i = 8; i >= 0; i--) {
            if (r[i] != l[i]) {
                ge_l = r[i] > l[i];
                break;
            }
        }
        if (ge_l) {
            uint64_t borrow = 0;
            for (unsigned i = 0; i < 9; i++) {
                uint64_t dv = (uint64_t)r[i] - l[i] - borrow;
                r[i] = (uint32_t)dv;
                borrow = (dv >> 32) & 1;
            }
        }
    }
    for (unsigned i = 0; i < 32; i++)
        out[i] = (uint8_t)(r[i / 4] >> (8 * (i % 4)));
}

int mh_ed25519_verify(const uint8_t pub[MH_ED25519_PUB_LEN], const uint8_t *msg, size_t len,
                      const uint8_t sig[MH_ED25519_SIG_LEN])
{
    return mh_ed25519_verify2(pub, NULL, 0, msg, len, sig);
}

int mh_ed25519_verify2(const uint8_t pub[MH_ED25519_PUB_LEN], const uint8_t *prefix,
                       size_t prefix_len, const uint8_t *msg, size_t len,
                       const uint8_t sig[MH_ED25519_SIG_LEN])
{
    int ret = MH_ERR_VERIFY_FAILED;
    fe d, d2;
    ge a, r, b, acc;
    uint8_t h[64], k[32], check[32];
    mbedtls_sha512_context sha;

    if (!pub || !sig || (!msg && len) || (!prefix && prefix_len))
        return MH_ERR_INVALID_ARG;
    mbedtls_sha512_init(&sha);
    /* S < L: the scalar is canonical (no malleability) */
    if (!lt_bytes(sig + 32, L_BYTES))
        goto out;
    fe_frombytes(&d, D_BYTES);
    fe_frombytes(&d2, D2_BYTES);
    if (ge_frombytes(&a, pub, &d) != 0 || ge_frombytes(&r, sig, &d) != 0)
        goto out;
    if (ge_small_order(&a) || ge_small_order(&r))
        goto out;
    /* k = SHA-512(R || A || M) mod L */
    if (mbedtls_sha512_starts_ret(&sha, 0) != 0 || mbedtls_sha512_update_ret(&sha, sig, 32) != 0 ||
        mbedtls_sha512_update_ret(&sha, pub, 32) != 0 ||
        (prefix_len && mbedtls_sha512_update_ret(&sha, prefix, prefix_len) != 0) ||
        (len && mbedtls_sha512_update_ret(&sha, msg, len) != 0) ||
        mbedtls_sha512_finish_ret(&sha, h) != 0)
        goto out;
    sc_reduce64(k, h);
    /* [S]B - [k]A, by double-and-add over both scalars at once, must
     * encode exactly as R does */
    fe_frombytes(&b.x, BX_BYTES);
    fe_frombytes(&b.y, BY_BYTES);
    fe_set(&b.z, 1);
    fe_mul(&b.t, &b.x, &b.y);
    fe_neg(&a.x, &a.x);
    fe_carry(&a.x);
    fe_neg(&a.t, &a.t);
    fe_carry(&a.t);
    ge_identity(&acc);
    for (int bit = 255; bit >= 0; bit--) {
        ge_double(&acc, &acc);
        if ((sig[32 + (bit >> 3)] >> (bit & 7)) & 1)
            ge_add(&acc, &acc, &b, &d2);
        if ((k[bit >> 3] >> (bit & 7)) & 1)
            ge_add(&acc, &acc, &a, &d2);
    }
    ge_tobytes(check, &acc);
    if (mh_ct_memcmp(check, sig, 32) == 0)
        ret = 0;
out:
    mbedtls_sha512_free(&sha);
    return ret;
}
