/* sig_ecdsa.c - the one ECDSA verifier (pki_sig.h): the strict checks in
 * front of every backend, and the choice of backend.
 *
 * Everything that decides whether bytes are a signature happens here, with
 * no bignum library: the DER form through the mh_der cursor, the range of r
 * and s by comparing big-endian bytes with the curve order, the hash cut to
 * the order's length. A backend (ecdsa_mbedtls.c, ecdsa_openssl.c) gets
 * only values already in range, so no backend's leniency can change a
 * verdict; Wycheproof runs through each of them (tests/wycheproof). No
 * allocation, no I/O: the firmware compiles this file. */
#include <stdatomic.h>
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"

#define ORDER_MAX 66 /* P-521 */

/* The group orders n (SEC 2 v2 section 2.4; FIPS 186-4 D.1.2), big-endian,
 * as long as the field. tests/wycheproof/test_sig.c checks them against
 * mbedTLS's. */
static const uint8_t n_p256[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                   0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
static const uint8_t n_p384[48] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73};
static const uint8_t n_p521[66] = {
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b,
    0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09, 0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c,
    0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38, 0x64, 0x09};

struct curve {
    mbedtls_ecp_group_id id;
    const uint8_t *n;
    size_t nlen;
};

static const struct curve curves[] = {
    {MBEDTLS_ECP_DP_SECP256R1, n_p256, sizeof n_p256},
    {MBEDTLS_ECP_DP_SECP384R1, n_p384, sizeof n_p384},
    {MBEDTLS_ECP_DP_SECP521R1, n_p521, sizeof n_p521},
};

static const struct curve *curve_of(mbedtls_ecp_group_id id)
{
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
        if (curves[i].id == id)
            return &curves[i];
    return NULL;
}

size_t mh_pki_ec_order_len(mbedtls_ecp_group_id curve)
{
    const struct curve *c = curve_of(curve);
    return c ? c->nlen : 0;
}

/* ---- the backend ---- */

#if defined(MH_PKI_HAVE_OPENSSL) && !defined(MH_PKI_DEFAULT_MBEDTLS)
#define DEFAULT_BACKEND (&mh_pki_ecdsa_backend_openssl)
#else
#define DEFAULT_BACKEND (&mh_pki_ecdsa_backend_mbedtls)
#endif

static _Atomic(const mh_pki_ecdsa_backend *) chosen;

const mh_pki_ecdsa_backend *mh_pki_ecdsa_backend_get(void)
{
    const mh_pki_ecdsa_backend *b = atomic_load(&chosen);
    return b ? b : DEFAULT_BACKEND;
}

void mh_pki_ecdsa_backend_set(const mh_pki_ecdsa_backend *backend)
{
    atomic_store(&chosen, backend);
}

/* ---- the strict checks ---- */

static int bad_sig(const char *what)
{
    mh_err_set(MH_ERR_VERIFY_FAILED, "the signature does not verify: %s", what);
    return MH_ERR_VERIFY_FAILED;
}

/* Big-endian compare of two nlen-byte values: <0, 0, >0. Variable time is
 * fine: r, s and n are public. */
static int be_cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static bool be_zero(const uint8_t *a, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= a[i];
    return acc == 0;
}

/* r || s (2 * nlen bytes) with 1 <= r, s <= n - 1 (SEC1 4.1.4 step 1). */
static int range_check(const struct curve *c, const uint8_t *rs)
{
    for (int i = 0; i < 2; i++) {
        const uint8_t *v = rs + (size_t)i * c->nlen;
        if (be_zero(v, c->nlen) || be_cmp(v, c->n, c->nlen) >= 0)
            return bad_sig("ECDSA r or s is outside [1, n-1]");
    }
    return 0;
}

/* A canonical Ecdsa-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }, DER
 * lengths, minimal positive integers, nothing after) into r || s. */
static int der_split(const struct curve *c, const uint8_t *sig, size_t len, uint8_t *rs)
{
    mh_der d, in;
    mh_der_elem seq, ei[2];
    if (len > 2 * c->nlen + 16)
        return bad_sig("the ECDSA signature is longer than any for this curve");
    mh_der_init(&d, sig, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &seq) || !mh_der_done(&d))
        return bad_sig("the ECDSA signature is not one DER SEQUENCE (or has bytes after it)");
    mh_der_enter(&in, &seq);
    if (mh_der_expect(&in, MH_DER_INTEGER, &ei[0]) || mh_der_expect(&in, MH_DER_INTEGER, &ei[1]) ||
        !mh_der_done(&in))
        return bad_sig("the ECDSA signature is not a DER SEQUENCE of two INTEGERs");
    for (int i = 0; i < 2; i++) {
        bool neg;
        if (mh_der_integer_check(&ei[i], &neg))
            return bad_sig("an ECDSA integer is not in minimal DER form");
        if (neg)
            return bad_sig("an ECDSA integer is negative");
        const uint8_t *p = ei[i].val;
        size_t n = ei[i].len;
        if (n > 1 && p[0] == 0) {
            p++;
            n--;
        }
        if (n > c->nlen)
            return bad_sig("an ECDSA integer is larger than the group order");
        uint8_t *out = rs + (size_t)i * c->nlen;
        memset(out, 0, c->nlen - n);
        memcpy(out + c->nlen - n, p, n);
    }
    return 0;
}

