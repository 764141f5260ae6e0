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
