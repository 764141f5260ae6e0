/* ecdsa_openssl.c - the OpenSSL 3 libcrypto ECDSA backend (pki_sig.h), for
 * host builds, where verification speed matters (docs/architecture.md says
 * why this one and docs/performance.md what it gives). sig_ecdsa.c has
 * already checked the encoding and the ranges, so this file re-encodes r
 * and s as minimal DER for EVP_PKEY_verify and never sees what a peer
 * sent. Building an EVP_PKEY costs about a sixth of a P-256 verification,
 * so the last few keys are kept (keyed by curve and point bytes, the whole
 * key: a hit is the same key) behind a mutex. Compiled only when CMake
 * finds libcrypto (MH_PKI_HAVE_OPENSSL); the firmware never builds it. */
#ifdef MH_PKI_HAVE_OPENSSL

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"

#define CACHE_SLOTS 16
#define POINT_MAX MH_PKI_EC_MAX_POINT

struct slot {
    mbedtls_ecp_group_id curve;
    size_t len;
    uint8_t point[POINT_MAX];
    EVP_PKEY *pkey;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot cache[CACHE_SLOTS];
static unsigned cache_next;

static const char *group_name(mbedtls_ecp_group_id curve)
{
    switch (curve) {
    case MBEDTLS_ECP_DP_SECP256R1:
        return "P-256";
    case MBEDTLS_ECP_DP_SECP384R1:
        return "P-384";
    case MBEDTLS_ECP_DP_SECP521R1:
        return "P-521";
    default:
        return NULL;
    }
}

/* A new EVP_PKEY for the point; EVP_PKEY_fromdata decodes it with
 * EC_POINT_oct2point, which refuses coordinates >= p and points off the
 * curve. */
static int make_key(mbedtls_ecp_group_id curve, const uint8_t *point, size_t len, EVP_PKEY **out)
{
    const char *name = group_name(curve);
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM params[3];
    int ret = MH_ERR_INVALID_ARG;
    *out = NULL;
    if (!name)
        return MH_ERR_UNSUPPORTED_ALG;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, len);
    params[2] = OSSL_PARAM_construct_end();
    if (EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1 || !*out)
        goto out;
    ret = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ret;
}

/* The key for the point, with a reference the caller frees. */
static int get_key(mbedtls_ecp_group_id curve, const uint8_t *point, size_t len, EVP_PKEY **out)
{
    EVP_PKEY *k = NULL;
    int ret;
    if (len > POINT_MAX)
        return MH_ERR_INVALID_ARG;
    pthread_mutex_lock(&cache_lock);
    for (unsigned i = 0; i < CACHE_SLOTS; i++) {
        struct slot *s = &cache[i];
        if (s->pkey && s->curve == curve && s->len == len && memcmp(s->point, point, len) == 0) {
            if (EVP_PKEY_up_ref(s->pkey) == 1)
                k = s->pkey;
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    if (k) {
        *out = k;
        return 0;
    }
    if ((ret = make_key(curve, point, len, &k)) != 0)
        return ret;
    /* only keys that decoded are kept; the cache holds its own reference */
    if (EVP_PKEY_up_ref(k) == 1) {
        pthread_mutex_lock(&cache_lock);
        struct slot *s = &cache[cache_next++ % CACHE_SLOTS];
        EVP_PKEY *old = s->pkey;
        s->curve = curve;
        s->len = len;
        memcpy(s->point, point, len);
        s->pkey = k;
        pthread_mutex_unlock(&cache_lock);
        EVP_PKEY_free(old);
    }
    *out = k;
    return 0;
}

static int point_check(mbedtls_ecp_group_id curve, const uint8_t *point, size_t len)
{
    EVP_PKEY *k = NULL;
    int ret = get_key(curve, point, len, &k);
    EVP_PKEY_free(k);
    return ret;
}

/* One DER INTEGER of a positive big-endian value (not zero: checked). */
static size_t put_int(uint8_t *p, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    size_t pad = (v[0] & 0x80) ? 1 : 0, i = 0;
    p[i++] = 0x02;
    p[i++] = (uint8_t)(n + pad);
    if (pad)
        p[i++] = 0;
    memcpy(p + i, v, n);
    return i + n;
}

static int verify(mbedtls_ecp_group_id curve, const uint8_t *point, size_t point_len,
                  const uint8_t *hash, size_t hash_len, const uint8_t *r, const uint8_t *s,
                  size_t nlen)
{
    /* SEQUENCE { INTEGER r, INTEGER s }: at most 2 * (2 + 67) = 138 bytes
     * of contents, so the length takes the long form 0x81 at most */
    uint8_t der[3 + 2 * (3 + 66)], body[2 * (3 + 66)];
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    size_t bl = 0, dl = 0;
    int ret;
    if (nlen > 66)
        return MH_ERR_INVALID_ARG;
    bl += put_int(body + bl, r, nlen);
    bl += put_int(body + bl, s, nlen);
    der[dl++] = 0x30;
    if (bl >= 0x80)
        der[dl++] = 0x81;
    der[dl++] = (uint8_t)bl;
    memcpy(der + dl, body, bl);
    dl += bl;
    if ((ret = get_key(curve, point, point_len, &k)) != 0)
        return ret;
    ret = MH_ERR_NOMEM;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    if (!ctx || EVP_PKEY_verify_init(ctx) != 1)
        goto out;
    int rc = EVP_PKEY_verify(ctx, der, dl, hash, hash_len);
    ret = rc == 1 ? 0 : MH_ERR_VERIFY_FAILED;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(k);
    ERR_clear_error();
    return ret;
}

const mh_pki_ecdsa_backend mh_pki_ecdsa_backend_openssl = {"openssl", point_check, verify};

#else
/* ISO C wants a translation unit to declare something */
typedef int mh_ecdsa_openssl_unused;
#endif