static int point_form(const struct curve *c, const uint8_t *point, size_t len)
{
    if (!point || len != 1 + 2 * c->nlen || point[0] != 0x04) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the public key is not an uncompressed point of the curve's size");
        return MH_ERR_INVALID_ARG;
    }
    return 0;
}

static int unsupported_curve(void)
{
    mh_err_set(MH_ERR_UNSUPPORTED_ALG,
               "the signature cannot be checked: the key is on a curve other than P-256, "
               "P-384 and P-521");
    return MH_ERR_UNSUPPORTED_ALG;
}

int mh_pki_ec_point_check(mbedtls_ecp_group_id curve, const uint8_t *point, size_t point_len)
{
    const struct curve *c = curve_of(curve);
    int ret;
    if (!c)
        return unsupported_curve();
    if ((ret = point_form(c, point, point_len)) != 0)
        return ret;
    ret = mh_pki_ecdsa_backend_get()->point_check(curve, point, point_len);
    if (ret == MH_ERR_INVALID_ARG || ret == MH_ERR_VERIFY_FAILED) {
        mh_err_set(MH_ERR_INVALID_ARG, "the public key is not a point on the curve");
        return MH_ERR_INVALID_ARG;
    }
    return ret;
}

int mh_pki_ecdsa_der_to_raw(mbedtls_ecp_group_id curve, const uint8_t *der, size_t der_len,
                            uint8_t *raw, size_t cap, size_t *raw_len)
{
    const struct curve *c = curve_of(curve);
    uint8_t rs[2 * ORDER_MAX];
    int ret;
    if (!c)
        return unsupported_curve();
    if ((!der && der_len) || !raw || cap < 2 * c->nlen)
        return MH_ERR_INVALID_ARG;
    if ((ret = der_split(c, der, der_len, rs)) != 0 || (ret = range_check(c, rs)) != 0)
        return ret;
    memcpy(raw, rs, 2 * c->nlen);
    if (raw_len)
        *raw_len = 2 * c->nlen;
    return 0;
}

int mh_pki_ecdsa_verify(mbedtls_ecp_group_id curve, const uint8_t *point, size_t point_len,
                        const uint8_t *hash, size_t hash_len, enum mh_sig_enc enc,
                        const uint8_t *sig, size_t sig_len)
{
    const struct curve *c = curve_of(curve);
    uint8_t rs[2 * ORDER_MAX];
    int ret;
    if (!c)
        return unsupported_curve();
    if (!hash || hash_len == 0 || (!sig && sig_len)) {
        mh_err_set(MH_ERR_INVALID_ARG, "ECDSA check called without a hash or signature");
        return MH_ERR_INVALID_ARG;
    }
    if ((ret = point_form(c, point, point_len)) != 0)
        return ret;
    if (enc == MH_SIG_RAW) {
        if (sig_len != 2 * c->nlen) {
            mh_err_set(MH_ERR_VERIFY_FAILED,
                       "the signature does not verify: an IEEE P1363 ECDSA signature on this "
                       "curve is %zu bytes, not %zu",
                       2 * c->nlen, sig_len);
            return MH_ERR_VERIFY_FAILED;
        }
        memcpy(rs, sig, sig_len);
    } else if (enc == MH_SIG_DER) {
        if ((ret = der_split(c, sig, sig_len, rs)) != 0)
            return ret;
    } else {
        mh_err_set(MH_ERR_INVALID_ARG, "ECDSA check called with an unknown encoding");
        return MH_ERR_INVALID_ARG;
    }
    if ((ret = range_check(c, rs)) != 0)
        return ret;
    /* SEC1 4.1.4 step 3: the leftmost bits of the hash, as many as the
     * order has. The orders of P-256 and P-384 fill whole bytes; P-521's
     * 521 bits exceed every hash we take, so whole bytes are exact. */
    if (hash_len > c->nlen)
        hash_len = c->nlen;
    ret = mh_pki_ecdsa_backend_get()->verify(curve, point, point_len, hash, hash_len, rs,
                                             rs + c->nlen, c->nlen);
    if (ret == 0)
        return 0;
    if (ret == MH_ERR_VERIFY_FAILED)
        return bad_sig("the ECDSA equation does not hold: wrong key, data or signature");
    if (ret == MH_ERR_INVALID_ARG)
        mh_err_set(ret, "the public key is not a point on the curve");
    return ret;
}
