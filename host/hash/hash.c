/* hash.c - SHA-256 of large inputs through OpenSSL's libcrypto. */
#include <openssl/evp.h>

#include "mh_common.h"
#include "mh_hash.h"

int mh_hash_sha256_parts(const uint8_t *const *part, const size_t *len, size_t n, uint8_t out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(c, part[i], len[i]) == 1;
    unsigned int olen = 0;
    ok = ok && EVP_DigestFinal_ex(c, out, &olen) == 1 && olen == 32;
    EVP_MD_CTX_free(c);
    return ok ? 0 : MH_ERR_INTERNAL;
}

int mh_hash_sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
    return mh_hash_sha256_parts(&p, &len, 1, out);
}

int mh_hash_sha256_parts_prefix(const uint8_t *const *part, const size_t *len, size_t n,
                                size_t prefix_len, uint8_t out[32], uint8_t prefix_out[32])
{
    if (n == 0 || prefix_len > len[0])
        return MH_ERR_INVALID_ARG;
    EVP_MD_CTX *c = EVP_MD_CTX_new(), *pc = EVP_MD_CTX_new();
    unsigned int olen = 0, plen = 0;
    int ok = c && pc && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(c, part[0], prefix_len) == 1 && EVP_MD_CTX_copy_ex(pc, c) == 1 &&
             EVP_DigestFinal_ex(pc, prefix_out, &plen) == 1 && plen == 32 &&
             EVP_DigestUpdate(c, part[0] + prefix_len, len[0] - prefix_len) == 1;
    for (size_t i = 1; ok && i < n; i++)
        ok = EVP_DigestUpdate(c, part[i], len[i]) == 1;
    ok = ok && EVP_DigestFinal_ex(c, out, &olen) == 1 && olen == 32;
    EVP_MD_CTX_free(c);
    EVP_MD_CTX_free(pc);
    return ok ? 0 : MH_ERR_INTERNAL;
}

static const EVP_MD *evp_md(mbedtls_md_type_t md)
{
    switch (md) {
    case MBEDTLS_MD_SHA256:
        return EVP_sha256();
    case MBEDTLS_MD_SHA384:
        return EVP_sha384();
    case MBEDTLS_MD_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

size_t mh_hash_md_size(mbedtls_md_type_t md)
{
    const EVP_MD *m = evp_md(md);
    return m ? (size_t)EVP_MD_size(m) : 0;
}

int mh_hash_md(mbedtls_md_type_t md, const uint8_t *p, size_t len, uint8_t *out, size_t cap,
               size_t *out_len)
{
    const EVP_MD *m = evp_md(md);
    unsigned int olen = 0;
    if (!m || cap < (size_t)EVP_MD_size(m))
        return MH_ERR_INVALID_ARG;
    if (EVP_Digest(p, len, out, &olen, m, NULL) != 1)
        return MH_ERR_INTERNAL;
    *out_len = olen;
    return 0;
}

int mh_hash_sha256_stream(FILE *f, uint8_t out[32], uint64_t *len)
{
    uint8_t buf[65536];
    size_t n;
    unsigned int olen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
    *len = 0;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        ok = EVP_DigestUpdate(c, buf, n) == 1;
        *len += n;
    }
    if (ok && ferror(f)) {
        EVP_MD_CTX_free(c);
        return MH_ERR_IO;
    }
    ok = ok && EVP_DigestFinal_ex(c, out, &olen) == 1 && olen == 32;
    EVP_MD_CTX_free(c);
    return ok ? 0 : MH_ERR_INTERNAL;
}
