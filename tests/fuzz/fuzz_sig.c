/* fuzz_sig.c - SPKI parsing and signature verification on fuzzer-chosen
 * keys, signatures and messages: never a crash, never "valid" by accident.
 *
 * Input: sel, mgf, salt, spki_len (2 bytes BE), sig_len (2 bytes BE), then
 * the SPKI, the signature and the message.
 *   sel bits 0-2: algorithm (mod 5), bits 3-5: message hash, bit 6: legacy
 *   mgf bits 0-2: MGF1 hash; salt: the PSS salt length, 0xff = the
 *   defaults (NULL), 0xfe = any salt length.
 * Seeds in seeds/sig/ are Wycheproof keys with one of their valid
 * signatures each, in this layout, so the fuzzer starts from inputs that
 * verify. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const mbedtls_md_type_t mds[8] = {MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512,
                                         MBEDTLS_MD_SHA224, MBEDTLS_MD_SHA1,   MBEDTLS_MD_NONE,
                                         MBEDTLS_MD_MD5,    MBEDTLS_MD_SHA256};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 7)
        return 0;
    unsigned sel = data[0], mgf = data[1], salt = data[2];
    size_t spki_len = (size_t)data[3] << 8 | data[4];
    size_t sig_len = (size_t)data[5] << 8 | data[6];
    data += 7;
    size -= 7;
    if (spki_len > size || sig_len > size - spki_len)
        return 0;
    /* exact-size copies, so ASan sees any read past the end */
    uint8_t *spki = malloc(spki_len ? spki_len : 1);
    uint8_t *sig = malloc(sig_len ? sig_len : 1);
    size_t msg_len = size - spki_len - sig_len;
    uint8_t *msg = malloc(msg_len ? msg_len : 1);
    if (!spki || !sig || !msg)
        goto out;
    memcpy(spki, data, spki_len);
    memcpy(sig, data + spki_len, sig_len);
    memcpy(msg, data + spki_len + sig_len, msg_len);

    mh_pki_pubkey key;
    unsigned flags = (sel & 0x40) ? MH_PKI_SPKI_LEGACY : 0;
    if (mh_pki_spki_parse_flags(spki, spki_len, flags, &key) != 0)
        goto out;
    /* ECDSA DER, ECDSA r || s, RSA PKCS#1 v1.5, RSA-PSS, Ed25519 */
    static const enum mh_sig_alg algs[] = {MH_SIG_ECDSA, MH_SIG_ECDSA, MH_SIG_RSA_PKCS1,
                                           MH_SIG_RSA_PSS, MH_SIG_ED25519};
    enum mh_sig_alg alg = algs[(sel & 7) % 5];
    enum mh_sig_enc enc = (sel & 7) % 5 == 1 ? MH_SIG_RAW : MH_SIG_DER;
    mbedtls_md_type_t md = mds[(sel >> 3) & 7];
    struct mh_pki_pss_params pss = {
        .mgf1_md = mds[mgf & 7], .salt_len = salt, .salt_any = salt == 0xfe};
    const struct mh_pki_pss_params *pp = salt == 0xff ? NULL : &pss;
    int rc = mh_pki_verify_msg(&key, alg, enc, md, msg, msg_len, sig, sig_len, pp);
    if (rc != 0 && rc != MH_ERR_VERIFY_FAILED && rc != MH_ERR_UNSUPPORTED_ALG &&
        rc != MH_ERR_ALG_REFUSED && rc != MH_ERR_INVALID_ARG && rc != MH_ERR_NOMEM)
        abort(); /* only the documented outcomes */
    /* the message as a raw hash, whatever its length */
    rc = mh_pki_verify_hash(&key, alg, enc, md, msg, msg_len, sig, sig_len, pp);
    if (rc != 0 && rc != MH_ERR_VERIFY_FAILED && rc != MH_ERR_UNSUPPORTED_ALG &&
        rc != MH_ERR_ALG_REFUSED && rc != MH_ERR_INVALID_ARG && rc != MH_ERR_NOMEM)
        abort();
out:
    free(msg);
    free(sig);
    free(spki);
    return 0;
}
