/* cose_sign.c - ES256 signing for COSE_Sign1 (RFC 9053 2.1): r || s as
 * the signer makes it (a token gives r || s; nothing is converted). The
 * firmware does not compile this file. */
#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

#include <string.h>

int mh_cose_es256_sign(const mh_signer *key, const uint8_t hash[32],
                       uint8_t sig[MH_RECEIPT_SIG_LEN])
{
    mh_receipt_key k;
    size_t n = 0;
    int ret;

    if (!key || !hash || !sig)
        return MH_ERR_INVALID_ARG;
    if (key->alg != MH_SIG_ECDSA || mh_receipt_key_from_spki(key->spki, key->spki_len, &k) != 0)
        return mh_err_set(MH_ERR_KEY_TYPE,
                          "the registry key must be an EC P-256 key (receipts are signed with "
                          "ES256); generate one with 'mohur key generate --type ec-p256'");
    ret = mh_signer_sign(key, MBEDTLS_MD_SHA256, hash, 32, MH_SIG_RAW, sig, MH_RECEIPT_SIG_LEN, &n);
    if (ret)
        return ret; /* the signer's code and sentence (a PIN, a removed token) */
    if (n != MH_RECEIPT_SIG_LEN) {
        memset(sig, 0, MH_RECEIPT_SIG_LEN);
        return mh_err_set(MH_ERR_INTERNAL, "the key returned an ES256 signature of %zu bytes", n);
    }
    return 0;
}

int mh_cose_sign1_make(const mh_signer *key, const uint8_t kid[MH_RECEIPT_KID_LEN],
                       const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap,
                       size_t *len)
{
    uint8_t prot[5 + MH_RECEIPT_KID_LEN] = {0xa2, 0x01, 0x26, 0x04, 0x48};
    uint8_t hash[32], sig[MH_RECEIPT_SIG_LEN];
    mh_cbor_w w;
    int ret;

    if (!key || !kid || (!payload && payload_len) || !out || !len)
        return MH_ERR_INVALID_ARG;
    *len = 0;
    memcpy(prot + 5, kid, MH_RECEIPT_KID_LEN);
    if ((ret = mh_cose_sign1_hash(prot, sizeof prot, payload, payload_len, hash)) != 0 ||
        (ret = mh_cose_es256_sign(key, hash, sig)) != 0)
        return ret;
    mh_cbor_w_init(&w, out, cap);
    mh_cbor_put_tag(&w, 18);
    mh_cbor_put_array(&w, 4);
    mh_cbor_put_bytes(&w, prot, sizeof prot);
    mh_cbor_put_map(&w, 0);
    mh_cbor_put_bytes(&w, payload, payload_len);
    mh_cbor_put_bytes(&w, sig, sizeof sig);
    return mh_cbor_w_finish(&w, len);
}
