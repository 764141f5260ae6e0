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
