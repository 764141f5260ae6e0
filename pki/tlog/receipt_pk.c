/* receipt_pk.c - a registry key from an mbedtls_pk_context (host side:
 * mh_hsm_key_pk() gives one). Apart from receipt.c so the firmware, which
 * has no mbedtls_pk, need not compile it. */
#include "mh_pki.h"

#include <string.h>

#include <mbedtls/pk.h>

int mh_receipt_key_from_pk(const mbedtls_pk_context *pk, mh_receipt_key *key)
{
    uint8_t pt[MH_RECEIPT_P256_POINT];
    size_t n = 0;
    const mbedtls_ecp_keypair *ec;

    if (!pk || !key)
        return MH_ERR_INVALID_ARG;
    memset(key, 0, sizeof *key);
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) || !(ec = mbedtls_pk_ec(*pk)) ||
        ec->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
        mh_err_set(MH_ERR_KEY_TYPE,
                   "the registry key must be an EC P-256 key (receipts are signed with "
                   "ES256); generate one with 'mohur key generate --type ec-p256'");
        return MH_ERR_KEY_TYPE;
    }
    if (mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pt,
                                       sizeof pt) ||
        n != sizeof pt)
        return MH_ERR_INTERNAL;
    return mh_receipt_key_from_point(pt, n, key);
}
